// The driver of lesson 04-threads: a program built from your workers.cpp and this file. The tests
// (../workers_test.cpp) start it with a scenario and read what it prints, and what /proc shows of
// its threads, so that your code never runs inside the program that decides the verdict.
//
// It prints facts, one "key: value" line each (what your functions returned, how many threads ran
// at once, which names they had), never a verdict: the tests compare the facts with what they
// expect. Every wait here has a deadline (--deadline-ms), so a wrong program gives an answer, not a
// hang.
//
//   driver cut NAME...                         cut_thread_name of each NAME, in hex
//   driver worker-runs --value V               start() returns at once, join() waits
//   driver worker-names NAME...                Workers held at a gate while the test reads /proc
//   driver worker-alive                        is_alive() before, during, after the target
//   driver worker-throws --message M           join() rethrows
//   driver worker-misuse                       start() twice, join() before start(), ~Worker()
//   driver split --pieces 1,2,7 < text         split_utf8: offset and size of each piece
//   driver in-threads --sizes 3,1,4 [--hold] [--reverse] [--throw 2,3]
//   driver count --threads N < text            count_characters
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cxxabi.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <typeinfo>
#include <vector>

#include "workers.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// ---- Output: one line per fact, whole, flushed at once (several threads print) ----------------

std::mutex output_mutex;

template <typename... Args>
void say(fmt::format_string<Args...> format, Args&&... args) {
    const std::string line = fmt::format(format, std::forward<Args>(args)...) + "\n";
    const std::scoped_lock lock(output_mutex);
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
}

// "63 6f 6d", as the tests read bytes back; "(empty)" for none.
std::string hex(std::string_view bytes) {
    if (bytes.empty()) return "(empty)";
    std::string out;
    for (const char c : bytes) {
        if (!out.empty()) out += ' ';
        out += fmt::format("{:02x}", static_cast<unsigned char>(c));
    }
    return out;
}

// What an exception is, for a fact line: "std::logic_error: message".
std::string describe(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::logic_error& e) {
        return fmt::format("std::logic_error: {}", e.what());
    } catch (const std::system_error& e) {
        return fmt::format("std::system_error: {}", e.what());
    } catch (const std::exception& e) {
        int status = 0;
        char* name = abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status);
        std::string out = fmt::format("{}: {}", status == 0 ? name : typeid(e).name(), e.what());
        std::free(name);
        return out;
    } catch (...) {
        return "an exception that is not a std::exception";
    }
}

// The exception the driver's targets throw: join() must give back this very type.
struct TargetError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Entries of /proc/self/task: the threads of this process, TSan's own included.
std::size_t thread_count() {
    const std::filesystem::directory_iterator tasks("/proc/self/task");
    return static_cast<std::size_t>(std::distance(begin(tasks), end(tasks)));
}

// ThreadSanitizer starts a thread of its own at the first thread a program creates: one thread
// started and joined first makes the count before the test's threads the real baseline.
std::size_t baseline_thread_count() {
    std::thread([] {}).join();
    return thread_count();
}

// A thread that was joined may still be listed for an instant while the kernel removes it: waits
// (up to the deadline) for the count to come back to `baseline`, and returns the last count seen.
std::size_t thread_count_back_to(std::size_t baseline, milliseconds deadline) {
    const auto until = Clock::now() + deadline;
    std::size_t count = thread_count();
    while (count > baseline && Clock::now() < until) {
        std::this_thread::sleep_for(1ms);
        count = thread_count();
    }
    return count;
}

// The OS name of the calling thread, read from /proc (not with your functions).
std::string own_name() {
    std::ifstream comm("/proc/thread-self/comm");
    std::string name;
    std::getline(comm, name);
    return name;
}

// ---- Synchronisation of the driver's own, every wait with a deadline --------------------------

// A flag that one thread sets and others wait for.
class Event {
  public:
    void set() {
        {
            const std::scoped_lock lock(mutex_);
            set_ = true;
        }
        changed_.notify_all();
    }
    // True once set; false if the deadline passed first.
    bool wait(milliseconds deadline) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, deadline, [&] { return set_; });
    }
    bool is_set() {
        const std::scoped_lock lock(mutex_);
        return set_;
    }

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool set_ = false;
};

// A gate that opens when `expected` threads are waiting at it together: proof that they run at the
// same time. std::latch would wait for ever for a thread that never comes; this gate gives up at
// the deadline and then stays open, so a program that runs its threads one after another waits
// once, not once per thread, and is told how many were ever there at once.
//
// With `hold`, the thread that completes the gate prints "holding: N of N at once" and reads a line
// on stdin (the test reads /proc meanwhile, then writes "open"); the others wait for it.
class Gate {
  public:
    Gate(std::size_t expected, milliseconds deadline, bool hold)
        : expected_(expected), deadline_(deadline), hold_(hold) {}

    void arrive_and_wait() {
        std::unique_lock lock(mutex_);
        ++inside_;
        most_ = std::max(most_, inside_);
        if (inside_ == expected_ && !complete_) {
            complete_ = true;
            changed_.notify_all();
            if (hold_) {
                lock.unlock();
                say("holding: {} of {} at once", expected_, expected_);
                std::string line;
                std::getline(std::cin, line);  // the test's "open", or the end of its input
                lock.lock();
            }
            open_ = true;
            changed_.notify_all();
        } else if (!changed_.wait_for(lock, deadline_, [&] { return complete_ || open_; })) {
            open_ = true;  // given up: from now on nobody waits
            changed_.notify_all();
        }
        // All here: wait (longer) while the test looks at /proc.
        changed_.wait_for(lock, 10 * deadline_, [&] { return open_; });
        --inside_;
    }
    // Most threads ever waiting at once.
    std::size_t most_at_once() {
        const std::scoped_lock lock(mutex_);
        return most_;
    }

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::size_t expected_;
    milliseconds deadline_;
    bool hold_;
    std::size_t inside_ = 0;
    std::size_t most_ = 0;
    bool complete_ = false;  // all `expected` were here at once
    bool open_ = false;
};

// ---- Scenarios ---------------------------------------------------------------------------------

void cut(const std::vector<std::string>& names) {
    for (const std::string& name : names) say("cut: {}", hex(workers::cut_thread_name(name)));
}

// The target waits for start() to return: a start() that runs the target itself never returns
// while the target runs. join() must make the target's plain write visible (ThreadSanitizer knows).
void worker_runs(long value, milliseconds deadline) {
    const std::thread::id caller = std::this_thread::get_id();
    Event start_returned;
    std::thread::id target_thread;
    bool waited = false;
    long written = 0;
    std::atomic<bool> target_ended = false;
    workers::Worker worker("runner", [&] {
        target_thread = std::this_thread::get_id();
        waited = start_returned.wait(deadline);
        written = value;
        target_ended = true;
    });
    worker.start();
    start_returned.set();
    worker.join();
    say("target ran in the caller's thread: {}", target_thread == caller ? "yes" : "no");
    say("start() returned while the target ran: {}", waited ? "yes" : "no");
    say("target had ended when join() returned: {}", target_ended ? "yes" : "no");
    say("value seen after join(): {}", written);
}

void worker_names(const std::vector<std::string>& names, milliseconds deadline) {
    const std::size_t before = baseline_thread_count();
    say("threads before: {}", before);
    Gate gate(names.size(), deadline, /*hold=*/true);
    std::vector<std::string> seen(names.size());
    std::deque<workers::Worker> team;  // a deque: a Worker cannot move, and a deque never moves it
    for (std::size_t i = 0; i < names.size(); ++i) {
        team.emplace_back(names[i], [&, i] {
            seen[i] = workers::current_thread_name();
            gate.arrive_and_wait();
        });
    }
    const std::string caller = own_name();
    for (workers::Worker& worker : team) worker.start();
    say("caller's name before: {}", hex(caller));
    say("caller's name after start(): {}", hex(own_name()));
    for (std::size_t i = 0; i < team.size(); ++i) {
        try {
            team[i].join();
        } catch (...) {
            say("worker {}: join() threw {}", i, describe(std::current_exception()));
        }
    }
    say("at once: {} of {}", gate.most_at_once(), names.size());
    for (std::size_t i = 0; i < team.size(); ++i) {
        say("worker {} name(): {}", i, hex(team[i].name()));
        say("worker {} current_thread_name(): {}", i, hex(seen[i]));
    }
    say("threads after: {}", thread_count_back_to(before, deadline));
}

// is_alive() is true while the target waits for `go`, false once it has returned (before join()).
void worker_alive(milliseconds deadline) {
    Event go;
    Event returned;
    workers::Worker worker("alive", [&] {
        go.wait(deadline);
        returned.set();
    });
    say("is_alive() before start(): {}", worker.is_alive());
    worker.start();
    say("is_alive() after start(), while the target waits: {}", worker.is_alive());
    go.set();
    returned.wait(deadline);
    // The thread still has a few instructions to run after the target: give it the deadline.
    const auto until = Clock::now() + deadline;
    while (worker.is_alive() && Clock::now() < until) std::this_thread::sleep_for(1ms);
    say("is_alive() once the target has returned, before join(): {}", worker.is_alive());
    worker.join();
    say("is_alive() after join(): {}", worker.is_alive());
}

void join_and_tell(workers::Worker& worker, std::string_view what) {
    try {
        worker.join();
        say("{}: returned", what);
    } catch (const TargetError& e) {
        say("{}: threw the target's exception: {}", what, e.what());
    } catch (...) {
        say("{}: threw {}", what, describe(std::current_exception()));
    }
}

void worker_throws(const std::string& message) {
    workers::Worker failing("failing", [&] { throw TargetError(message); });
    workers::Worker fine("fine", [] {});
    failing.start();
    fine.start();
    join_and_tell(failing, "join() of the target that threw");
    join_and_tell(failing, "join() again");
    join_and_tell(fine, "join() of the target that returned");
}

// Calls `step` and says whether it threw std::logic_error.
template <typename Step>
void try_step(std::string_view what, Step step) {
    try {
        step();
        say("{}: returned", what);
    } catch (const std::logic_error&) {
        say("{}: threw std::logic_error", what);
    } catch (...) {
        say("{}: threw {}", what, describe(std::current_exception()));
    }
}

void worker_misuse(milliseconds deadline) {
    std::atomic<int> runs = 0;
    {
        workers::Worker worker("misuse", [&] { ++runs; });
        try_step("join() before start()", [&] { worker.join(); });
        worker.start();
        try_step("start() again", [&] { worker.start(); });
        worker.join();
    }
    say("target runs: {}", runs.load());

    // A started Worker that nobody joins: its destructor must (std::thread's would terminate).
    Event go;
    std::atomic<bool> ended = false;
    {
        workers::Worker worker("destroyed", [&] {
            go.wait(deadline);
            ended = true;
        });
        worker.start();
        go.set();
    }
    say("target had ended when ~Worker() returned: {}", ended ? "yes" : "no");
}

std::string read_all_stdin() {
    return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
}

void split(const std::vector<std::size_t>& counts) {
    const std::string text = read_all_stdin();
    say("text: {} bytes", text.size());
    for (const std::size_t pieces : counts) {
        std::vector<std::string_view> result;
        try {
            result = workers::split_utf8(text, pieces);
        } catch (const std::invalid_argument&) {
            say("pieces {}: threw std::invalid_argument", pieces);
            continue;
        } catch (...) {
            say("pieces {}: threw {}", pieces, describe(std::current_exception()));
            continue;
        }
        // Each piece as OFFSET+SIZE in the text; an empty piece as +0; one outside as ?+SIZE.
        std::vector<std::string> where;
        for (const std::string_view piece : result) {
            const bool inside = !piece.empty() && piece.data() >= text.data() &&
                                piece.data() + piece.size() <= text.data() + text.size();
            if (piece.empty()) {
                where.push_back("+0");
            } else if (inside) {
                where.push_back(fmt::format("{}+{}", piece.data() - text.data(), piece.size()));
            } else {
                where.push_back(fmt::format("?+{}", piece.size()));
            }
        }
        say("pieces {}: {}", pieces, fmt::join(where, " "));
    }
}

struct InThreads {
    std::vector<std::size_t> sizes;
    std::vector<std::size_t> throwing;
    bool hold = false;
    bool reverse = false;
};

// count_in_threads on chunks of the given sizes, with a count function of the driver's: it says
// which thread and name it runs with, waits at the gate for all the others, with --reverse ends
// only after the chunk after it has ended, and with --throw throws for the chosen chunks.
void in_threads(const InThreads& options, milliseconds deadline) {
    const std::size_t n = options.sizes.size();
    std::vector<std::string> texts;
    for (const std::size_t size : options.sizes) texts.emplace_back(size, 'x');
    const std::vector<std::string_view> chunks(texts.begin(), texts.end());

    const std::thread::id caller = std::this_thread::get_id();
    const std::size_t before = baseline_thread_count();
    say("threads before: {}", before);
    const std::string caller_name = own_name();
    Gate gate(n, deadline, options.hold);
    std::mutex mutex;  // guards the four below
    std::vector<std::thread::id> threads(n);
    std::vector<std::string> names(n);
    std::vector<int> calls(n, 0);
    std::vector<bool> ended(n, false);
    std::condition_variable one_ended;
    std::atomic<std::size_t> strangers = 0;  // calls with a chunk that is none of ours

    auto count = [&](std::string_view chunk) -> std::size_t {
        const auto it = std::find_if(chunks.begin(), chunks.end(),
                                     [&](std::string_view c) { return c.data() == chunk.data(); });
        if (it == chunks.end()) {
            ++strangers;
            return 0;
        }
        const auto i = static_cast<std::size_t>(it - chunks.begin());
        {
            const std::scoped_lock lock(mutex);
            threads[i] = std::this_thread::get_id();
            names[i] = workers::current_thread_name();
            ++calls[i];
        }
        gate.arrive_and_wait();
        std::unique_lock lock(mutex);
        if (options.reverse && i + 1 < n) {
            one_ended.wait_for(lock, deadline, [&] { return bool(ended[i + 1]); });
        }
        ended[i] = true;
        one_ended.notify_all();
        if (std::find(options.throwing.begin(), options.throwing.end(), i) !=
            options.throwing.end()) {
            throw TargetError(fmt::format("chunk {} failed", i));
        }
        return chunk.size();
    };
    auto ended_count = [&] {
        const std::scoped_lock lock(mutex);
        return std::count(ended.begin(), ended.end(), true);
    };

    try {
        const std::vector<std::size_t> results = workers::count_in_threads(chunks, count);
        say("returned, with the threads ended: {} of {}", ended_count(), n);
        say("results: {}", fmt::join(results, " "));
    } catch (const TargetError& e) {
        say("threw, with the threads ended: {} of {}", ended_count(), n);
        say("rethrown: {}", e.what());
    }
    say("threads after: {}", thread_count_back_to(before, deadline));
    say("caller's name before: {}", hex(caller_name));
    say("caller's name after: {}", hex(own_name()));
    say("at once: {} of {}", gate.most_at_once(), n);
    if (strangers > 0)
        say("calls with a chunk that is not one of those given: {}", strangers.load());
    // Each thread as a small number in the order first seen, 0 for the caller's.
    std::map<std::thread::id, std::size_t> number{{caller, 0}};
    const std::scoped_lock lock(mutex);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t id = number.try_emplace(threads[i], number.size()).first->second;
        say("chunk {}: calls {}, thread {}, name {}", i, calls[i], calls[i] ? id : 0,
            hex(names[i]));
    }
}

void count(std::size_t threads) {
    const std::string text = read_all_stdin();
    say("characters: {}", workers::count_characters(text, threads));
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app("Lesson 04-threads' driver: runs your workers.cpp in one scenario, prints facts.");
    app.require_subcommand(1);
    app.fallthrough();
    int deadline_ms = 2000;
    app.add_option("--deadline-ms", deadline_ms, "how long any wait of the driver lasts")
        ->check(CLI::PositiveNumber);

    std::vector<std::string> names;
    auto* cut_cmd = app.add_subcommand("cut", "cut_thread_name of each NAME");
    cut_cmd->add_option("names", names)->required();
    long value = 0;
    auto* runs_cmd = app.add_subcommand("worker-runs", "start() returns at once, join() waits");
    runs_cmd->add_option("--value", value)->required();
    auto* names_cmd = app.add_subcommand("worker-names", "Workers held while the test looks");
    names_cmd->add_option("names", names)->required();
    auto* alive_cmd = app.add_subcommand("worker-alive", "is_alive()");
    std::string message;
    auto* throws_cmd = app.add_subcommand("worker-throws", "join() rethrows");
    throws_cmd->add_option("--message", message)->required();
    auto* misuse_cmd =
        app.add_subcommand("worker-misuse", "start() twice, join() before start(), ~Worker()");
    std::vector<std::size_t> pieces;
    auto* split_cmd = app.add_subcommand("split", "split_utf8 of stdin");
    split_cmd->add_option("--pieces", pieces)->required()->delimiter(',');
    InThreads in;
    auto* in_cmd = app.add_subcommand("in-threads", "count_in_threads");
    in_cmd->add_option("--sizes", in.sizes)->required()->delimiter(',');
    in_cmd->add_option("--throw", in.throwing)->delimiter(',');
    in_cmd->add_flag("--hold", in.hold);
    in_cmd->add_flag("--reverse", in.reverse);
    std::size_t threads = 1;
    auto* count_cmd = app.add_subcommand("count", "count_characters of stdin");
    count_cmd->add_option("--threads", threads)->required();
    CLI11_PARSE(app, argc, argv);

    const milliseconds deadline(deadline_ms);
    try {
        if (*cut_cmd) cut(names);
        if (*runs_cmd) worker_runs(value, deadline);
        if (*names_cmd) worker_names(names, deadline);
        if (*alive_cmd) worker_alive(deadline);
        if (*throws_cmd) worker_throws(message);
        if (*misuse_cmd) worker_misuse(deadline);
        if (*split_cmd) split(pieces);
        if (*in_cmd) in_threads(in, deadline);
        if (*count_cmd) count(threads);
    } catch (...) {
        // A TODO left in workers.cpp ends here: its message names the function and the file.
        std::cerr << "driver: " << describe(std::current_exception()) << std::endl;
        return 3;
    }
    return 0;
}
