// Helpers shared by the self-tests.
#pragma once

#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <doctest/doctest.h>

#include "probe.hpp"

namespace selftest {

using namespace std::chrono_literals;
using probe::Clock;
using probe::milliseconds;

// What a step threw as probe::Failure; "" if it did not throw.
template <class Step>
std::string failure_of(Step&& step) {
    try {
        step();
    } catch (const probe::Failure& failure) {
        return failure.what();
    }
    return "";
}

inline bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

inline milliseconds since(Clock::time_point start) {
    return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

// How much later than its deadline a step may return: it must not wait for another deadline.
inline milliseconds margin() {
    return probe::scaled(1500ms);
}

// What `step` threw as probe::Failure, checking that it threw when `deadline` had passed: not
// before, and not a deadline later.
template <class Step>
std::string failure_at_deadline(milliseconds deadline, Step&& step) {
    const auto start = Clock::now();
    std::string message = failure_of(std::forward<Step>(step));
    CHECK(since(start) >= deadline);
    CHECK(since(start) < deadline + margin());
    return message;
}

// True once no process of the group is left (not even a zombie: all were reaped).
inline bool group_gone(pid_t group) {
    return ::kill(-group, 0) == -1 && errno == ESRCH;
}
inline bool process_gone(pid_t pid) {
    return ::kill(pid, 0) == -1 && errno == ESRCH;
}

// A connection from the test to itself: `client` connected to `server`, for a test that plays
// both sides to produce each outcome on purpose.
struct Pair {
    probe::Listener listener;
    probe::Connection client = probe::Connection::connect("127.0.0.1", listener.port());
    probe::Connection server = listener.accept();
};

// Sets an environment variable for one scope.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value != nullptr) {
            ::setenv(name, value, 1);
        } else {
            ::unsetenv(name);
        }
    }
    ~ScopedEnv() {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

  private:
    const char* name_;
    std::optional<std::string> old_;
};

}  // namespace selftest
