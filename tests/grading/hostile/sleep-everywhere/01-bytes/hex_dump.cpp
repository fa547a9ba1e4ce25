// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): lesson 01's reference solution, whose program sleeps a minute before anything
// else (a global's initialiser), using no CPU: every test case then lasts until its time limit,
// and without a budget the grader spends limit x cases on this one student. selftest.py fills in
// the @...@ placeholders.
//
// selftest.py makes the submission's utf8.cpp from solutions/01-bytes/utf8.cpp: the includes
// below are added to its own, and everything after count_code_points is replaced by the rest of
// this file.
#include <chrono>
#include <thread>
// ---- after count_code_points ----

namespace {
const bool slept = (std::this_thread::sleep_for(std::chrono::minutes(1)), true);
}  // namespace

@REFERENCE_HEX_DUMP@
std::string hex_dump(std::string_view data) {
    static_cast<void>(slept);
    return reference_hex_dump(data);
}

}  // namespace bytes
