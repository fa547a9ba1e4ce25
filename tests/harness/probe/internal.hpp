// What the probe harness's layers share among themselves (probe/*.cpp): not for tests, which
// include probe.hpp and nothing of this. Each helper is defined in the layer named above it.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <array>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "probe.hpp"

namespace probe {
namespace detail {

// ---- common.cpp ------------------------------------------------------------------------------

// "Connection refused": the English text of an errno value (strerrordesc_np is thread-safe and
// ignores the locale, unlike strerror).
std::string error_text(int error);
// "5 s", "1.5 s", "200 ms".
std::string duration_text(milliseconds d);
// Bytes for a message or the transcript: quoted and escaped, cut if long.
std::string quoted(std::string_view bytes);
// The time left until `t` (negative once it has passed), rounded up to whole milliseconds.
milliseconds until_now(Clock::time_point t);
// poll() one descriptor until `until`. Returns revents, 0 on timeout.
short wait_fd(int fd, short events, Clock::time_point until);
void close_fd(int& fd) noexcept;
// The whole number in the environment variable `name` if set, else `seed`; and whether it was set.
std::pair<std::uint64_t, bool> seed_from(const char* name, std::uint64_t seed);

// ---- transcript.cpp --------------------------------------------------------------------------

// The next name for a socket of the test's: "client-N", "server-N" or "udp-N" for `role` "client",
// "server" or "udp", numbered from 1 in each test case.
std::string next_name(const char* role);

// ---- tcp.cpp: addresses ----------------------------------------------------------------------

struct Address {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family = AF_UNSPEC;
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// "::1" and "[::1]" are both accepted.
std::string bare_host(const std::string& host);
// Every address of `host` (a literal or a name) for a stream socket on `port`, in the resolver's
// order. Throws Failure if the name does not resolve.
std::vector<Address> resolve(const std::string& host, std::uint16_t port);
Endpoint endpoint_of(const sockaddr_storage& storage);
// The socket's own address, or its peer's. Throws Failure if it has none.
Endpoint socket_name(int fd, bool peer);

// ---- environment.cpp -------------------------------------------------------------------------

struct Environment {
    std::vector<std::string> variables;  // "NAME=value", for execve
    std::vector<std::string> described;  // lines for the transcript
    std::vector<std::string> files;      // written for the program, removed when it is gone
};

// The test's environment with the options' changes. Throws Failure if a library it needs is
// missing, std::invalid_argument for options that make no sense.
Environment program_environment(const std::filesystem::path& program,
                                const Program::Options& options);
void remove_files(const std::vector<std::string>& files) noexcept;

// ---- frames.cpp: what every protocol helper reads with ------------------------------------

// Exactly `n` bytes (Connection::receive_exactly) of `part` ("the frame's payload"), within what is
// left until `until`. When only some of them arrived before the connection ended or the deadline
// passed, the Failure starts with how many and which, then gives the reader's own cause; the
// transcript says so too.
std::string receive_part(Connection& connection, std::size_t n, std::string_view part,
                         Clock::time_point until);
// A reader's Failure without the connection's name it starts with ("client-1: "), for a message
// that starts with the name and goes on with the reader's own sentence.
std::string_view without_name(const Failure& failure, const Connection& connection);

// ---- process.cpp -----------------------------------------------------------------------------

constexpr int out_stream = 0;
constexpr int err_stream = 1;

}  // namespace detail

// A Program's state, shared by the test's thread and its drain thread (process.cpp); Connection
// and Listener (tcp.cpp) wait on it too, so that a program's end stops their waits at once.
struct Program::State {
    // Fixed at start.
    std::string label;
    std::size_t cap = 0;
    std::size_t logged_lines = 0;  // Options::logged_lines: stdout lines copied to the transcript
    pid_t pid = -1;
    int pidfd = -1;
    int out = -1;  // read ends of the child's stdout and stderr
    int err = -1;
    int in = -1;     // write end of the child's stdin, while stdin_data remains
    int input = -1;  // write end of the child's stdin, with interactive_stdin (test's thread only)
    int stop_fd = -1;  // eventfd: the teardown wakes the drain thread
    int sync_fd = -1;  // eventfd: wait_stopped() asks the drain thread to empty the pipes
    std::string stdin_data;
    std::vector<std::string> files;  // written for the program, removed by the teardown
    std::thread drain;
    bool reaped = false;  // used by the test's thread only
    std::size_t out_cursor =
        0;  // stdout lines read in order (wait_for_next_line); test's thread only

    // Shared with the drain thread, under `mutex`.
    mutable std::mutex mutex;
    std::condition_variable changed;
    struct Stream {
        std::string kept;     // up to cap bytes
        std::string partial;  // the line being received
        std::vector<std::string> lines;
        bool dropped = false;  // more than cap bytes arrived
        bool closed = false;
        std::size_t folded = 0;          // library frames of a sanitizer report not logged yet
        std::size_t reports = 0;         // sanitizer reports begun on this stream
        bool hiding = false;             // inside a report past the first shown_reports
        std::size_t hidden_reports = 0;  // reports hidden and not yet counted in the log
        std::size_t logged = 0;          // lines copied to the transcript
        std::size_t unlogged = 0;        // lines past Options::logged_lines, counted at the end
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
    std::string who() const;
    // "[your_program] ", "[your_program stderr] ": what starts its lines in the transcript.
    std::string prefix(int stream) const;

    // Under `mutex`. Keeps what fits in the cap, splits it into lines, logs each line.
    void take(int which, std::string_view chunk);
    // Under `mutex`: the line being received is complete; logs it (or folds it into a count).
    void end_line(int which);

    // Under `mutex`: logs how many frames were folded away, if any.
    void fold(int which);

    // Under `mutex`: logs how many reports were hidden since the last line logged, if any.
    void count_hidden(int which);

    // Under `mutex`: the stream reached end of file (or will not be read any more).
    void close_stream(int which);

    // Under `mutex`.
    void record_exit(const ExitStatus& status);

    std::string last_lines(std::size_t n) const;  // under `mutex`
    // "Its last lines:\n  [your_program] ..." or "It printed nothing." Under `mutex`.
    std::string quote_last_lines() const;

    // Waits until the program's status is known or `until` passes. True if it ended.
    bool wait_exit_until(Clock::time_point until);

    // "Your program exited with status 1 before X. Its last lines: ..."
    std::string exited_before(std::string_view what);

    // The drain thread.
    void run_drain() noexcept;
    void read_available(int which, int max_reads);
    void sync_pipes();
    void write_stdin();
    void teardown(milliseconds grace) noexcept;
};

}  // namespace probe
