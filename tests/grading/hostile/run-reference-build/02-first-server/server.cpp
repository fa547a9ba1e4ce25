// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): a server with no code of its own. It replaces itself with the reference server
// that a grader builds from solutions/: the one beside the tests that start it (found through its
// parent's /proc/PID/exe), or one at the usual places of the workbook's builds. When none can be
// run it fails at once, so every test case of the lesson must lose its points.
// selftest.py fills in the @...@ placeholders when it copies this file.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    static_cast<void>(argc);
    std::vector<std::string> candidates;
    char tests[4096] = {};
    const std::string parent = "/proc/" + std::to_string(::getppid()) + "/exe";
    if (::readlink(parent.c_str(), tests, sizeof tests - 1) > 0) {
        std::string dir = tests;
        candidates.push_back(dir.substr(0, dir.rfind('/')) + "/server");
    }
    for (const char* build : {"grade", "solutions", "student", "asan"})
        candidates.push_back(std::string("@WORKBOOK_ROOT@/build/") + build + "/bin/02-first-server/server");
    char self[4096] = {};
    static_cast<void>(::readlink("/proc/self/exe", self, sizeof self - 1));
    int error = ENOENT;
    for (const std::string& path : candidates) {
        if (path == self) continue;  // never itself: that would go round for ever
        ::execv(path.c_str(), argv);  // returns only when it failed
        error = errno;
    }
    std::cerr << "server: exec: " << std::strerror(error) << std::endl;
    return 1;
}
