// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): the reference solution of lesson 01 with hex_dump sabotaged. hex_dump calls
// std::exit(0) in the middle of the test case: the test program ends without its test case's record
// (or crashes in its static destructors, Catch2 still capturing std::cout). encode_utf8,
// decode_utf8 and count_code_points are the reference's, so only the two hex_dump test cases may
// lose points. selftest.py fills in the @...@ placeholders when it copies this file.
//
// selftest.py makes the submission's utf8.cpp from solutions/01-bytes/utf8.cpp: the includes
// below are added to its own, and everything after count_code_points is replaced by the rest of
// this file.
#include <cstdlib>
// ---- after count_code_points ----

std::string hex_dump(std::string_view data) {
    static_cast<void>(data);
    std::exit(0);
}

}  // namespace bytes
