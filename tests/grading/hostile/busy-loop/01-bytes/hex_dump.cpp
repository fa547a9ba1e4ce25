// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): the reference solution of lesson 01 with hex_dump sabotaged. hex_dump spins on
// the CPU and never returns (in time). encode_utf8, decode_utf8 and count_code_points are the
// reference's, so only the two hex_dump test cases may lose points. selftest.py fills in the @...@
// placeholders when it copies this file.
//
// selftest.py makes the submission's utf8.cpp from solutions/01-bytes/utf8.cpp: the includes
// below are added to its own, and everything after count_code_points is replaced by the rest of
// this file.
#include <chrono>
// ---- after count_code_points ----

std::string hex_dump(std::string_view data) {
    // Busy for up to ten minutes: the sandbox's CPU or wall-clock limit must stop it long before.
    const auto until = std::chrono::steady_clock::now() + std::chrono::minutes(10);
    volatile std::uint64_t spins = 0;
    while (std::chrono::steady_clock::now() < until) {
        for (int i = 0; i < 1000000; ++i) spins = spins + 1;
    }
    static_cast<void>(data);
    return "busy";
}

}  // namespace bytes
