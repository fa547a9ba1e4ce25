// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): the reference solution of lesson 01 with hex_dump sabotaged. hex_dump tries to
// kill its parent and every process it may signal (kill(-1)). It then returns the correct result:
// what is checked is that the grader and every other submission carry on as if nothing happened.
// encode_utf8, decode_utf8 and count_code_points are the reference's, so only the two hex_dump test
// cases may lose points. selftest.py fills in the @...@ placeholders when it copies this file.
//
// selftest.py makes the submission's utf8.cpp from solutions/01-bytes/utf8.cpp: the includes
// below are added to its own, and everything after count_code_points is replaced by the rest of
// this file.
#include <csignal>
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
    static const bool done = [] {
        const pid_t parent = ::getppid();
        if (parent > 1) ::kill(parent, SIGKILL);  // 0 would mean our own process group
        ::kill(-1, SIGKILL);                      // every process we may signal, but ourselves
        return true;
    }();
    static_cast<void>(done);
    return correct_hex_dump(data);
}

}  // namespace bytes
