#include "files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include <fmt/core.h>

namespace workbook {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
    // POSIX, not a stream: libstdc++'s filebuf throws on a read error (a folder: EISDIR) even when
    // the stream was asked for no exceptions.
    std::string text;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return text;
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return text;
}

void write_file(const fs::path& path, std::string_view text) {
    const auto fail = [&](const std::string& what, int error) {
        throw FileError(
            fmt::format("could not {} {}: {}", what, path.string(), std::strerror(error)));
    };
    std::error_code made;
    if (path.has_parent_path()) fs::create_directories(path.parent_path(), made);
    if (made) fail("create the folder of", made.value());
    const fs::path part = path.string() + ".part";
    const int fd =
        ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) fail("create", errno);
    const auto give_up = [&](int error) {
        ::close(fd);
        ::unlink(part.c_str());
        fail("write", error);
    };
    for (std::size_t done = 0; done < text.size();) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) give_up(errno);
        if (n == 0) give_up(ENOSPC);
        done += static_cast<std::size_t>(n);
    }
    if (::close(fd) < 0) {
        const int error = errno;
        ::unlink(part.c_str());
        fail("write", error);
    }
    if (::rename(part.c_str(), path.c_str()) < 0) {
        const int error = errno;
        ::unlink(part.c_str());
        fail("write", error);
    }
}

}  // namespace workbook
