#include "system.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <fmt/core.h>

namespace sandbox {

std::string fd_path(int fd) {
    return fmt::format("/proc/self/fd/{}", fd);
}

std::optional<std::string> read_small_file(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) return std::nullopt;
    const FileDescriptor file(check_system_call("open " + path.string(), fd));
    return read_all(file.get(), "read " + path.string());
}

void write_control_file(const std::filesystem::path& path, std::string_view text) {
    const std::string what = fmt::format("write \"{}\" to {}", text, path.string());
    const FileDescriptor file(check_system_call(what, ::open(path.c_str(), O_WRONLY | O_CLOEXEC)));
    // A control file takes the whole value in one write(); a short write is an error.
    const ssize_t n = ::write(file.get(), text.data(), text.size());
    if (check_system_call(what, n) != static_cast<ssize_t>(text.size())) throw_error(EIO, what);
}

FileDescriptor create_output_file(const std::filesystem::path& path) {
    return FileDescriptor(check_system_call(
        "create " + path.string(),
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644)));
}

std::string duration_text(double seconds) {
    const auto ms = static_cast<long long>(seconds * 1000.0 + 0.5);
    if (ms < 1000) return fmt::format("{} ms", ms);
    if (ms % 1000 == 0) return fmt::format("{} s", ms / 1000);
    return fmt::format("{:.1f} s", static_cast<double>(ms) / 1000.0);
}

std::string size_text(std::uint64_t bytes) {
    constexpr std::uint64_t kib = 1024, mib = 1024 * 1024;
    if (bytes >= mib && bytes % mib == 0) return fmt::format("{} MiB", bytes / mib);
    if (bytes >= mib) return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / mib);
    if (bytes >= kib && bytes % kib == 0) return fmt::format("{} KiB", bytes / kib);
    return fmt::format("{} bytes", bytes);
}

namespace {
char* command_line = nullptr;
std::size_t command_line_size = 0;
}  // namespace

void remember_command_line(int argc, char** argv) {
    if (argc <= 0) return;
    // The kernel lays the arguments out one after the other; cmdline is that whole area.
    command_line = argv[0];
    command_line_size =
        static_cast<std::size_t>(argv[argc - 1] + std::strlen(argv[argc - 1]) + 1 - argv[0]);
}

void hide_command_line(std::string_view title) {
    ::prctl(PR_SET_NAME, std::string(title.substr(0, 15)).c_str(), 0, 0, 0);
    if (command_line == nullptr || command_line_size == 0) return;
    std::memset(command_line, 0, command_line_size);
    std::memcpy(command_line, title.data(), std::min(title.size(), command_line_size - 1));
}

void ensure_standard_descriptors() {
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
        // open() returns the lowest free descriptor, which is `fd` itself.
        check_system_call("open /dev/null", ::open("/dev/null", O_RDWR));
    }
}

}  // namespace sandbox
