#include "support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "cgroups.hpp"
#include "os.hpp"

extern char** environ;

namespace sandbox_test {

namespace {

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string unique_name() {
    static std::atomic<int> counter{0};
    std::random_device random;
    return std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
           std::to_string(random());
}

std::string first_lines(const std::string& text, std::size_t lines) {
    std::size_t end = 0;
    for (std::size_t i = 0; i < lines && end != std::string::npos; ++i) {
        end = text.find('\n', end == 0 ? 0 : end + 1);
    }
    return end == std::string::npos ? text : text.substr(0, end) + "\n...";
}

}  // namespace

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::string fixtures_dir() {
    return SANDBOX_FIXTURES;
}
std::string fixture(const std::string& name) {
    return fixtures_dir() + "/" + name;
}
std::string sandbox_program() {
    return SANDBOX_PROGRAM;
}

// ---- workspace -------------------------------------------------------------------------------

Workspace::Workspace() : marker_("wbs-mark-" + unique_name()) {
    dir_ = fs::temp_directory_path() / ("workbook-sandbox-test-" + unique_name());
    fs::create_directories(dir_ / "scratch");
    fs::permissions(dir_, fs::perms::owner_all);  // like mkdtemp: nobody else's business
}

Workspace::~Workspace() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
}

// ---- running the sandbox ---------------------------------------------------------------------

std::string Result::outcome() const {
    return report.is_object() ? report.value("outcome", std::string("<no outcome>"))
                              : "<no report>";
}

long long Result::number(const std::string& key) const {
    return report.is_object() && report.contains(key) && report[key].is_number()
               ? report[key].get<long long>()
               : -1;
}

std::string Result::describe() const {
    std::ostringstream text;
    text << "sandbox exit status " << status
         << "\nreport: " << (report.is_null() ? "none" : report.dump())
         << "\nstdout: " << first_lines(out, 12) << "\nstderr: " << first_lines(err, 12)
         << "\nsandbox's stderr: " << first_lines(sandbox_err, 12);
    return text.str();
}

Started start(const Workspace& w, const Call& call) {
    std::vector<std::string> args{sandbox_program()};
    if (call.standard) {
        args.insert(args.end(),
                    {"--scratch", w.scratch().string(), "--ro", fixtures_dir(), "--stdout",
                     w.file("out").string(), "--stderr", w.file("err").string(), "--report",
                     w.file("report.json").string(), "--env", "WB_MARK=" + w.marker()});
    }
    args.insert(args.end(), call.options.begin(), call.options.end());
    if (!call.command.empty()) {
        args.push_back("--");
        args.insert(args.end(), call.command.begin(), call.command.end());
    }
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
    env.push_back("WB_MARK=" + w.marker());

    // The sandbox's own stderr in a file; started with the systems layer's spawn (tools/os), as
    // the grader starts it.
    const workbook::os::FileDescriptor sandbox_err(
        ::open(w.file("sandbox.err").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    workbook::os::SpawnOptions options;
    options.argv = args;
    options.environment = env;
    options.err = sandbox_err.get();
    workbook::os::Spawned spawned = workbook::os::spawn(options);
    const pid_t pid = spawned.pid;
    const int pidfd = spawned.pidfd.release();
    return Started{pid, pidfd, &w, call.guard};
}

Result finish(Started started) {
    Result r;
    r.sandbox_pid = started.pid;
    pollfd p{started.pidfd, POLLIN, 0};
    const int ready =
        ::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(started.guard).count()));
    if (ready <= 0)
        ::kill(started.pid, SIGKILL);  // our own guard: the test then fails on status -1
    int status = 0;
    ::waitpid(started.pid, &status, 0);
    ::close(started.pidfd);
    r.status = ready > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    const Workspace& w = *started.workspace;
    r.report = json::parse(slurp(w.file("report.json")), nullptr, false);
    if (r.report.is_discarded()) r.report = nullptr;
    r.out = slurp(w.file("out"));
    r.err = slurp(w.file("err"));
    r.sandbox_err = slurp(w.file("sandbox.err"));
    return r;
}

Result run(const Workspace& w, const Call& call) {
    return finish(start(w, call));
}

// ---- what is left ------------------------------------------------------------------------------

std::vector<pid_t> processes_marked(const std::string& marker) {
    std::vector<pid_t> found;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator("/proc", error)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        const pid_t pid = std::stoi(name);
        if (pid == ::getpid()) continue;
        for (const char* file : {"environ", "cmdline"}) {
            if (contains(slurp(entry.path() / file), marker)) {
                found.push_back(pid);
                break;
            }
        }
    }
    return found;
}

std::vector<pid_t> children_of(pid_t parent) {
    std::vector<pid_t> found;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator("/proc", error)) {
        const std::string stat = slurp(entry.path() / "stat");
        const auto close = stat.rfind(')');  // after "pid (comm)", comm may hold anything
        if (close == std::string::npos) continue;
        std::istringstream fields(stat.substr(close + 1));
        std::string state;
        pid_t ppid = 0;
        if (fields >> state >> ppid && ppid == parent)
            found.push_back(std::stoi(entry.path().filename()));
    }
    return found;
}

bool cgroups_left(pid_t sandbox_pid) {
    const sandbox::CgroupLayout layout = sandbox::CgroupLayout::read();
    for (const char* controller : {"memory", "pids", "cpu", "cpu-weight"}) {
        const auto base = layout.base_for(controller);
        std::error_code error;
        if (base && fs::exists(*base / ("run-" + std::to_string(sandbox_pid)), error)) return true;
    }
    return false;
}

std::string leftovers(const Workspace& w, const Result& r) {
    std::string problems;
    for (const pid_t pid : processes_marked(w.marker())) {
        problems += "process " + std::to_string(pid) + " (" +
                    slurp(fs::path("/proc") / std::to_string(pid) / "comm") + ") is still there; ";
    }
    if (cgroups_left(r.sandbox_pid)) problems += "a cgroup folder of the run is still there";
    return problems;
}

// ---- the doctor --------------------------------------------------------------------------------

const json& doctor() {
    static const json answer = [] {
        Workspace w;
        const std::string out = w.file("doctor.json").string();
        // The doctor prints on stdout: into a file, with no shell.
        const workbook::os::FileDescriptor file(
            ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        try {
            workbook::os::SpawnOptions options;
            options.argv = {SANDBOX_PROGRAM, "--doctor", "--json"};
            options.out = file.get();
            const workbook::os::Spawned doctor = workbook::os::spawn(options);
            while (::waitpid(doctor.pid, nullptr, 0) < 0 && errno == EINTR) {
            }
        } catch (const std::system_error&) {
            // no report: the answer below says the doctor failed
        }
        json parsed = json::parse(slurp(out), nullptr, false);
        return parsed.is_discarded()
                   ? json{{"isolation_available", "none"}, {"verdict", "--doctor failed"}}
                   : parsed;
    }();
    return answer;
}

std::string isolation_available() {
    return doctor().value("isolation_available", std::string("none"));
}

namespace {
bool usable(const char* controller) {
    const json& d = doctor();
    const json& identity = ::geteuid() == 0 ? d["root"] : d["user"];
    return identity.is_object() && identity["cgroups"][controller]["usable"].get<bool>();
}
}  // namespace

bool memory_cgroup_usable() {
    return usable("memory");
}
bool pids_cgroup_usable() {
    return usable("pids");
}
bool cpu_weight_cgroup_usable() {
    return usable("cpu-weight");
}

// ---- FIFOs -------------------------------------------------------------------------------------

std::string read_fifo(const fs::path& path, std::chrono::milliseconds deadline) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return "";
    std::string text;
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (text.find('\n') == std::string::npos) {
        const auto left =
            std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
        char buffer[256];
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n > 0) text.append(buffer, static_cast<std::size_t>(n));
        if (n == 0 && (p.revents & POLLHUP)) break;
    }
    ::close(fd);
    return text;
}

bool write_fifo(const fs::path& path, const std::string& text) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    return ok;
}

namespace {
std::vector<std::string>& skipped_cases() {
    static std::vector<std::string> reasons;
    return reasons;
}
}  // namespace

void note_skipped(const std::string& why) {
    skipped_cases().push_back(why);
}
const std::vector<std::string>& skipped() {
    return skipped_cases();
}

}  // namespace sandbox_test
