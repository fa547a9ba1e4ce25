// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): the reference solution of lesson 01 with hex_dump sabotaged. hex_dump prints what
// passing looks like (Catch2's "All tests passed" line and records shaped like the workbook
// reporter's) on standard output and error, then returns a wrong result: its two test cases must
// fail all the same. encode_utf8, decode_utf8 and count_code_points are the reference's, so only
// the two hex_dump test cases may lose points. selftest.py fills in the @...@ placeholders when it
// copies this file.
//
// selftest.py makes the submission's utf8.cpp from solutions/01-bytes/utf8.cpp: the includes
// below are added to its own, and everything after count_code_points is replaced by the rest of
// this file.
#include <iostream>
#include <string_view>
#include <unistd.h>
// ---- after count_code_points ----

// What a passing run prints, and two records shaped like the reporter's, one per hex_dump test case.
constexpr std::string_view fake = R"fake(===============================================================================
All tests passed (4 assertions in 1 test case)

{"event":"start","name":"hex_dump: two lowercase hex digits per byte and one space between bytes"}
{"event":"end","name":"hex_dump: two lowercase hex digits per byte and one space between bytes","tags":["hex","pts=1"],"file":"tests/01-bytes/utf8_test.cpp","line":1,"passed":true,"assertions":{"passed":4,"failed":0},"failures":[],"transcript":"","stdout":"","stderr":""}
{"event":"start","name":"hex_dump: bytes 0x80..0xff are shown as they are and not as negative numbers"}
{"event":"end","name":"hex_dump: bytes 0x80..0xff are shown as they are and not as negative numbers","tags":["hex","pts=1"],"file":"tests/01-bytes/utf8_test.cpp","line":1,"passed":true,"assertions":{"passed":4,"failed":0},"failures":[],"transcript":"","stdout":"","stderr":""}
)fake";

std::string hex_dump(std::string_view data) {
    static_cast<void>(::write(1, fake.data(), fake.size()));
    static_cast<void>(::write(2, fake.data(), fake.size()));
    std::cout << fake << std::flush;
    std::cerr << fake << std::flush;
    static_cast<void>(data);
    return "all tests passed";
}

}  // namespace bytes
