// The probe harness: see probe.hpp for what each call promises.
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
//   grace,
//     SIGKILL to the group (always: grandchildren may remain after the leader), reap the leader,
//     reap every orphan of the group (they are ours: the test process is a child subreaper), then
//     wake the drain thread through the eventfd and join it. The eventfd matters when a process
//     outside the group still holds the pipes: the drain thread would otherwise wait for end of
//     file forever.
#include "probe.hpp"
#include "sanitizer.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <link.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>
#include <utility>

#include <fmt/core.h>
#include <fmt/format.h>

extern char** environ;

namespace probe {

namespace {

// ---- small helpers ---------------------------------------------------------------------------

// "Connection refused": the English text of an errno value (strerrordesc_np is thread-safe and
// ignores the locale, unlike strerror).
std::string error_text(int error) {
    const char* text = strerrordesc_np(error);
    return text ? text : fmt::format("error {}", error);
}

// "5 s", "1.5 s", "200 ms".
std::string duration_text(milliseconds d) {
    const auto ms = d.count();
    if (ms < 1000) return fmt::format("{} ms", ms);
    if (ms % 1000 == 0) return fmt::format("{} s", ms / 1000);
    return fmt::format("{:.1f} s", static_cast<double>(ms) / 1000.0);
}

// Bytes for a message or the transcript: quoted and escaped, cut if long.
std::string quoted(std::string_view bytes) {
    constexpr std::size_t shown = 300;
    if (bytes.size() <= shown) return "\"" + escape(bytes) + "\"";
    return fmt::format("\"{}\"... ({} bytes in all)", escape(bytes.substr(0, shown)), bytes.size());
}

// escape(), or with `quotes` false, for a line the program printed (not shown inside quotes): the
// same, except that '"' and '\\' stay as they are.
std::string escape_bytes(std::string_view bytes, bool quotes) {
    std::string out;
    out.reserve(bytes.size());
    for (unsigned char c : bytes) {
        switch (c) {
            case '\r':
                out += "\\r";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\\':
                out += quotes ? "\\\\" : "\\";
                break;
            case '"':
                out += quotes ? "\\\"" : "\"";
                break;
            default:
                if (c >= 0x20 && c < 0x7f) {
                    out += static_cast<char>(c);
                } else {
                    constexpr char hex[] = "0123456789abcdef";
                    out += {'\\', 'x', hex[c >> 4], hex[c & 0xf]};
                }
        }
    }
    return out;
}

milliseconds until_now(Clock::time_point t) {
    return std::chrono::ceil<milliseconds>(t - Clock::now());
}

// poll() one descriptor until `until`. Returns revents, 0 on timeout.
short wait_fd(int fd, short events, Clock::time_point until) {
    for (;;) {
        const auto left = until_now(until);
        pollfd p{fd, events, 0};
        const int rc = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count())));
        if (rc > 0) return p.revents;
        if (rc == 0 && left.count() <= 0) return 0;
        if (rc < 0 && errno != EINTR) throw Failure("poll failed: " + error_text(errno));
    }
}

void close_fd(int& fd) noexcept {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

// ---- addresses -------------------------------------------------------------------------------

struct Address {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family = AF_UNSPEC;
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// "::1" and "[::1]" are both accepted.
std::string bare_host(const std::string& host) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        return host.substr(1, host.size() - 2);
    }
    return host;
}

std::vector<Address> resolve(const std::string& host, std::uint16_t port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    if (const int rc = ::getaddrinfo(bare_host(host).c_str(), service.c_str(), &hints, &found)) {
        throw Failure(
            fmt::format("cannot find the address of \"{}\": {}", host, ::gai_strerror(rc)));
    }
    std::vector<Address> addresses;
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
        Address address;
        std::memcpy(&address.storage, a->ai_addr, a->ai_addrlen);
        address.length = a->ai_addrlen;
        address.family = a->ai_family;
        addresses.push_back(address);
    }
    ::freeaddrinfo(found);
    return addresses;
}

Endpoint endpoint_of(const sockaddr_storage& storage) {
    Endpoint e;
    char text[INET6_ADDRSTRLEN] = {};
    if (storage.ss_family == AF_INET6) {
        const auto& a = reinterpret_cast<const sockaddr_in6&>(storage);
        ::inet_ntop(AF_INET6, &a.sin6_addr, text, sizeof text);
        e.port = ntohs(a.sin6_port);
    } else {
        const auto& a = reinterpret_cast<const sockaddr_in&>(storage);
        ::inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
        e.port = ntohs(a.sin_port);
    }
    e.ip = text;
    return e;
}

Endpoint socket_name(int fd, bool peer) {
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    auto* a = reinterpret_cast<sockaddr*>(&storage);
    if ((peer ? ::getpeername(fd, a, &length) : ::getsockname(fd, a, &length)) != 0) {
        throw Failure(
            fmt::format("{} failed: {}", peer ? "getpeername" : "getsockname", error_text(errno)));
    }
    return endpoint_of(storage);
}

// A socket bound to host:wanted (0: the OS picks the port). Returns the descriptor; sets `where`.
int bind_any_port(const std::string& host, bool listening, std::uint16_t& port, std::string& where,
                  std::uint16_t wanted = 0) {
    const Address address = resolve(host, wanted).front();
    const int fd = ::socket(address.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) throw Failure("socket failed: " + error_text(errno));
    if (::bind(fd, address.get(), address.length) != 0 ||
        (listening && ::listen(fd, SOMAXCONN) != 0)) {
        const int error = errno;
        ::close(fd);
        throw Failure(fmt::format("the test could not {} on {} port {}: {}",
                                  listening ? "listen" : "bind a port", host, wanted,
                                  error_text(error)));
    }
    const Endpoint e = socket_name(fd, false);
    port = e.port;
    where = e.str();
    return fd;
}

// ---- transcript ------------------------------------------------------------------------------

// The first `head_size` steps and the last `tail_size` steps are kept; the middle is counted.
struct Transcript {
    static constexpr std::size_t head_size = 500;
    static constexpr std::size_t tail_size = 500;
    static constexpr std::size_t line_size = 2000;
    std::mutex mutex;
    std::vector<std::string> head;
    std::deque<std::string> tail;
    std::size_t left_out = 0;
    int clients = 0;
    int servers = 0;
    int udp = 0;
};

// Never destroyed: a drain thread may still log while static objects are being destroyed.
Transcript& the_transcript() {
    static auto* transcript = new Transcript;
    return *transcript;
}

std::string next_name(const char* role) {
    Transcript& t = the_transcript();
    std::scoped_lock lock(t.mutex);
    int& counter = std::string_view(role) == "client" ? t.clients : std::string_view(role) == "udp" ? t.udp : t.servers;
    return fmt::format("{}-{}", role, ++counter);
}

}  // namespace

// ---- deadlines -------------------------------------------------------------------------------

milliseconds scaled(milliseconds base) {
    double scale = 1.0;
    if (const char* text = std::getenv("WORKBOOK_TIME_SCALE"); text != nullptr && *text != '\0') {
        const std::string_view s(text);
        const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), scale);
        if (error != std::errc() || end != s.data() + s.size() || !std::isfinite(scale) ||
            scale <= 0) {
            throw Failure(fmt::format(
                "WORKBOOK_TIME_SCALE must be a positive number such as 2 or 0.5, not \"{}\"", s));
        }
    }
    return milliseconds(static_cast<milliseconds::rep>(std::ceil(base.count() * scale)));
}

milliseconds step_deadline() {
    return scaled(5s);
}

// ---- transcript ------------------------------------------------------------------------------

std::string escape(std::string_view bytes) {
    return escape_bytes(bytes, true);
}

std::string printable(std::string_view bytes) {
    return escape_bytes(bytes, false);
}

std::string shorten_runs(std::string_view text) {
    constexpr std::size_t longest = 16;
    constexpr std::size_t kept = 8;
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        std::size_t end = i + 1;
        while (end < text.size() && text[end] == text[i]) ++end;
        const std::size_t run = end - i;
        if (run > longest && text[i] != ' ') {
            out.append(kept, text[i]);
            out += fmt::format("[... {} more '{}' ...]", run - kept, text[i]);
        } else {
            out.append(text.substr(i, run));
        }
        i = end;
    }
    return out;
}

void log(std::string_view text) {
    const std::string line = shorten_runs(text);
    std::string step(line.substr(0, Transcript::line_size));
    if (line.size() > Transcript::line_size) {
        step += fmt::format("... ({} more characters)", line.size() - Transcript::line_size);
    }
    Transcript& t = the_transcript();
    std::scoped_lock lock(t.mutex);
    if (t.head.size() < Transcript::head_size) {
        t.head.push_back(std::move(step));
        return;
    }
    t.tail.push_back(std::move(step));
    if (t.tail.size() > Transcript::tail_size) {
        t.tail.pop_front();
        ++t.left_out;
    }
}

std::string transcript() {
    Transcript& t = the_transcript();
    std::scoped_lock lock(t.mutex);
    std::string out;
    for (const auto& line : t.head) out += line + '\n';
    if (t.left_out > 0) out += fmt::format("... ({} steps left out) ...\n", t.left_out);
    for (const auto& line : t.tail) out += line + '\n';
    return out;
}

void clear_transcript() {
    Transcript& t = the_transcript();
    std::scoped_lock lock(t.mutex);
    t.head.clear();
    t.tail.clear();
    t.left_out = 0;
    t.clients = 0;
    t.servers = 0;
}

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

namespace {

constexpr int out_stream = 0;
constexpr int err_stream = 1;
// Reads of 64 KiB that empty a full pipe (1 MiB at most unless fs.pipe-max-size was raised): what a
// program wrote before it ended, without reading for ever what a grandchild keeps writing.
constexpr int whole_pipe = 16;

}  // namespace

struct Program::State {
    // Fixed at start.
    std::string label;
    std::size_t cap = 0;
    pid_t pid = -1;
    int pidfd = -1;
    int out = -1;  // read ends of the child's stdout and stderr
    int err = -1;
    int in = -1;       // write end of the child's stdin, while stdin_data remains
    int input = -1;    // write end of the child's stdin, with interactive_stdin (test's thread only)
    int stop_fd = -1;  // eventfd: the teardown wakes the drain thread
    int sync_fd = -1;  // eventfd: wait_stopped() asks the drain thread to empty the pipes
    std::string stdin_data;
    std::vector<std::string> files;  // written for the program, removed by the teardown
    std::thread drain;
    bool reaped = false;  // used by the test's thread only
    std::size_t out_cursor = 0;  // stdout lines read in order (wait_for_next_line); test's thread only

    // Shared with the drain thread, under `mutex`.
    mutable std::mutex mutex;
    std::condition_variable changed;
    struct Stream {
        std::string kept;     // up to cap bytes
        std::string partial;  // the line being received
        std::vector<std::string> lines;
        bool dropped = false;  // more than cap bytes arrived
        bool closed = false;
        std::size_t folded = 0;  // library frames of a sanitizer report not logged yet
        std::size_t reports = 0;         // sanitizer reports begun on this stream
        bool hiding = false;             // inside a report past the first shown_reports
        std::size_t hidden_reports = 0;  // reports hidden and not yet counted in the log
    };
    // A program with a race in a loop can print fifty reports: the transcript shows the first ones
    // in full (describe() sums up the distinct ones) and counts the rest.
    static constexpr std::size_t shown_reports = 2;
    std::array<Stream, 2> streams;
    std::vector<std::pair<int, std::size_t>> order;  // (stream, line index), in arrival order
    std::optional<ExitStatus> exit;
    std::uint64_t syncs_asked = 0;  // sync_fd requests, and how many the drain thread answered
    std::uint64_t syncs_done = 0;

    // "Your program" / "Program 'peer'".
    std::string who() const {
        return label == "your_program" ? "Your program" : fmt::format("Program '{}'", label);
    }
    std::string prefix(int stream) const {
        return stream == out_stream ? fmt::format("[{}] ", label)
                                    : fmt::format("[{} stderr] ", label);
    }

    // Under `mutex`. Keeps what fits in the cap, splits it into lines, logs each line.
    void take(int which, std::string_view chunk) {
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

    void end_line(int which) {
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
        } else {
            fold(which);
            log(prefix(which) + printable(line));
        }
        s.lines.push_back(std::move(line));
        order.emplace_back(which, s.lines.size() - 1);
    }

    // Under `mutex`: logs how many frames were folded away, if any.
    void fold(int which) {
        Stream& s = streams[which];
        if (s.folded == 0) return;
        log(fmt::format("{}    ... ({} frame{} of the library, the runtime or the workbook)", prefix(which),
                        s.folded, s.folded == 1 ? "" : "s"));
        s.folded = 0;
    }

    // Under `mutex`: logs how many reports were hidden since the last line logged, if any.
    void count_hidden(int which) {
        Stream& s = streams[which];
        if (s.hidden_reports == 0) return;
        fold(which);
        log(fmt::format("{}... ({} more sanitizer report{} not shown here: the first {} are above)",
                        prefix(which), s.hidden_reports, s.hidden_reports == 1 ? "" : "s", shown_reports));
        s.hidden_reports = 0;
    }

    // Under `mutex`: the stream reached end of file (or will not be read any more).
    void close_stream(int which) {
        Stream& s = streams[which];
        if (s.closed) return;
        s.closed = true;
        if (!s.partial.empty()) end_line(which);
        fold(which);
        count_hidden(which);
        changed.notify_all();
    }

    // Under `mutex`.
    void record_exit(const ExitStatus& status) {
        if (exit) return;
        exit = status;
        log(fmt::format("{} {}", label, status.describe()));
        changed.notify_all();
    }

    std::string last_lines(std::size_t n) const {  // under `mutex`
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
    std::string quote_last_lines() const {
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
    bool wait_exit_until(Clock::time_point until) {
        std::unique_lock lock(mutex);
        return changed.wait_until(lock, until, [&] { return exit.has_value(); });
    }

    // "Your program exited with status 1 before X. Its last lines: ..."
    std::string exited_before(std::string_view what) {
        std::scoped_lock lock(mutex);
        return fmt::format("{} {} before {}. {}", who(), exit ? exit->describe() : "ended", what,
                           quote_last_lines());
    }

    // The drain thread.
    void run_drain() noexcept;
    void read_available(int which, int max_reads);
    void sync_pipes();
    void write_stdin();
    void teardown(milliseconds grace) noexcept;
};

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

// ---- the program's environment: extra variables, faults, hosts ------------------------------

// The preloaded libraries, found by CMake (tests/harness/CMakeLists.txt): "" if not installed.
#ifndef WORKBOOK_FAULTS_LIBRARY
#define WORKBOOK_FAULTS_LIBRARY ""
#endif
#ifndef WORKBOOK_FIU_RUN_PRELOAD
#define WORKBOOK_FIU_RUN_PRELOAD ""
#endif
#ifndef WORKBOOK_FIU_POSIX_PRELOAD
#define WORKBOOK_FIU_POSIX_PRELOAD ""
#endif
#ifndef WORKBOOK_NSS_WRAPPER
#define WORKBOOK_NSS_WRAPPER ""
#endif

struct Environment {
    std::vector<std::string> variables;  // "NAME=value", for execve
    std::vector<std::string> described;  // lines for the transcript
    std::vector<std::string> files;      // written for the program, removed when it is gone
};

// Sets NAME=value in `variables`, replacing any NAME already there.
void set_variable(std::vector<std::string>& variables, std::string_view assignment) {
    const std::string_view name = assignment.substr(0, assignment.find('=') + 1);  // "NAME="
    std::erase_if(variables, [&](const std::string& v) { return v.starts_with(name); });
    variables.emplace_back(assignment);
}

void remove_files(const std::vector<std::string>& files) noexcept {
    for (const std::string& file : files) ::unlink(file.c_str());
}

// A file of its own in $TMPDIR (else /tmp) holding `content`; removed with the program.
std::string temporary_file(Environment& e, std::string_view stem, std::string_view content) {
    const char* tmp = std::getenv("TMPDIR");
    std::string path = fmt::format("{}/workbook-{}-XXXXXX", tmp && *tmp ? tmp : "/tmp", stem);
    const int fd = ::mkstemp(path.data());
    if (fd < 0) throw Failure(fmt::format("could not create {}: {}", path, error_text(errno)));
    e.files.push_back(path);
    const bool written =
        ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
    ::close(fd);
    if (!written) throw Failure(fmt::format("could not write {}", path));
    return path;
}

std::string variable(const std::vector<std::string>& variables, std::string_view name) {
    for (const std::string& v : variables) {
        if (v.size() > name.size() && v.starts_with(name) && v[name.size()] == '=') {
            return v.substr(name.size() + 1);
        }
    }
    return "";
}

// `path` if it exists, else Failure saying how to get it.
std::string library(const char* path, std::string_view what, std::string_view fix) {
    if (*path == '\0' || !std::filesystem::exists(path)) {
        throw Failure(
            fmt::format("This test needs {}, which is missing{}: {}, then configure and "
                        "build the workbook again.",
                        what, *path == '\0' ? "" : fmt::format(" ({})", path), fix));
    }
    return path;
}

// The whole number in the environment variable `name` if set, else `seed`; and whether it was set.
std::pair<std::uint64_t, bool> seed_from(const char* name, std::uint64_t seed) {
    const char* text = std::getenv(name);
    if (text == nullptr || *text == '\0') return {seed, false};
    const std::string_view s(text);
    const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), seed);
    if (error != std::errc() || end != s.data() + s.size()) {
        throw Failure(fmt::format("{} must be a whole number such as 7, not \"{}\"", name, s));
    }
    return {seed, true};
}


// The variables that load the preloaded libraries and configure them; the faults' description.
void add_faults(const Faults& faults, std::vector<std::string>& preload, Environment& e) {
    const auto [seed, replayed] = seed_from("WORKBOOK_FAULT_SEED", faults.seed);
    std::vector<std::string> ours, what;
    const auto add = [&](bool on, const char* token, const char* text) {
        if (!on) return;
        ours.emplace_back(token);
        what.emplace_back(text);
    };
    add(faults.short_writes, "short_writes", "short writes");
    add(faults.short_reads, "short_reads", "short reads");
    add(faults.poison_reads, "poison_reads", "poisoned reads ('~' past the count)");
    add(faults.stop_before_listen, "stop_before_listen", "a stop (SIGSTOP) before listen()");
    if (!faults.failing.empty()) {
        std::string enable;
        for (const Faults::Failing& f : faults.failing) {
            const bool valid_name =
                !f.call.empty() && std::all_of(f.call.begin(), f.call.end(), [](char c) {
                    return std::islower(static_cast<unsigned char>(c)) || c == '_';
                });
            if (!valid_name || f.error <= 0 || !(f.probability > 0 && f.probability <= 1)) {
                throw std::invalid_argument(fmt::format(
                    "Faults::failing: call \"{}\" (a name such as \"send\"), error {} (an errno "
                    "value such as ECONNRESET), probability {} (in (0, 1])",
                    f.call, f.error, f.probability));
            }
            // A program may use any of the equivalent calls: they all fail. recvfrom(),
            // recvmsg(), sendto() and sendmsg() through libfiu; accept4(), and read() and write()
            // on the socket, through our library (libfiu does not reach them).
            std::vector<std::string> names{f.call};
            if (f.call == "recv") names.insert(names.end(), {"recvfrom", "recvmsg"});
            if (f.call == "send") names.insert(names.end(), {"sendto", "sendmsg"});
            for (const std::string& name : names) {
                enable +=
                    fmt::format("enable_random name=posix/io/net/{},probability={},failinfo={}\n",
                                name, f.probability, f.error);
            }
            const char* variant = f.call == "accept" ? "accept4"
                                  : f.call == "recv" ? "read"
                                  : f.call == "send" ? "write"
                                                     : nullptr;
            if (variant) ours.push_back(fmt::format("fail_{}={}:{}", variant, f.error, f.probability));
            const char* name = strerrorname_np(f.error);
            what.push_back(fmt::format("{}() fails with {} (probability {})", f.call,
                                       name ? name : std::to_string(f.error), f.probability));
        }
        const std::string_view fix =
            "install the Debian packages libfiu0 and fiu-utils (sudo apt-get install -y libfiu0 "
            "fiu-utils)";
        preload.push_back(library(WORKBOOK_FIU_RUN_PRELOAD, "libfiu's fiu_run_preload.so", fix));
        preload.push_back(
            library(WORKBOOK_FIU_POSIX_PRELOAD, "libfiu's fiu_posix_preload.so", fix));
        set_variable(e.variables, "FIU_ENABLE=" + enable);
        // libfiu reads its seed with atoi(): keep it within an int.
        set_variable(e.variables, fmt::format("FIU_PRNG_SEED={}", seed % 2147483648U));
    }
    if (!ours.empty()) {
        preload.push_back(library(WORKBOOK_FAULTS_LIBRARY, "the workbook's fault library",
                                  "build the target workbook_faults"));
        set_variable(e.variables,
                     fmt::format("WORKBOOK_FAULTS=seed={},{}", seed, fmt::join(ours, ",")));
    }
    if (!what.empty()) {
        e.described.push_back(
            fmt::format("faults: {} (seed {}{}; set WORKBOOK_FAULT_SEED to replay with another)",
                        fmt::join(what, ", "), seed, replayed ? ", from WORKBOOK_FAULT_SEED" : ""));
    }
}

// Options::hosts in a file of its own, read by libnss_wrapper.
void add_hosts(const std::string& hosts, std::vector<std::string>& preload, Environment& e) {
    preload.push_back(library(WORKBOOK_NSS_WRAPPER, "nss_wrapper (libnss_wrapper.so)",
                              "install the Debian package libnss-wrapper (sudo apt-get install -y "
                              "libnss-wrapper)"));
    set_variable(e.variables, "NSS_WRAPPER_HOSTS=" + temporary_file(e, "hosts", hosts));
    std::string lines;
    for (std::size_t start = 0; start < hosts.size();) {
        const std::size_t end = std::min(hosts.find('\n', start), hosts.size());
        if (end > start) lines += (lines.empty() ? "" : "; ") + hosts.substr(start, end - start);
        start = end + 1;
    }
    e.described.push_back(
        fmt::format("hosts: names listed here resolve from these lines, in this order: {}", lines));
}

// Adds `option` to a list of options such as ASAN_OPTIONS ("a=1:b=2"), keeping those there.
void add_option(std::vector<std::string>& variables, std::string_view name,
                std::string_view option) {
    const std::string before = variable(variables, name);
    set_variable(variables,
                 fmt::format("{}={}{}{}", name, before, before.empty() ? "" : ":", option));
}

// The sanitizer runtime this process runs with, AddressSanitizer's or ThreadSanitizer's ("" if
// none): the one a program of the same build needs.
std::string sanitizer_runtime() {
    std::string found;
    dl_iterate_phdr(
        [](dl_phdr_info* info, std::size_t, void* data) {
            const std::string_view name = info->dlpi_name != nullptr ? info->dlpi_name : "";
            if (name.find("/libasan.so") == std::string_view::npos &&
                name.find("/libtsan.so") == std::string_view::npos) {
                return 0;
            }
            *static_cast<std::string*>(data) = name;
            return 1;
        },
        &found);
    return found;
}

// True if the executable names the library `runtime` ("/usr/lib/.../libasan.so.8") among the
// libraries it needs.
bool links(const std::filesystem::path& program, const std::filesystem::path& runtime) {
    const std::string name = runtime.filename().string();
    std::ifstream in(program, std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    return bytes.find(name.substr(0, name.find(".so") + 3)) != std::string::npos;
}

// The test's environment with the options' changes.
Environment program_environment(const std::filesystem::path& program,
                                const Program::Options& options) {
    Environment e;
    for (char** v = environ; *v != nullptr; ++v) e.variables.emplace_back(*v);
    for (const std::string& assignment : options.env) {
        if (assignment.find('=') == std::string::npos || assignment.front() == '=') {
            throw std::invalid_argument(
                fmt::format("Program::Options::env: \"{}\" is not NAME=value", assignment));
        }
        set_variable(e.variables, assignment);
    }
    // For a program built with ThreadSanitizer (the thread lessons'): report every race rather than
    // stop at the first, exit 66 after a report, exit at once rather than a second later when
    // threads are still running, and show where both mutexes of a lock-order inversion were taken.
    // First, so that the test's own TSAN_OPTIONS win.
    {
        const std::string before = variable(e.variables, "TSAN_OPTIONS");
        set_variable(e.variables,
                     fmt::format("TSAN_OPTIONS=halt_on_error=0:exitcode=66:atexit_sleep_ms=0:"
                                 "second_deadlock_stack=1{}{}",
                                 before.empty() ? "" : ":", before));
    }
    std::vector<std::string> preload;
    try {
        if (options.faults) add_faults(*options.faults, preload, e);
        if (options.hosts) add_hosts(*options.hosts, preload, e);
        if (!preload.empty()) {
            if (const std::string before = variable(e.variables, "LD_PRELOAD"); !before.empty()) {
                preload.push_back(before);
            }
            // AddressSanitizer refuses to start when a library is loaded before its runtime.
            add_option(e.variables, "ASAN_OPTIONS", "verify_asan_link_order=0");
            const std::string runtime = sanitizer_runtime();
            if (!runtime.empty() && links(program, runtime)) {
                // A sanitized program gets its runtime first all the same, so that its malloc()
                // is the one every library sees: libfiu's preload wraps malloc() and crashes when
                // the runtime calls it before libfiu has initialised.
                preload.insert(preload.begin(), runtime);
                // Not the program's faults but the libraries': fiu_run_preload.so keeps its copy
                // of FIU_ENABLE (a leak), nss_wrapper unlocks mutexes that ThreadSanitizer did not
                // see it lock.
                // Quietly: a summary of the suppressions used would be a line on stderr.
                const bool asan = runtime.find("/libasan.so") != std::string::npos;
                if (asan && options.faults && !options.faults->failing.empty()) {
                    add_option(e.variables, "LSAN_OPTIONS",
                               "print_suppressions=0:suppressions=" +
                                   temporary_file(e, "lsan", "leak:fiu_run_preload.so\n"));
                } else if (!asan && options.hosts) {
                    add_option(
                        e.variables, "TSAN_OPTIONS",
                        "print_suppressions=0:suppressions=" +
                            temporary_file(e, "tsan",
                                           "mutex:libnss_wrapper.so\nmutex:_dl_call_fini\n"));
                }
            }
            set_variable(e.variables, fmt::format("LD_PRELOAD={}", fmt::join(preload, " ")));
        }
    } catch (...) {
        remove_files(e.files);
        throw;
    }
    return e;
}

// Child side of fork(): only async-signal-safe calls from here to exec.
[[noreturn]] void exec_child(pid_t parent, int in, int out, int err, int report, char** argv,
                             char** envp) {
    const auto fail = [report] {
        const int error = errno;
        [[maybe_unused]] const ssize_t n = ::write(report, &error, sizeof error);
        ::_exit(127);
    };
    if (::setpgid(0, 0) != 0) fail();
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail();
    // The parent may have died before PR_SET_PDEATHSIG took effect: then nobody waits for us.
    if (::getppid() != parent) ::_exit(127);
    if (::dup2(in, STDIN_FILENO) < 0 || ::dup2(out, STDOUT_FILENO) < 0 ||
        ::dup2(err, STDERR_FILENO) < 0) {
        fail();
    }
    // Start from default signal handling: an ignored SIGPIPE (say) would survive exec and hide
    // the very bug a test looks for. Handlers are reset by exec anyway; ignored signals are not.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int signal = 1; signal < NSIG; ++signal) {
        struct sigaction current {};
        if (::sigaction(signal, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) {
            struct sigaction fallback {};
            fallback.sa_handler = SIG_DFL;
            ::sigaction(signal, &fallback, nullptr);
        }
    }
    // Every descriptor but 0, 1, 2 closes at exec (including `report`, which tells the parent
    // that exec succeeded).
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        rlimit limit{};
        const int last = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 65536
                             ? static_cast<int>(limit.rlim_cur)
                             : 65536;
        for (int fd = 3; fd < last; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    // Without address-space randomisation: ThreadSanitizer (GCC 12's) dies at start with
    // "unexpected memory mapping" on kernels that randomise more bits than it expects (6.6 and
    // later with vm.mmap_rnd_bits=32), and addresses the same from run to run help replay a
    // failure. Where personality() is refused (some container profiles), the program runs as it is.
    ::personality(static_cast<unsigned long>(PER_LINUX) | ADDR_NO_RANDOMIZE);
    ::execve(argv[0], argv, envp);
    fail();
    ::_exit(127);  // not reached
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
    const std::string command = shell_words(path, args);

    // Everything the child needs is prepared before fork(): after it, no allocation.
    std::vector<std::string> words{path.string()};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    const Environment environment = program_environment(path, options);
    std::vector<std::string> env_words = environment.variables;
    std::vector<char*> envp;
    for (auto& w : env_words) envp.push_back(w.data());
    envp.push_back(nullptr);
    s.files = environment.files;

    // Descriptors that are only the child's: closed in the parent once it has forked.
    int child_in = -1, child_out = -1, child_err = -1, report_read = -1, report_write = -1;
    const auto cleanup = [&] {
        for (int* fd : {&child_in, &child_out, &child_err, &report_read, &report_write, &s.out,
                        &s.err, &s.in, &s.input, &s.stop_fd, &s.sync_fd, &s.pidfd}) {
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
    check(::pipe2(fds, O_CLOEXEC) == 0, "pipe2");
    report_read = fds[0], report_write = fds[1];
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

    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    check(pid >= 0, "fork");
    if (pid == 0) {
        exec_child(parent, child_in, child_out, child_err, report_write, argv.data(), envp.data());
    }

    s.pid = pid;
    ::setpgid(pid, pid);  // as the child does: the group exists before either goes on
    register_group(pid);
    for (int* fd : {&child_in, &child_out, &child_err, &report_write}) close_fd(*fd);
    int exec_error = 0;
    ssize_t got;
    do {
        got = ::read(report_read, &exec_error, sizeof exec_error);
    } while (got < 0 && errno == EINTR);
    close_fd(report_read);
    if (got > 0) {
        int status;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        unregister_group(pid);
        cleanup();
        throw Failure(fmt::format("could not start {}: {}", path.string(), error_text(exec_error)));
    }

    // The child is not reaped before the teardown, so the pidfd refers to it for sure.
    s.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (s.pidfd < 0) {
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
        throw Failure(fmt::format("{}: write_input needs Options::interactive_stdin, and an input "
                                  "not closed yet", s.label));
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
            const auto left = std::chrono::duration_cast<milliseconds>(end - std::chrono::steady_clock::now());
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
                                  error == ETIMEDOUT ? "it stayed full" : error_text(error), last_lines()));
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

// ---- connections -----------------------------------------------------------------------------

std::string Endpoint::str() const {
    return ip.find(':') != std::string::npos ? fmt::format("[{}]:{}", ip, port)
                                             : fmt::format("{}:{}", ip, port);
}

namespace {

bool worth_retrying(int error) {
    return error == ECONNREFUSED || error == ECONNRESET || error == EAGAIN || error == EINTR ||
           error == ETIMEDOUT;
}

// One attempt: a non-blocking connect that waits for the handshake until `until`. Returns the
// descriptor, or -1 with the error in `error`.
// A client socket bound to a port whose two bytes differ. A server that prints the port accept()
// gave it without ntohs() then always shows another number: with the port the kernel picks at
// connect(), one time in 256 (0x9c9c, 0xa1a1...) the wrong program printed the right one.
int asymmetric_client_socket(int family, int& error) {
    for (int attempt = 0; attempt < 64; ++attempt) {
        const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
            error = errno;
            return -1;
        }
        sockaddr_storage any{};
        socklen_t length = 0;
        if (family == AF_INET6) {
            auto& a = reinterpret_cast<sockaddr_in6&>(any);
            a.sin6_family = AF_INET6;
            a.sin6_addr = in6addr_any;
            length = sizeof a;
        } else {
            auto& a = reinterpret_cast<sockaddr_in&>(any);
            a.sin_family = AF_INET;
            a.sin_addr.s_addr = htonl(INADDR_ANY);
            length = sizeof a;
        }
        if (::bind(fd, reinterpret_cast<const sockaddr*>(&any), length) != 0) {
            error = errno;
            ::close(fd);
            return -1;
        }
        const std::uint16_t port = socket_name(fd, false).port;
        if ((port >> 8) != (port & 0xff)) return fd;
        ::close(fd);
    }
    error = EADDRINUSE;
    return -1;
}

int try_connect(const Address& address, Clock::time_point until, int& error) {
    const int fd = asymmetric_client_socket(address.family, error);
    if (fd < 0) return -1;
    if (::connect(fd, address.get(), address.length) == 0) return fd;
    error = errno;
    if (error == EINPROGRESS) {
        // Loopback usually completes at once; a full accept backlog makes the SYN wait.
        if (wait_fd(fd, POLLOUT, until) == 0) {
            error = ETIMEDOUT;
        } else {
            socklen_t length = sizeof error;
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
            if (error == 0) return fd;
        }
    }
    ::close(fd);
    return -1;
}

// "127.0.0.1:41234", "[::1]:41234", "localhost:41234".
std::string target_text(const std::string& host, std::uint16_t port) {
    return bare_host(host).find(':') != std::string::npos
               ? fmt::format("[{}]:{}", bare_host(host), port)
               : fmt::format("{}:{}", host, port);
}

// One attempt per address, in order, until one connects (its descriptor, logged as `name`'s) or
// fails with an error not worth retrying. -1 with the last error in `error` if none connected.
int connect_any(const std::vector<Address>& addresses, const std::string& name,
                Clock::time_point until, int& error) {
    for (const Address& address : addresses) {
        const int fd = try_connect(address, until, error);
        if (fd >= 0) {
            log(fmt::format("{}: connected to {} from {}", name, endpoint_of(address.storage).str(),
                            socket_name(fd, false).str()));
            return fd;
        }
        if (!worth_retrying(error)) break;
    }
    return -1;
}

}  // namespace

Connection Connection::connect_once(const std::string& host, std::uint16_t port,
                                    milliseconds deadline) {
    const std::string name = next_name("client");
    const std::string target = target_text(host, port);
    int error = 0;
    if (const int fd = connect_any(resolve(host, port), name, Clock::now() + deadline, error);
        fd >= 0) {
        return Connection(fd, name);
    }
    log(fmt::format("{}: could not connect to {}: {}", name, target, error_text(error)));
    throw Failure(fmt::format(
        "{}: could not connect to {}: {}{} (the test tried once, without retrying)", name, target,
        error_text(error), error == ECONNREFUSED ? " — nothing is listening there" : ""));
}

Connection Connection::connect(const std::string& host, std::uint16_t port, Program* watch,
                               milliseconds deadline) {
    const std::string name = next_name("client");
    const auto until = Clock::now() + deadline;
    const std::string target = target_text(host, port);
    const std::vector<Address> addresses = resolve(host, port);
    int error = 0;
    for (;;) {
        if (const int fd = connect_any(addresses, name, until, error); fd >= 0) {
            return Connection(fd, name);
        }
        if (!worth_retrying(error)) {
            log(fmt::format("{}: could not connect to {}: {}", name, target, error_text(error)));
            throw Failure(
                fmt::format("{}: could not connect to {}: {}", name, target, error_text(error)));
        }
        // Wait a little before the next try: on the program, so that its end wakes us at once.
        const auto next_try = std::min(until, Clock::now() + 50ms);
        const bool ended = watch != nullptr ? watch->state_->wait_exit_until(next_try) : false;
        if (watch == nullptr) {
            ::poll(nullptr, 0,
                   static_cast<int>(std::max<long long>(0, until_now(next_try).count())));
        }
        if (ended) {
            log(fmt::format("{}: could not connect to {}: {}", name, target, error_text(error)));
            throw Failure(fmt::format("{}: could not connect to {}: {}", name, target,
                                      watch->state_->exited_before("accepting the connection")));
        }
        if (Clock::now() >= until) break;
    }
    log(fmt::format("{}: could not connect to {} within {}: {}", name, target,
                    duration_text(deadline), error_text(error)));
    std::string cause;
    if (error == ETIMEDOUT) {
        cause =
            "The connection was never accepted: the listen backlog may be full — does the "
            "server still call accept()?";
    } else if (watch != nullptr) {
        cause = fmt::format(
            "{} is running but nothing accepts connections on {} — did it call listen()? Did it "
            "bind the port it printed?",
            watch->state_->who(), target);
    } else {
        cause = fmt::format("Nothing accepts connections on {}.", target);
    }
    throw Failure(fmt::format("{}: could not connect to {} within {} (last error: {}). {}", name,
                              target, duration_text(deadline), error_text(error), cause));
}

Connection::Connection(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}

Connection::Connection(Connection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      name_(std::move(other.name_)),
      received_(std::move(other.received_)),
      cursor_(other.cursor_),
      eof_(other.eof_) {}

Connection& Connection::operator=(Connection&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
        name_ = std::move(other.name_);
        received_ = std::move(other.received_);
        cursor_ = other.cursor_;
        eof_ = other.eof_;
    }
    return *this;
}

Connection::~Connection() {
    if (fd_ >= 0) ::close(fd_);
}

int Connection::open_fd(std::string_view doing) const {
    if (fd_ < 0) {
        throw Failure(
            fmt::format("{}: the test tried to {} after closing the connection", name_, doing));
    }
    return fd_;
}

Endpoint Connection::local() const {
    return socket_name(open_fd("read its address"), false);
}

Endpoint Connection::peer() const {
    return socket_name(open_fd("read its address"), true);
}

// Logged before the bytes go out, so the transcript shows the program's reaction after them.
void Connection::send_all(std::string_view bytes) {
    const int fd = open_fd("send");
    std::size_t sent = 0;
    auto until = Clock::now() + step_deadline();
    const auto fail = [&](const std::string& cause) {
        log(fmt::format("{}: could not send the last {} of those {} bytes", name_,
                        bytes.size() - sent, bytes.size()));
        throw Failure(fmt::format("{}: could not send (sent {} of {} bytes): {}", name_, sent,
                                  bytes.size(), cause));
    };
    while (sent < bytes.size()) {
        const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
            until = Clock::now() + step_deadline();
        } else if (errno == EAGAIN || errno == EINTR) {
            if (errno == EAGAIN && wait_fd(fd, POLLOUT, until) == 0) {
                fail(
                    fmt::format("your program read nothing for {}, so the connection's buffers "
                                "are full — is it still reading from this connection?",
                                duration_text(step_deadline())));
            }
        } else if (errno == ECONNRESET) {
            fail(
                "your program reset the connection: it closed the socket while unread data was "
                "waiting, or it crashed");
        } else if (errno == EPIPE) {
            fail(
                "the connection is closed (broken pipe) — did your program close the socket "
                "too early?");
        } else {
            fail(error_text(errno));
        }
    }
}

void Connection::send(std::string_view bytes) {
    open_fd("send");
    log(fmt::format("{}: Sent bytes: {}", name_, quoted(bytes)));
    send_all(bytes);
}

void Connection::send_bytewise(std::string_view bytes) {
    const int one = 1;
    ::setsockopt(open_fd("send"), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    log(fmt::format("{}: Sent bytes one at a time (one send() each, TCP_NODELAY): {}", name_,
                    quoted(bytes)));
    for (std::size_t i = 0; i < bytes.size(); ++i) send_all(bytes.substr(i, 1));
}

void Connection::send_split(std::string_view bytes, const std::vector<std::size_t>& offsets) {
    std::size_t from = 0;
    for (std::size_t cut : offsets) {
        if (cut <= from || cut >= bytes.size()) {
            throw std::invalid_argument(
                fmt::format("send_split: offset {} does not cut {} bytes after offset {}", cut,
                            bytes.size(), from));
        }
        from = cut;
    }
    const int one = 1;
    ::setsockopt(open_fd("send"), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    from = 0;
    for (std::size_t i = 0; i <= offsets.size(); ++i) {
        const std::size_t to = i < offsets.size() ? offsets[i] : bytes.size();
        const std::string_view piece = bytes.substr(from, to - from);
        log(fmt::format("{}: Sent bytes (piece {} of {}): {}", name_, i + 1, offsets.size() + 1,
                        quoted(piece)));
        send_all(piece);
        from = to;
    }
}

void Connection::shutdown_write() {
    if (::shutdown(open_fd("half-close"), SHUT_WR) != 0) {
        throw Failure(fmt::format("{}: shutdown(SHUT_WR) failed: {}", name_, error_text(errno)));
    }
    log(fmt::format("{}: half-closed (shutdown SHUT_WR)", name_));
}

void Connection::abort() {
    const linger reset{1, 0};
    ::setsockopt(open_fd("abort"), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    ::close(std::exchange(fd_, -1));
    log(fmt::format("{}: aborted with RST", name_));
}

void Connection::close() {
    ::close(open_fd("close"));
    fd_ = -1;
    log(fmt::format("{}: closed the connection", name_));
}

namespace {

enum class Got { data, eof, reset, timeout };

// One recv() after waiting until `until`. Appends to `into`.
Got receive_some(int fd, std::string& into, Clock::time_point until, int& error) {
    for (;;) {
        if (wait_fd(fd, POLLIN, until) == 0) return Got::timeout;
        char buffer[65536];
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            into.append(buffer, static_cast<std::size_t>(n));
            return Got::data;
        }
        if (n == 0) return Got::eof;
        if (errno == EAGAIN || errno == EINTR) continue;
        error = errno;
        return Got::reset;  // ECONNRESET, or another error reported the same way
    }
}

std::string so_far(std::string_view bytes) {
    return bytes.empty() ? "nothing" : quoted(bytes);
}

}  // namespace

std::string Connection::receive_exactly(std::size_t n, std::string_view what, milliseconds deadline) {
    receive_until([&](std::string_view all) { return all.size() - cursor_ >= n; }, what, deadline);
    std::string bytes = received_.substr(cursor_, n);
    cursor_ += n;
    return bytes;
}

std::string Connection::receive_through(std::string_view delimiter, std::string_view what,
                                        milliseconds deadline) {
    receive_until([&](std::string_view all) { return all.find(delimiter, cursor_) != std::string_view::npos; },
                  what, deadline);
    const std::size_t end = received_.find(delimiter, cursor_) + delimiter.size();
    std::string bytes = received_.substr(cursor_, end - cursor_);
    cursor_ = end;
    return bytes;
}

std::string Connection::receive_line(std::string_view what, milliseconds deadline) {
    std::string line = receive_through("\n", what, deadline);
    line.pop_back();
    return line;
}

std::string Connection::receive_until(const std::function<bool(std::string_view)>& done,
                                      std::string_view what, milliseconds deadline) {
    const int fd = open_fd("receive");
    if (done(received_)) return received_;
    const auto until = Clock::now() + deadline;
    const std::size_t start = received_.size();
    const auto log_new = [&] {
        if (received_.size() > start) {
            log(fmt::format("{}: Received bytes: {}", name_,
                            quoted(std::string_view(received_).substr(start))));
        }
    };
    const auto fresh = [&] { return so_far(std::string_view(received_).substr(start)); };
    if (eof_) {
        throw Failure(
            fmt::format("{}: your program had already closed the connection, so {} "
                        "cannot arrive.",
                        name_, what));
    }
    for (;;) {
        int error = 0;
        switch (receive_some(fd, received_, until, error)) {
            case Got::data:
                if (done(received_)) {
                    log_new();
                    return received_;
                }
                break;
            case Got::eof:
                eof_ = true;
                log_new();
                log(fmt::format("{}: received end of file", name_));
                throw Failure(fmt::format(
                    "{}: your program closed the connection before sending {} — did it close the "
                    "socket too early? Received before the end of file: {}",
                    name_, what, fresh()));
            case Got::reset:
                log_new();
                log(fmt::format("{}: connection reset by peer", name_));
                throw Failure(fmt::format(
                    "{}: your program reset the connection before sending {}: it closed the "
                    "socket while unread data was waiting, or it crashed ({}). Received before "
                    "the reset: {}",
                    name_, what, error_text(error), fresh()));
            case Got::timeout:
                log_new();
                throw Failure(
                    fmt::format("{}: waiting for {}: nothing more arrived within {}; "
                                "received so far: {}",
                                name_, what, duration_text(deadline), fresh()));
        }
    }
}

std::string Connection::receive_all(milliseconds deadline) {
    const int fd = open_fd("receive");
    const auto until = Clock::now() + deadline;
    const std::size_t start = received_.size();
    const auto log_new = [&] {
        if (received_.size() > start) {
            log(fmt::format("{}: Received bytes: {}", name_,
                            quoted(std::string_view(received_).substr(start))));
        }
    };
    while (!eof_) {
        int error = 0;
        switch (receive_some(fd, received_, until, error)) {
            case Got::data:
                break;
            case Got::eof:
                eof_ = true;
                log_new();
                log(fmt::format("{}: received end of file", name_));
                break;
            case Got::reset:
                log_new();
                log(fmt::format("{}: connection reset by peer", name_));
                throw Failure(fmt::format(
                    "{}: your program reset the connection instead of closing it: it closed the "
                    "socket while unread data was waiting, or it crashed ({}). Received before "
                    "the reset: {}",
                    name_, error_text(error), so_far(std::string_view(received_).substr(start))));
            case Got::timeout:
                log_new();
                throw Failure(
                    fmt::format("{}: expected your program to close the connection "
                                "within {}, but it is still open; received so far: {}",
                                name_, duration_text(deadline),
                                so_far(std::string_view(received_).substr(start))));
        }
    }
    return received_;
}

void Connection::expect_eof(milliseconds deadline) {
    const int fd = open_fd("receive");
    if (eof_) return;
    const std::size_t start = received_.size();
    int error = 0;
    switch (receive_some(fd, received_, Clock::now() + deadline, error)) {
        case Got::data: {
            const std::string_view extra = std::string_view(received_).substr(start);
            log(fmt::format("{}: Received bytes: {}", name_, quoted(extra)));
            throw Failure(fmt::format("{}: expected the connection to be closed, but received {}",
                                      name_, quoted(extra)));
        }
        case Got::eof:
            eof_ = true;
            log(fmt::format("{}: received end of file", name_));
            return;
        case Got::reset:
            log(fmt::format("{}: connection reset by peer", name_));
            throw Failure(fmt::format(
                "{}: expected your program to close the connection, but it reset it ({}): it "
                "closed the socket while unread data was waiting, or it crashed",
                name_, error_text(error)));
        case Got::timeout:
            throw Failure(
                fmt::format("{}: expected your program to close the connection within "
                            "{}, but it is still open",
                            name_, duration_text(deadline)));
    }
}

void Connection::expect_silence(milliseconds quiet) {
    const int fd = open_fd("receive");
    if (eof_) {
        throw Failure(
            fmt::format("{}: expected the connection to stay open and quiet, but your "
                        "program had already closed it",
                        name_));
    }
    const std::size_t start = received_.size();
    int error = 0;
    switch (receive_some(fd, received_, Clock::now() + quiet, error)) {
        case Got::data: {
            const std::string_view extra = std::string_view(received_).substr(start);
            log(fmt::format("{}: Received bytes: {}", name_, quoted(extra)));
            throw Failure(fmt::format("{}: expected nothing for {}, but received {}", name_,
                                      duration_text(quiet), quoted(extra)));
        }
        case Got::eof:
            eof_ = true;
            log(fmt::format("{}: received end of file", name_));
            throw Failure(
                fmt::format("{}: expected the connection to stay open with nothing "
                            "arriving for {}, but your program closed it",
                            name_, duration_text(quiet)));
        case Got::reset:
            log(fmt::format("{}: connection reset by peer", name_));
            throw Failure(
                fmt::format("{}: expected the connection to stay open with nothing "
                            "arriving for {}, but your program reset it ({})",
                            name_, duration_text(quiet), error_text(error)));
        case Got::timeout:
            log(fmt::format("{}: nothing arrived for {}, as expected", name_,
                            duration_text(quiet)));
            return;
    }
}

// ---- listening -------------------------------------------------------------------------------

Listener::Listener(const std::string& host) {
    fd_ = bind_any_port(host, true, port_, where_);
    log(fmt::format("test: listening on {}", where_));
}

Listener::~Listener() {
    if (fd_ >= 0) ::close(fd_);
}

Connection Listener::accept(Program* watch, milliseconds deadline) {
    const auto until = Clock::now() + deadline;
    const auto take = [&]() -> std::optional<Connection> {
        sockaddr_storage from{};
        socklen_t length = sizeof from;
        const int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&from), &length,
                                 SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) return std::nullopt;  // EAGAIN, or a connection aborted before we got it
        Connection c(fd, next_name("server"));
        log(fmt::format("{}: accepted a connection from {} on {}", c.name(),
                        endpoint_of(from).str(), where_));
        return c;
    };
    for (;;) {
        std::array<pollfd, 2> fds{pollfd{fd_, POLLIN, 0},
                                  pollfd{watch ? watch->state_->pidfd : -1, POLLIN, 0}};
        const auto left = until_now(until);
        const int rc =
            ::poll(fds.data(), 2, static_cast<int>(std::max<long long>(0, left.count())));
        if (rc < 0 && errno != EINTR) throw Failure("poll failed: " + error_text(errno));
        if (rc > 0 && fds[0].revents != 0) {
            if (auto c = take()) return std::move(*c);
        }
        if (rc > 0 && fds[1].revents != 0) {
            // It ended; a connection it made just before may still be waiting.
            if (auto c = take()) return std::move(*c);
            watch->state_->wait_exit_until(until);
            log(fmt::format("test: no connection arrived on {}", where_));
            throw Failure(fmt::format("test: no connection arrived on {}: {}", where_,
                                      watch->state_->exited_before("connecting to it")));
        }
        if (rc == 0 && left.count() <= 0) {
            log(fmt::format("test: no connection arrived on {} within {}", where_,
                            duration_text(deadline)));
            std::string running;
            if (watch != nullptr) {
                std::scoped_lock lock(watch->state_->mutex);
                running = fmt::format(" {} is still running. {}", watch->state_->who(),
                                      watch->state_->quote_last_lines());
            }
            throw Failure(
                fmt::format("test: no connection arrived on {} within {} — did your "
                            "program connect to the host and port it was given?{}",
                            where_, duration_text(deadline), running));
        }
    }
}

ClosedPort::ClosedPort(const std::string& host) : ClosedPort(host, 0) {}

ClosedPort::ClosedPort(const std::string& host, std::uint16_t port) {
    std::string where;
    fd_ = bind_any_port(host, false, port_, where, port);
    log(fmt::format("test: {} is bound but not listening, so connections to it are refused",
                    where));
}

ClosedPort::~ClosedPort() {
    if (fd_ >= 0) ::close(fd_);
}

// ---- UDP ---------------------------------------------------------------------------------------

UdpSocket::UdpSocket(const std::string& host) : name_(next_name("udp")) {
    const Address address = resolve(host, 0).front();
    fd_ = ::socket(address.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw Failure(fmt::format("{}: socket(SOCK_DGRAM) failed: {}", name_, error_text(errno)));
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0) {
        const int error = errno;
        close_fd(fd_);
        throw Failure(fmt::format("{}: could not bind a UDP socket on {}: {}", name_, host, error_text(error)));
    }
    host_ = host;
    port_ = socket_name(fd_, false).port;
    log(fmt::format("{}: a UDP socket of the test's own on {}", name_, socket_name(fd_, false).str()));
}

UdpSocket::~UdpSocket() {
    close_fd(fd_);
}

void UdpSocket::send_to(std::uint16_t port, std::string_view bytes) {
    const Address address = resolve(host_, port).front();
    const ssize_t sent = ::sendto(fd_, bytes.data(), bytes.size(), 0,
                                  reinterpret_cast<const sockaddr*>(&address.storage), address.length);
    if (sent < 0) throw Failure(fmt::format("{}: sendto port {} failed: {}", name_, port, error_text(errno)));
    if (static_cast<std::size_t>(sent) != bytes.size())
        throw Failure(fmt::format("{}: sendto sent {} of {} bytes", name_, sent, bytes.size()));
    log(fmt::format("{}: sent a datagram of {} bytes to port {}: {}", name_, bytes.size(), port, quoted(bytes)));
}

UdpSocket::Datagram UdpSocket::receive(std::string_view what, milliseconds deadline) {
    const auto until = Clock::now() + deadline;
    for (;;) {
        if (wait_fd(fd_, POLLIN, until) == 0)
            throw Failure(fmt::format("{}: no datagram arrived within {}: expected {}", name_,
                                      duration_text(deadline), what));
        std::string buffer(65536, '\0');
        sockaddr_storage from{};
        socklen_t length = sizeof from;
        const ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT,
                                     reinterpret_cast<sockaddr*>(&from), &length);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n < 0) {
            // On loopback an ICMP "port unreachable" for an earlier datagram comes back here.
            throw Failure(fmt::format("{}: recvfrom failed while waiting for {}: {}{}", name_, what, error_text(errno),
                                      errno == ECONNREFUSED ? " (nothing listens on the port a datagram was sent to)"
                                                            : ""));
        }
        buffer.resize(static_cast<std::size_t>(n));
        Datagram d{std::move(buffer), endpoint_of(from)};
        log(fmt::format("{}: received a datagram of {} bytes from {}: {}", name_, d.bytes.size(), d.from.str(),
                        quoted(std::string_view(d.bytes))));
        return d;
    }
}

void UdpSocket::expect_silence(milliseconds quiet) {
    if (wait_fd(fd_, POLLIN, Clock::now() + quiet) == 0) return;
    const Datagram d = receive("nothing", 0ms);
    throw Failure(fmt::format("{}: expected no datagram for {}, but received {}", name_, duration_text(quiet),
                              quoted(std::string_view(d.bytes))));
}

// ---- random values ------------------------------------------------------------------------------

Random::Random(std::string_view purpose) {
    std::uint64_t hash = 0xcbf29ce484222325ull;  // FNV-1a of the purpose: fixed for a given test
    for (const unsigned char c : purpose) hash = (hash ^ c) * 0x100000001b3ull;
    const auto [extra, given] = seed_from("WORKBOOK_SEED", 0);
    seed_ = hash ^ extra;
    state_ = seed_;
    log(fmt::format("random values for {}: seed {} ({})", purpose, seed_,
                    given ? fmt::format("WORKBOOK_SEED={} replays them", extra)
                          : "the same on every run; set WORKBOOK_SEED to draw others"));
}

std::uint64_t Random::next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

std::uint64_t Random::number(std::uint64_t low, std::uint64_t high) {
    if (high < low) throw std::invalid_argument("Random::number: high < low");
    const std::uint64_t span = high - low + 1;  // 0 when the range is every value
    return span == 0 ? next() : low + next() % span;
}

std::string Random::bytes(std::size_t n) {
    std::string out(n, '\0');
    for (char& c : out) c = static_cast<char>(next() & 0xff);
    return out;
}

std::string Random::text(std::size_t n) {
    std::string out(n, ' ');
    for (char& c : out) c = static_cast<char>(' ' + number(0, '~' - ' '));
    return out;
}

bool port_can_be_bound(const std::string& host, std::uint16_t port) {
    try {
        const Address address = resolve(host, port).front();
        const int fd = ::socket(address.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return false;
        const int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        const bool ok = ::bind(fd, address.get(), address.length) == 0 && ::listen(fd, 1) == 0;
        ::close(fd);
        return ok;
    } catch (const Failure&) {
        return false;
    }
}

}  // namespace probe
