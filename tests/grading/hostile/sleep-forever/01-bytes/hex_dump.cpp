// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): the reference solution of lesson 01 with hex_dump sabotaged. hex_dump sleeps and
// never returns (in time), using no CPU. encode_utf8, decode_utf8 and count_code_points are the
// reference's, so only the two hex_dump test cases may lose points. selftest.py fills in the @...@
// placeholders when it copies this file.
//
// selftest.py makes the submission's utf8.cpp from solutions/01-bytes/utf8.cpp: the includes
// below are added to its own, and everything after count_code_points is replaced by the rest of
// this file.
#include <chrono>
#include <thread>
// ---- after count_code_points ----

std::string hex_dump(std::string_view data) {
    // Asleep for up to ten minutes: only the sandbox's wall-clock limit can stop it.
    for (int second = 0; second < 600; ++second) std::this_thread::sleep_for(std::chrono::seconds(1));
    static_cast<void>(data);
    return "slept";
}

}  // namespace bytes
