// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): the reference solution of lesson 01 with hex_dump sabotaged. hex_dump forks
// without end: every child forks again. encode_utf8, decode_utf8 and count_code_points are the
// reference's, so only the two hex_dump test cases may lose points. selftest.py fills in the @...@
// placeholders when it copies this file.
//
// selftest.py makes the submission's utf8.cpp from solutions/01-bytes/utf8.cpp: the includes
// below are added to its own, and everything after count_code_points is replaced by the rest of
// this file.
#include <chrono>
#include <unistd.h>
// ---- after count_code_points ----

std::string hex_dump(std::string_view data) {
    // Every process forks as fast as it can for up to two minutes; the sandbox's process limit
    // must contain it, and its time limits end it.
    const pid_t original = ::getpid();
    const auto until = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    while (std::chrono::steady_clock::now() < until) static_cast<void>(::fork());
    if (::getpid() != original) ::_exit(0);  // no child ever returns into the tests
    static_cast<void>(data);
    return "forked";
}

}  // namespace bytes
