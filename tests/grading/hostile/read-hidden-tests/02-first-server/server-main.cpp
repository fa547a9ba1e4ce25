// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): lesson 02's reference server, started by a main of its own that first looks for
// the teacher's hidden tests (tests/grading/extra/02-first-server: a test case named "teacher: a
// hidden check ..."). It looks where a submission could:
//   - at compile time, .incbin-ing the extra tests' program from the grader's output folder (if
//     the compile can see it);
//   - at run time, in its parent's (the test program's) command line, environment, executable and
//     standard input, through /proc/PPID;
//   - in every file of every mount whose path holds "/extra/" (read from /proc/self/mountinfo).
// If it finds the hidden test's name anywhere, it prints where as its first line and exits 1, so
// every test case fails: the lesson passes in full only when nothing hidden could be reached.
// selftest.py makes server.cpp from solutions/02-first-server/server.cpp (its main renamed
// reference_main) followed by this file, and fills in the @...@ placeholders.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#if __has_include("@OUT@/extra/02-first-server/tests")
asm(".pushsection .rodata\n"
    ".globl hostile_extra_tests\nhostile_extra_tests:\n"
    ".incbin \"@OUT@/extra/02-first-server/tests\"\n"
    ".globl hostile_extra_tests_end\nhostile_extra_tests_end:\n.byte 0\n"
    ".popsection\n");
extern "C" const char hostile_extra_tests[], hostile_extra_tests_end[];
static const std::string embedded_tests(hostile_extra_tests, hostile_extra_tests_end);
#else
static const std::string embedded_tests;
#endif
namespace {

const std::string secret = "teacher: a hidden";

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream all;
    all << in.rdbuf();
    return all.str();
}

// Every regular file at or under `path` (mounts are few and small here; bounded anyway).
void read_tree(const std::string& path, std::vector<std::pair<std::string, std::string>>& found, int depth = 0) {
    struct stat st {};
    if (depth > 4 || ::lstat(path.c_str(), &st) < 0) return;
    if (S_ISREG(st.st_mode)) {
        found.emplace_back(path, read_file(path));
    } else if (S_ISDIR(st.st_mode)) {
        if (DIR* dir = ::opendir(path.c_str())) {
            while (const dirent* e = ::readdir(dir)) {
                const std::string name = e->d_name;
                if (name != "." && name != "..") read_tree(path + "/" + name, found, depth + 1);
            }
            ::closedir(dir);
        }
    }
}

std::string where_found() {
    std::vector<std::pair<std::string, std::string>> places{{"the compile (.incbin)", embedded_tests}};
    const std::string parent = "/proc/" + std::to_string(::getppid());
    for (const char* what : {"/cmdline", "/environ", "/exe", "/fd/0"})
        places.emplace_back(parent + what, read_file(parent + what));
    std::istringstream mounts(read_file("/proc/self/mountinfo"));
    for (std::string line; std::getline(mounts, line);) {
        std::istringstream fields(line);
        std::string id, parent_id, device, root, point;
        fields >> id >> parent_id >> device >> root >> point;
        if (point.find("/extra/") != std::string::npos) read_tree(point, places);
    }
    for (const auto& [where, bytes] : places)
        if (bytes.find(secret) != std::string::npos) return where;
    return "";
}

}  // namespace

int main(int argc, char** argv) {
    const std::string where = where_found();
    if (!where.empty()) {
        std::cout << "found the hidden tests in " << where << std::endl;
        return 1;
    }
    return reference_main(argc, argv);
}
