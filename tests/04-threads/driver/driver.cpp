// The driver of lesson 04-threads: a program built from your workers.cpp and this file. The tests
// (../workers_test.cpp) start it with a scenario and read what it prints, and what /proc shows of
// its threads, so that your code never runs inside the program that decides the verdict.
//
// It prints facts, one "key: value" line each (what your functions returned, how many threads ran
// at once, which names they had), never a verdict: the tests compare the facts with what they
// expect. Every wait here has a deadline (--deadline-ms), so a wrong program gives an answer, not a
// hang. Names are printed in double quotes, as they are, with only the bytes that are not printable
// (or not UTF-8) written \xNN.
//
// A thread that is still running when the function that should have joined it returns (detach())
// is seen for sure: the driver's targets and count functions stay busy after their work until
// /proc shows the main thread asleep in a wait (a right join() waits for them; a detach() never
// does). The driver then prints "still running: ..." and ends at once (_exit, status 4), before
// the detached threads can touch anything that is gone.
//
//   driver cut NAME...                         cut_thread_name of each NAME
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

#include <unistd.h>
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

#include "printed_name.hpp"
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

using printed_name::in_quotes;  // "compteurs-éé": a name, readable, in double quotes

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

// A thread of the student's still runs after the function that should have joined it returned:
// says so and ends the driver at once, before that thread (held by the driver) can go on and use
// variables that are gone. _exit: no destructor, no atexit handler runs.
[[noreturn]] void still_running(const std::string& what) {
    say("still running: {}", what);
    std::fflush(nullptr);
    ::_exit(4);
}

// The kernel's id of the thread that runs main(): the thread that calls your functions.
pid_t main_thread = 0;

// What /proc says the main thread is doing: its state letter, then the system call it is in
// with its arguments (a sleeping join() is a futex() wait on the joined thread's id).
std::string main_thread_doing() {
    const std::string task = fmt::format("/proc/self/task/{}/", main_thread);
    std::ifstream stat_file(task + "stat");
    std::string stat;
    std::getline(stat_file, stat);
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size()) return "";
    std::ifstream syscall_file(task + "syscall");
    std::string call;
    std::getline(syscall_file, call);
    return stat.substr(paren + 2, 1) + " " + call;
}

// Called by a thread of the driver's (a target, a count function) once its work is done: returns
// when the main thread has been asleep, in one same wait, for a millisecond, which is what a
// join() (or anything that waits for this thread to end) looks like from /proc; or at the
// deadline. A join() that does not wait (detach()) never sleeps: the function that should have
// joined returns while this thread surely still runs, and the driver sees it. A right join()
// costs a millisecond or two, not a fixed pause.
void until_main_waits(milliseconds deadline) {
    if (::gettid() == main_thread) return;  // the caller's own thread: nobody to wait for
    const auto until = Clock::now() + deadline;
    std::string seen;
    auto since = Clock::now();
    while (Clock::now() < until) {
        const std::string now = main_thread_doing();
        if (now.empty() || now[0] != 'S' || now != seen) {
            seen = now;
            since = Clock::now();
        } else if (Clock::now() - since >= 1ms) {
            return;
        }
        std::this_thread::sleep_for(100us);
    }
}

// True for the exception of a TODO left in workers.cpp. The driver never reports it as a fact: it
// ends the program (main prints it), and the test says which function is still a TODO.
bool is_todo(const std::exception_ptr& error) {
    return describe(error).find("TODO:") != std::string::npos;
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
    // True if all `expected` were here at once (the gate did not give up).
    bool complete() {
        const std::scoped_lock lock(mutex_);
        return complete_;
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
    for (const std::string& name : names) say("cut: {}", in_quotes(workers::cut_thread_name(name)));
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
        until_main_waits(deadline);
        target_ended = true;
    });
    worker.start();
    start_returned.set();
    worker.join();
    if (!target_ended) still_running("join() returned while the target was still running");
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
    std::deque<std::atomic<bool>> ended(names.size());
    std::deque<workers::Worker> team;  // a deque: a Worker cannot move, and a deque never moves it
    for (std::size_t i = 0; i < names.size(); ++i) {
        team.emplace_back(names[i], [&, i] {
            seen[i] = workers::current_thread_name();
            gate.arrive_and_wait();
            ended[i] = true;
        });
    }
    const std::string caller = own_name();
    for (workers::Worker& worker : team) worker.start();
    say("caller's name before: {}", in_quotes(caller));
    say("caller's name after start(): {}", in_quotes(own_name()));
    for (std::size_t i = 0; i < team.size(); ++i) {
        try {
            team[i].join();
        } catch (...) {
            if (is_todo(std::current_exception())) throw;
            say("worker {}: join() threw {}", i, describe(std::current_exception()));
        }
        if (!ended[i]) {
            still_running(
                fmt::format("join() of Worker {} returned while its target was still "
                            "running (held by the driver)",
                            in_quotes(team[i].name())));
        }
    }
    say("at once: {} of {}", gate.most_at_once(), names.size());
    for (std::size_t i = 0; i < team.size(); ++i) {
        say("worker {} name(): {}", i, in_quotes(team[i].name()));
        say("worker {} current_thread_name(): {}", i, in_quotes(seen[i]));
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

// Joins `worker`, whose target sets `ended` last, and says what join() did.
void join_and_tell(workers::Worker& worker, const std::atomic<bool>& ended, std::string_view what) {
    std::string result;
    try {
        worker.join();
        result = "returned";
    } catch (const TargetError& e) {
        result = fmt::format("threw the target's exception: {}", e.what());
    } catch (...) {
        if (is_todo(std::current_exception())) throw;
        result = fmt::format("threw {}", describe(std::current_exception()));
    }
    if (!ended) {
        still_running(fmt::format("{} returned while the target was still running", what));
    }
    say("{}: {}", what, result);
}

void worker_throws(const std::string& message, milliseconds deadline) {
    std::atomic<bool> failing_ended = false;
    std::atomic<bool> fine_ended = false;
    workers::Worker failing("failing", [&] {
        until_main_waits(deadline);
        failing_ended = true;
        throw TargetError(message);
    });
    workers::Worker fine("fine", [&] {
        until_main_waits(deadline);
        fine_ended = true;
    });
    failing.start();
    fine.start();
    join_and_tell(failing, failing_ended, "join() of the target that threw");
    join_and_tell(failing, failing_ended, "join() again");
    join_and_tell(fine, fine_ended, "join() of the target that returned");
}

// Calls `step` and says whether it threw std::logic_error.
template <typename Step>
void try_step(std::string_view what, Step step) {
    try {
        step();
        say("{}: returned", what);
    } catch (...) {
        // A TODO is a std::logic_error too: it ends the driver, and the test says "still a TODO".
        if (is_todo(std::current_exception())) throw;
        try {
            throw;
        } catch (const std::logic_error&) {
            say("{}: threw std::logic_error", what);
        } catch (...) {
            say("{}: threw {}", what, describe(std::current_exception()));
        }
    }
}

void worker_misuse(milliseconds deadline) {
    std::atomic<int> runs = 0;
    std::atomic<bool> run_ended = false;
    {
        workers::Worker worker("misuse", [&] {
            ++runs;
            until_main_waits(deadline);
            run_ended = true;
        });
        try_step("join() before start()", [&] { worker.join(); });
        worker.start();
        try_step("start() again", [&] { worker.start(); });
        worker.join();
        if (!run_ended) still_running("join() returned while the target was still running");
    }
    say("target runs: {}", runs.load());

    // A started Worker that nobody joins: its destructor must (std::thread's would terminate).
    Event go;
    std::atomic<bool> ended = false;
    {
        workers::Worker worker("destroyed", [&] {
            go.wait(deadline);
            until_main_waits(deadline);
            ended = true;
        });
        worker.start();
        go.set();
    }
    if (!ended) still_running("~Worker() returned while the target was still running");
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
        } catch (...) {
            if (is_todo(std::current_exception())) throw;
            try {
                throw;
            } catch (const std::invalid_argument&) {
                say("pieces {}: threw std::invalid_argument", pieces);
            } catch (...) {
                say("pieces {}: threw {}", pieces, describe(std::current_exception()));
            }
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
// which thread and name it runs with, waits at the gate for all the others, stays busy until the
// caller waits (until_main_waits), with --reverse ends only after the chunk after it has ended,
// and with --throw throws for the chosen chunks. The waits after the gate happen only if the gate
// saw every thread at once, and a reverse wait that gives up ends them all: a program that runs its
// threads one after another is told so within one deadline. When count_in_threads returns while a
// count is still running (detach()), the driver says so and ends at once.
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
    std::mutex mutex;  // guards the seven below
    std::vector<std::thread::id> threads(n);
    std::vector<std::string> names(n);
    std::vector<int> calls(n, 0);
    std::vector<bool> ended(n, false);
    std::size_t running = 0;    // calls of count that have started and not ended
    std::size_t all_calls = 0;  // calls of count with one of our chunks
    bool gave_up = false;       // a reverse wait gave up: nobody waits any more
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
            ++running;
            ++all_calls;
            one_ended.notify_all();
        }
        gate.arrive_and_wait();
        const bool together = gate.complete();
        if (together && !options.hold) until_main_waits(deadline);
        std::unique_lock lock(mutex);
        if (together && options.reverse && i + 1 < n) {
            if (!one_ended.wait_for(lock, deadline, [&] { return ended[i + 1] || gave_up; })) {
                gave_up = true;
            }
        }
        ended[i] = true;
        --running;
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

    // Called as soon as count_in_threads has returned or thrown: a count still running then, or
    // one that starts later, is a thread nobody joined.
    auto check_all_joined = [&](std::string_view how) {
        std::unique_lock lock(mutex);
        const std::size_t calls_then = all_calls;
        if (running == 0 && calls_then < n) {
            // Fewer calls than chunks: a chunk's thread may not have started its count yet.
            one_ended.wait_for(lock, deadline, [&] { return all_calls > calls_then; });
        }
        if (running > 0 || all_calls > calls_then) {
            const auto done =
                static_cast<std::size_t>(std::count(ended.begin(), ended.end(), true));
            still_running(
                fmt::format("count_in_threads {} while {} of its {} threads were still "
                            "running",
                            how, n - std::min(done, n - 1), n));
        }
    };
    try {
        const std::vector<std::size_t> results = workers::count_in_threads(chunks, count);
        check_all_joined("returned");
        say("returned, with the threads ended: {} of {}", ended_count(), n);
        say("results: {}", fmt::join(results, " "));
    } catch (const TargetError& e) {
        check_all_joined("threw");
        say("threw, with the threads ended: {} of {}", ended_count(), n);
        say("rethrown: {}", e.what());
    } catch (...) {
        if (!is_todo(std::current_exception())) check_all_joined("threw");
        throw;
    }
    say("threads after: {}", thread_count_back_to(before, deadline));
    say("caller's name before: {}", in_quotes(caller_name));
    say("caller's name after: {}", in_quotes(own_name()));
    say("at once: {} of {}", gate.most_at_once(), n);
    if (strangers > 0)
        say("calls with a chunk that is not one of those given: {}", strangers.load());
    // Each thread as a small number in the order first seen, 0 for the caller's.
    std::map<std::thread::id, std::size_t> number{{caller, 0}};
    const std::scoped_lock lock(mutex);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t id = number.try_emplace(threads[i], number.size()).first->second;
        say("chunk {}: calls {}, thread {}, name {}", i, calls[i], calls[i] ? id : 0,
            in_quotes(names[i]));
    }
}

void count(std::size_t threads, milliseconds deadline) {
    const std::string text = read_all_stdin();
    const std::size_t before = baseline_thread_count();
    const std::size_t characters = workers::count_characters(text, threads);
    // Threads of count_characters still there once the kernel had time to remove joined ones.
    if (const std::size_t after = thread_count_back_to(before, deadline); after > before) {
        still_running(
            fmt::format("count_characters returned while {} of its threads were still "
                        "running",
                        after - before));
    }
    say("characters: {}", characters);
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

    main_thread = ::gettid();
    const milliseconds deadline(deadline_ms);
    try {
        if (*cut_cmd) cut(names);
        if (*runs_cmd) worker_runs(value, deadline);
        if (*names_cmd) worker_names(names, deadline);
        if (*alive_cmd) worker_alive(deadline);
        if (*throws_cmd) worker_throws(message, deadline);
        if (*misuse_cmd) worker_misuse(deadline);
        if (*split_cmd) split(pieces);
        if (*in_cmd) in_threads(in, deadline);
        if (*count_cmd) count(threads, deadline);
    } catch (...) {
        // A TODO left in workers.cpp ends here: its message names the function and the file.
        std::cerr << "driver: " << describe(std::current_exception()) << std::endl;
        return 3;
    }
    return 0;
}
