// probe: start the student's program, talk to it over loopback, and say in plain words what happened.
//
// Every step a test takes is written to a transcript (connected, sent, received, what the program
// printed). When a test case fails, the transcript is printed after the failure, so the student can
// read the whole conversation. Steps that cannot complete throw probe::Failure with one sentence on
// the likely cause. Every wait has a deadline; nothing here sleeps to synchronise.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace probe {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A step that could not complete. what() says what the test was doing, what it saw, and the likely
// cause in one sentence.
class Failure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Deadlines are multiplied by WORKBOOK_TIME_SCALE (default 1) so that sanitizer builds and loaded
// machines get more time without touching the tests.
milliseconds scaled(milliseconds base);

// Default deadline for one step (a line, a connection, an exit): 5 s, scaled.
milliseconds step_deadline();

// ---- transcript ------------------------------------------------------------------------------

// Escapes bytes for display: printable ASCII as is, \r \n \t \\ \" as escapes, and every other byte
// as \xNN. So "reçu" shows as "re\xc3\xa7u".
std::string escape(std::string_view bytes);

// Appends one line to the transcript of the running test case. Thread-safe.
void log(std::string_view line);

// The transcript so far, one step per line.
std::string transcript();

// Starts a new transcript (the test runner calls this before each test case).
void clear_transcript();

// ---- the program under test ------------------------------------------------------------------

// How a program ended.
struct ExitStatus {
    bool signaled = false;
    int code = 0;    // exit status when !signaled
    int signal = 0;  // signal number when signaled

    bool ok() const { return !signaled && code == 0; }
    // "exited with status 0", "was killed by signal SIGSEGV (segmentation fault)"
    std::string describe() const;
    // The shell's convention: the status, or 128 + signal.
    int shell_code() const { return signaled ? 128 + signal : code; }
};

// The program the tests of this lesson grade: $WORKBOOK_PROGRAM if set, else the path the build
// compiled in. Throws Failure if it does not exist.
std::filesystem::path program_under_test();

// A running program: its own process group, stdout and stderr drained continuously into the
// transcript (each line prefixed "[your_program]") and into capped buffers. The destructor stops it:
// SIGTERM to the group, a short grace, SIGKILL, reap. Nothing outlives a Program.
class Program {
public:
    struct Options {
        std::string label = "your_program";  // prefix of its lines in the transcript
        std::size_t output_cap = 64 * 1024;  // bytes kept per stream; the rest is drained and dropped
        std::optional<std::string> stdin_data;  // written to stdin, then closed (else /dev/null)
    };

    // Starts `path args...`. Throws Failure if it cannot be started.
    Program(const std::filesystem::path& path, std::vector<std::string> args, Options options);
    Program(const std::filesystem::path& path, std::vector<std::string> args);
    ~Program();
    Program(const Program&) = delete;
    Program& operator=(const Program&) = delete;

    pid_t pid() const;

    // Waits for a line of stdout (counting from the first) for which `match` is true and returns it.
    // `what` names the line for messages ("the line announcing the port"). Throws Failure if the
    // program exits or the deadline passes first, quoting its last lines.
    std::string wait_for_line(const std::function<bool(std::string_view)>& match,
                              std::string_view what, milliseconds deadline = step_deadline());
    std::string wait_for_line(const std::regex& pattern, std::string_view what,
                              milliseconds deadline = step_deadline());

    // Waits for the first line of stdout and reads the port from it: the number after the last ':'
    // ("Waiting for a connection on 127.0.0.1:41234..." gives 41234).
    std::uint16_t port(milliseconds deadline = step_deadline());

    // The program's status if it has ended, without waiting.
    std::optional<ExitStatus> status();
    bool running() { return !status().has_value(); }

    // Waits for the program to end. Throws Failure if it is still running at the deadline (the
    // destructor then stops it).
    ExitStatus wait_exit(milliseconds deadline = step_deadline());

    // Ends it now: SIGTERM to its group, `grace`, then SIGKILL. Returns how it ended.
    ExitStatus stop(milliseconds grace = 500ms);

    // What it printed so far (capped), whole and as lines.
    std::string out() const;
    std::string err() const;
    std::vector<std::string> out_lines() const;
    std::vector<std::string> err_lines() const;
    // The last `n` lines of stdout and stderr, for messages.
    std::string last_lines(std::size_t n = 10) const;

    // Inspection through /proc while it runs.
    std::size_t open_descriptors() const;  // entries of /proc/PID/fd
    std::size_t threads() const;           // entries of /proc/PID/task

    struct State;  // shared with the drain thread

private:
    std::shared_ptr<State> state_;
};

// ---- connections -----------------------------------------------------------------------------

struct Endpoint {
    std::string ip;
    std::uint16_t port = 0;
    std::string str() const;  // "127.0.0.1:41234", "[::1]:41234"
};

// One TCP connection held by the test. Every call logs itself as "client-N: ...".
class Connection {
public:
    // Connects, retrying until `deadline` while the connection is refused. If `watch` is given and
    // the program exits meanwhile, fails at once with its status and last lines.
    static Connection connect(const std::string& host, std::uint16_t port, Program* watch = nullptr,
                              milliseconds deadline = step_deadline());

    Connection(Connection&&) noexcept;
    Connection& operator=(Connection&&) noexcept;
    ~Connection();

    const std::string& name() const { return name_; }
    Endpoint local() const;
    Endpoint peer() const;

    // Sends every byte (one send loop).
    void send(std::string_view bytes);
    // Sends one byte per send() with TCP_NODELAY, so the peer may see each byte separately.
    void send_bytewise(std::string_view bytes);
    // Sends in pieces cut at the given offsets (increasing, each < size).
    void send_split(std::string_view bytes, const std::vector<std::size_t>& offsets);

    // Half-close: shutdown(SHUT_WR). The peer reads end of file; we can still receive.
    void shutdown_write();
    // Abortive close: SO_LINGER {1, 0} then close(), so the peer gets a reset (RST).
    void abort();
    // Orderly close.
    void close();

    // Receives until `done(all bytes so far)` is true; returns all bytes received so far on this
    // connection. Throws Failure on deadline, end of file or reset before `done`.
    std::string receive_until(const std::function<bool(std::string_view)>& done,
                              std::string_view what, milliseconds deadline = step_deadline());
    // Receives until end of file; returns everything received on this connection.
    std::string receive_all(milliseconds deadline = step_deadline());
    // Expects end of file with no further byte.
    void expect_eof(milliseconds deadline = step_deadline());
    // Expects that nothing arrives (no byte, no end of file) for `quiet`.
    void expect_silence(milliseconds quiet);
    // Everything received so far.
    const std::string& received() const { return received_; }

private:
    friend class Listener;
    Connection(int fd, std::string name);
    void log_sent(std::string_view bytes);
    int fd_ = -1;
    std::string name_;
    std::string received_;
    bool eof_ = false;
};

// A listening socket held by the test, for lessons whose program is a client.
class Listener {
public:
    // Binds `host`:0 (the OS picks a free port) and listens.
    explicit Listener(const std::string& host = "127.0.0.1");
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    std::uint16_t port() const { return port_; }

    // Accepts one connection. If `watch` exits first, fails at once with its status and last lines.
    Connection accept(Program* watch = nullptr, milliseconds deadline = step_deadline());

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

// A port on `host` that refuses connections: bound (so nobody else takes it) but not listening.
// Held until destroyed.
class ClosedPort {
public:
    explicit ClosedPort(const std::string& host = "127.0.0.1");
    ~ClosedPort();
    ClosedPort(const ClosedPort&) = delete;
    ClosedPort& operator=(const ClosedPort&) = delete;
    std::uint16_t port() const { return port_; }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

// True if a new listening socket (with SO_REUSEADDR, as a restarted server would) can bind
// host:port right now.
bool port_can_be_bound(const std::string& host, std::uint16_t port);

}  // namespace probe
