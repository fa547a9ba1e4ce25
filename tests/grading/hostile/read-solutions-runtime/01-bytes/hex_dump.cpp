// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): the reference solution of lesson 01 with hex_dump sabotaged. hex_dump tries to
// read the reference solution at run time: by its absolute path, walking up from the working
// directory and from its own executable. Unless it could read it, it returns a wrong result, so its
// two test cases must fail. encode_utf8, decode_utf8 and count_code_points are the reference's, so
// only the two hex_dump test cases may lose points. selftest.py fills in the @...@ placeholders
// when it copies this file.
//
// selftest.py makes the submission's utf8.cpp from solutions/01-bytes/utf8.cpp: the includes
// below are added to its own, and everything after count_code_points is replaced by the rest of
// this file.
#include <fstream>
#include <iterator>
#include <string>
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

// True when `path` is the reference solution (it has a hex_dump in it).
bool is_the_solution(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    return text.find("hex_dump") != std::string::npos;
}

bool found_the_solution() {
    const std::string tail = "/solutions/01-bytes/utf8.cpp";
    if (is_the_solution("@WORKBOOK_ROOT@" + tail)) return true;
    std::string up = ".";
    for (int level = 0; level < 24; ++level, up += "/..") {
        if (is_the_solution(up + tail)) return true;
    }
    char exe[4096] = {};
    if (::readlink("/proc/self/exe", exe, sizeof exe - 1) > 0) {
        std::string dir = exe;
        while (dir.size() > 1 && dir.find('/') != std::string::npos) {
            dir.erase(dir.rfind('/'));
            if (is_the_solution(dir + tail)) return true;
        }
    }
    return false;
}

std::string hex_dump(std::string_view data) {
    static const bool found = found_the_solution();
    return found ? correct_hex_dump(data) : "the solutions were out of reach";
}

}  // namespace bytes
