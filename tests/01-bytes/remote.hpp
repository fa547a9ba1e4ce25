// Your four functions, as the tests of lesson 01 call them: each call is sent to the lesson's
// driver (your utf8.cpp linked with tests/01-bytes/driver/driver.cpp, a program of its own) and
// answered there, so your code never runs inside the program that writes the verdict. What your
// function returned comes back as the return value, and a Utf8Error it threw comes back as a
// Utf8Error with the same position(), reason() and what(); so the tests read as if they called your
// code directly.
//
// One driver per test case, started at the first call and started again if it ended. Every wait
// has a deadline (probe::step_deadline(), 5 s): a function that hangs, crashes, calls exit() or
// prints without end fails its test case with a sentence that says so, instead of taking the tests
// down with it. What your code prints (std::cout, printf, std::cerr) shows in the transcript, each
// line prefixed "[your code]".
//
// Header only (every function inline), so that a teacher's extra tests can include it too
// (#include "../01-bytes/remote.hpp", found from the harness's folder).
#pragma once

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "os.hpp"
#include "probe.hpp"
#include "utf8.hpp"
#include "wire.hpp"

extern char** environ;

namespace bytes::remote {

// ---- what comes back ----------------------------------------------------------------------------

// A Utf8Error your code threw, rebuilt from the driver's answer: the same position(), reason() and
// what(), word for word.
class ReportedUtf8Error : public Utf8Error {
  public:
    ReportedUtf8Error(std::size_t position, std::string_view why, std::string what)
        : Utf8Error(std::string_view(), position, why), what_(std::move(what)) {}
    const char* what() const noexcept override { return what_.c_str(); }

  private:
    std::string what_;
};

// Any other exception your code threw: its what(), and its type when that is not the usual
// std::logic_error or std::runtime_error.
class ReportedException : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// The answers of a batch (encode_each, decode_each): item i's value, or what your function threw
// for it, rethrown by get(i). The values lie end to end in one string, so that a batch of 65,536
// answers is not 65,536 strings.
template <class Char>
class Batch {
  public:
    std::size_t size() const { return ends_.size(); }
    bool threw(std::size_t i) const { return errors_.find(i) != errors_.end(); }
    std::basic_string_view<Char> get(std::size_t i) const {
        if (const auto error = errors_.find(i); error != errors_.end())
            std::rethrow_exception(error->second);
        const std::size_t start = i == 0 ? 0 : ends_[i - 1];
        return std::basic_string_view<Char>(data_).substr(start, ends_[i] - start);
    }

    // Filled by the shim, one answer after the other.
    std::basic_string<Char> data_;
    std::vector<std::size_t> ends_;
    std::map<std::size_t, std::exception_ptr> errors_;
};

namespace detail {

using wire::Malformed;
using wire::parse_bytes;
using wire::parse_count;

// ---- the driver
// -------------------------------------------------------------------------------------

// What went wrong while a request was out; `answered` says how many of its answer lines came back.
struct Broken : probe::Failure {
    Broken(const std::string& what, std::size_t answered)
        : probe::Failure(what), answered(answered) {}
    std::size_t answered;
};

inline std::string seconds_text(std::chrono::milliseconds ms) {
    char text[32];
    std::snprintf(text, sizeof text, "%g s", static_cast<double>(ms.count()) / 1000.0);
    return text;
}

// The driver, running: its process, its stdin, the descriptor it answers on, and its output (what
// your code printed).
class Driver {
  public:
    // `large`: the test case moves megabytes (huge pages for the driver's heap, see start()).
    Driver(std::string test_case, bool large) : test_case_(std::move(test_case)) { start(large); }
    ~Driver() { stop(); }
    Driver(const Driver&) = delete;
    Driver& operator=(const Driver&) = delete;

    const std::string& test_case() const { return test_case_; }
    bool ended() const { return status_.has_value(); }

    // Sends `request` (one line, without its '\n') and calls on_line for each of the `lines`
    // answer lines. `call` names what runs ("your hex_dump") for messages. Throws Broken if the
    // driver ends, stops answering for step_deadline(), floods its output, or answers nonsense;
    // the driver is stopped then.
    template <class OnLine>
    void exchange(std::string request, std::size_t lines, const std::string& call,
                  OnLine&& on_line) {
        request += '\n';
        // A write to a driver that has ended must fail with EPIPE, not kill the tests.
        sigset_t pipe_signal, before;
        sigemptyset(&pipe_signal);
        sigaddset(&pipe_signal, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_signal, &before);
        struct Restore {
            sigset_t pipe_signal, before;
            ~Restore() {
                const timespec now{};
                while (::sigtimedwait(&pipe_signal, nullptr, &now) > 0) {
                }
                pthread_sigmask(SIG_SETMASK, &before, nullptr);
            }
        } restore{pipe_signal, before};

        const auto step = probe::step_deadline();
        auto deadline = probe::Clock::now() + step;
        std::size_t written = 0, answered = 0;
        const auto fail = [&](const std::string& what) {
            stop();
            throw Broken(what, answered);
        };
        // Whole lines are handed over where they lie in pending_; the bytes before `taken` are
        // done with, and dropped only now and then (not for every read).
        std::size_t taken = 0, scanned = 0;
        const auto take_lines = [&] {
            while (answered < lines) {
                const std::size_t newline = pending_.find('\n', scanned);
                if (newline == std::string::npos) {
                    scanned = pending_.size();
                    break;
                }
                const std::string_view line =
                    std::string_view(pending_).substr(taken, newline - taken);
                try {
                    on_line(line);
                } catch (const Malformed& bad) {
                    const std::string shown(line.substr(0, 200));
                    fail("the driver's answer while running " + call + " could not be read (" +
                         bad.why + "): \"" + probe::escape(shown) +
                         "\". The driver never answers that: does your code write to descriptors "
                         "it did not "
                         "open?");
                }
                ++answered;
                taken = scanned = newline + 1;
            }
            if (taken > 1024 * 1024 || taken == pending_.size()) {
                pending_.erase(0, taken);
                scanned -= taken;
                taken = 0;
            }
        };
        while (answered < lines) {
            const auto now = probe::Clock::now();
            if (now >= deadline) {
                fail(call + " did not answer within " + seconds_text(step) +
                     ": an endless loop, or a wait for something that never comes? (Your code runs "
                     "in the "
                     "lesson's driver, a program of its own, which was stopped.)" +
                     last_output());
            }
            pollfd fds[4];
            nfds_t n = 0;
            const int i_in = written < request.size() && in_ >= 0 ? static_cast<int>(n) : -1;
            if (i_in >= 0) fds[n++] = {in_, POLLOUT, 0};
            const int i_answers = answers_ >= 0 ? static_cast<int>(n) : -1;
            if (i_answers >= 0) fds[n++] = {answers_, POLLIN, 0};
            const int i_output = output_ >= 0 ? static_cast<int>(n) : -1;
            if (i_output >= 0) fds[n++] = {output_, POLLIN, 0};
            const int i_pid = pidfd_ >= 0 ? static_cast<int>(n) : -1;
            if (i_pid >= 0) fds[n++] = {pidfd_, POLLIN, 0};
            auto wait =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
            if (pidfd_ < 0)
                wait = std::min<long long>(wait, 20);  // no pidfd: look at the status often
            const int ready = ::poll(fds, n, static_cast<int>(wait));
            if (ready < 0 && errno != EINTR)
                fail("poll failed: " + std::string(std::strerror(errno)));
            if (ready <= 0 && pidfd_ >= 0) continue;

            if (i_in >= 0 && fds[i_in].revents != 0) {
                const ssize_t w = ::write(in_, request.data() + written, request.size() - written);
                if (w > 0) {
                    written += static_cast<std::size_t>(w);
                } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                    ::close(in_);  // it no longer reads its stdin: it has ended, or will tell why
                    in_ = -1;
                }
            }
            if (i_output >= 0 && fds[i_output].revents != 0) read_output(call, answered);
            if (i_answers >= 0 && fds[i_answers].revents != 0) {
                if (read_answers()) deadline = probe::Clock::now() + step;  // it is making progress
                take_lines();
            }
            const bool exited =
                (i_pid >= 0 && fds[i_pid].revents != 0) || (pidfd_ < 0 && poll_status());
            if (exited || answers_ < 0) {
                // Whatever it wrote before it ended still counts.
                if (answers_ >= 0) read_answers();
                take_lines();
                if (answered == lines) break;
                if (output_ >= 0) read_output(call, answered);
                if (!exited && !wait_status(probe::scaled(std::chrono::milliseconds(500))))
                    fail(call +
                         " closed the descriptor the driver answers on, so no answer could come "
                         "back." +
                         last_output());
                fail(ended_text(call));
            }
        }
        pending_.erase(0, taken);
    }

    // Ends the driver (SIGKILL to its process group: whatever it started stays in it unless it
    // left with setsid()) and reaps it. Its last line of output, if it had no end of line yet, goes
    // to the transcript.
    void stop() {
        if (pid_ > 0) {
            // Not reaped yet (wait_status leaves it a zombie), so its pid and group id are still
            // ours.
            ::kill(-pid_, SIGKILL);
            ::kill(pid_, SIGKILL);
            int status;
            while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
            }
        }
        if (output_ >= 0) read_output("", 0, false);
        if (!partial_.empty()) log_output(partial_);
        partial_.clear();
        for (int* fd : {&in_, &answers_, &output_, &pidfd_}) {
            if (*fd >= 0) ::close(*fd);
            *fd = -1;
        }
        pid_ = -1;
        if (!status_) status_ = probe::ExitStatus{true, 0, SIGKILL};
    }

  private:
    static constexpr std::size_t output_limit = 4 * 1024 * 1024;  // more is a flood: stopped
    static constexpr std::size_t output_logged = 8 * 1024;        // in the transcript, at most

    void start(bool large) {
        const std::filesystem::path path = probe::program_under_test();
        std::string program = path.string();
        // The tests' environment; for a test case that moves megabytes, transparent huge pages for
        // the driver's heap too (see large_heap()).
        std::vector<std::string> variables;
        std::string tunables = "GLIBC_TUNABLES=glibc.malloc.hugetlb=1";
        for (char** e = environ; *e != nullptr; ++e) {
            const std::string_view variable(*e);
            if (large && variable.starts_with("GLIBC_TUNABLES="))
                tunables += ":" + std::string(variable.substr(15));
            else
                variables.emplace_back(variable);
        }
        if (large) variables.push_back(tunables);
        namespace os = workbook::os;
        os::Pipe in, answers, output;
        os::Spawned spawned;
        try {
            in = os::make_pipe(), answers = os::make_pipe(), output = os::make_pipe();
            // The systems layer's spawn (tools/os): a process group of its own, SIGKILL if this
            // test program dies, default signals, and nothing but 0, 1 and 2 across exec: not the
            // descriptor the verdict travels on.
            os::SpawnOptions options;
            options.argv = {program};
            options.environment = variables;
            options.in = in.read.get();
            options.out = answers.write.get();
            options.err = output.write.get();
            options.die_with_parent = true;
            spawned = os::spawn(options);
        } catch (const std::system_error& e) {
            throw probe::Failure("could not start the lesson's driver " + program + ": " +
                                 std::strerror(e.code().value()));
        }
        const pid_t pid = spawned.pid;
        in_ = in.write.release(), answers_ = answers.read.release(),
        output_ = output.read.release();
        pid_ = pid;
        for (const int fd : {in_, answers_, output_}) ::fcntl(fd, F_SETFL, O_NONBLOCK);
        // Big pipes: a batch of a plane of code points goes through in a few writes, not hundreds
        // of turns between the two programs (each one a wait for a core on a busy machine).
        for (const int fd : {in_, answers_}) ::fcntl(fd, F_SETPIPE_SZ, 1024 * 1024);
        pidfd_ = spawned.pidfd.release();
    }

    // Reads what the driver answered so far; true if anything came. Closes the descriptor at end
    // of file.
    bool read_answers() {
        bool got = false;
        char chunk[64 * 1024];
        for (;;) {
            const ssize_t n = ::read(answers_, chunk, sizeof chunk);
            if (n > 0) {
                pending_.append(chunk, static_cast<std::size_t>(n));
                got = true;
                if (pending_.size() > 256 * 1024 * 1024) return got;  // take_lines will complain
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n == 0) {
                ::close(answers_);
                answers_ = -1;
            }
            return got;
        }
    }

    // Reads what your code printed, into the transcript line by line. Past output_limit it is a
    // flood: the driver is stopped and the call fails.
    void read_output(const std::string& call, std::size_t answered, bool limit = true) {
        char chunk[16 * 1024];
        for (;;) {
            const ssize_t n = ::read(output_, chunk, sizeof chunk);
            if (n < 0 && errno == EINTR) continue;
            if (n == 0) {
                ::close(output_);
                output_ = -1;
            }
            if (n <= 0) return;
            output_total_ += static_cast<std::size_t>(n);
            std::string_view text(chunk, static_cast<std::size_t>(n));
            for (std::size_t newline; (newline = text.find('\n')) != std::string_view::npos;) {
                partial_.append(text.substr(0, newline));
                log_output(partial_);
                partial_.clear();
                text.remove_prefix(newline + 1);
            }
            if (partial_.size() < 4096) partial_.append(text.substr(0, 4096 - partial_.size()));
            if (limit && output_total_ > output_limit) {
                stop();
                throw Broken(call + " printed more than " +
                                 std::to_string(output_limit / (1024 * 1024)) +
                                 " MiB (a print in a loop that never ends?); it was stopped.",
                             answered);
            }
        }
    }

    void log_output(const std::string& line) {
        if (output_shown_ > output_logged) return;
        output_shown_ += line.size() + 1;
        if (output_shown_ > output_logged) {
            probe::log("[your code] ... (more output, not shown)");
            return;
        }
        probe::log("[your code] " + probe::printable(line));
        if (last_.size() == 5) last_.erase(last_.begin());
        last_.push_back(line.substr(0, 300));
    }

    std::string last_output() const {
        if (last_.empty()) return "";
        std::string text = " Its last lines of output:";
        for (const std::string& line : last_) text += "\n  [your code] " + probe::printable(line);
        return text;
    }

    // True once the driver has ended (its status is then known), without waiting.
    bool poll_status() { return wait_status(std::chrono::milliseconds(0)); }

    // Waits up to `wait` (forever if negative) for the driver to end. Leaves it unreaped: stop()
    // reaps it after killing what is left of its process group.
    bool wait_status(std::chrono::milliseconds wait) {
        if (status_) return true;
        if (pid_ <= 0) return false;
        const auto end = probe::Clock::now() + wait;
        for (;;) {
            siginfo_t info{};
            const int options = WEXITED | WNOWAIT | (wait.count() < 0 ? 0 : WNOHANG);
            const int got = ::waitid(P_PID, static_cast<id_t>(pid_), &info, options);
            if (got == 0 && info.si_pid == pid_) {
                probe::ExitStatus s;
                s.signaled = info.si_code != CLD_EXITED;
                s.code = s.signaled ? 0 : info.si_status;
                s.signal = s.signaled ? info.si_status : 0;
                status_ = s;
                return true;
            }
            if (got < 0 && errno != EINTR) return false;
            if (wait.count() >= 0 && probe::Clock::now() >= end) return false;
            if (got == 0) {
                pollfd p{pidfd_, POLLIN, 0};
                ::poll(&p, pidfd_ >= 0 ? 1 : 0, 10);
            }
        }
    }

    std::string ended_text(const std::string& call) {
        wait_status(std::chrono::milliseconds(-1));
        const probe::ExitStatus& s = *status_;
        std::string text = "the program ended while running " + call + ": it " + s.describe();
        if (!s.signaled)
            text +=
                " — does your code call exit()? (Your code runs in the lesson's driver, which only "
                "ends "
                "when the tests are done with it.)";
        else if (s.signal == SIGSEGV || s.signal == SIGBUS || s.signal == SIGABRT ||
                 s.signal == SIGFPE)
            text +=
                " — a crash in your code, or in the standard library called with wrong arguments.";
        else if (s.signal == SIGKILL || s.signal == SIGXCPU || s.signal == SIGXFSZ)
            text += " — a limit of the machine (memory, CPU time, file size) may have stopped it.";
        return text + last_output();
    }

    std::string test_case_;
    pid_t pid_ = -1;
    int in_ = -1, answers_ = -1, output_ = -1, pidfd_ = -1;
    std::optional<probe::ExitStatus> status_;
    std::string pending_;  // answer bytes read past the last whole line
    std::string partial_;  // a line of output without its end yet
    std::size_t output_total_ = 0, output_shown_ = 0;
    std::vector<std::string> last_;  // the last lines of output, for messages
};

// Memory for requests and answers of megabytes. The batches allocate and free tens of megabytes,
// plane after plane: malloc keeps it (rather than giving it back to the system and faulting it in
// again each time), and it is faulted in as huge pages, 2 MiB at a time rather than 4 KiB: on some
// virtual machines each page faulted in costs 15 µs, which made the round trip over every code
// point cost a second more.
inline void large_heap() {
    static const bool done = [] {
        ::mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
        ::mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
        constexpr std::size_t size = 48 * 1024 * 1024, huge = 2 * 1024 * 1024;
        if (auto* heap = static_cast<char*>(std::malloc(size))) {
            char* const start =
                heap + (huge - reinterpret_cast<std::uintptr_t>(heap) % huge) % huge;
            const std::size_t length =
                (size - static_cast<std::size_t>(start - heap)) / huge * huge;
            ::madvise(start, length, MADV_HUGEPAGE);
            for (std::size_t at = 0; at < length; at += 4096)
                static_cast<volatile char*>(start)[at] = 0;
            std::free(heap);
        }
        return true;
    }();
    static_cast<void>(done);
}

// The driver of the running test case: started at its first call, started again if it ended; the
// driver of the test case before is stopped. `request_size`: the size of the request about to be
// sent; from 256 KiB on, memory is prepared for megabytes (large_heap()).
inline Driver& driver(std::size_t request_size) {
    static std::unique_ptr<Driver> current;
    const bool large = request_size >= 256 * 1024;
    if (large) large_heap();
    std::string test_case;
    try {
        test_case = Catch::getResultCapture().getCurrentTestName();
    } catch (...) {
    }
    if (!current || current->ended() || current->test_case() != test_case) {
        current.reset();
        current = std::make_unique<Driver>(test_case, large);
    }
    return *current;
}

// Reads one answer line: the text after "ok" when the function returned, else nullopt with
// `error` set to what it threw.
inline std::optional<std::string_view> read_answer(std::string_view line,
                                                   const std::string& function,
                                                   std::exception_ptr& error) {
    if (line.starts_with("ok ")) return line.substr(3);
    const auto fields = [&](std::size_t count) {
        std::vector<std::string_view> parts;
        std::size_t i = 0;
        for (std::size_t k = 0; k + 1 < count; ++k) {
            const std::size_t space = line.find(' ', i);
            if (space == std::string_view::npos) throw Malformed{"too few fields"};
            parts.push_back(line.substr(i, space - i));
            i = space + 1;
        }
        parts.push_back(line.substr(i));
        if (parts.back().find(' ') != std::string_view::npos) throw Malformed{"too many fields"};
        return parts;
    };
    if (line.starts_with("error ")) {
        const auto f = fields(4);
        error = std::make_exception_ptr(
            ReportedUtf8Error(parse_count(f[1]), parse_bytes(f[2]), parse_bytes(f[3])));
    } else if (line.starts_with("exception ")) {
        const auto f = fields(3);
        const std::string type = parse_bytes(f[1]);
        std::string what = parse_bytes(f[2]);
        if (type != "std::logic_error" && type != "std::runtime_error")
            what += " (" + type + ", thrown by your " + function + ")";
        error = std::make_exception_ptr(ReportedException(what));
    } else if (line == "exception-other") {
        error = std::make_exception_ptr(ReportedException(
            "your " + function + " threw something that is not a std::exception"));
    } else if (line.starts_with("bad-request ")) {
        throw Malformed{"the driver could not read the request: " + parse_bytes(line.substr(12))};
    } else {
        throw Malformed{"not an answer"};
    }
    return std::nullopt;
}

// One call, one answer: what `parse` makes of it, or what the function threw, rethrown.
template <class Parse>
auto call_one(const std::string& function, std::string request, Parse&& parse) {
    decltype(parse(std::string_view())) value{};
    std::exception_ptr error;
    driver(request.size())
        .exchange(std::move(request), 1, "your " + function, [&](std::string_view line) {
            if (const auto ok = read_answer(line, function, error)) value = parse(*ok);
        });
    if (error) std::rethrow_exception(error);
    return value;
}

// Many calls in one request: `verb`-each with `count` items, `item(out, i)` writing item i (in hex)
// at the end of `out`, one answer each, which `parse_into` appends to the batch's data. If the
// driver ends or hangs on the way, the items it had not answered are sent again one by one, so
// that the failure names the item it happened on (`name(i)` says it).
template <class Char, class Item, class Name, class ParseInto>
Batch<Char> call_each(const std::string& function, const std::string& verb, std::size_t count,
                      std::size_t request_size, std::size_t data_size, Item&& item, Name&& name,
                      ParseInto&& parse_into) {
    Batch<Char> batch;
    if (count == 0) return batch;
    batch.ends_.reserve(count);
    batch.data_.reserve(data_size);
    std::string request;
    request.reserve(verb.size() + 6 + request_size + count);
    request += verb;
    request += "-each ";
    for (std::size_t i = 0; i < count; ++i) {
        if (i > 0) request += ',';
        item(request, i);
    }
    const auto on_line = [&](std::string_view line) {
        std::exception_ptr error;
        if (const auto ok = read_answer(line, function, error)) {
            parse_into(batch.data_, *ok);
        } else {
            batch.errors_.emplace(batch.ends_.size(), error);
        }
        batch.ends_.push_back(batch.data_.size());
    };
    try {
        driver(request.size()).exchange(std::move(request), count, "your " + function, on_line);
    } catch (const Broken&) {
        for (std::size_t i = batch.size(); i < count; ++i) {
            std::string one = verb + " ";
            item(one, i);
            driver(one.size())
                .exchange(std::move(one), 1, "your " + function + "(" + name(i) + ")", on_line);
        }
        throw;  // each item answered on its own: say what happened the first time
    }
    return batch;
}

}  // namespace detail

// ---- batches, for the test cases that go through every code point
// ---------------------------------

// encode_utf8 of each code point on its own (encode_utf8(U"\u00e9"), then encode_utf8(U"\u20ac"),
// ...), in one round trip with the driver.
inline Batch<char> encode_each(std::u32string_view code_points) {
    return detail::call_each<char>(
        "encode_utf8", "encode", code_points.size(), 6 * code_points.size(), 4 * code_points.size(),
        [&](std::string& out, std::size_t i) { wire::put_code_point(out, code_points[i]); },
        [&](std::size_t i) {
            char name[16];
            std::snprintf(name, sizeof name, "U+%04lX", static_cast<unsigned long>(code_points[i]));
            return std::string(name);
        },
        wire::parse_bytes_into);
}

// decode_utf8 of each byte string on its own, in one round trip with the driver.
inline Batch<char32_t> decode_each(const std::vector<std::string_view>& data) {
    std::size_t bytes = 0;
    for (const std::string_view item : data) bytes += item.size();
    return detail::call_each<char32_t>(
        "decode_utf8", "decode", data.size(), 2 * bytes, bytes,
        [&](std::string& out, std::size_t i) { wire::put_hex(out, data[i]); },
        [&](std::size_t i) {
            std::string name = "the bytes";
            for (const char c : data[i]) {
                name += ' ';
                wire::put_hex(name, std::string_view(&c, 1));
            }
            return name;
        },
        wire::parse_code_points_into);
}

}  // namespace bytes::remote

// ---- the four functions of utf8.hpp, answered by the driver
// ---------------------------------------

namespace bytes {

inline std::string encode_utf8(std::u32string_view code_points) {
    std::string request;
    request.reserve(8 + 9 * code_points.size());
    request += "encode ";
    wire::put_code_points(request, code_points);
    return remote::detail::call_one("encode_utf8", std::move(request), wire::parse_bytes);
}

inline std::u32string decode_utf8(std::string_view data) {
    std::string request;
    request.reserve(8 + 2 * data.size());
    request += "decode ";
    wire::put_hex(request, data);
    return remote::detail::call_one("decode_utf8", std::move(request), wire::parse_code_points);
}

inline std::size_t count_code_points(std::string_view data) {
    std::string request = "count ";
    wire::put_hex(request, data);
    return remote::detail::call_one("count_code_points", std::move(request), wire::parse_count);
}

inline std::string hex_dump(std::string_view data) {
    std::string request = "hex ";
    wire::put_hex(request, data);
    return remote::detail::call_one("hex_dump", std::move(request), wire::parse_bytes);
}

}  // namespace bytes
