// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): the reference solution of lesson 01 with hex_dump sabotaged. hex_dump starts 100
// children that each leave the session (setsid) and spin on the CPU, to take the CPU from the
// students graded at the same time (nice is per process, so a hundred processes would get a hundred
// shares); then it returns the right answer. encode_utf8, decode_utf8 and count_code_points are the
// reference's. selftest.py fills in the @...@ placeholders.
//
// selftest.py makes the submission's utf8.cpp from solutions/01-bytes/utf8.cpp: the includes
// below are added to its own, and everything after count_code_points is replaced by the rest of
// this file.
#include <chrono>
#include <sys/prctl.h>
#include <unistd.h>
// ---- after count_code_points ----

@REFERENCE_HEX_DUMP@
std::string hex_dump(std::string_view data) {
    // Once per process; each spinner stops by itself after a minute at most.
    static const bool started = [] {
        for (int i = 0; i < 100; ++i) {
            if (::fork() == 0) {
                ::setsid();
                ::prctl(PR_SET_NAME, "wbs@TOKEN@", 0, 0, 0);
                const auto until = std::chrono::steady_clock::now() + std::chrono::minutes(1);
                while (std::chrono::steady_clock::now() < until) {
                }
                ::_exit(0);
            }
        }
        return true;
    }();
    static_cast<void>(started);
    return reference_hex_dump(data);
}

}  // namespace bytes
