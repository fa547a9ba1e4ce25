// The process layer (see process.hpp): starting the program under test, draining its output,
// waiting for its lines and its end, stopping it. Its environment is prepared in environment.cpp.
//
// How a Program runs:
//   - fork(); the child puts itself in its own process group, asks for SIGKILL if the test dies
//     (PR_SET_PDEATHSIG), points stdin/stdout/stderr at /dev/null (or a stdin pipe) and two pipes,
//     marks every other descriptor close-on-exec and execs. If exec fails, the child writes errno
//     to a close-on-exec pipe; the parent reads that pipe until end of file, so when the
//     constructor returns the program has really started (or Failure was thrown).
//   - one drain thread per Program polls stdout, stderr, a pidfd and a stop eventfd. It reads
//     whatever arrives (so the child never blocks on a full pipe), keeps output_cap bytes per
//     stream, logs complete lines to the transcript, and when the pidfd says the program ended it
//     drains the pipes once more and records the status WITHOUT reaping (waitid WNOWAIT), so the
//     pid and the process group id cannot be reused while the test may still signal them. Waiters
//     block on a condition variable that the drain thread notifies.
//   - teardown (stop() and the destructor): SIGTERM to the group, wait on the pidfd up to the
//     grace, SIGKILL to the group (always: grandchildren may remain after the leader), reap the
//     leader, reap every orphan of the group (they are ours: the test process is a child
//     subreaper), then wake the drain thread through the eventfd and join it. The eventfd matters
//     when a process outside the group still holds the pipes: the drain thread would otherwise
//     wait for end of file forever.
//   - a test process stopped by SIGTERM (the runner's time limit) SIGKILLs the process groups of
//     every program it started and has not torn down yet (the group registry below), then dies.
#include "probe/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>

#include <fmt/core.h>
#include <fmt/format.h>

#include "os.hpp"
#include "probe/internal.hpp"
#include "probe/transcript.hpp"
#include "sanitizer.hpp"

namespace probe {

using namespace detail;
namespace os = workbook::os;

// ---- the program under test ------------------------------------------------------------------

std::string ExitStatus::describe() const {
    if (!signaled) return fmt::format("exited with status {}", code);
    const char* abbreviation = sigabbrev_np(signal);
    const char* description = sigdescr_np(signal);
    if (abbreviation == nullptr || description == nullptr) {
        return fmt::format("was killed by signal {}", signal);
    }
    std::string lower(description);
    if (!lower.empty()) lower[0] = static_cast<char>(std::tolower(lower[0]));
    return fmt::format("was killed by signal SIG{} ({})", abbreviation, lower);
}

std::filesystem::path program_under_test(const char* compiled_in) {
    std::filesystem::path path;
    if (const char* from_env = std::getenv("WORKBOOK_PROGRAM"); from_env && *from_env) {
        path = from_env;
    } else if (compiled_in != nullptr && *compiled_in != '\0') {
        path = compiled_in;
    } else {
        throw Failure(
            "The tests do not know which program to start: set WORKBOOK_PROGRAM to its path (the "
            "build does this for server and client lessons).");
    }
    std::error_code error;
    if (!std::filesystem::exists(path, error)) {
        throw Failure(fmt::format(
            "The program to test, {}, does not exist. Build the lesson first (cmake --build).",
            path.string()));
    }
    return path;
}

std::filesystem::path program_path(std::string_view name, const char* compiled_in_dir) {
    std::string variable = "WORKBOOK_PROGRAM_";
    for (const char c : name)
        variable += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::filesystem::path path;
    if (const char* from_env = std::getenv(variable.c_str()); from_env && *from_env) {
        path = from_env;
    } else if (compiled_in_dir != nullptr && *compiled_in_dir != '\0') {
        path = std::filesystem::path(compiled_in_dir) / name;
    } else {
        throw Failure(fmt::format(
            "The tests do not know where program '{}' is: set {} to its path (the build and the "
            "grader do this for a lesson's programs).",
            name, variable));
    }
    std::error_code error;
    if (!std::filesystem::exists(path, error)) {
        throw Failure(
            fmt::format("Program '{}', {}, does not exist. Build the lesson first (cmake --build).",
                        name, path.string()));
    }
    return path;
}

namespace {

// Reads of 64 KiB that empty a full pipe (1 MiB at most unless fs.pipe-max-size was raised): what a
// program wrote before it ended, without reading for ever what a grandchild keeps writing.
constexpr int whole_pipe = 16;

}  // namespace

// "Your program" / "Program 'peer'".
std::string Program::State::who() const {
    return label == "your_program" ? "Your program" : fmt::format("Program '{}'", label);
}

std::string Program::State::prefix(int stream) const {
    return stream == out_stream ? fmt::format("[{}] ", label) : fmt::format("[{} stderr] ", label);
}

// Under `mutex`. Keeps what fits in the cap, splits it into lines, logs each line.
void Program::State::take(int which, std::string_view chunk) {
    Stream& s = streams[which];
    const std::size_t room = cap - std::min(cap, s.kept.size());
    const std::string_view kept = chunk.substr(0, std::min(room, chunk.size()));
    s.kept += kept;
    for (char c : kept) {
        if (c == '\n') {
            end_line(which);
        } else {
            s.partial += c;
        }
    }
    if (kept.size() < chunk.size() && !s.dropped) {
        s.dropped = true;
        log(fmt::format("{}... (more than {} bytes on {}: the rest is read but not kept)",
                        prefix(which), cap, which == out_stream ? "stdout" : "stderr"));
    }
}

void Program::State::end_line(int which) {
    Stream& s = streams[which];
    std::string line = std::move(s.partial);
    s.partial.clear();
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (which == err_stream && starts_sanitizer_report(line) && ++s.reports > shown_reports) {
        s.hiding = true;
        ++s.hidden_reports;
    }
    // Past the reports shown, a report's lines (to its SUMMARY) and the rules between reports
    // are kept but not logged.
    const bool rule = line.size() >= 10 && line.find_first_not_of('=') == std::string::npos;
    if (which == err_stream && (s.hiding || (rule && s.reports >= shown_reports))) {
        if (line.starts_with("SUMMARY:")) s.hiding = false;
        s.lines.push_back(std::move(line));
        order.emplace_back(which, s.lines.size() - 1);
        return;
    }
    if (which == err_stream) count_hidden(which);
    // A sanitizer report's stack frames in the standard library, the runtime or the lesson's
    // driver are folded into a count: the transcript keeps the frames of the student's code.
    if (which == err_stream && is_library_frame(line)) {
        ++s.folded;
    } else if (which == out_stream && s.logged >= logged_lines) {
        ++s.unlogged;
    } else {
        fold(which);
        log(prefix(which) + printable(line));
        ++s.logged;
    }
    s.lines.push_back(std::move(line));
    order.emplace_back(which, s.lines.size() - 1);
}

// Under `mutex`: logs how many frames were folded away, if any.
void Program::State::fold(int which) {
    Stream& s = streams[which];
    if (s.folded == 0) return;
    log(fmt::format("{}    ... ({} frame{} of the library, the runtime or the workbook)",
                    prefix(which), s.folded, s.folded == 1 ? "" : "s"));
    s.folded = 0;
}

// Under `mutex`: logs how many reports were hidden since the last line logged, if any.
void Program::State::count_hidden(int which) {
    Stream& s = streams[which];
    if (s.hidden_reports == 0) return;
    fold(which);
    log(fmt::format("{}... ({} more sanitizer report{} not shown here: the first {} are above)",
                    prefix(which), s.hidden_reports, s.hidden_reports == 1 ? "" : "s",
                    shown_reports));
    s.hidden_reports = 0;
}

// Under `mutex`: the stream reached end of file (or will not be read any more).
void Program::State::close_stream(int which) {
    Stream& s = streams[which];
    if (s.closed) return;
    s.closed = true;
    if (!s.partial.empty()) end_line(which);
    fold(which);
    count_hidden(which);
    if (s.unlogged > 0)
        log(fmt::format("{}... ({} more line{} not shown here)", prefix(which), s.unlogged,
                        s.unlogged == 1 ? "" : "s"));
    changed.notify_all();
}

// Under `mutex`.
void Program::State::record_exit(const ExitStatus& status) {
    if (exit) return;
    exit = status;
    log(fmt::format("{} {}", label, status.describe()));
    changed.notify_all();
}

std::string Program::State::last_lines(std::size_t n) const {  // under `mutex`
    std::string out;
    const std::size_t first = order.size() > n ? order.size() - n : 0;
    for (std::size_t i = first; i < order.size(); ++i) {
        const auto [which, index] = order[i];
        if (!out.empty()) out += '\n';
        out += prefix(which) + printable(streams[which].lines[index]);
    }
    for (int which : {out_stream, err_stream}) {
        if (!streams[which].partial.empty()) {
            if (!out.empty()) out += '\n';
            out += prefix(which) + printable(streams[which].partial) + " (no end of line yet)";
        }
    }
    return out;
}

// "Its last lines:\n  [your_program] ..." or "It printed nothing." Under `mutex`.
std::string Program::State::quote_last_lines() const {
    std::string lines = last_lines(10);
    if (lines.empty()) return "It printed nothing.";
    std::string out = "Its last lines:";
    std::size_t start = 0;
    while (start <= lines.size()) {
        const std::size_t end = std::min(lines.find('\n', start), lines.size());
        out += "\n  " + lines.substr(start, end - start);
        start = end + 1;
    }
    return out;
}

// Waits until the program's status is known or `until` passes. True if it ended.
bool Program::State::wait_exit_until(Clock::time_point until) {
    std::unique_lock lock(mutex);
    return changed.wait_until(lock, until, [&] { return exit.has_value(); });
}

// "Your program exited with status 1 before X. Its last lines: ..."
std::string Program::State::exited_before(std::string_view what) {
    std::scoped_lock lock(mutex);
    return fmt::format("{} {} before {}. {}", who(), exit ? exit->describe() : "ended", what,
                       quote_last_lines());
}

// At most `max_reads` reads, each without the lock (only the drain thread reads or closes a
// stream), so a program that floods its output never keeps a waiter off the mutex for long.
void Program::State::read_available(int which, int max_reads) {
    const int fd = which == out_stream ? out : err;
    char buffer[65536];
    for (int i = 0; i < max_reads && !streams[which].closed; ++i) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        std::scoped_lock lock(mutex);
        if (n > 0) {
            take(which, std::string_view(buffer, static_cast<std::size_t>(n)));
            changed.notify_all();
        } else {
            close_stream(which);  // end of file, or an error: nothing more will come
        }
    }
}

// Everything in the pipes now, then the requests made before are answered.
void Program::State::sync_pipes() {
    std::uint64_t count;
    [[maybe_unused]] const ssize_t n = ::read(sync_fd, &count, sizeof count);
    std::uint64_t asked;
    {
        std::scoped_lock lock(mutex);
        asked = syncs_asked;
    }
    read_available(out_stream, whole_pipe);
    read_available(err_stream, whole_pipe);
    std::scoped_lock lock(mutex);
    syncs_done = std::max(syncs_done, asked);
    changed.notify_all();
}

void Program::State::write_stdin() {
    while (!stdin_data.empty()) {
        const ssize_t n = ::write(in, stdin_data.data(), stdin_data.size());
        if (n > 0) {
            stdin_data.erase(0, static_cast<std::size_t>(n));
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            return;
        } else {
            break;  // EPIPE: the program closed its stdin without reading it all
        }
    }
    close_fd(in);
}

void Program::State::run_drain() noexcept {
    // A write to a stdin pipe whose reader is gone must fail with EPIPE, not kill the test.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);

    bool ended = false;
    try {
        for (;;) {
            std::array<pollfd, 6> fds{};
            int n = 0;
            const auto add = [&](int fd, short events) {
                fds[n++] = pollfd{fd, events, 0};
                return n - 1;
            };
            const int i_out = !streams[out_stream].closed ? add(out, POLLIN) : -1;
            const int i_err = !streams[err_stream].closed ? add(err, POLLIN) : -1;
            const int i_pid = !ended ? add(pidfd, POLLIN) : -1;
            const int i_in = in >= 0 ? add(in, POLLOUT) : -1;
            const int i_stop = add(stop_fd, POLLIN);
            if (i_stop == 0) break;  // nothing left to watch
            const int i_sync = add(sync_fd, POLLIN);

            if (::poll(fds.data(), static_cast<nfds_t>(n), -1) < 0) {
                if (errno == EINTR) continue;
                break;
            }
            if (i_in >= 0 && fds[i_in].revents != 0) write_stdin();
            if (i_out >= 0 && fds[i_out].revents != 0) read_available(out_stream, 4);
            if (i_err >= 0 && fds[i_err].revents != 0) read_available(err_stream, 4);
            if (i_pid >= 0 && fds[i_pid].revents != 0) {
                // Everything the program wrote before it ended is in the pipes now: take it
                // first, so a waiter told "it exited" also sees its last lines.
                ended = true;
                close_fd(in);
                siginfo_t info{};
                const int rc = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd),
                                        &info, WEXITED | WNOHANG | WNOWAIT);
                read_available(out_stream, whole_pipe);
                read_available(err_stream, whole_pipe);
                std::scoped_lock lock(mutex);
                if (rc == 0 && info.si_pid != 0) {
                    ExitStatus status;
                    status.signaled = info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED;
                    (status.signaled ? status.signal : status.code) = info.si_status;
                    record_exit(status);
                }
                // Otherwise the teardown reaped it first and records the status itself.
            }
            if (fds[i_sync].revents != 0) sync_pipes();
            if (fds[i_stop].revents != 0) break;
        }
    } catch (...) {
        // Logging ran out of memory: stop draining rather than crash the test.
    }
    // Last look: whatever is still in the pipes, then the streams count as closed.
    try {
        read_available(out_stream, whole_pipe);
        read_available(err_stream, whole_pipe);
        std::scoped_lock lock(mutex);
        close_stream(out_stream);
        close_stream(err_stream);
    } catch (...) {
    }
}

// ---- the SIGTERM group registry --------------------------------------------------------------

namespace {

// The process groups of the programs this process started and has not torn down yet, for the
// SIGTERM handler below: lock-free atomics, so the handler may read them.
std::array<std::atomic<pid_t>, 256> live_groups{};

void register_group(pid_t group) noexcept {
    for (auto& slot : live_groups) {
        pid_t empty = 0;
        if (slot.compare_exchange_strong(empty, group)) return;
    }
}

void unregister_group(pid_t group) noexcept {
    for (auto& slot : live_groups) {
        pid_t expected = group;
        if (slot.compare_exchange_strong(expected, 0)) return;
    }
}

// A test program stopped by SIGTERM (the runner's time limit) would die without its destructors,
// and the programs it started would lose only their leader (PR_SET_PDEATHSIG): what the student's
// program forked lives on in its group. So SIGTERM ends every group first, then this process as
// SIGTERM would have.
extern "C" void end_groups_then_die(int signal_number) {
    static_assert(std::atomic<pid_t>::is_always_lock_free);
    for (auto& slot : live_groups) {
        const pid_t group = slot.load();
        if (group > 0) ::kill(-group, SIGKILL);
    }
    ::signal(signal_number, SIG_DFL);
    ::raise(signal_number);
}

// The test process adopts orphaned descendants (so teardown can reap a whole group), and children
// must be reapable (SIGCHLD not ignored) for the exit status to exist.
void prepare_parent() {
    static std::once_flag once;
    std::call_once(once, [] {
        ::prctl(PR_SET_CHILD_SUBREAPER, 1);
        struct sigaction term {};
        if (::sigaction(SIGTERM, nullptr, &term) == 0 && term.sa_handler == SIG_DFL) {
            term.sa_handler = end_groups_then_die;
            sigemptyset(&term.sa_mask);
            term.sa_flags = 0;
            ::sigaction(SIGTERM, &term, nullptr);
        }
        struct sigaction current {};
        if (::sigaction(SIGCHLD, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) {
            ::signal(SIGCHLD, SIG_DFL);
        }
    });
}

// ---- starting and stopping -------------------------------------------------------------------

// The command as a student can paste it into bash: 'quoted' words, $'...' for unprintable bytes
// (but for an argument longer than 120 bytes, shown by its start and size).
std::string shell_words(const std::filesystem::path& path, const std::vector<std::string>& args) {
    const auto word = [](const std::string& w) {
        const bool plain = !w.empty() && w.find_first_not_of(
                                             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                             "0123456789-_./:=,+@%") == std::string::npos;
        if (plain) return w;
        const bool printable_ascii = std::all_of(w.begin(), w.end(), [](char c) {
            return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
        });
        std::string out = printable_ascii ? "'" : "$'";
        for (char c : printable_ascii ? w : escape(w)) {
            out += c == '\'' ? (printable_ascii ? "'\\''" : "\\'") : std::string(1, c);
        }
        return out + "'";
    };
    // A very long argument (a 100 KB message) is shown by its start and its size: the transcript
    // is for reading, and a paste of 100 KB would not help.
    constexpr std::size_t longest = 120;
    std::string out = word(path.string());
    for (const auto& a : args) {
        out += " " + (a.size() <= longest
                          ? word(a)
                          : fmt::format("{}...({} bytes in all)", word(a.substr(0, 60)), a.size()));
    }
    return out;
}

}  // namespace

Program::Program(const std::filesystem::path& path, std::vector<std::string> args)
    : Program(path, std::move(args), Options{}) {}

Program::Program(const std::filesystem::path& path, std::vector<std::string> args, Options options)
    : state_(std::make_shared<State>()) {
    prepare_parent();
    State& s = *state_;
    s.label = options.label;
    s.cap = options.output_cap;
    s.logged_lines = options.logged_lines;
    const std::string command = shell_words(path, args);

    std::vector<std::string> words{path.string()};
    words.insert(words.end(), args.begin(), args.end());
    const Environment environment = program_environment(path, options);
    s.files = environment.files;

    // Descriptors that are only the child's: closed in the parent once it has forked.
    int child_in = -1, child_out = -1, child_err = -1;
    const auto cleanup = [&] {
        for (int* fd : {&child_in, &child_out, &child_err, &s.out, &s.err, &s.in, &s.input,
                        &s.stop_fd, &s.sync_fd, &s.pidfd}) {
            close_fd(*fd);
        }
        remove_files(s.files);
    };
    const auto check = [&](bool ok, const char* call) {
        if (ok) return;
        const int error = errno;
        cleanup();
        throw Failure(fmt::format("could not start {}: {} failed: {}", path.string(), call,
                                  error_text(error)));
    };
    int fds[2];
    check(::pipe2(fds, O_CLOEXEC) == 0, "pipe2");
    s.out = fds[0], child_out = fds[1];
    check(::pipe2(fds, O_CLOEXEC) == 0, "pipe2");
    s.err = fds[0], child_err = fds[1];
    if (options.stdin_data && options.interactive_stdin) {
        cleanup();
        throw Failure("Program::Options: stdin_data and interactive_stdin cannot both be set");
    }
    if (options.interactive_stdin) {
        check(::pipe2(fds, O_CLOEXEC) == 0, "pipe2");
        child_in = fds[0], s.input = fds[1];
        check(::fcntl(s.input, F_SETFL, O_NONBLOCK) == 0, "fcntl");
    } else if (options.stdin_data) {
        check(::pipe2(fds, O_CLOEXEC) == 0, "pipe2");
        child_in = fds[0], s.in = fds[1];
        s.stdin_data = *options.stdin_data;
        check(::fcntl(s.in, F_SETFL, O_NONBLOCK) == 0, "fcntl");
    } else {
        child_in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        check(child_in >= 0, "open /dev/null");
    }
    check(::fcntl(s.out, F_SETFL, O_NONBLOCK) == 0 && ::fcntl(s.err, F_SETFL, O_NONBLOCK) == 0,
          "fcntl");
    s.stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    check(s.stop_fd >= 0, "eventfd");
    s.sync_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    check(s.sync_fd >= 0, "eventfd");

    // The systems layer's spawn (tools/os): a process group of its own, SIGKILL if this test
    // program dies, default signals, nothing but 0, 1 and 2 across exec, and without address-space
    // randomisation: ThreadSanitizer (GCC 12's) dies at start with "unexpected memory mapping" on
    // kernels that randomise more bits than it expects, and the same addresses from run to run
    // help replay a failure.
    os::Spawned spawned;
    try {
        os::SpawnOptions spawn;
        spawn.argv = words;
        spawn.environment = environment.variables;
        spawn.in = child_in;
        spawn.out = child_out;
        spawn.err = child_err;
        spawn.die_with_parent = true;
        spawn.no_address_randomization = true;
        spawned = os::spawn(spawn);
    } catch (const std::system_error& e) {
        cleanup();
        throw Failure(
            fmt::format("could not start {}: {}", path.string(), error_text(e.code().value())));
    }
    const pid_t pid = spawned.pid;
    s.pid = pid;
    register_group(pid);
    for (int* fd : {&child_in, &child_out, &child_err}) close_fd(*fd);
    // The child is not reaped before the teardown, so the pidfd refers to it for sure.
    if (!spawned.pidfd) {
        const int error = errno;
        ::kill(-pid, SIGKILL);
        int status;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        unregister_group(pid);
        cleanup();
        throw Failure(fmt::format("could not watch {}: pidfd_open failed: {}", path.string(),
                                  error_text(error)));
    }
    s.pidfd = spawned.pidfd.release();
    try {
        log(fmt::format("{} started as pid {}: {}", s.label, pid, command));
        for (const std::string& line : environment.described) log(line);
        s.drain = std::thread([state = state_] { state->run_drain(); });
    } catch (...) {
        s.teardown(0ms);  // the destructor will not run: stop it here
        throw;
    }
}

void Program::State::teardown(milliseconds grace) noexcept {
    if (reaped) return;
    try {
        bool ended;
        {
            std::scoped_lock lock(mutex);
            ended = exit.has_value();
        }
        if (!ended) log(fmt::format("stopping {}: SIGTERM to its process group", label));
        ::kill(-pid, SIGTERM);
        ::kill(-pid, SIGCONT);  // a stopped process must run to see SIGTERM
        if (!ended) {
            const auto until = Clock::now() + grace;
            short revents = 0;
            try {
                revents = wait_fd(pidfd, POLLIN, until);
            } catch (...) {
            }
            if (revents == 0) {
                log(fmt::format("{} was still running after {}: SIGKILL to its process group",
                                label, duration_text(grace)));
            }
        }
    } catch (...) {
        // Only logging can throw here; the signals still go out below.
    }
    // SIGKILL the group even when the leader has ended: any grandchild left in it dies too. The
    // leader is not reaped yet, so the group id still names this group.
    ::kill(-pid, SIGKILL);
    int raw = 0;
    pid_t rc;
    while ((rc = ::waitpid(pid, &raw, 0)) < 0 && errno == EINTR) {
    }
    // Orphans of the group were reparented to us (child subreaper): reap them all.
    while (::waitpid(-pid, nullptr, 0) > 0 || errno == EINTR) {
    }
    unregister_group(pid);
    reaped = true;
    try {
        std::scoped_lock lock(mutex);
        if (rc == pid) {
            ExitStatus status;
            status.signaled = WIFSIGNALED(raw);
            (status.signaled ? status.signal : status.code) =
                status.signaled ? WTERMSIG(raw) : WEXITSTATUS(raw);
            record_exit(status);
        } else if (!exit) {
            exit = ExitStatus{};
        }
    } catch (...) {
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(stop_fd, &one, sizeof one);
    if (drain.joinable()) drain.join();
    for (int* fd : {&out, &err, &in, &stop_fd, &sync_fd, &pidfd}) close_fd(*fd);
    remove_files(files);
}

Program::~Program() {
    if (state_) state_->teardown(500ms);
}

Program& Program::operator=(Program&& other) noexcept {
    if (this != &other) {
        if (state_) state_->teardown(500ms);
        state_ = std::move(other.state_);
    }
    return *this;
}

pid_t Program::pid() const {
    return state_->pid;
}

ExitStatus Program::stop(milliseconds grace) {
    state_->teardown(grace);
    std::scoped_lock lock(state_->mutex);
    return state_->exit.value_or(ExitStatus{});
}

void Program::write_input(std::string_view bytes, milliseconds deadline) {
    State& s = *state_;
    if (s.input < 0)
        throw Failure(
            fmt::format("{}: write_input needs Options::interactive_stdin, and an input "
                        "not closed yet",
                        s.label));
    log(fmt::format("to {} stdin: {}", s.label, escape(bytes)));
    const auto end = std::chrono::steady_clock::now() + deadline;
    // A write to a pipe whose reader is gone must fail with EPIPE, not kill the test: SIGPIPE is
    // blocked around the write, and a pending one taken back.
    sigset_t pipe_signal, before;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, &before);
    int error = 0;
    while (!bytes.empty() && error == 0) {
        const ssize_t n = ::write(s.input, bytes.data(), bytes.size());
        if (n > 0) {
            bytes.remove_prefix(static_cast<std::size_t>(n));
        } else if (n < 0 && errno == EAGAIN) {
            const auto left =
                std::chrono::duration_cast<milliseconds>(end - std::chrono::steady_clock::now());
            if (left <= 0ms) {
                error = ETIMEDOUT;
                break;
            }
            pollfd p{s.input, POLLOUT, 0};
            ::poll(&p, 1, static_cast<int>(left.count()));
        } else if (n < 0 && errno != EINTR) {
            error = errno;
        }
    }
    if (error == EPIPE) {
        const timespec now{};
        ::sigtimedwait(&pipe_signal, nullptr, &now);
    }
    pthread_sigmask(SIG_SETMASK, &before, nullptr);
    if (error != 0)
        throw Failure(fmt::format("{} did not read its stdin ({}): {}", s.label,
                                  error == ETIMEDOUT ? "it stayed full" : error_text(error),
                                  last_lines()));
}

void Program::close_input() {
    if (state_->input < 0) return;
    log(fmt::format("closing {} stdin", state_->label));
    close_fd(state_->input);
}

void Program::send_signal(int signal) {
    if (state_->reaped) return;
    log(fmt::format("sending SIG{} to {}", sigabbrev_np(signal) ? sigabbrev_np(signal) : "?",
                    state_->label));
    ::kill(state_->pid, signal);  // not reaped yet, so the pid is still this program's
}

namespace {

using LineMatch = std::function<bool(std::string_view)>;

// The port a line announces: the number after its last ':' ("... 127.0.0.1:41234..." gives 41234).
std::optional<std::uint16_t> port_in(std::string_view line) {
    const auto colon = line.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    unsigned value = 0;
    const char* first = line.data() + colon + 1;
    const auto [end, error] = std::from_chars(first, line.data() + line.size(), value);
    if (error != std::errc() || end == first || value == 0 || value > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

// A failure message, then `note`: on a line of its own after a quoted block of lines.
std::string with_note(std::string message, std::string_view note) {
    if (note.empty()) return message;
    return message + (message.find('\n') == std::string::npos ? " " : "\n") + std::string(note);
}

// What a failed wait for a line of `which` can say about where the line went: printed on the other
// stream (a line there for which `elsewhere` is true), or printed without its end of line yet.
// Runs the matches without the lock.
std::string where_the_line_went(Program::State& s, int which, const LineMatch& match,
                                const LineMatch& elsewhere) {
    std::vector<std::string> other;
    std::string partial;
    {
        std::scoped_lock lock(s.mutex);
        other = s.streams[1 - which].lines;
        if (!s.streams[1 - which].partial.empty()) other.push_back(s.streams[1 - which].partial);
        partial = s.streams[which].partial;
    }
    const char* wanted = which == out_stream ? "stdout" : "stderr";
    const char* printed = which == out_stream ? "stderr" : "stdout";
    for (const auto& line : other) {
        if (!elsewhere(line)) continue;
        return fmt::format(
            "It printed it on {} instead of {}: \"{}\". The tests read this line on {}: print it "
            "with {}.",
            printed, wanted, printable(line), wanted,
            which == out_stream ? "std::cout, not std::cerr" : "std::cerr, not std::cout");
    }
    if (!partial.empty() && match(partial)) {
        return fmt::format(
            "It printed \"{}\" but not the end of that line: end it with std::endl (or '\\n').",
            printable(partial));
    }
    return "";
}

// Waits for a line of stream `which` for which `match` is true: see Program::wait_for_line. With a
// `cursor`, the search starts at line *cursor and moves it past the line found
// (Program::wait_for_next_line); without, it starts at the first line.
std::string wait_for_line_on(Program::State& s, int which, const LineMatch& match,
                             const LineMatch& elsewhere, std::string_view what,
                             milliseconds deadline, std::size_t* cursor = nullptr) {
    const auto until = Clock::now() + deadline;
    const auto& stream = s.streams[which];
    std::size_t next = cursor ? *cursor : 0;
    for (;;) {
        std::vector<std::string> fresh;
        bool ended;
        {
            std::unique_lock lock(s.mutex);
            s.changed.wait_until(lock, until, [&] {
                return stream.lines.size() > next || s.exit.has_value() || stream.closed;
            });
            fresh.assign(stream.lines.begin() + static_cast<std::ptrdiff_t>(next),
                         stream.lines.end());
            next = stream.lines.size();
            ended = s.exit.has_value() || stream.closed;
        }
        // `match` runs without the lock: it may be slow or call back into this Program.
        for (std::size_t i = 0; i < fresh.size(); ++i) {
            if (!match(fresh[i])) continue;
            if (cursor) *cursor = next - fresh.size() + i + 1;
            return fresh[i];
        }
        if (!fresh.empty()) continue;
        if (ended) {
            bool running;
            {
                // The stream closed but the program runs on: wait for its end or the deadline.
                std::unique_lock lock(s.mutex);
                running = !s.changed.wait_until(lock, until, [&] { return s.exit.has_value(); });
            }
            const std::string went = where_the_line_went(s, which, match, elsewhere);
            if (!running) {
                throw Failure(with_note(s.exited_before(fmt::format("printing {}", what)), went));
            }
            std::scoped_lock lock(s.mutex);
            throw Failure(with_note(
                fmt::format("{} closed its {} before printing {}, and is still running. {}",
                            s.who(), which == out_stream ? "standard output" : "standard error",
                            what, s.quote_last_lines()),
                went));
        }
        if (Clock::now() >= until) {
            std::string note = where_the_line_went(s, which, match, elsewhere);
            std::scoped_lock lock(s.mutex);
            // Lacking a better explanation: it runs, so a line it printed may not have left its
            // buffer, whether or not earlier lines did (stderr is not buffered).
            if (note.empty() && which == out_stream) {
                const bool nothing_yet =
                    s.streams[out_stream].lines.empty() && s.streams[out_stream].partial.empty();
                note = fmt::format(
                    "If it did print the line, the line may still sit in its output buffer{}: "
                    "stdout into a pipe is fully buffered, so end {} with std::endl or call "
                    "std::fflush(stdout).",
                    nothing_yet ? "" : ", even though earlier lines arrived",
                    nothing_yet ? "the line" : "every line");
            }
            throw Failure(
                with_note(fmt::format("{} did not print {} within {} (it is still running). {}",
                                      s.who(), what, duration_text(deadline), s.quote_last_lines()),
                          note));
        }
    }
}

LineMatch searching(const std::regex& pattern) {
    return [&pattern](std::string_view line) {
        return std::regex_search(line.begin(), line.end(), pattern);
    };
}

}  // namespace

std::string Program::wait_for_line(const std::function<bool(std::string_view)>& match,
                                   std::string_view what, milliseconds deadline) {
    return wait_for_line_on(*state_, out_stream, match, match, what, deadline);
}

std::string Program::wait_for_line(const std::regex& pattern, std::string_view what,
                                   milliseconds deadline) {
    return wait_for_line(searching(pattern), what, deadline);
}

std::string Program::wait_for_next_line(const std::function<bool(std::string_view)>& match,
                                        std::string_view what, milliseconds deadline) {
    return wait_for_line_on(*state_, out_stream, match, match, what, deadline, &state_->out_cursor);
}

std::string Program::wait_for_next_line(const std::regex& pattern, std::string_view what,
                                        milliseconds deadline) {
    return wait_for_next_line(searching(pattern), what, deadline);
}

std::string Program::next_line(std::string_view what, milliseconds deadline) {
    return wait_for_next_line([](std::string_view) { return true; }, what, deadline);
}

std::string Program::wait_for_err_line(const std::function<bool(std::string_view)>& match,
                                       std::string_view what, milliseconds deadline) {
    return wait_for_line_on(*state_, err_stream, match, match, what, deadline);
}

std::string Program::wait_for_err_line(const std::regex& pattern, std::string_view what,
                                       milliseconds deadline) {
    return wait_for_err_line(searching(pattern), what, deadline);
}

std::uint16_t Program::port(milliseconds deadline) {
    return port({}, deadline);
}

std::uint16_t Program::port(std::string_view example, milliseconds deadline) {
    const std::string quoted_example =
        example.empty() ? "" : fmt::format("\"{}\"", printable(example));
    // The first line of stdout, whatever it says; on stderr, a line that names a port.
    const std::string line = wait_for_line_on(
        *state_, out_stream, [](std::string_view) { return true; },
        [](std::string_view text) { return port_in(text).has_value(); },
        example.empty() ? "the line announcing its port"
                        : fmt::format("the line announcing its port ({})", quoted_example),
        deadline);
    const auto value = port_in(line);
    if (!value) {
        throw Failure(fmt::format(
            "{}'s first line was \"{}\", but the tests expected it to announce the port it "
            "listens on{}: they read the port as the number after the last ':' of that line.",
            state_->who(), printable(line), example.empty() ? "" : ", such as " + quoted_example));
    }
    return *value;
}

bool Program::wait_stopped(milliseconds deadline) {
    State& s = *state_;
    const auto until = Clock::now() + deadline;
    for (;;) {
        if (s.reaped) return false;
        // Reported once the whole program has stopped; WNOWAIT leaves the report in place.
        siginfo_t info{};
        const int rc = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(s.pidfd), &info,
                                WSTOPPED | WEXITED | WNOHANG | WNOWAIT);
        if (rc == 0 && info.si_pid != 0) {
            if (info.si_code != CLD_STOPPED && info.si_code != CLD_TRAPPED) {
                s.wait_exit_until(until);  // ended: the drain thread records how
                return false;
            }
            // It cannot write any more: have the drain thread take what is in the pipes.
            std::unique_lock lock(s.mutex);
            const std::uint64_t ticket = ++s.syncs_asked;
            const std::uint64_t one = 1;
            [[maybe_unused]] const ssize_t n = ::write(s.sync_fd, &one, sizeof one);
            const bool synced = s.changed.wait_until(lock, until, [&] {
                return s.syncs_done >= ticket ||
                       (s.streams[out_stream].closed && s.streams[err_stream].closed);
            });
            if (synced) log(fmt::format("{} is stopped (SIGSTOP)", s.label));
            return synced;
        }
        // Not stopped yet: wait a little, on its end, so that an exit wakes us at once.
        if (s.wait_exit_until(std::min(until, Clock::now() + 5ms))) return false;
        if (Clock::now() >= until) {
            log(fmt::format("{} did not stop within {}", s.label, duration_text(deadline)));
            return false;
        }
    }
}

void Program::resume() {
    if (state_->reaped) return;
    log(fmt::format("resuming {} (SIGCONT)", state_->label));
    ::kill(state_->pid, SIGCONT);
}

std::optional<ExitStatus> Program::status() {
    std::scoped_lock lock(state_->mutex);
    return state_->exit;
}

ExitStatus Program::wait_exit(milliseconds deadline) {
    State& s = *state_;
    if (!s.wait_exit_until(Clock::now() + deadline)) {
        std::scoped_lock lock(s.mutex);
        throw Failure(
            fmt::format("{} was still running after {}, but the tests expected it to "
                        "exit. {}",
                        s.who(), duration_text(deadline), s.quote_last_lines()));
    }
    std::scoped_lock lock(s.mutex);
    return *s.exit;
}

std::string Program::out() const {
    std::scoped_lock lock(state_->mutex);
    return state_->streams[out_stream].kept;
}

std::string Program::err() const {
    std::scoped_lock lock(state_->mutex);
    return state_->streams[err_stream].kept;
}

std::vector<std::string> Program::out_lines() const {
    std::scoped_lock lock(state_->mutex);
    return state_->streams[out_stream].lines;
}

std::vector<std::string> Program::err_lines() const {
    std::scoped_lock lock(state_->mutex);
    return state_->streams[err_stream].lines;
}

std::string Program::last_lines(std::size_t n) const {
    std::scoped_lock lock(state_->mutex);
    return state_->last_lines(n);
}

// ---- /proc -----------------------------------------------------------------------------------

namespace {

std::size_t count_entries(const Program::State& s, pid_t pid, const char* what) {
    const std::filesystem::path dir = fmt::format("/proc/{}/{}", pid, what);
    std::error_code error;
    std::size_t count = 0;
    for (std::filesystem::directory_iterator it(dir, error), end; !error && it != end;
         it.increment(error)) {
        ++count;
    }
    std::scoped_lock lock(s.mutex);
    if (s.exit || (error && count == 0)) {
        throw Failure(fmt::format("cannot read {}: {} {}", dir.string(), s.who(),
                                  s.exit ? s.exit->describe() : "is not running"));
    }
    return count;
}

}  // namespace

std::size_t Program::open_descriptors() const {
    return count_entries(*state_, pid(), "fd");
}

std::size_t Program::threads() const {
    return count_entries(*state_, pid(), "task");
}

std::size_t Program::memory_peak() const {
    const std::string path = fmt::format("/proc/{}/status", pid());
    std::ifstream status(path);
    std::string line;
    while (std::getline(status, line)) {
        unsigned long long kib = 0;
        if (std::sscanf(line.c_str(), "VmPeak: %llu kB", &kib) == 1) return kib * 1024;
    }
    std::scoped_lock lock(state_->mutex);
    throw Failure(fmt::format("cannot read the VmPeak line of {}: {} {}", path, state_->who(),
                              state_->exit ? state_->exit->describe() : "is not running"));
}

}  // namespace probe
