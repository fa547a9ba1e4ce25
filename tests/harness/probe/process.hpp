// The process layer: the program under test, started in its own process group and watched from
// outside.
//
// It promises: a Program's stdout and stderr are drained continuously (the program never blocks on
// a full pipe) into the transcript and capped buffers; every wait has a deadline and fails at once,
// with the program's status and last lines, when the program ends first; nothing the program
// started outlives the Program, nor the test process stopped by SIGTERM. The program's environment
// (extra variables, faults, a hosts file) is prepared before it starts. Implemented in process.cpp
// (starting, draining, waiting, stopping) and environment.cpp (the environment it starts with).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
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

#include "probe/common.hpp"

namespace probe {

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

// Program `name` of a lesson with several (the manifest's "programs": "server", "client"):
// $WORKBOOK_PROGRAM_<NAME> (upper-case) if set and not empty, else `compiled_in_dir`/`name`, else
// Failure. The build defines WORKBOOK_PROGRAMS_DIR, the lesson's bin/<slug>/, for its tests; the
// grader and verify set the variables. Throws Failure if the path does not exist.
#ifdef WORKBOOK_PROGRAMS_DIR
std::filesystem::path program_path(std::string_view name,
                                   const char* compiled_in_dir = WORKBOOK_PROGRAMS_DIR);
#else
std::filesystem::path program_path(std::string_view name, const char* compiled_in_dir = nullptr);
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
    // The first send() or write() on a TCP socket fails with EPIPE and raises SIGPIPE (unless the
    // call passed MSG_NOSIGNAL), as when the peer has gone: the default action of SIGPIPE ends the
    // program. Once per process.
    bool broken_pipe = false;
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
        // Lines of stdout copied to the transcript; past them, the transcript says how many more
        // there were (out() still has them all, up to output_cap). For a tool that prints
        // thousands of lines the test reads itself.
        std::size_t logged_lines = static_cast<std::size_t>(-1);
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
    // The most virtual memory it has had mapped so far, in bytes (VmPeak in /proc/PID/status):
    // memory it reserved counts even if it never touched it, so a program that allocates what a
    // client announces shows it at once.
    std::size_t memory_peak() const;

    struct State;  // shared with the drain thread

  private:
    friend class Connection;  // wait on the program while connecting
    friend class Listener;    // and while accepting
    std::shared_ptr<State> state_;
};

}  // namespace probe
