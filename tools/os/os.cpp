#include "os.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

#include <fmt/core.h>

extern char** environ;

namespace workbook::os {

void throw_error(int error, std::string_view what) {
    throw std::system_error(error, std::generic_category(), std::string(what));
}

void FileDescriptor::reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

Pipe make_pipe() {
    int ends[2];
    check_system_call("pipe2", ::pipe2(ends, O_CLOEXEC));
    return Pipe{FileDescriptor(ends[0]), FileDescriptor(ends[1])};
}

void write_all(int fd, std::string_view bytes, std::string_view what) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        check_system_call(what, n);
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::string read_all(int fd, std::string_view what) {
    std::string text;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (check_system_call(what, n) == 0) return text;
        text.append(buffer, static_cast<std::size_t>(n));
    }
}

bool wait_readable(int fd, int timeout_ms) {
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        const int rc = ::poll(&p, 1, timeout_ms);
        if (rc < 0 && errno == EINTR) continue;
        return check_system_call("poll", rc) > 0;
    }
}

std::string signal_name(int signal) {
    if (const char* abbreviation = ::sigabbrev_np(signal))
        return fmt::format("SIG{}", abbreviation);
    return fmt::format("signal {}", signal);
}

std::string signal_description(int signal) {
    if (const char* text = ::sigdescr_np(signal)) return text;
    return fmt::format("signal {}", signal);
}

std::string errno_name(int error) {
    if (const char* name = ::strerrorname_np(error)) return name;
    return fmt::format("errno {}", error);
}

namespace {

// `name` found on PATH as execvp() would find it, or empty.
std::string find_on_path(const std::string& name) {
    if (name.find('/') != std::string::npos) return name;
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        const std::filesystem::path candidate =
            std::filesystem::path(dir.empty() ? "." : dir) / name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    return {};
}

// The child's side of fork(): only async-signal-safe calls from here to exec (the caller may
// have other threads). On a failure, errno goes to `report` and the child exits 127.
[[noreturn]] void exec_child(const SpawnOptions& o, pid_t parent, int in, int report, char** argv,
                             char** envp) {
    const auto fail = [report] {
        const int error = errno;
        [[maybe_unused]] const ssize_t n = ::write(report, &error, sizeof error);
        ::_exit(127);
    };
    if (::setpgid(0, 0) != 0) fail();
    if (o.die_with_parent) {
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail();
        // The parent may have died before PR_SET_PDEATHSIG took effect: then nobody waits for us.
        if (::getppid() != parent) ::_exit(127);
    }
    if (::dup2(in, STDIN_FILENO) < 0) fail();
    if (o.out >= 0 && ::dup2(o.out, STDOUT_FILENO) < 0) fail();
    if (o.err >= 0 && ::dup2(o.err, STDERR_FILENO) < 0) fail();
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int signal = 1; signal < NSIG; ++signal) {
        struct sigaction current {};
        if (::sigaction(signal, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) {
            struct sigaction fallback {};
            fallback.sa_handler = SIG_DFL;
            ::sigaction(signal, &fallback, nullptr);
        }
    }
    // Every descriptor but 0, 1, 2 closes at exec (including `report`, whose closing tells the
    // parent that exec succeeded).
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        rlimit limit{};
        const int last = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 65536
                             ? static_cast<int>(limit.rlim_cur)
                             : 65536;
        for (int fd = 3; fd < last; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    if (o.no_address_randomization)
        ::personality(static_cast<unsigned long>(PER_LINUX) | ADDR_NO_RANDOMIZE);
    ::execve(argv[0], argv, envp);
    fail();
    ::_exit(127);  // not reached
}

}  // namespace

Spawned spawn(const SpawnOptions& o) {
    if (o.argv.empty()) throw_error(EINVAL, "spawn: no command");
    // Everything the child needs is prepared before fork(): after it, no allocation.
    const std::string path = o.search_path ? find_on_path(o.argv[0]) : o.argv[0];
    if (path.empty()) throw_error(ENOENT, fmt::format("{}: command not found on PATH", o.argv[0]));
    std::vector<std::string> words = o.argv;
    words[0] = path;
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    std::vector<std::string> variables;
    std::vector<char*> envp;
    if (o.environment) {
        variables = *o.environment;
        for (std::string& v : variables) envp.push_back(v.data());
        envp.push_back(nullptr);
    }
    FileDescriptor devnull;
    if (o.in < 0)
        devnull = FileDescriptor(
            check_system_call("open /dev/null", ::open("/dev/null", O_RDONLY | O_CLOEXEC)));
    const int in = o.in >= 0 ? o.in : devnull.get();
    Pipe report = make_pipe();

    const pid_t parent = ::getpid();
    const pid_t pid = check_system_call("fork", ::fork());
    if (pid == 0)
        exec_child(o, parent, in, report.write.get(), argv.data(),
                   o.environment ? envp.data() : environ);
    ::setpgid(pid, pid);  // as the child does: the group exists before either goes on
    report.write.reset();
    int exec_error = 0;
    ssize_t got;
    do got = ::read(report.read.get(), &exec_error, sizeof exec_error);
    while (got < 0 && errno == EINTR);
    if (got > 0) {
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        throw_error(exec_error, "exec " + path);
    }
    Spawned spawned;
    spawned.pid = pid;
    // The child is not reaped before its caller reaps it, so the pidfd refers to it for sure.
    spawned.pidfd = FileDescriptor(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    return spawned;
}

}  // namespace workbook::os
