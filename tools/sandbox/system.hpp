// Small wrappers around the system calls the sandbox makes: every call is checked (a failure
// throws std::system_error naming the call), and descriptors are owned by RAII objects.
#pragma once

#include <sys/types.h>

#include <cerrno>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace sandbox {

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

  private:
    int fd_ = -1;
};

// A pipe whose two ends are close-on-exec.
struct Pipe {
    FileDescriptor read;
    FileDescriptor write;
};
Pipe make_pipe();

// "/proc/self/fd/N": a path that names what `fd` refers to, for calls that take a path (mount).
std::string fd_path(int fd);

// Writes every byte (retrying after EINTR and short writes). Throws on error.
void write_all(int fd, std::string_view bytes, std::string_view what);
// Reads until end of file. Throws on error.
std::string read_all(int fd, std::string_view what);

// The whole content of a (small, e.g. /proc or cgroup) file; nullopt if it does not exist.
std::optional<std::string> read_small_file(const std::filesystem::path& path);
// Writes `text` to an existing file (a cgroup or /proc control file). Throws naming the file.
void write_control_file(const std::filesystem::path& path, std::string_view text);

// Opens `path` for writing outside the sandbox: created or truncated, never through a symlink.
FileDescriptor create_output_file(const std::filesystem::path& path);

// Waits until `fd` is readable (or closed) or `timeout_ms` passed (-1: no limit). Returns true if
// it is readable. Restarts after EINTR.
bool wait_readable(int fd, int timeout_ms);

// "SIGSEGV" for 11; "signal 99" for a number without a name.
std::string signal_name(int signal);
// "Segmentation fault".
std::string signal_description(int signal);
// "ENOENT" for 2.
std::string errno_name(int error);

// "2 s", "1.5 s", "250 ms".
std::string duration_text(double seconds);
// "1 MiB", "16 MiB", "512 KiB", "100 bytes".
std::string size_text(std::uint64_t bytes);

// main() hands its argv over, so that the init can later blank it: /proc/PID/cmdline is readable
// by every process, and the sandbox's command line names the teacher's files.
void remember_command_line(int argc, char** argv);
// Overwrites the remembered command line with `title` (and the process name, 15 bytes at most).
void hide_command_line(std::string_view title);

// Makes sure descriptors 0, 1 and 2 are open (on /dev/null if they were closed), so that no
// descriptor opened later takes their place by accident.
void ensure_standard_descriptors();

}  // namespace sandbox
