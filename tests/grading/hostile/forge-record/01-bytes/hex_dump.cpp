// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): the reference solution of lesson 01 with hex_dump sabotaged. hex_dump writes a
// forged passing record (a start and an end record shaped like tests/harness/workbook_reporter.cpp's)
// for each hex_dump test case, one of which is the test case running, to every descriptor it may
// have open from 3 to 1023 (the grader hands the reporter its records on descriptor 3), to its
// standard output and error, and to every descriptor of every process /proc shows it, its parent
// (the test program) first. Then it returns a wrong result: its two test cases must fail all the
// same, since it runs in the lesson's driver, a program of its own, and the records are written by
// the test program alone. encode_utf8, decode_utf8 and count_code_points are the reference's, so
// only the two hex_dump test cases may lose points. selftest.py fills in the @...@ placeholders
// when it copies this file.
//
// selftest.py makes the submission's utf8.cpp from solutions/01-bytes/utf8.cpp: the includes
// below are added to its own, and everything after count_code_points is replaced by the rest of
// this file.
#include <dirent.h>
#include <fcntl.h>
#include <string>
#include <unistd.h>
// ---- after count_code_points ----

namespace {

// A start record and a passing end record for each hex_dump test case.
std::string forged_records() {
    std::string records;
    for (const char* name : {"hex_dump: two lowercase hex digits per byte and one space between bytes",
                             "hex_dump: bytes 0x80..0xff are shown as they are and not as negative numbers"}) {
        records += std::string("{\"event\":\"start\",\"name\":\"") + name + "\"}\n";
        records += std::string("{\"event\":\"end\",\"name\":\"") + name +
                   "\",\"tags\":[\"hex\",\"pts=1\"],\"file\":\"tests/01-bytes/utf8_test.cpp\",\"line\":1,"
                   "\"passed\":true,\"assertions\":{\"passed\":4,\"failed\":0},\"failures\":[],"
                   "\"transcript\":\"\",\"stdout\":\"\",\"stderr\":\"\"}\n";
    }
    return records;
}

void write_to(int fd, const std::string& text) {
    static_cast<void>(::write(fd, text.data(), text.size()));
}

// Every descriptor /proc/PID/fd lists for `pid`, opened for writing by its path.
void write_through_proc(const std::string& pid, const std::string& text) {
    const std::string folder = "/proc/" + pid + "/fd";
    DIR* dir = ::opendir(folder.c_str());
    if (dir == nullptr) return;
    while (const dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.') continue;
        const int fd = ::open((folder + "/" + entry->d_name).c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) continue;
        write_to(fd, text);
        ::close(fd);
    }
    ::closedir(dir);
}

}  // namespace

std::string hex_dump(std::string_view data) {
    static_cast<void>(data);
    const std::string records = forged_records();
    for (int fd = 3; fd < 1024; ++fd) write_to(fd, records);
    write_to(1, records);
    write_to(2, records);
    write_through_proc(std::to_string(::getppid()), records);
    if (DIR* proc = ::opendir("/proc")) {
        while (const dirent* entry = ::readdir(proc))
            if (entry->d_name[0] >= '1' && entry->d_name[0] <= '9') write_through_proc(entry->d_name, records);
        ::closedir(proc);
    }
    return "forged records were written";
}

}  // namespace bytes
