// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): the reference solution of lesson 01 with hex_dump sabotaged. hex_dump plants
// symbolic links (to /etc/passwd, to the solutions, to /), a FIFO and a Unix socket in its working
// folder and in every folder above it that it can write to, then returns the right answer: the
// test cases pass, and none of those may be left in the grader's output (a teacher who zips it
// would ship their targets). encode_utf8, decode_utf8 and count_code_points are the reference's.
// selftest.py fills in the @...@ placeholders when it copies this file.
//
// selftest.py makes the submission's utf8.cpp from solutions/01-bytes/utf8.cpp: the includes
// below are added to its own, and everything after count_code_points is replaced by the rest of
// this file.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
// ---- after count_code_points ----

namespace {
void plant(const std::string& dir) {
    ::symlink("/etc/passwd", (dir + "/planted-passwd").c_str());
    ::symlink("@WORKBOOK_ROOT@/solutions", (dir + "/planted-solutions").c_str());
    ::symlink("/", (dir + "/planted-root").c_str());
    ::mkfifo((dir + "/planted-fifo").c_str(), 0666);
    const int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string path = dir + "/planted-socket";
    if (s >= 0 && path.size() < sizeof address.sun_path) {
        path.copy(address.sun_path, path.size());
        ::bind(s, reinterpret_cast<const sockaddr*>(&address), sizeof address);
    }
    if (s >= 0) ::close(s);
}
}  // namespace

@REFERENCE_HEX_DUMP@
std::string hex_dump(std::string_view data) {
    static const bool planted = [] {
        std::string dir = ".";
        for (int up = 0; up < 6; ++up, dir += "/..") plant(dir);
        return true;
    }();
    static_cast<void>(planted);
    return reference_hex_dump(data);
}

}  // namespace bytes
