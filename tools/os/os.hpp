// The workbook's systems layer: checked system calls, owned descriptors, pipes, and one way to
// start a process. The sandbox, the runner (tools/workbook), the test harness (tests/harness) and
// the sandbox's self-tests all start processes through spawn(), so that every program they run
// gets the same treatment: a process group of its own, signals at their defaults, no descriptor of
// theirs but 0, 1 and 2, and an exec that failed reported as an error, never as a program that ran.
#pragma once

#include <sys/types.h>

#include <cerrno>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace workbook::os {

// Returns `result`, or throws std::system_error(errno) whose what() starts with `what` when the
// call reported failure by returning a negative value: check_system_call("mount /usr",
// ::mount(...)).
template <typename T>
T check_system_call(std::string_view what, T result) {
    if (result >= 0) return result;
    throw std::system_error(errno, std::generic_category(), std::string(what));
}

// Throws std::system_error(error) naming `what`.
[[noreturn]] void throw_error(int error, std::string_view what);

// An owned file descriptor: closed by the destructor (which never throws), movable, not copyable.
class FileDescriptor {
  public:
    FileDescriptor() = default;
    explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
    FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    FileDescriptor& operator=(FileDescriptor&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() { reset(); }

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    void reset() noexcept;
    // Gives the descriptor up without closing it.
    int release() noexcept { return std::exchange(fd_, -1); }

  private:
    int fd_ = -1;
};

// A pipe whose two ends are close-on-exec.
struct Pipe {
    FileDescriptor read;
    FileDescriptor write;
};
Pipe make_pipe();

// Writes every byte (retrying after EINTR and short writes). Throws on error.
void write_all(int fd, std::string_view bytes, std::string_view what);
// Reads until end of file. Throws on error.
std::string read_all(int fd, std::string_view what);

// Waits until `fd` is readable (or closed) or `timeout_ms` passed (-1: no limit). Returns true if
// it is readable. Restarts after EINTR.
bool wait_readable(int fd, int timeout_ms);

// "SIGSEGV" for 11; "signal 99" for a number without a name.
std::string signal_name(int signal);
// "Segmentation fault".
std::string signal_description(int signal);
// "ENOENT" for 2.
std::string errno_name(int error);

// What spawn() starts, and how.
struct SpawnOptions {
    std::vector<std::string> argv;  // argv[0]: a path, or with search_path a name to find on PATH
    bool search_path = false;
    // The whole environment, "NAME=value" each; nullopt: this process's own.
    std::optional<std::vector<std::string>> environment;
    int in = -1;   // the child's stdin: this descriptor, or /dev/null when -1
    int out = -1;  // its stdout: this descriptor, or this process's own when -1
    int err = -1;  // its stderr: likewise
    // SIGKILL when the process that started it dies (PR_SET_PDEATHSIG): for the test harness,
    // whose programs must not outlive a test program that was killed.
    bool die_with_parent = false;
    // personality(ADDR_NO_RANDOMIZE), where allowed: ThreadSanitizer (GCC 12's) dies at start with
    // "unexpected memory mapping" on kernels that randomise more bits than it expects, and the same
    // addresses from run to run help replay a failure.
    bool no_address_randomization = false;
};

// A process spawn() started: in a process group of its own, whose id is its pid.
struct Spawned {
    pid_t pid = -1;
    // Readable once the process has ended (it is not reaped: waitpid() or waitid(P_PIDFD) still
    // must). Empty where the kernel has no pidfd_open (before 5.3): poll with waitpid(WNOHANG).
    FileDescriptor pidfd;
};

// Starts the process and returns once it has exec'd. In the child, before exec: its own process
// group (also set from the parent, so that kill(-pid) reaches it at once), the signal mask empty
// and ignored signals back to their defaults (an ignored SIGPIPE would survive exec and hide the
// very bug a test looks for), every descriptor but 0, 1 and 2 closed at exec. Throws
// std::system_error naming what failed: "exec /bin/nothere: ...", "fork: ...", "cmake: command not
// found on PATH: ...".
Spawned spawn(const SpawnOptions& options);

}  // namespace workbook::os
