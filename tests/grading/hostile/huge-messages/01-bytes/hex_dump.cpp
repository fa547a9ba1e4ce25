// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): the reference solution of lesson 01 with hex_dump sabotaged. hex_dump prints
// 12 MiB through std::cout and std::cerr, then throws an exception whose message is 12 MiB long:
// the two hex_dump test cases fail, and the student's feedback.md, results.json and junit.xml must
// stay small (a message is cut, and says so). encode_utf8, decode_utf8 and count_code_points are
// the reference's.
//
// selftest.py makes the submission's utf8.cpp from solutions/01-bytes/utf8.cpp: the includes
// below are added to its own, and everything after count_code_points is replaced by the rest of
// this file.
#include <iostream>
#include <stdexcept>
// ---- after count_code_points ----

std::string hex_dump(std::string_view data) {
    static_cast<void>(data);
    const std::string line(1023, 'x');
    for (int i = 0; i < 12 * 1024; ++i) std::cout << line << '\n';
    for (int i = 0; i < 12 * 1024; ++i) std::cerr << line << '\n';
    throw std::runtime_error(std::string(12 << 20, 'y'));
}

}  // namespace bytes
