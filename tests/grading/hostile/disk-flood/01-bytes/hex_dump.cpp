// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): the reference solution of lesson 01 with hex_dump sabotaged. hex_dump writes one
// huge file without end: in its working directory,
// or in /tmp when the working directory cannot be written (as in the grader, where a test case sees
// its folder read-only). encode_utf8, decode_utf8 and count_code_points
// are the reference's, so only the two hex_dump test cases may lose points. selftest.py fills in
// the @...@ placeholders when it copies this file.
//
// selftest.py makes the submission's utf8.cpp from solutions/01-bytes/utf8.cpp: the includes
// below are added to its own, and everything after count_code_points is replaced by the rest of
// this file.
#include <chrono>
#include <fcntl.h>
#include <string>
#include <unistd.h>
// ---- after count_code_points ----

std::string hex_dump(std::string_view data) {
    // 1 MiB at a time into one file, up to two minutes or 64 GiB: the sandbox's file-size limit
    // (or /tmp's size, the same) must stop it.
    int fd = ::open("hostile-disk-flood.bin", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fd = ::open("/tmp/hostile-disk-flood.bin", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const std::string chunk(1 << 20, 'x');
    const auto until = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    for (int i = 0; fd >= 0 && i < 64 * 1024 && std::chrono::steady_clock::now() < until; ++i) {
        if (::write(fd, chunk.data(), chunk.size()) < 0) break;  // the disk (here /tmp) is full
    }
    static_cast<void>(data);
    return "flooded the disk";
}

}  // namespace bytes
