#include "child.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/keyctl.h>
#include <net/if.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <fmt/core.h>

#include "filesystem.hpp"
#include "system.hpp"

extern char** environ;

namespace sandbox {

namespace {

// Signal dispositions and the mask are inherited through fork and (for ignored signals and the
// mask) through exec: the program must start with the defaults, whatever the caller had set.
void reset_signals() {
    struct sigaction action {};
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    for (int signal = 1; signal < NSIG; ++signal) {
        if (signal != SIGKILL && signal != SIGSTOP) ::sigaction(signal, &action, nullptr);
    }
    sigset_t none;
    sigemptyset(&none);
    check_system_call("sigprocmask", ::sigprocmask(SIG_SETMASK, &none, nullptr));
}

// The parent writes one byte once it has put the init into its cgroups (and, for user
// namespaces, written its uid map). End of file means the parent died or gave up: exit quietly.
void wait_for_go(int fd) {
    char byte = 0;
    ssize_t n = 0;
    do {
        n = ::read(fd, &byte, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) ::_exit(125);
}

// "lo" starts down in a new network namespace: bring it up (ioctl, so that nothing depends on the
// `ip` command). Nothing else exists in the namespace: no route leaves the machine.
void bring_up_loopback() {
    const FileDescriptor s(
        check_system_call("socket", ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)));
    ifreq request{};
    std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    check_system_call("ioctl SIOCGIFFLAGS lo", ::ioctl(s.get(), SIOCGIFFLAGS, &request));
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
    check_system_call("bring up lo (ioctl SIOCSIFFLAGS)", ::ioctl(s.get(), SIOCSIFFLAGS, &request));
}

// Descriptors 0, 1, 2 and (with --records) 3; everything else is marked close-on-exec, so the
// program inherits nothing else (the error pipe stays usable until exec succeeds).
void install_descriptors(const ChildPlan& plan) {
    struct Move {
        int from;
        int to;
    };
    std::vector<Move> moves{{plan.stdin_fd, 0}, {plan.stdout_fd, 1}, {plan.stderr_fd, 2}};
    if (plan.records_fd >= 0) moves.push_back({plan.records_fd, 3});
    // First out of the way (at 10 and above), so that putting one in place cannot overwrite
    // another that happens to have a small number.
    for (Move& m : moves) {
        m.from = check_system_call("fcntl F_DUPFD_CLOEXEC", ::fcntl(m.from, F_DUPFD_CLOEXEC, 10));
    }
    for (const Move& m : moves) {
        check_system_call(fmt::format("dup2 to descriptor {}", m.to), ::dup2(m.from, m.to));
    }
    const unsigned first_other = plan.records_fd >= 0 ? 4 : 3;
    check_system_call("close_range", ::close_range(first_other, ~0U, CLOSE_RANGE_CLOEXEC));
}

std::string rlimit_name(int resource) {
    switch (resource) {
        case RLIMIT_CPU:
            return "RLIMIT_CPU";
        case RLIMIT_AS:
            return "RLIMIT_AS";
        case RLIMIT_NPROC:
            return "RLIMIT_NPROC";
        case RLIMIT_NOFILE:
            return "RLIMIT_NOFILE";
        case RLIMIT_FSIZE:
            return "RLIMIT_FSIZE";
        case RLIMIT_CORE:
            return "RLIMIT_CORE";
        default:
            return fmt::format("rlimit {}", resource);
    }
}

// Only ever lowers: a limit above the current hard limit (which an unprivileged process cannot
// raise) is clamped to it.
void apply_rlimits(const std::vector<ResourceLimit>& limits) {
    for (const ResourceLimit& limit : limits) {
        rlimit current{};
        check_system_call("getrlimit " + rlimit_name(limit.resource),
                          ::getrlimit(limit.resource, &current));
        const rlimit wanted{std::min(limit.soft, current.rlim_max),
                            std::min(limit.hard, current.rlim_max)};
        check_system_call("setrlimit " + rlimit_name(limit.resource),
                          ::setrlimit(limit.resource, &wanted));
    }
}

int last_capability() {
    const auto text = read_small_file("/proc/sys/kernel/cap_last_cap");
    return text ? std::stoi(*text) : 40;
}

// Root mode: drop to nobody (setgroups first: once the uid is not 0 it is not allowed). User mode:
// the uid map already made the children nobody; the capabilities they hold inside the namespace
// are lost at exec since the uid is not 0. In both, the bounding set is emptied and
// no_new_privs set, so no setuid binary or file capability can give any back.
void drop_privileges(const ChildPlan& plan) {
    if (plan.drop_bounding_set) {
        for (int cap = 0; cap <= last_capability(); ++cap) {
            if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) {
                throw_error(errno, fmt::format("prctl PR_CAPBSET_DROP {}", cap));
            }
        }
    }
    if (plan.become_nobody) {
        check_system_call("setgroups", ::setgroups(0, nullptr));
        check_system_call("setresgid nobody", ::setresgid(nobody_gid, nobody_gid, nobody_gid));
        check_system_call("setresuid nobody", ::setresuid(nobody_uid, nobody_uid, nobody_uid));
    }
    check_system_call("prctl PR_SET_NO_NEW_PRIVS", ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
}

// Kernel keyrings are not namespaced: a program could read or clear the keyring of the session
// grading runs from (a teacher's login), or leave keys in nobody's user keyring for the next
// student's run. The program gets a session keyring of its own (where the kernel has keyrings),
// and then every keyring call fails with EPERM: add_key, request_key, keyctl.
void leave_keyrings() {
    ::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr);  // ENOSYS without keyrings: fine
    scmp_filter_ctx filter = ::seccomp_init(SCMP_ACT_ALLOW);
    if (filter == nullptr) throw_error(ENOMEM, "seccomp_init");
    int rc = 0;
    for (const int call : {SCMP_SYS(add_key), SCMP_SYS(request_key), SCMP_SYS(keyctl)})
        if (rc >= 0) rc = ::seccomp_rule_add(filter, SCMP_ACT_ERRNO(EPERM), call, 0);
    if (rc >= 0) rc = ::seccomp_load(filter);
    ::seccomp_release(filter);
    if (rc < 0) throw_error(-rc, "seccomp: deny the keyring calls");
}

// The parent-death signal is cleared by a change of uid, so it is set after drop_privileges().
// Then the parent is checked: if it died before the prctl, the signal will never come.
void die_with_parent(pid_t expected_parent) {
    check_system_call("prctl PR_SET_PDEATHSIG", ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0));
    if (::getppid() != expected_parent) ::_exit(125);
}

[[noreturn]] void exec_program(const ChildPlan& plan) {
    std::vector<char*> argv;
    for (const std::string& arg : plan.argv) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (const std::string& entry : plan.env) envp.push_back(const_cast<char*>(entry.c_str()));
    envp.push_back(nullptr);
    // execvp searches the PATH of the current environment, so the clean one is put in place first.
    environ = envp.data();
    ::execvp(argv[0], argv.data());
    throw_error(errno, "could not start " + plan.argv[0]);
}

// Forks the program and waits until it has exec'd (or failed to: then throws its reason).
pid_t start_program(const ChildPlan& plan) {
    Pipe exec_error = make_pipe();
    const pid_t pid = check_system_call("fork", ::fork());
    if (pid == 0) {
        exec_error.read.reset();
        run_program(plan, exec_error.write.get());
    }
    exec_error.write.reset();
    const std::string failure = read_all(exec_error.read.get(), "read the program's start");
    if (!failure.empty()) throw std::runtime_error(failure);
    return pid;
}

// Reaps every process that ends in the namespace (orphans are reparented to pid 1) until the
// program itself has ended; returns its wait status.
int reap_until(pid_t program) {
    for (;;) {
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, 0);
        if (pid < 0 && errno == EINTR) continue;
        check_system_call("waitpid", pid);
        if (pid == program) return status;
    }
}

void send(int fd, const std::string& record) {
    try {
        write_all(fd, record, "write to the sandbox");
    } catch (const std::exception&) {
        // The parent is gone; nobody to tell.
    }
}

}  // namespace

void run_init(const ChildPlan& plan) {
    try {
        check_system_call("prctl PR_SET_PDEATHSIG", ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0));
        reset_signals();
        wait_for_go(plan.go_fd);
        // Not dumpable: its /proc files become root's, so that the program (which has the init's
        // uid in user mode) can neither read its environment nor ptrace it. Only after "go": the
        // parent had to write this process's uid map first.
        check_system_call("prctl PR_SET_DUMPABLE", ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0));
        hide_command_line("workbook-sandbox-init");
        // A cgroup namespace rooted at the run's cgroup (the parent has just moved us there), so
        // that /proc/self/cgroup does not show the machine's layout.
        check_system_call("unshare CLONE_NEWCGROUP", ::unshare(CLONE_NEWCGROUP));
        build_root(plan);
        check_system_call("sethostname", ::sethostname("sandbox", 7));
        bring_up_loopback();
        const pid_t program = start_program(plan);
        const int status = reap_until(program);
        if (WIFSIGNALED(status)) {
            send(plan.control_fd, fmt::format("signal {}", WTERMSIG(status)));
        } else {
            send(plan.control_fd, fmt::format("exit {}", WEXITSTATUS(status)));
        }
        ::_exit(0);
    } catch (const std::exception& e) {
        send(plan.control_fd, std::string("error ") + e.what());
        ::_exit(125);
    }
}

void run_program(const ChildPlan& plan, int error_fd) {
    try {
        // Its own session and process group: in none mode the whole group is killed at the end.
        check_system_call("setsid", ::setsid());
        reset_signals();
        install_descriptors(plan);
        apply_rlimits(plan.rlimits);
        check_system_call("chdir " + plan.scratch.string(), ::chdir(plan.scratch.c_str()));
        ::umask(022);
        drop_privileges(plan);
        leave_keyrings();
        die_with_parent(plan.mode == Mode::none ? plan.supervisor : 1);
        exec_program(plan);
    } catch (const std::exception& e) {
        send(error_fd, e.what());
        ::_exit(127);
    }
}

ControlRecord parse_control_record(const std::string& text) {
    ControlRecord record;
    const auto space = text.find(' ');
    const std::string word = text.substr(0, space);
    const std::string rest = space == std::string::npos ? "" : text.substr(space + 1);
    try {
        if (word == "exit") {
            record.kind = ControlRecord::Kind::exited;
            record.value = std::stoi(rest);
        } else if (word == "signal") {
            record.kind = ControlRecord::Kind::signaled;
            record.value = std::stoi(rest);
        } else if (word == "error") {
            record.kind = ControlRecord::Kind::error;
            record.error = rest;
        } else if (!text.empty()) {
            record.kind = ControlRecord::Kind::error;
            record.error = text;  // in none mode: the program's own start failure, as is
        }
    } catch (const std::exception&) {
        record = ControlRecord{ControlRecord::Kind::error, 0,
                               "unreadable report from the sandbox's init: " + text};
    }
    return record;
}

}  // namespace sandbox
