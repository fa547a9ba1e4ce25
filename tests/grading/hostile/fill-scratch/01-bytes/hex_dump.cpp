// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): the reference solution of lesson 01 with hex_dump sabotaged. Many files just under
// the file-size limit fill the grader's disk, which zeroes every student graded after: hex_dump
// writes 48 files of 4 MiB in its working directory (the scratch, inside the grader's --out), then
// as many in /tmp, ignoring every error, and returns the right answer. encode_utf8, decode_utf8 and
// count_code_points are the reference's. selftest.py fills in the @...@ placeholders.
//
// selftest.py makes the submission's utf8.cpp from solutions/01-bytes/utf8.cpp: the includes
// below are added to its own, and everything after count_code_points is replaced by the rest of
// this file.
#include <fcntl.h>
#include <unistd.h>
// ---- after count_code_points ----

namespace {
void fill(const std::string& folder) {
    const std::string chunk(4 << 20, 'x');
    for (int i = 0; i < 48; ++i) {
        const std::string name = folder + "hostile-fill-" + std::to_string(i) + ".bin";
        const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) continue;
        static_cast<void>(::write(fd, chunk.data(), chunk.size()));
        ::close(fd);
    }
}
}  // namespace

@REFERENCE_HEX_DUMP@
std::string hex_dump(std::string_view data) {
    fill("");
    fill("/tmp/");
    return reference_hex_dump(data);
}

}  // namespace bytes
