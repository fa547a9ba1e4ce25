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

#include "os.hpp"

namespace sandbox {

// The systems layer's checked calls, descriptors and pipes (tools/os/os.hpp), shared with the
// runner and the test harness.
using workbook::os::check_system_call;
using workbook::os::errno_name;
using workbook::os::FileDescriptor;
using workbook::os::make_pipe;
using workbook::os::Pipe;
using workbook::os::read_all;
using workbook::os::signal_description;
using workbook::os::signal_name;
using workbook::os::throw_error;
using workbook::os::wait_readable;
using workbook::os::write_all;

// "/proc/self/fd/N": a path that names what `fd` refers to, for calls that take a path (mount).
std::string fd_path(int fd);

// The whole content of a (small, e.g. /proc or cgroup) file; nullopt if it does not exist.
std::optional<std::string> read_small_file(const std::filesystem::path& path);
// Writes `text` to an existing file (a cgroup or /proc control file). Throws naming the file.
void write_control_file(const std::filesystem::path& path, std::string_view text);

// Opens `path` for writing outside the sandbox: created or truncated, never through a symlink.
FileDescriptor create_output_file(const std::filesystem::path& path);

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
