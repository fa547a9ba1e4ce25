// Lesson 05's driver: runs your Counter and Bank in the scenario a test asks for and prints what
// happened, one fact per line. It never says whether that is right: the tests decide, from facts
// they can compute themselves. Try it: ./workbook run 05 -- --help
//
//   script            the commands on stdin, run one after the other in one thread (see below)
//   counter T N       T threads call increment() N times each while another calls value()
//   transfers         the threads on stdin transfer at once, while an auditor calls total()
//                     and balance() of each account
//   opposite R        transfer(0, 1, 1) and transfer(1, 0, 1) at once, made to meet halfway,
//                     then R times each way in two threads
//   disjoint          transfer(2, 3, 10) while transfer(0, 1, 10) holds its locks
//   peek              balance(0), then total(), each in a thread of its own, while
//                     transfer(0, 1, 10) holds its locks
#include <pthread.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bank.hpp"
#include "watch.hpp"

namespace {

using namespace std::chrono_literals;

// How long the driver waits for something that only a broken program never does: 2 s (1 s for a
// transfer that should not wait at all), times WORKBOOK_TIME_SCALE as the tests' deadlines are,
// so that it stays under their 3 s.
std::chrono::milliseconds scaled(std::chrono::milliseconds base) {
    const char* scale = std::getenv("WORKBOOK_TIME_SCALE");
    const double factor = scale ? std::atof(scale) : 1.0;
    return factor > 0 ? std::chrono::milliseconds(static_cast<long>(base.count() * factor)) : base;
}
const auto patience = scaled(2s);

// Runs `work`; if the student's code throws (a starter's "TODO: ... is not written yet"), says so
// and ends the driver at once, whatever the other threads are doing.
template <typename Work>
void guarded(Work&& work) {
    try {
        work();
    } catch (const std::exception& error) {
        std::cout << "threw: " << error.what() << std::endl;
        std::_Exit(1);
    }
}

void name_this_thread(const std::string& name) {
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

std::string list(const std::vector<long>& values) {
    std::string out;
    for (const long v : values) out += (out.empty() ? "" : " ") + std::to_string(v);
    return out;
}

std::vector<long> balances_of(const locks::Bank& bank) {
    std::vector<long> out;
    for (std::size_t i = 0; i < bank.size(); ++i) out.push_back(bank.balance(i));
    return out;
}

// ---- script: one thread, one call at a time --------------------------------------------------
//
//   bank B0 B1 ...     a new Bank with these balances        counter     a new Counter
//   transfer F T A     balance I     balances     total      increment   value
//   during CALL: CALL2 runs CALL; the first time its thread holds no lock after an unlock inside
//                      CALL, runs CALL2 right there (the moment another thread could have run it)
//
// Prints "CALL -> RESULT" for each call, "  inside CALL, holding no lock: CALL2 -> RESULT" for a
// call slipped in ("  CALL2 never ran: ..." when CALL never unlocked a mutex), and stops after
// "  still holding N lock(s) after CALL returned".

// Slips one call in at the first moment the calling thread holds no lock inside a call.
class SlipIn : public watch::Schedule {
  public:
    std::function<void()> call;
    void after_unlock(const locks::Mutex*) override {
        watch::Self& self = watch::self();
        if (!call || !self.in_call || self.injecting || !self.held.empty()) return;
        const std::function<void()> now = std::move(call);
        call = nullptr;
        self.injecting = true;
        guarded(now);  // a TODO thrown here would otherwise leave a destructor: std::terminate
        self.injecting = false;
    }
};

class Script {
  public:
    Script() { watch::use(&slip_in_); }
    ~Script() { watch::use(nullptr); }

    void line(const std::string& text) {
        if (text.starts_with("during ")) {
            const auto colon = text.find(':');
            const std::string outer = text.substr(7, colon - 7);
            std::string inner = text.substr(colon + 1);
            inner.erase(0, inner.find_first_not_of(' '));
            bool ran = false;
            slip_in_.call = [this, outer, inner, &ran] {
                ran = true;
                std::cout << "  inside " << outer << ", holding no lock: " << call(inner)
                          << std::endl;
            };
            run(outer);
            if (!ran)
                std::cout << "  " << inner << " never ran: it is slipped in at the moment " << outer
                          << " unlocks its last mutex, and " << outer << " locked none"
                          << std::endl;
            slip_in_.call = nullptr;
        } else if (text.starts_with("bank")) {
            std::istringstream in(text.substr(4));
            std::vector<long> balances;
            for (long b; in >> b;) balances.push_back(b);
            bank_.emplace(balances);
            std::cout << "bank " << list(balances) << std::endl;
        } else if (text == "counter") {
            counter_ = std::make_unique<locks::Counter>();
            std::cout << "counter" << std::endl;
        } else if (!text.empty()) {
            run(text);
        }
    }

  private:
    // Runs one call of the student's code and prints its result; stops if it kept a lock.
    void run(const std::string& text) {
        watch::Self& self = watch::self();
        self.in_call = true;
        const std::string result = call(text);
        self.in_call = false;
        std::cout << result << std::endl;
        if (!self.held.empty()) {
            std::cout << "  still holding " << self.held.size() << " lock(s) after " << text
                      << " returned" << std::endl;
            std::_Exit(0);  // no destructor: the Bank's mutexes are still locked
        }
    }

    std::string call(const std::string& text) {
        std::istringstream in(text);
        std::string verb;
        in >> verb;
        std::ostringstream out;
        out << text << " -> ";
        if (verb == "transfer") {
            std::size_t from = 0, to = 0;
            long amount = 0;
            in >> from >> to >> amount;
            out << std::boolalpha << bank_->transfer(from, to, amount);
        } else if (verb == "balance") {
            std::size_t account = 0;
            in >> account;
            out << bank_->balance(account);
        } else if (verb == "balances") {
            out << list(balances_of(*bank_));
        } else if (verb == "total") {
            out << bank_->total();
        } else if (verb == "increment") {
            counter_->increment();
            out << "done";
        } else if (verb == "value") {
            out << counter_->value();
        } else {
            out << "unknown command";
        }
        return out.str();
    }

    SlipIn slip_in_;
    std::optional<locks::Bank> bank_;
    std::unique_ptr<locks::Counter> counter_;
};

int script() {
    Script s;
    for (std::string text; std::getline(std::cin, text);) s.line(text);
    return 0;
}

// ---- counter: lost updates -------------------------------------------------------------------

int counter(int threads, int times) {
    locks::Counter counter;
    std::atomic<bool> done{false};
    long reads = 0, first = 0, last = 0, down = 0;
    std::thread reader([&] {
        name_this_thread("reader");
        guarded([&] {
            first = last = counter.value();
            ++reads;
            while (!done.load()) {
                const long now = counter.value();
                if (now < last) ++down;
                last = now;
                ++reads;
                std::this_thread::yield();  // let the incrementing threads have the CPU
            }
        });
    });
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            name_this_thread("counter-" + std::to_string(t + 1));
            guarded([&] {
                for (int i = 0; i < times; ++i) counter.increment();
            });
        });
    }
    for (auto& w : workers) w.join();
    done = true;
    reader.join();
    std::cout << "value -> " << counter.value() << std::endl;
    std::cout << "reader: " << reads << " reads, first " << first << ", last " << last
              << ", went down " << down << " times" << std::endl;
    return 0;
}

// ---- transfers: many threads, and an auditor -------------------------------------------------
//
// stdin: "bank B0 B1 ...", then one line per thread, "thread F T A F T A ...": its transfers in
// order, and "audit" for a thread that calls total() until the others are done.

int transfers() {
    std::vector<long> opening;
    std::vector<std::vector<long>> plans;
    bool audit = false;
    for (std::string text; std::getline(std::cin, text);) {
        std::istringstream in(text);
        std::string verb;
        in >> verb;
        std::vector<long> numbers;
        for (long n; in >> n;) numbers.push_back(n);
        if (verb == "bank") opening = numbers;
        if (verb == "thread") plans.push_back(numbers);
        if (verb == "audit") audit = true;
    }
    locks::Bank bank(opening);
    std::vector<long> accepted(plans.size(), 0);
    std::latch start(static_cast<std::ptrdiff_t>(plans.size()) + (audit ? 1 : 0));
    std::atomic<bool> done{false};
    long audits = 0;
    long lowest = 0;
    std::set<long> seen;
    std::thread auditor;
    if (audit) {
        auditor = std::thread([&] {
            name_this_thread("auditor");
            start.arrive_and_wait();
            guarded([&] {
                lowest = opening.empty() ? 0 : opening.front();
                do {
                    seen.insert(bank.total());
                    for (std::size_t i = 0; i < bank.size(); ++i)
                        lowest = std::min(lowest, bank.balance(i));
                    ++audits;
                } while (!done.load());
            });
        });
    }
    std::vector<std::thread> tellers;
    for (std::size_t t = 0; t < plans.size(); ++t) {
        tellers.emplace_back([&, t] {
            name_this_thread("teller-" + std::to_string(t + 1));
            start.arrive_and_wait();
            const std::vector<long>& plan = plans[t];
            guarded([&] {
                for (std::size_t i = 0; i + 2 < plan.size(); i += 3) {
                    if (bank.transfer(static_cast<std::size_t>(plan[i]),
                                      static_cast<std::size_t>(plan[i + 1]), plan[i + 2]))
                        ++accepted[t];
                }
            });
        });
    }
    for (auto& t : tellers) t.join();
    done = true;
    if (auditor.joinable()) auditor.join();
    for (std::size_t t = 0; t < plans.size(); ++t)
        std::cout << "thread " << t + 1 << ": " << plans[t].size() / 3 << " transfers, "
                  << accepted[t] << " accepted" << std::endl;
    if (audit) {
        std::cout << "auditor: " << audits << " calls to total(), saw";
        int shown = 0;
        for (auto it = seen.begin(); it != seen.end() && shown < 10; ++it, ++shown)
            std::cout << ' ' << *it;
        if (seen.size() > 10) std::cout << " and " << seen.size() - 10 << " more";
        std::cout << std::endl;
        std::cout << "auditor: lowest balance seen " << lowest << std::endl;
    }
    std::cout << "balances -> " << list(balances_of(bank)) << std::endl;
    std::cout << "total -> " << bank.total() << std::endl;
    return 0;
}

// ---- opposite: two transfers in opposite directions ------------------------------------------

// Makes the threads of roles 0 and 1 meet: the first to hold one lock waits until the other holds
// one too, or waits for a lock the first holds. A program that takes the two locks one at a time
// in argument order then deadlocks every time, not once in a while.
class Meet : public watch::Schedule {
  public:
    void before_lock(const locks::Mutex* m) override {
        const int r = watch::self().role;
        if (r < 0) return;
        std::lock_guard lock(mutex_);
        party_[r].waiting = m;
        changed_.notify_all();
    }
    void after_lock(const locks::Mutex* m) override {
        const int r = watch::self().role;
        if (r < 0) return;
        std::unique_lock lock(mutex_);
        Party& me = party_[r];
        const Party& other = party_[1 - r];
        me.waiting = nullptr;
        me.held.push_back(m);
        changed_.notify_all();
        if (met_ || me.held.size() != 1) return;
        const auto has_met = [&] {
            return met_ || other.held.size() == 1 ||
                   std::find(me.held.begin(), me.held.end(), other.waiting) != me.held.end();
        };
        if (!changed_.wait_for(lock, patience, has_met)) how_ = "did not meet: timed out";
        if (how_.empty())
            how_ = other.held.size() == 1 ? "met: each held one lock at the same time"
                                          : "met: one waited for the lock the other held";
        met_ = true;
        changed_.notify_all();
    }
    void after_unlock(const locks::Mutex* m) override {
        const int r = watch::self().role;
        if (r < 0) return;
        std::lock_guard lock(mutex_);
        auto& held = party_[r].held;
        if (const auto it = std::find(held.begin(), held.end(), m); it != held.end())
            held.erase(it);
        changed_.notify_all();
    }
    std::string how() {
        std::lock_guard lock(mutex_);
        return how_.empty() ? "did not meet: took no lock" : how_;
    }

  private:
    struct Party {
        std::vector<const locks::Mutex*> held;
        const locks::Mutex* waiting = nullptr;
    };
    std::mutex mutex_;
    std::condition_variable changed_;
    Party party_[2];
    bool met_ = false;
    std::string how_;
};

int opposite(int rounds) {
    locks::Bank bank({1000, 1000});
    Meet meet;
    watch::use(&meet);
    std::cout << "transfer 0 1 1 and transfer 1 0 1 start at once" << std::endl;
    {
        std::jthread a([&] {
            name_this_thread("transfer 0->1");
            watch::self().role = 0;
            guarded([&] { bank.transfer(0, 1, 1); });
        });
        std::jthread b([&] {
            name_this_thread("transfer 1->0");
            watch::self().role = 1;
            guarded([&] { bank.transfer(1, 0, 1); });
        });
    }
    watch::use(nullptr);
    std::cout << meet.how() << std::endl;
    std::cout << "both returned; now " << rounds << " times each way" << std::endl;
    {
        std::jthread a([&] {
            name_this_thread("transfers 0->1");
            guarded([&] {
                for (int i = 0; i < rounds; ++i) bank.transfer(0, 1, 1);
            });
        });
        std::jthread b([&] {
            name_this_thread("transfers 1->0");
            guarded([&] {
                for (int i = 0; i < rounds; ++i) bank.transfer(1, 0, 1);
            });
        });
    }
    std::cout << "balances -> " << list(balances_of(bank)) << std::endl;
    return 0;
}

// ---- disjoint: transfers that share no account -----------------------------------------------

// Holds the thread of role 0 at its first unlock (it holds every lock it will take) until told,
// and remembers which locks it holds then.
class HoldOn : public watch::Schedule {
  public:
    void before_unlock(const locks::Mutex*) override {
        if (watch::self().role != 0) return;
        std::unique_lock lock(mutex_);
        if (holding_) return;
        holding_ = true;
        held_ = watch::self().held;
        changed_.notify_all();
        changed_.wait_for(lock, patience, [&] { return released_; });
    }
    bool wait_holding() {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, patience, [&] { return holding_; });
    }
    void release() {
        std::lock_guard lock(mutex_);
        released_ = true;
        changed_.notify_all();
    }

  protected:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool holding_ = false, released_ = false;
    std::vector<const locks::Mutex*> held_;
};

int disjoint() {
    locks::Bank bank({100, 100, 100, 100});
    HoldOn hold;
    watch::use(&hold);
    bool first = false;
    std::jthread a([&] {
        name_this_thread("transfer 0->1");
        watch::self().role = 0;
        guarded([&] { first = bank.transfer(0, 1, 10); });
    });
    if (!hold.wait_holding()) {
        std::cout << "transfer 0 1 10 took no lock" << std::endl;
    } else {
        std::cout << "transfer 0 1 10 holds its locks" << std::endl;
        std::mutex m;
        std::condition_variable cv;
        std::optional<bool> second;
        std::jthread b([&] {
            name_this_thread("transfer 2->3");
            bool r = false;
            guarded([&] { r = bank.transfer(2, 3, 10); });
            std::lock_guard lock(m);
            second = r;
            cv.notify_all();
        });
        std::unique_lock lock(m);
        if (cv.wait_for(lock, scaled(1s), [&] { return second.has_value(); }))
            std::cout << "meanwhile transfer 2 3 10 -> " << std::boolalpha << *second << std::endl;
        else
            std::cout << "transfer 2 3 10 had not returned " << scaled(1s).count() << " ms later"
                      << std::endl;
        lock.unlock();
        hold.release();
    }
    hold.release();
    a.join();
    watch::use(nullptr);
    std::cout << "transfer 0 1 10 -> " << std::boolalpha << first << std::endl;
    std::cout << "balances -> " << list(balances_of(bank)) << std::endl;
    return 0;
}

// ---- peek: reading an account while a transfer holds its lock -------------------------------

// HoldOn, and whether each thread of role 1 and up, started while role 0 is held, asked for one of
// the locks role 0 holds (it must wait for the transfer) or returned without asking.
class Peek : public HoldOn {
  public:
    enum class Seen { nothing, asked, returned };

    void before_lock(const locks::Mutex* m) override {
        const int r = watch::self().role;
        if (r < 1) return;
        std::lock_guard lock(mutex_);
        if (std::find(held_.begin(), held_.end(), m) == held_.end()) return;
        if (seen_[r] == Seen::nothing) seen_[r] = Seen::asked;
        changed_.notify_all();
    }
    void returned(int role) {
        std::lock_guard lock(mutex_);
        if (seen_[role] == Seen::nothing) seen_[role] = Seen::returned;
        changed_.notify_all();
    }
    Seen wait_for(int role) {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, patience, [&] { return seen_[role] != Seen::nothing; });
        return seen_[role];
    }

  private:
    Seen seen_[3] = {};
};

int peek() {
    locks::Bank bank({100, 100});
    Peek peek;
    watch::use(&peek);
    bool first = false;
    std::jthread a([&] {
        name_this_thread("transfer 0->1");
        watch::self().role = 0;
        guarded([&] { first = bank.transfer(0, 1, 10); });
    });
    const std::pair<std::string, std::function<long()>> calls[] = {
        {"balance 0", [&] { return bank.balance(0); }},
        {"total", [&] { return bank.total(); }},
    };
    long results[2] = {0, 0};
    std::vector<std::jthread> readers;
    if (!peek.wait_holding()) {
        std::cout << "transfer 0 1 10 took no lock" << std::endl;
    } else {
        std::cout << "transfer 0 1 10 holds its locks" << std::endl;
        for (int i = 0; i < 2; ++i) {
            const int role = i + 1;
            readers.emplace_back([&, i, role] {
                name_this_thread(calls[i].first);
                watch::self().role = role;
                guarded([&] { results[i] = calls[i].second(); });
                peek.returned(role);
            });
            std::cout << "meanwhile " << calls[i].first;
            switch (peek.wait_for(role)) {
                case Peek::Seen::asked:
                    std::cout << " waits for a lock the transfer holds" << std::endl;
                    break;
                case Peek::Seen::returned:
                    readers.back().join();
                    std::cout << " returned " << results[i]
                              << " without asking for a lock the transfer holds" << std::endl;
                    break;
                case Peek::Seen::nothing:
                    std::cout << " had neither returned nor asked for a lock the transfer holds "
                              << patience.count() << " ms later" << std::endl;
                    break;
            }
        }
    }
    peek.release();
    a.join();
    for (auto& r : readers)
        if (r.joinable()) r.join();
    watch::use(nullptr);
    std::cout << "transfer 0 1 10 -> " << std::boolalpha << first << std::endl;
    for (std::size_t i = 0; i < readers.size(); ++i)
        std::cout << calls[i].first << " -> " << results[i] << std::endl;
    std::cout << "balances -> " << list(balances_of(bank)) << std::endl;
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "Lesson 05's driver: runs your Counter and Bank in a scenario and prints what "
        "happened"};
    app.require_subcommand(1);
    app.add_subcommand("script", "run the commands on stdin in one thread")->callback([] {
        std::exit(script());
    });
    int threads = 8, times = 1000, rounds = 100;
    auto* c = app.add_subcommand("counter", "threads increment a Counter at once");
    c->add_option("threads", threads)->check(CLI::Range(1, 64));
    c->add_option("times", times)->check(CLI::Range(0, 10'000'000));
    c->callback([&] { std::exit(counter(threads, times)); });
    app.add_subcommand("transfers", "the threads on stdin transfer at once")->callback([] {
        std::exit(transfers());
    });
    app.add_subcommand("opposite", "transfers in opposite directions")
        ->add_option("rounds", rounds)
        ->check(CLI::Range(0, 1'000'000));
    app.get_subcommand("opposite")->callback([&] { std::exit(opposite(rounds)); });
    app.add_subcommand("disjoint", "transfers that share no account")->callback([] {
        std::exit(disjoint());
    });
    app.add_subcommand("peek", "balance() and total() while a transfer holds its locks")
        ->callback([] { std::exit(peek()); });
    try {
        app.parse(argc, argv);  // runs the scenario, which exits
    } catch (const CLI::ParseError& error) {
        return app.exit(error);
    } catch (const std::exception& error) {
        std::cout << "threw: " << error.what() << std::endl;
        return 1;
    }
    return 0;
}
