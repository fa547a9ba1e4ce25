// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): the reference solution of lesson 01 with hex_dump sabotaged. hex_dump allocates
// memory and touches every page, without end. encode_utf8, decode_utf8 and count_code_points are
// the reference's, so only the two hex_dump test cases may lose points. selftest.py fills in the
// @...@ placeholders when it copies this file.
//
// selftest.py makes the submission's utf8.cpp from solutions/01-bytes/utf8.cpp: the includes
// below are added to its own, and everything after count_code_points is replaced by the rest of
// this file.
#include <cstring>
#include <memory>
#include <vector>
// ---- after count_code_points ----

std::string hex_dump(std::string_view data) {
    // 64 MiB at a time, each byte written so that the pages are really used, up to 64 GiB: the
    // sandbox's memory limit must stop it (or refuse the allocation: std::bad_alloc).
    constexpr std::size_t block = std::size_t{64} << 20;
    std::vector<std::unique_ptr<char[]>> hoard;
    for (int i = 0; i < 1024; ++i) {
        hoard.emplace_back(new char[block]);
        std::memset(hoard.back().get(), i + 1, block);
    }
    static_cast<void>(data);
    return "hoarded " + std::to_string(hoard.size()) + " blocks";
}

}  // namespace bytes
