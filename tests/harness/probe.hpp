// probe: start the student's program, talk to it over loopback, and say in plain words what
// happened.
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
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// g++ 12 warns (-Wmaybe-uninitialized) inside libstdc++'s own <regex> when optimising with
// sanitizers: a false positive in the library, not in code that uses it.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <functional>
#include <regex>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

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
// machines get more time without touching the tests. Throws Failure if the variable is set to
// something other than a positive number. A deadline passed to a function below is used as given:
// write probe::scaled(2s), not 2s, for a deadline of your own.
milliseconds scaled(milliseconds base);

// Default deadline for one step (a line, a connection, an exit): 5 s, scaled.
milliseconds step_deadline();

// ---- transcript ------------------------------------------------------------------------------

// Escapes bytes for display: printable ASCII as is, \r \n \t \\ \" as escapes, and every other byte
// as \xNN (lowercase hex). So "reçu" shows as "re\xc3\xa7u".
std::string escape(std::string_view bytes);
// The same, except that '"' and '\\' stay as they are: for text not shown inside quotes (a line
// the program printed, a value in Catch2's "with values").
std::string printable(std::string_view bytes);
// Text for a person to read: a run of more than 16 times the same character (other than a space)
// keeps its first 8 and says how many more there were, "~~~~~~~~[... 1006 more '~' ...]", so that
// a buffer printed past its end does not fill the screen. Used by log() and the reporter.
std::string shorten_runs(std::string_view text);

// Appends one line to the transcript of the running test case. Thread-safe. A very long line is
// cut; a very long transcript keeps its first and last steps and says how many it left out.
void log(std::string_view line);

// The transcript so far, one step per line, each line ending in '\n' ("" if nothing happened).
std::string transcript();

// Starts a new transcript and numbers connections from 1 again (client-1, server-1). The test
// runner calls this before each test case.
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

// The program the tests of this lesson grade: $WORKBOOK_PROGRAM if set (and not empty), else
// `compiled_in`, else Failure. Throws Failure if the path does not exist.
//
// The build defines the macro WORKBOOK_PROGRAM (a string literal) only when it compiles a server or
// client lesson's tests, not when it compiles this library. So the macro is read here, in the
// default argument, which is evaluated where the call is written: in a lesson's test file a plain
// program_under_test() gets the compiled-in path, elsewhere it gets nullptr.
#ifdef WORKBOOK_PROGRAM
std::filesystem::path program_under_test(const char* compiled_in = WORKBOOK_PROGRAM);
#else
std::filesystem::path program_under_test(const char* compiled_in = nullptr);
#endif

// Faults the program under test will meet, made by preloaded libraries (LD_PRELOAD): ours
// (tests/harness/faults/) for short counts, poisoned buffers and the stop before listen(), and
// Debian's libfiu for calls that fail. Only TCP sockets are touched. The transcript says which
// faults are on and the seed. docs/fault-injection.md has the details.
struct Faults {
    // Seeds every choice (which calls are cut, by how much, which calls fail): the same seed, the
    // same choices. WORKBOOK_FAULT_SEED (in the tests' environment) overrides it, to replay a run
    // with another seed.
    std::uint64_t seed = 1;
    // send(), sendto(), write() move fewer bytes than asked: always the first such call, then
    // about one in two.
    bool short_writes = false;
    // recv(), read() return fewer bytes than they could: the same rule.
    bool short_reads = false;
    // After recv() or read() returns n bytes into a buffer of len, bytes [n, len) are set to
    // poison_byte, so a program that uses the buffer past the count prints it.
    bool poison_reads = false;
    static constexpr char poison_byte = '~';
    // listen() stops the program (SIGSTOP) before listening: see Program::wait_stopped().
    bool stop_before_listen = false;
    // Calls that fail (libfiu's posix/io/net/<call>: "send", "recv", "connect", "accept",
    // "socket", "bind", "listen", "sendto", "recvfrom", "shutdown", ...) with errno `error`, each
    // call with this probability (drawn from the seed).
    struct Failing {
        std::string call;
        int error;
        double probability = 1.0;
    };
    std::vector<Failing> failing{};  // {} lets designated initializers leave it out
};

// A running program: its own process group, stdout and stderr drained continuously into the
// transcript (each line prefixed "[your_program]", stderr lines "[your_program stderr]") and into
// capped buffers. The destructor stops it: SIGTERM to the group, a short grace, SIGKILL to the
// group, reap. Nothing outlives a Program: the test process makes itself a child subreaper
// (prctl PR_SET_CHILD_SUBREAPER), so grandchildren orphaned inside the group are reparented to it
// and reaped too. (A descendant that leaves the group with setsid() or setpgid() escapes this.)
//
// The program gets SIGKILL if the thread that started it ends (PR_SET_PDEATHSIG), so start it from
// the thread that runs the test, not from a short-lived helper thread.
class Program {
  public:
    struct Options {
        // Prefix of its lines in the transcript.
        std::string label = "your_program";
        // Bytes kept per stream; the rest is drained and dropped.
        std::size_t output_cap = 64 * 1024;
        // Written to stdin, then closed (else stdin is /dev/null).
        std::optional<std::string> stdin_data;
        // Its stdin is a pipe the test writes to as it goes (write_input, close_input), e.g. to
        // tell a driver to open a gate once the test has looked at its threads. Not with
        // stdin_data.
        bool interactive_stdin = false;
        // Faults the program will meet (see Faults and docs/fault-injection.md).
        std::optional<Faults> faults{};
        // Extra environment variables for the program, each "NAME=value" (replacing any of the
        // same name).
        std::vector<std::string> env{};
        // The content of a hosts file ("::1 localhost\n127.0.0.1 localhost\n"): names it lists
        // resolve from it alone, in its order (libnss-wrapper); other names resolve as usual.
        std::optional<std::string> hosts{};
    };

    // Starts `path args...`. Throws Failure if it cannot be started.
    Program(const std::filesystem::path& path, std::vector<std::string> args, Options options);
    Program(const std::filesystem::path& path, std::vector<std::string> args);
    ~Program();
    Program(const Program&) = delete;
    Program& operator=(const Program&) = delete;
    // Movable, so that a test may keep several in a std::vector (a chat server's clients). A
    // moved-from Program may only be destroyed or assigned to; assigning to a Program stops the
    // one it held first.
    Program(Program&&) noexcept = default;
    Program& operator=(Program&& other) noexcept;

    // Its process id, which is also the id of its process group.
    pid_t pid() const;

    // Waits for a line of stdout (counting from the first) for which `match` is true and returns
    // it. `what` names the line for messages ("the line announcing the port"). Throws Failure if
    // the program exits or the deadline passes first, quoting its last lines, and saying so if a
    // matching line went to stderr instead, or has no end of line yet; while the program runs, the
    // message also says that the line may still sit in its stdout buffer.
    std::string wait_for_line(const std::function<bool(std::string_view)>& match,
                              std::string_view what, milliseconds deadline = step_deadline());
    std::string wait_for_line(const std::regex& pattern, std::string_view what,
                              milliseconds deadline = step_deadline());
    // Reads stdout in order, with a cursor: waits for the first line for which `match` is true
    // after the last line this returned (the lines between are passed over), and moves the cursor
    // past it. A test that waits for the second client's "Connection from" line after the first's
    // is then not satisfied by the first one, as it would be by wait_for_line. Failures as
    // wait_for_line's.
    std::string wait_for_next_line(const std::function<bool(std::string_view)>& match,
                                   std::string_view what, milliseconds deadline = step_deadline());
    std::string wait_for_next_line(const std::regex& pattern, std::string_view what,
                                   milliseconds deadline = step_deadline());
    // The next line of stdout after the cursor, whatever it says.
    std::string next_line(std::string_view what, milliseconds deadline = step_deadline());
    // The same for a line of stderr (an error message); the failure says so if a matching line
    // went to stdout instead.
    std::string wait_for_err_line(const std::function<bool(std::string_view)>& match,
                                  std::string_view what, milliseconds deadline = step_deadline());
    std::string wait_for_err_line(const std::regex& pattern, std::string_view what,
                                  milliseconds deadline = step_deadline());

    // Waits for the first line of stdout and reads the port from it: the number after the last ':'
    // ("Waiting for a connection on 127.0.0.1:41234..." gives 41234). `example` is that line as
    // the lesson words it, shown when the line is missing or names no port; without it the
    // messages describe the line without quoting one.
    std::uint16_t port(milliseconds deadline = step_deadline());
    std::uint16_t port(std::string_view example, milliseconds deadline = step_deadline());

    // True once the program is stopped (SIGSTOP; Faults::stop_before_listen stops it) and
    // everything it wrote before stopping has been read into out() and err(). False if it exited
    // or the deadline passed first.
    bool wait_stopped(milliseconds deadline = step_deadline());
    // Lets a stopped program go on (SIGCONT).
    void resume();

    // With Options::interactive_stdin: writes `bytes` to its stdin (the transcript shows them),
    // waiting up to `deadline` while the pipe is full. Throws Failure if the program no longer
    // reads its stdin (it closed it or ended), or without interactive_stdin.
    void write_input(std::string_view bytes, milliseconds deadline = step_deadline());
    // Closes its stdin: the program reads end of file. Does nothing the second time.
    void close_input();

    // The program's status if it has ended, without waiting.
    std::optional<ExitStatus> status();
    bool running() { return !status().has_value(); }

    // Waits for the program to end. Throws Failure if it is still running at the deadline (the
    // destructor then stops it).
    ExitStatus wait_exit(milliseconds deadline = step_deadline());

    // Ends it now: SIGTERM to its group, up to `grace` for it to exit, then SIGKILL to the group
    // (always, for any grandchild left), then reaps. Returns how it ended: its own status if it had
    // already ended. Calling it again returns the same status.
    ExitStatus stop(milliseconds grace = 500ms);

    // Sends `signal` to the program alone (not its group), e.g. SIGTERM to test a clean shutdown
    // with wait_exit(). Does nothing once it has been stopped.
    void send_signal(int signal);

    // What it printed so far (capped), whole and as complete lines (without the '\n'; a last line
    // without '\n' counts once the stream is closed).
    std::string out() const;
    std::string err() const;
    std::vector<std::string> out_lines() const;
    std::vector<std::string> err_lines() const;
    // The last `n` lines of stdout and stderr in the order they were read (between the two
    // streams that order is only approximate), each prefixed as in the transcript, one per line;
    // for messages.
    std::string last_lines(std::size_t n = 10) const;

    // Inspection through /proc while it runs. Throw Failure once it has ended.
    std::size_t open_descriptors() const;  // entries of /proc/PID/fd
    std::size_t threads() const;           // entries of /proc/PID/task

    struct State;  // shared with the drain thread

  private:
    friend class Connection;  // wait on the program while connecting
    friend class Listener;    // and while accepting
    std::shared_ptr<State> state_;
};

// ---- connections -----------------------------------------------------------------------------

struct Endpoint {
    std::string ip;
    std::uint16_t port = 0;
    std::string str() const;  // "127.0.0.1:41234", "[::1]:41234"
};

// One TCP connection held by the test. Every call logs itself as "client-N: ..." (connections the
// test accepted with a Listener as "server-N: ..."). Every wait has a deadline: a send fails if the
// peer reads nothing for step_deadline().
class Connection {
  public:
    // Connects to `host` (an IPv4 or IPv6 literal, or a name such as "localhost"), retrying until
    // `deadline` while the connection is refused. If `watch` is given and the program exits
    // meanwhile, fails at once with its status and last lines.
    static Connection connect(const std::string& host, std::uint16_t port, Program* watch = nullptr,
                              milliseconds deadline = step_deadline());
    // One attempt (one connect() per address of `host`, no retry): fails at once if refused.
    // `deadline` bounds the handshake.
    static Connection connect_once(const std::string& host, std::uint16_t port,
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
    // Sends in pieces cut at the given offsets (increasing, each > 0 and < size), with TCP_NODELAY.
    // Throws std::invalid_argument for offsets that do not cut `bytes`.
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
    // Expects that nothing arrives (no byte, no end of file) for `quiet` (as given, not scaled).
    void expect_silence(milliseconds quiet);
    // Readers with a cursor: each returns bytes after the last ones a reader returned, and moves the
    // cursor past them (receive_until and received() still see every byte). Each waits up to its
    // deadline and throws Failure as receive_until does.
    // Exactly `n` bytes.
    std::string receive_exactly(std::size_t n, std::string_view what, milliseconds deadline = step_deadline());
    // Up to and including `delimiter`.
    std::string receive_through(std::string_view delimiter, std::string_view what,
                                milliseconds deadline = step_deadline());
    // The next line, without its '\n'.
    std::string receive_line(std::string_view what, milliseconds deadline = step_deadline());
    // Everything received so far.
    const std::string& received() const { return received_; }

  private:
    friend class Listener;
    Connection(int fd, std::string name);
    int open_fd(std::string_view doing) const;
    void send_all(std::string_view bytes);
    int fd_ = -1;
    std::string name_;
    std::string received_;
    std::size_t cursor_ = 0;  // where the readers with a cursor go on from
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

    // Accepts one connection (named "server-N"). If `watch` exits first, fails at once with its
    // status and last lines.
    Connection accept(Program* watch = nullptr, milliseconds deadline = step_deadline());

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::string where_;  // "127.0.0.1:41234", for messages
};

// A port on `host` that refuses connections: bound (so nobody else takes it) but not listening.
// Held until destroyed.
class ClosedPort {
  public:
    explicit ClosedPort(const std::string& host = "127.0.0.1");
    // Binds exactly host:port. Throws Failure if it cannot (the port is taken).
    ClosedPort(const std::string& host, std::uint16_t port);
    ~ClosedPort();
    ClosedPort(const ClosedPort&) = delete;
    ClosedPort& operator=(const ClosedPort&) = delete;
    std::uint16_t port() const { return port_; }

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

// ---- UDP ---------------------------------------------------------------------------------------

// A UDP socket of the test's own, bound to a free port of `host`: it sends datagrams to the program
// and receives what comes back, each datagram whole, with the address it came from. Logs itself as
// "udp-N: ..."; every wait has a deadline.
class UdpSocket {
  public:
    explicit UdpSocket(const std::string& host = "127.0.0.1");
    ~UdpSocket();
    UdpSocket(const UdpSocket&) = delete;
    UdpSocket& operator=(const UdpSocket&) = delete;
    std::uint16_t port() const { return port_; }

    struct Datagram {
        std::string bytes;
        Endpoint from;
    };
    // Sends one datagram to `port` on the same host.
    void send_to(std::uint16_t port, std::string_view bytes);
    // The next datagram. Throws Failure at the deadline, naming `what`.
    Datagram receive(std::string_view what, milliseconds deadline = step_deadline());
    // Expects no datagram for `quiet` (as given, not scaled).
    void expect_silence(milliseconds quiet);

  private:
    int fd_ = -1;
    std::string host_;
    std::uint16_t port_ = 0;
    std::string name_;
};

// ---- random values ------------------------------------------------------------------------------

// Random numbers, bytes and orders for a test, drawn from a seed the transcript shows, so that a
// failure can be replayed. The seed comes from `purpose` (the same test draws the same values on
// every run: a grade does not change from one run to the next), mixed with WORKBOOK_SEED when it is
// set (to try other values, or to replay a run the transcript names):
//     probe::Random random("payload sizes");
//     const std::string payload = random.bytes(random.number(1, 4096));
class Random {
  public:
    explicit Random(std::string_view purpose);
    std::uint64_t seed() const { return seed_; }
    // A number from low to high, both included.
    std::uint64_t number(std::uint64_t low, std::uint64_t high);
    // `n` bytes of any value (0x00..0xff).
    std::string bytes(std::size_t n);
    // `n` printable ASCII characters (no line break).
    std::string text(std::size_t n);
    // The items in a random order.
    template <class T>
    void shuffle(std::vector<T>& items) {
        for (std::size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[number(0, i - 1)]);
    }

  private:
    std::uint64_t seed_;
    std::uint64_t state_;  // splitmix64: the same sequence with every standard library
    std::uint64_t next();
};

// True if a new listening socket (with SO_REUSEADDR, as a restarted server would) can bind
// host:port right now.
bool port_can_be_bound(const std::string& host, std::uint16_t port);

}  // namespace probe
