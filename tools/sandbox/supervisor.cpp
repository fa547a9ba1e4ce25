// How a run goes, in the parent:
//
//   1. Check the paths (canonical, no symlink tricks), open the files outside the sandbox (output
//      files with O_NOFOLLOW), make the pipes, give the scratch to nobody when running as root.
//   2. Create the run's cgroups and decide, limit by limit, what enforces it (cgroup or rlimit).
//   3. clone3() the init into new pid, mount, network, IPC and UTS namespaces (and a user
//      namespace in user mode), with a pidfd. The init waits on the "go" pipe, because the parent
//      still has work to do first: write the user namespace's uid/gid maps, and move the init into
//      the cgroups before it forks the program, so that every process of the run is counted.
//   4. Watch: poll() the output pipes, the records pipe, the control pipe and the init's pidfd,
//      with the wall-clock deadline (and a CPU check every 100 ms) as the timeout. No sleeps.
//      Killing means SIGKILL to the init: its pid namespace dies with it, every process in it.
//   5. Reap the init, drain the pipes to end of file, read the cgroups' counters, remove them.
//
// In none mode (--unsafe) there is no init: the program is our direct child, in its own process
// group; the sandbox makes itself a child subreaper, so that what the program leaves behind
// (even after setsid) is reparented to it and killed at the end.
#include "supervisor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <system_error>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>

#include <fmt/core.h>

#include "cgroups.hpp"
#include "child.hpp"
#include "filesystem.hpp"
#include "plan.hpp"
#include "system.hpp"

namespace sandbox {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds cpu_check_interval{100};
constexpr milliseconds final_drain{2000};
constexpr milliseconds kill_grace{10000};  // a killed tree that has not ended by then is a bug
constexpr std::uint64_t control_cap = 64 * 1024;
constexpr std::uint64_t mib = 1024 * 1024;
constexpr std::uint64_t default_tmp_bytes = 64 * mib;

// clone3's argument (the first version of struct clone_args, which every kernel with clone3
// accepts). Spelled out here because <linux/sched.h> clashes with glibc's <sched.h>.
struct CloneArgs {
    std::uint64_t flags = 0;
    std::uint64_t pidfd = 0;
    std::uint64_t child_tid = 0;
    std::uint64_t parent_tid = 0;
    std::uint64_t exit_signal = 0;
    std::uint64_t stack = 0;
    std::uint64_t stack_size = 0;
    std::uint64_t tls = 0;
};

// clone3 refused the namespaces (not allowed here): auto mode then tries user namespaces.
class NamespacesRefused : public std::system_error {
  public:
    using std::system_error::system_error;
};

Mode choose_mode(const Options& o) {
    switch (o.isolation) {
        case Isolation::none:
            return Mode::none;
        case Isolation::root:
            if (::geteuid() != 0)
                throw UsageError("--isolation root needs root (try --isolation user)");
            return Mode::root;
        case Isolation::user:
            return Mode::user;
        case Isolation::automatic:
            break;
    }
    return ::geteuid() == 0 ? Mode::root : Mode::user;
}

// ---- preparing -------------------------------------------------------------------------------

struct Paths {
    fs::path scratch;
    std::vector<Bind> binds;
};

Paths check_paths(const Options& o) {
    Paths paths;
    paths.scratch = canonical_scratch(o.scratch);
    for (const fs::path& given : o.read_only) {
        const fs::path path = canonical_read_only(given);
        const bool known = std::any_of(paths.binds.begin(), paths.binds.end(),
                                       [&](const Bind& b) { return b.path == path; });
        if (!path.empty() && path != paths.scratch && !known) paths.binds.push_back({path, false});
    }
    paths.binds.push_back({paths.scratch, !o.scratch_read_only});
    // Parents before children: a --ro folder inside the scratch is mounted over it, not under it.
    std::stable_sort(paths.binds.begin(), paths.binds.end(), [](const Bind& a, const Bind& b) {
        return std::distance(a.path.begin(), a.path.end()) <
               std::distance(b.path.begin(), b.path.end());
    });
    if (o.stdin_file && !fs::exists(*o.stdin_file)) {
        throw UsageError("--stdin " + o.stdin_file->string() + ": no such file");
    }
    return paths;
}

std::vector<std::string> clean_environment(const Options& o, const fs::path& scratch) {
    std::map<std::string, std::string> env{{"PATH", "/usr/local/bin:/usr/bin:/bin"},
                                           {"HOME", scratch.string()},
                                           {"LANG", "C.UTF-8"},
                                           {"TMPDIR", "/tmp"}};
    for (const std::string& entry : o.env) {
        const auto equals = entry.find('=');
        env[entry.substr(0, equals)] = entry.substr(equals + 1);
    }
    std::vector<std::string> list;
    for (const auto& [key, value] : env) list.push_back(key + "=" + value);
    return list;
}

std::string cgroup_label(const ControllerDir& d) {
    return "cgroup-" + to_string(d.version);
}

// What enforces each limit, now that the cgroups that could be made are known: the rlimits to set
// in the program, and the labels of the report's "limits_enforced".
std::vector<ResourceLimit> choose_rlimits(const Options& o, Mode mode, const RunCgroups* cgroups,
                                          std::vector<std::string>& enforced) {
    std::vector<ResourceLimit> limits{{RLIMIT_CORE, 0, 0}};  // no core files (nor core helpers)
    enforced.push_back("wall");
    if (o.cpu_seconds) {
        // RLIMIT_CPU is whole seconds, per process: SIGXCPU at the soft limit, SIGKILL one
        // second later. The cgroup check below adds up every process, to the 100 ms.
        const auto seconds = static_cast<rlim_t>(std::ceil(*o.cpu_seconds));
        limits.push_back({RLIMIT_CPU, seconds, seconds + 1});
        enforced.push_back("cpu");
        if (cgroups && cgroups->cpu().active())
            enforced.push_back("cpu:" + cgroup_label(cgroups->cpu()));
    }
    if (o.memory_mib) {
        if (cgroups && cgroups->memory().active()) {
            enforced.push_back("memory:" + cgroup_label(cgroups->memory()));
        } else if (!o.no_address_space_limit) {
            const rlim_t bytes = *o.memory_mib * mib;
            limits.push_back({RLIMIT_AS, bytes, bytes});
            enforced.push_back("memory:rlimit-as");
        }
    }
    if (o.pids) {
        if (cgroups && cgroups->pids().active()) {
            enforced.push_back("pids:" + cgroup_label(cgroups->pids()));
        } else {
            // RLIMIT_NPROC counts every process of the uid. In a fresh user namespace that is
            // only the run's (the init, which has the program's uid there, included); otherwise
            // it is shared with every other process of nobody (or of the user).
            const bool init_counted = mode == Mode::user && ::geteuid() != 0;
            const rlim_t n = *o.pids + (init_counted ? 1 : 0);
            limits.push_back({RLIMIT_NPROC, n, n});
            enforced.push_back(mode == Mode::user ? "pids:rlimit-userns" : "pids:rlimit-shared");
        }
    }
    if (o.files) {
        limits.push_back({RLIMIT_NOFILE, *o.files, *o.files});
        enforced.push_back("files");
    }
    if (o.fsize_mib) {
        const rlim_t bytes = *o.fsize_mib * mib;
        limits.push_back({RLIMIT_FSIZE, bytes, bytes});
        enforced.push_back("fsize");
    }
    enforced.push_back("output");
    return limits;
}

FileDescriptor open_input(const std::optional<fs::path>& file) {
    const std::string path = file ? file->string() : "/dev/null";
    return FileDescriptor(
        check_system_call("open " + path, ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)));
}

void set_nonblocking(const FileDescriptor& fd) {
    const int flags = check_system_call("fcntl F_GETFL", ::fcntl(fd.get(), F_GETFL));
    check_system_call("fcntl F_SETFL", ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK));
}

// ---- the pipes from the sandbox ----------------------------------------------------------------

// One pipe read whenever data arrives: the first `cap` bytes go to a descriptor or a string, the
// rest is read and dropped, so that the writer never blocks on a full pipe.
class Drain {
  public:
    enum class Kind { output, records, control };

    Drain(Kind kind, std::string name, FileDescriptor source, int sink, std::string* text,
          std::uint64_t cap)
        : kind_(kind),
          name_(std::move(name)),
          source_(std::move(source)),
          sink_(sink),
          text_(text),
          cap_(cap) {
        set_nonblocking(source_);
    }

    Kind kind() const { return kind_; }
    int fd() const { return source_.get(); }
    bool open() const { return static_cast<bool>(source_); }
    bool truncated() const { return truncated_; }
    const std::string& name() const { return name_; }

    // Reads what is there (a bounded number of times, so that a flood on one pipe cannot starve
    // the others or the deadlines).
    void pump() {
        std::array<char, 64 * 1024> buffer;
        for (int round = 0; round < 16 && source_; ++round) {
            const ssize_t n = ::read(source_.get(), buffer.data(), buffer.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) return;
            if (check_system_call("read the " + name_, n) == 0) {
                source_.reset();
                return;
            }
            keep(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
        }
    }

  private:
    void keep(std::string_view bytes) {
        const auto room = static_cast<std::size_t>(cap_ - kept_);
        if (bytes.size() > room) truncated_ = true;
        bytes = bytes.substr(0, std::min(bytes.size(), room));
        if (bytes.empty()) return;
        kept_ += bytes.size();
        if (text_) {
            text_->append(bytes);
        } else {
            write_all(sink_, bytes, "write the program's " + name_);
        }
    }

    Kind kind_;
    std::string name_;
    FileDescriptor source_;
    int sink_ = -1;
    std::string* text_ = nullptr;
    std::uint64_t cap_ = 0;
    std::uint64_t kept_ = 0;
    bool truncated_ = false;
};

// ---- the child ---------------------------------------------------------------------------------

// The process we cloned (the init, or the program in none mode), held by its pidfd: the pid
// cannot be reused until we reap it. The destructor kills and reaps it if that has not happened.
class Child {
  public:
    Child(pid_t pid, FileDescriptor pidfd, bool group)
        : pid_(pid), pidfd_(std::move(pidfd)), group_(group) {}
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child() {
        if (reaped_) return;
        kill();
        ::waitpid(pid_, nullptr, 0);
    }

    pid_t pid() const { return pid_; }
    int pidfd() const { return pidfd_.get(); }

    void kill() const {
        ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
        if (group_) ::kill(-pid_, SIGKILL);  // none mode: the program's process group too
    }

    // Reaps it (it has ended: the pidfd said so). Returns its wait status.
    int reap() {
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0) {
            if (errno != EINTR) throw_error(errno, "waitpid");
        }
        reaped_ = true;
        return status;
    }

  private:
    pid_t pid_;
    FileDescriptor pidfd_;
    bool group_;
    bool reaped_ = false;
};

bool namespaces_refused(int error) {
    return error == EPERM || error == EINVAL || error == ENOSPC || error == EUSERS ||
           error == ENOSYS;
}

// clone3: a copy of this process (no CLONE_VM, like fork), in new namespaces, with a pidfd.
std::unique_ptr<Child> launch(const ChildPlan& plan) {
    std::uint64_t flags = CLONE_PIDFD;
    if (plan.mode != Mode::none)
        flags |= CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
    if (plan.mode == Mode::user) flags |= CLONE_NEWUSER;
    int pidfd = -1;
    CloneArgs args;
    args.flags = flags;
    args.pidfd = reinterpret_cast<std::uintptr_t>(&pidfd);
    args.exit_signal = SIGCHLD;
    const long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0) {
        const int error = errno;
        if (plan.mode != Mode::none && namespaces_refused(error)) {
            throw NamespacesRefused(
                error, std::generic_category(),
                fmt::format("cannot create the sandbox's namespaces ({} isolation)",
                            to_string(plan.mode)));
        }
        throw_error(error, "clone3");
    }
    if (pid == 0) {
        // The copies of the parent's ends would keep pipes open (the go pipe could never reach
        // end of file if the parent died).
        for (const int fd : plan.parent_only_fds) ::close(fd);
        if (plan.mode == Mode::none) run_program(plan, plan.control_fd);
        run_init(plan);
    }
    return std::make_unique<Child>(static_cast<pid_t>(pid), FileDescriptor(pidfd),
                                   plan.mode == Mode::none);
}

// User mode: the ids the init and the program have in their user namespace. An ordinary user can
// map one id, its own: it becomes nobody inside. Root maps root and nobody to themselves, so that
// the init can still build the root and the program runs as the real nobody.
void write_id_maps(pid_t pid) {
    const fs::path proc = fmt::format("/proc/{}", pid);
    if (::geteuid() == 0) {
        write_control_file(proc / "uid_map", fmt::format("0 0 1\n{0} {0} 1\n", nobody_uid));
        write_control_file(proc / "gid_map", fmt::format("0 0 1\n{0} {0} 1\n", nobody_gid));
        return;
    }
    // Unprivileged maps require setgroups to be denied first.
    write_control_file(proc / "setgroups", "deny");
    write_control_file(proc / "uid_map", fmt::format("{} {} 1\n", nobody_uid, ::geteuid()));
    write_control_file(proc / "gid_map", fmt::format("{} {} 1\n", nobody_gid, ::getegid()));
}

// ---- none mode: what the program left behind ------------------------------------------------

// A process's /proc/PID/stat, or "" if the process ended between the listing of /proc and the
// reading of its stat (ENOENT at the open, ESRCH at the read): a race, not the sandbox's failure.
std::string stat_of(const fs::path& process) {
    try {
        return read_small_file(process / "stat").value_or("");
    } catch (const std::system_error& e) {
        if (e.code().value() == ESRCH || e.code().value() == ENOENT) return "";
        throw;
    }
}

std::vector<pid_t> our_children() {
    std::vector<pid_t> children;
    const pid_t self = ::getpid();
    std::error_code error;
    for (const auto& entry : fs::directory_iterator("/proc", error)) {
        const std::string name = entry.path().filename().string();
        const auto digit = [](unsigned char c) { return c >= '0' && c <= '9'; };
        if (name.empty() || !std::all_of(name.begin(), name.end(), digit)) continue;
        const std::string stat = stat_of(entry.path());
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so parse after the
        // last ')'.
        const auto close = stat.rfind(')');
        if (close == std::string::npos || close + 4 >= stat.size()) continue;
        const auto ppid_start = stat.find(' ', close + 2) + 1;
        if (std::atoi(stat.c_str() + ppid_start) == self) children.push_back(std::stoi(name));
    }
    return children;
}

// Kills the program's group, then every process reparented to us (we are a child subreaper), until
// none is left: killing a parent reparents its children to us, hence the rounds.
void kill_leftovers(pid_t group) {
    ::kill(-group, SIGKILL);
    for (int round = 0; round < 100; ++round) {
        const std::vector<pid_t> children = our_children();
        if (children.empty()) return;
        for (const pid_t pid : children) ::kill(pid, SIGKILL);
        for (const pid_t pid : children) ::waitpid(pid, nullptr, 0);
    }
}

double children_cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_CHILDREN, &usage);
    const auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// SIGINT, SIGTERM and SIGHUP to the sandbox (a teacher's Ctrl-C, a caller's own time-out) are
// read from a signalfd in the watch loop instead of killing the sandbox outright: it then kills
// the run, removes its cgroups, and reports "internal". Blocked before the clone, so that none is
// lost; the children unblock everything before they do anything else.
class InterruptSignals {
  public:
    InterruptSignals() {
        sigset_t set;
        sigemptyset(&set);
        for (const int signal : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, signal);
        check_system_call("sigprocmask", ::sigprocmask(SIG_BLOCK, &set, &previous_));
        fd_ = FileDescriptor(
            check_system_call("signalfd", ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)));
    }
    ~InterruptSignals() { ::sigprocmask(SIG_SETMASK, &previous_, nullptr); }
    InterruptSignals(const InterruptSignals&) = delete;
    InterruptSignals& operator=(const InterruptSignals&) = delete;

    int fd() const { return fd_.get(); }
    // The signal that arrived, 0 if none.
    int take() const {
        signalfd_siginfo info{};
        return ::read(fd_.get(), &info, sizeof info) == sizeof info
                   ? static_cast<int>(info.ssi_signo)
                   : 0;
    }

  private:
    sigset_t previous_{};
    FileDescriptor fd_;
};

// ---- the run -----------------------------------------------------------------------------------

class Run {
  public:
    Run(const Options& o, Mode mode, const Paths& paths, Report& report)
        : o_(o), mode_(mode), paths_(paths), report_(report) {}

    Ending execute();

  private:
    void prepare();
    void start();
    void watch();
    void enforce_deadlines(Clock::time_point now);
    bool drained() const;
    void wait_for_events(Clock::time_point now);
    void kill(KillReason reason, std::string stream = "");
    void check_cpu();
    void on_child_end();
    int poll_timeout(Clock::time_point now) const;
    Ending facts();

    const Options& o_;
    Mode mode_;
    const Paths& paths_;
    Report& report_;

    ChildPlan plan_;
    InterruptSignals interrupts_;
    int interrupted_by_ = 0;
    std::unique_ptr<RunCgroups> cgroups_;
    FileDescriptor stdin_, stdout_file_, stderr_file_, records_file_;
    Pipe out_, err_, records_, control_, go_;
    std::vector<Drain> drains_;  // stdout, stderr, control, records
    std::string control_text_;
    std::unique_ptr<Child> child_;

    Clock::time_point started_, ended_at_, wall_deadline_, next_cpu_check_, drain_deadline_,
        kill_deadline_;
    bool ended_ = false;
    int child_status_ = 0;
    KillReason killed_ = KillReason::none;
    std::string killed_stream_;
    double cpu_before_ = 0;
};

void Run::prepare() {
    stdin_ = open_input(o_.stdin_file);
    if (o_.stdout_file) stdout_file_ = create_output_file(*o_.stdout_file);
    if (o_.stderr_file) stderr_file_ = create_output_file(*o_.stderr_file);
    if (o_.records_file) records_file_ = create_output_file(*o_.records_file);
    out_ = make_pipe();
    err_ = make_pipe();
    control_ = make_pipe();
    go_ = make_pipe();
    if (o_.records_file) records_ = make_pipe();

    // The program runs as nobody, except in user mode for an ordinary user (there the user's own
    // uid is nobody inside, and owns the scratch already).
    if (::geteuid() == 0) give_tree_to(paths_.scratch, nobody_uid, nobody_gid);

    if (mode_ != Mode::none) {
        const CgroupLayout layout = CgroupLayout::read();
        remove_stale_runs(layout);
        CgroupRequest request;
        if (o_.memory_mib) request.memory_bytes = *o_.memory_mib * mib;
        if (o_.pids) request.max_tasks = *o_.pids + 1;  // + the init
        request.cpu_accounting = true;                  // for cpu_ms, and the --cpu check
        request.cpu_weight = true;  // an equal share of the CPU, however many processes it starts
        std::vector<std::string> problems;  // each has its fallback, named in the report
        cgroups_ = std::make_unique<RunCgroups>(layout, request, problems);
    }

    plan_.mode = mode_;
    plan_.argv = o_.command;
    plan_.env = clean_environment(o_, paths_.scratch);
    plan_.scratch = paths_.scratch;
    plan_.binds = paths_.binds;
    plan_.tmp_bytes = o_.fsize_mib ? *o_.fsize_mib * mib : default_tmp_bytes;
    plan_.rlimits = choose_rlimits(o_, mode_, cgroups_.get(), report_.limits_enforced);
    report_.cpu_weight = cgroups_ && cgroups_->cpu_weight().active();
    plan_.become_nobody = ::geteuid() == 0;
    plan_.drop_bounding_set = mode_ != Mode::none || ::geteuid() == 0;
    plan_.supervisor = ::getpid();
    plan_.stdin_fd = stdin_.get();
    plan_.stdout_fd = out_.write.get();
    plan_.stderr_fd = err_.write.get();
    plan_.records_fd = o_.records_file ? records_.write.get() : -1;
    plan_.control_fd = control_.write.get();
    plan_.go_fd = go_.read.get();
    for (const FileDescriptor* fd : {&out_.read, &err_.read, &control_.read, &records_.read,
                                     &go_.write, &stdout_file_, &stderr_file_, &records_file_}) {
        if (*fd) plan_.parent_only_fds.push_back(fd->get());
    }
    plan_.parent_only_fds.push_back(interrupts_.fd());
}

void Run::start() {
    if (mode_ == Mode::none) {
        check_system_call("prctl PR_SET_CHILD_SUBREAPER",
                          ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
    }
    cpu_before_ = children_cpu_seconds();
    started_ = Clock::now();
    child_ = launch(plan_);
    // The child has its copies; ours of its ends must go, or we would never see end of file.
    out_.write.reset();
    err_.write.reset();
    records_.write.reset();
    control_.write.reset();
    go_.read.reset();
    stdin_.reset();

    if (mode_ == Mode::user) write_id_maps(child_->pid());
    if (cgroups_) cgroups_->attach(child_->pid());
    if (mode_ != Mode::none) write_all(go_.write.get(), "g", "start the sandbox's init");
    go_.write.reset();

    const auto sink = [](const FileDescriptor& file, int fallback) {
        return file ? file.get() : fallback;
    };
    using Kind = Drain::Kind;
    drains_.emplace_back(Kind::output, "standard output", std::move(out_.read),
                         sink(stdout_file_, STDOUT_FILENO), nullptr, o_.output_cap);
    drains_.emplace_back(Kind::output, "standard error", std::move(err_.read),
                         sink(stderr_file_, STDERR_FILENO), nullptr, o_.output_cap);
    drains_.emplace_back(Kind::control, "sandbox's control pipe", std::move(control_.read), -1,
                         &control_text_, control_cap);
    if (o_.records_file) {
        drains_.emplace_back(Kind::records, "records", std::move(records_.read),
                             records_file_.get(), nullptr, records_cap);
    }
    wall_deadline_ = started_ + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(o_.wall_seconds));
    next_cpu_check_ = started_ + cpu_check_interval;
}

void Run::kill(KillReason reason, std::string stream) {
    if (killed_ != KillReason::none || ended_) return;
    killed_ = reason;
    killed_stream_ = std::move(stream);
    child_->kill();
    kill_deadline_ = Clock::now() + kill_grace;
}

// The cgroup adds up the CPU time of every process of the run, which RLIMIT_CPU (per process)
// cannot: a program that spreads its loop over threads or children is stopped here.
void Run::check_cpu() {
    if (!o_.cpu_seconds || !cgroups_) return;
    if (const auto used = cgroups_->cpu_usage()) {
        if (std::chrono::duration<double>(*used).count() >= *o_.cpu_seconds) kill(KillReason::cpu);
    }
}

void Run::on_child_end() {
    ended_ = true;
    ended_at_ = Clock::now();
    child_status_ = child_->reap();
    if (mode_ == Mode::none) kill_leftovers(child_->pid());
    drain_deadline_ = ended_at_ + final_drain;
}

int Run::poll_timeout(Clock::time_point now) const {
    Clock::time_point until;
    if (ended_) {
        until = drain_deadline_;
    } else if (killed_ != KillReason::none) {
        until = kill_deadline_;
    } else {
        until = wall_deadline_;
        if (o_.cpu_seconds && cgroups_) until = std::min(until, next_cpu_check_);
    }
    const auto left = std::chrono::ceil<milliseconds>(until - now).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 60 * 60 * 1000));
}

void Run::enforce_deadlines(Clock::time_point now) {
    if (now >= wall_deadline_) kill(KillReason::wall);
    if (now >= next_cpu_check_) {
        check_cpu();
        next_cpu_check_ = now + cpu_check_interval;
    }
    if (killed_ != KillReason::none && now >= kill_deadline_) {
        throw std::runtime_error("the program's processes did not end after SIGKILL");
    }
}

bool Run::drained() const {
    return std::none_of(drains_.begin(), drains_.end(), [](const Drain& d) { return d.open(); });
}

// One poll() over every open pipe, the interrupt signals and (until it ends) the child, then
// whatever became ready.
void Run::wait_for_events(Clock::time_point now) {
    std::vector<pollfd> fds;
    std::vector<Drain*> polled;
    for (Drain& d : drains_) {
        if (!d.open()) continue;
        fds.push_back({d.fd(), POLLIN, 0});
        polled.push_back(&d);
    }
    const std::size_t interrupt = fds.size();
    fds.push_back({interrupts_.fd(), POLLIN, 0});
    const std::size_t child = fds.size();
    if (!ended_) fds.push_back({child_->pidfd(), POLLIN, 0});

    const int rc = ::poll(fds.data(), fds.size(), poll_timeout(now));
    if (rc < 0 && errno == EINTR) return;
    check_system_call("poll", rc);

    if (fds[interrupt].revents != 0) {
        if (const int signal = interrupts_.take()) {
            if (!interrupted_by_) interrupted_by_ = signal;
            kill(KillReason::interrupted);
        }
    }
    for (std::size_t i = 0; i < polled.size(); ++i) {
        if (fds[i].revents == 0) continue;
        polled[i]->pump();
        if (o_.output_kill && polled[i]->truncated() && polled[i]->kind() == Drain::Kind::output) {
            kill(KillReason::output, polled[i]->name());
        }
    }
    if (!ended_ && fds[child].revents != 0) on_child_end();
}

void Run::watch() {
    for (;;) {
        const auto now = Clock::now();
        if (!ended_) enforce_deadlines(now);
        if (ended_ && (drained() || now >= drain_deadline_)) return;
        wait_for_events(now);
    }
}

Ending Run::facts() {
    Ending e;
    e.killed = killed_;
    e.killed_stream = killed_stream_;
    e.wall_seconds = std::chrono::duration<double>(ended_at_ - started_).count();
    e.cpu_seconds = children_cpu_seconds() - cpu_before_;
    if (cgroups_) {
        if (const auto used = cgroups_->cpu_usage())
            e.cpu_seconds = std::chrono::duration<double>(*used).count();
        e.oom_kills = cgroups_->oom_kills();
        e.pids_hits = cgroups_->pids_limit_hits();
    }
    for (const Drain& d : drains_) {
        if (d.kind() == Drain::Kind::records) report_.records_truncated = d.truncated();
        if (d.kind() == Drain::Kind::output)
            report_.output_truncated = report_.output_truncated || d.truncated();
    }

    const ControlRecord record = parse_control_record(control_text_);
    if (interrupted_by_ && killed_ == KillReason::interrupted) {
        e.internal_error = fmt::format("the sandbox was stopped by {} before the program ended",
                                       signal_name(interrupted_by_));
    } else if (record.kind == ControlRecord::Kind::error) {
        e.internal_error = record.error;
    } else if (mode_ == Mode::none) {
        // The program was our child: its own status.
        if (WIFSIGNALED(child_status_))
            e.signal = WTERMSIG(child_status_);
        else
            e.exit_code = WEXITSTATUS(child_status_);
    } else if (record.kind == ControlRecord::Kind::exited) {
        e.exit_code = record.value;
    } else if (record.kind == ControlRecord::Kind::signaled) {
        e.signal = record.value;
    } else if (killed_ != KillReason::none) {
        e.signal = SIGKILL;  // we killed the whole namespace before the program ended
    } else if (WIFSIGNALED(child_status_) && e.oom_kills > 0) {
        e.signal = WTERMSIG(child_status_);  // the OOM killer chose the init: the run is over
    } else {
        e.internal_error = fmt::format(
            "the sandbox's init ended without saying how the program ended ({} {})",
            WIFSIGNALED(child_status_) ? "signal" : "status",
            WIFSIGNALED(child_status_) ? WTERMSIG(child_status_) : WEXITSTATUS(child_status_));
    }
    return e;
}

Ending Run::execute() {
    prepare();
    start();
    watch();
    Ending e = facts();
    cgroups_.reset();  // removes the run's cgroups (after their counters were read)
    return e;
}

}  // namespace

Report run_confined(const Options& o) {
    Mode mode = choose_mode(o);
    const Paths paths = check_paths(o);
    LimitsAsked asked{o.wall_seconds, o.cpu_seconds, o.memory_mib,
                      o.pids,         o.fsize_mib,   o.output_cap};
    for (;;) {
        Report report;
        report.isolation = to_string(mode);
        Ending ending;
        try {
            ending = Run(o, mode, paths, report).execute();
        } catch (const NamespacesRefused& e) {
            if (o.isolation == Isolation::automatic && mode == Mode::root) {
                mode = Mode::user;  // root without the right to make namespaces (a container): try
                                    // as a user
                continue;
            }
            ending.internal_error =
                std::string(e.what()) +
                "; workbook-sandbox --doctor says what this machine offers, and --isolation "
                "none --unsafe runs without isolation";
        } catch (const UsageError&) {
            throw;
        } catch (const std::exception& e) {
            ending.internal_error = e.what();
        }
        decide(ending, asked, report);
        return report;
    }
}

}  // namespace sandbox
