// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): the reference solution of lesson 01 with hex_dump sabotaged. hex_dump writes bytes
// that are not UTF-8 (and a terminal escape) to stdout and stderr, then throws an exception whose
// message is not UTF-8 either: the two hex_dump test cases fail, and the gradebook, feedback.md,
// results.json and junit.xml must still be written, with those bytes replaced. encode_utf8,
// decode_utf8 and count_code_points are the reference's. selftest.py fills in the @...@
// placeholders when it copies this file.
//
// selftest.py makes the submission's utf8.cpp from solutions/01-bytes/utf8.cpp: the includes
// below are added to its own, and everything after count_code_points is replaced by the rest of
// this file.
#include <cstdio>
#include <stdexcept>
// ---- after count_code_points ----

std::string hex_dump(std::string_view data) {
    static_cast<void>(data);
    std::fputs("caf\xe9 \xff\xfe \x1b[2J\n", stdout);
    std::fputs("caf\xe9 \xff\xfe \x1b[2J\n", stderr);
    std::fflush(stdout);
    throw std::runtime_error("caf\xe9 \xff\xfe \xc3");
}

}  // namespace bytes
