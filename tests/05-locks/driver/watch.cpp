// locks::Mutex, as bank.hpp promises: a std::mutex, with the driver's hooks around each call.
#include "watch.hpp"

#include <algorithm>

namespace watch {

namespace {
Schedule* current = nullptr;
}

Self& self() {
    thread_local Self s;
    return s;
}

void use(Schedule* schedule) {
    current = schedule;
}

}  // namespace watch

namespace locks {

void Mutex::lock() {
    if (watch::current) watch::current->before_lock(this);
    mutex_.lock();
    watch::self().held.push_back(this);
    if (watch::current) watch::current->after_lock(this);
}

bool Mutex::try_lock() {
    if (watch::current) watch::current->before_lock(this);
    if (!mutex_.try_lock()) return false;
    watch::self().held.push_back(this);
    if (watch::current) watch::current->after_lock(this);
    return true;
}

void Mutex::unlock() {
    if (watch::current) watch::current->before_unlock(this);
    mutex_.unlock();
    auto& held = watch::self().held;
    if (const auto it = std::find(held.rbegin(), held.rend(), this); it != held.rend())
        held.erase(std::next(it).base());
    if (watch::current) watch::current->after_unlock(this);
}

}  // namespace locks
