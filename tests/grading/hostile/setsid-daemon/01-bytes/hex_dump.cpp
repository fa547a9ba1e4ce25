// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): the reference solution of lesson 01 with hex_dump sabotaged. hex_dump leaves a
// daemon behind: a child that calls setsid() and keeps running. It then returns the correct result,
// so its test cases pass: what is checked is that the daemon does not outlive the test case.
// encode_utf8, decode_utf8 and count_code_points are the reference's, so only the two hex_dump test
// cases may lose points. selftest.py fills in the @...@ placeholders when it copies this file.
//
// selftest.py makes the submission's utf8.cpp from solutions/01-bytes/utf8.cpp: the includes
// below are added to its own, and everything after count_code_points is replaced by the rest of
// this file.
#include <chrono>
#include <sys/prctl.h>
#include <thread>
#include <unistd.h>
// ---- after count_code_points ----

// The reference's hex_dump, untouched.
std::string correct_hex_dump(std::string_view data) {
    constexpr std::string_view digits = "0123456789abcdef";
    std::string out;
    for (const char c : data) {
        const auto byte = static_cast<unsigned char>(c);  // 0xff, not -1
        if (!out.empty()) out += ' ';
        out += digits[byte >> 4];    // high four bits
        out += digits[byte & 0x0F];  // low four bits
    }
    return out;
}

std::string hex_dump(std::string_view data) {
    // Once per process: fork a child that leaves the session (setsid), names itself with the
    // self-test's marker (shown in /proc/PID/comm) and keeps running for up to ten minutes, with
    // the test program's standard output and error still open.
    static const bool started = [] {
        if (::fork() == 0) {
            ::setsid();
            ::prctl(PR_SET_NAME, "wbd@TOKEN@", 0, 0, 0);
            for (int tick = 0; tick < 6000; ++tick) std::this_thread::sleep_for(std::chrono::milliseconds(100));
            ::_exit(0);
        }
        return true;
    }();
    static_cast<void>(started);
    return correct_hex_dump(data);
}

}  // namespace bytes
