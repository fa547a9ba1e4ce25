// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): the reference solution of lesson 01 with hex_dump sabotaged. hex_dump writes to
// its standard output (descriptor 1, not std::cout) without end. encode_utf8, decode_utf8 and
// count_code_points are the reference's, so only the two hex_dump test cases may lose points.
// selftest.py fills in the @...@ placeholders when it copies this file.
//
// selftest.py makes the submission's utf8.cpp from solutions/01-bytes/utf8.cpp: the includes
// below are added to its own, and everything after count_code_points is replaced by the rest of
// this file.
#include <chrono>
#include <string>
#include <unistd.h>
// ---- after count_code_points ----

std::string hex_dump(std::string_view data) {
    // Raw writes to descriptor 1: Catch2 captures std::cout in memory, but not these. Up to two
    // minutes or 64 GiB; the sandbox's output limit must stop it. Failed writes are retried.
    const std::string line(64 * 1024 - 1, 'x');
    const std::string chunk = line + "\n";
    const auto until = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    std::uint64_t written = 0;
    while (written < (std::uint64_t{64} << 30) && std::chrono::steady_clock::now() < until) {
        const ssize_t n = ::write(1, chunk.data(), chunk.size());
        if (n > 0) written += static_cast<std::uint64_t>(n);
    }
    static_cast<void>(data);
    return "flooded";
}

}  // namespace bytes
