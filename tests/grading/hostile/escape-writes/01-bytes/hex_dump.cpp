// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): the reference solution of lesson 01 with hex_dump sabotaged. hex_dump tries to
// create files outside its folder: /tmp, the repository, the submissions, the grader's output, ../.
// It then returns the correct result: what is checked is that none of these files exist afterwards.
// encode_utf8, decode_utf8 and count_code_points are the reference's, so only the two hex_dump test
// cases may lose points. selftest.py fills in the @...@ placeholders when it copies this file.
//
// selftest.py makes the submission's utf8.cpp from solutions/01-bytes/utf8.cpp: the includes
// below are added to its own, and everything after count_code_points is replaced by the rest of
// this file.
#include <fcntl.h>
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
    // The self-test looks for every one of these afterwards (and for its name anywhere in its
    // temporary folder).
    const char* const targets[] = {
        "/tmp/workbook-hostile-escape-@TOKEN@",
        "/var/tmp/workbook-hostile-escape-@TOKEN@",
        "/dev/shm/workbook-hostile-escape-@TOKEN@",
        "@WORKBOOK_ROOT@/workbook-hostile-escape-@TOKEN@",
        "@WORKBOOK_ROOT@/solutions/01-bytes/workbook-hostile-escape-@TOKEN@",
        "@WORKBOOK_ROOT@/build/grade/workbook-hostile-escape-@TOKEN@",
        "@SUBMISSIONS@/workbook-hostile-escape-@TOKEN@",
        "@SUBMISSIONS@/reference/01-bytes/workbook-hostile-escape-@TOKEN@",
        "@OUT@/workbook-hostile-escape-@TOKEN@",
        "../workbook-hostile-escape-@TOKEN@",
        "../../workbook-hostile-escape-@TOKEN@",
        "../../../workbook-hostile-escape-@TOKEN@",
    };
    for (const char* target : targets) {
        const int fd = ::open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fd < 0) continue;
        static_cast<void>(::write(fd, "escaped\n", 8));
        ::close(fd);
    }
    return correct_hex_dump(data);
}

}  // namespace bytes
