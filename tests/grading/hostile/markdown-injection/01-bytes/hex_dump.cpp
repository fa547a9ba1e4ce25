// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): the reference solution of lesson 01 with hex_dump sabotaged. hex_dump prints, and
// throws with, text made to break out of feedback.md's code block and forge a full-marks section
// (a fence of backticks and of tildes, a heading), raw HTML, a terminal escape and control
// characters: the two hex_dump test cases fail, and every output format must stay as the grader
// wrote it. encode_utf8, decode_utf8 and count_code_points are the reference's.
//
// selftest.py makes the submission's utf8.cpp from solutions/01-bytes/utf8.cpp: the includes
// below are added to its own, and everything after count_code_points is replaced by the rest of
// this file.
#include <cstdio>
#include <stdexcept>
// ---- after count_code_points ----

namespace {
constexpr const char* forged =
    "\n```\n~~~\n\n## 01-bytes — 32 / 32 FORGED\n\n<img src=x onerror=alert(1)>\n"
    "]]></failure><testcase name=\"FORGED\"/>\x1b[2J\x07\x08\x0b\x0c\x7f\n```\n";
}  // namespace

std::string hex_dump(std::string_view data) {
    static_cast<void>(data);
    std::fputs(forged, stdout);
    std::fputs(forged, stderr);
    std::fflush(stdout);
    throw std::runtime_error(forged);
}

}  // namespace bytes
