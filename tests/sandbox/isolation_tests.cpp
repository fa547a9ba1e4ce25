// What the program can see and touch: only the scratch, the --ro paths and a read-only system;
// only loopback; nothing of the outside, and nothing of it survives the run.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "cgroups.hpp"
#include "support.hpp"

using namespace sandbox_test;

namespace {

// nobody, nogroup, and no supplementary group (setgroups({})).
std::string expected_uid_line() {
    return "uid=65534 gid=65534 groups=\n";
}

}  // namespace

TEST_CASE(
    "the program runs as nobody in its scratch, with a clean environment and descriptors 0-2") {
    REQUIRE_ISOLATION();
    ::setenv("WB_SECRET_OF_THE_TEACHER", "do-not-leak", 1);
    Workspace w;
    Call call;
    call.options = {"--env", "EXTRA=yes", "--env", "MORE=too", "--ro", "/usr/share"};
    call.command = {fixture("inspect")};
    const Result r = run(w, call);
    ::unsetenv("WB_SECRET_OF_THE_TEACHER");
    INFO(r.describe());
    CHECK(r.outcome() == "ok");
    if (::geteuid() == 0) CHECK(contains(r.out, expected_uid_line()));
    CHECK(contains(r.out, "cwd=" + fs::canonical(w.scratch()).string() + "\n"));
    CHECK(contains(r.out, "hostname=sandbox\n"));
    CHECK(contains(r.out, "fds: 0 1 2\n"));
    // Exactly the clean environment and the --env ones.
    std::string env;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("env ", 0) == 0) env += line.substr(4) + "\n";
    }
    CHECK(env ==
          "EXTRA=yes\nHOME=" + fs::canonical(w.scratch()).string() + "\nLANG=C.UTF-8\nMORE=too" +
              "\nPATH=/usr/local/bin:/usr/bin:/bin\nTMPDIR=/tmp\nWB_MARK=" + w.marker() + "\n");
    CHECK(leftovers(w, r) == "");
}

TEST_CASE(
    "descriptor 3 is the records pipe: what the program writes arrives in --records, capped at 16 "
    "MiB") {
    REQUIRE_ISOLATION();
    Workspace w;
    Call call;
    call.options = {"--records", w.file("records").string()};
    call.command = {fixture("inspect"), "100"};
    const Result small = run(w, call);
    INFO(small.describe());
    CHECK(small.outcome() == "ok");
    CHECK(contains(small.out, "fds: 0 1 2 3\n"));
    std::ifstream in(w.file("records"));
    std::string first;
    std::getline(in, first);
    CHECK(first == "record from the program");
    CHECK(fs::file_size(w.file("records")) == 100);
    CHECK_FALSE(small.report.value("records_truncated", true));

    Workspace big;
    Call flood;
    flood.options = {"--records", big.file("records").string(), "--wall", "20"};
    flood.command = {fixture("inspect"), std::to_string(17 * 1024 * 1024)};
    const Result r = run(big, flood);
    INFO(r.describe());
    CHECK(r.outcome() == "ok");
    CHECK(fs::file_size(big.file("records")) == 16u * 1024 * 1024);
    CHECK(r.report.value("records_truncated", false));
    CHECK(leftovers(big, r) == "");
}

TEST_CASE("only loopback, and it is up: two sandboxes bind 127.0.0.1:63000 at the same time") {
    REQUIRE_ISOLATION();
    Workspace a, b;
    for (const Workspace* w : {&a, &b}) {
        REQUIRE(::mkfifo((w->scratch() / "ready").c_str(), 0666) == 0);
        REQUIRE(::mkfifo((w->scratch() / "release").c_str(), 0666) == 0);
    }
    Call call;
    call.options = {"--wall", "20"};
    call.command = {fixture("net"), "63000", "--hold"};
    Started first = start(a, call);
    CHECK(read_fifo(a.scratch() / "ready", 15s) == "bound\n");
    // The first still holds the port while the second binds it.
    Started second = start(b, call);
    CHECK(read_fifo(b.scratch() / "ready", 15s) == "bound\n");
    CHECK(write_fifo(a.scratch() / "release", "x"));
    CHECK(write_fifo(b.scratch() / "release", "x"));
    for (auto* pair : {&first, &second}) {
        const Workspace& w = pair == &first ? a : b;
        const Result r = finish(*pair);
        INFO(r.describe());
        CHECK(r.outcome() == "ok");
        CHECK(contains(r.out, "interfaces: lo\n"));
        CHECK(contains(r.out, "bound 127.0.0.1:63000\n"));
        CHECK(contains(r.out, "loopback ok\n"));
        CHECK(contains(r.out, "released\n"));
        CHECK(leftovers(w, r) == "");
    }
}

TEST_CASE("writes outside the scratch fail, and nothing appears outside") {
    REQUIRE_ISOLATION();
    Workspace w;
    const std::string name = "escaped-" + w.marker();
    const std::vector<fs::path> outside{fs::path("/usr") / name, fs::path("/etc") / name,
                                        fs::path("/") / name, fs::path(fixtures_dir()) / name,
                                        w.dir() / name};
    Call call;
    for (const fs::path& p : outside) call.command.push_back("write:" + p.string());
    call.command.push_back("write:/tmp/" + name);
    call.command.push_back("write:" + (fs::canonical(w.scratch()) / "inside").string());
    call.command.insert(call.command.begin(), fixture("escape"));
    const Result r = run(w, call);
    INFO(r.describe());
    CHECK(r.outcome() == "ok");
    for (const fs::path& p : outside) {
        CAPTURE(p);
        const bool refused = contains(r.out, "write " + p.string() + ": EROFS\n") ||
                             contains(r.out, "write " + p.string() + ": EACCES\n");
        if (p == w.dir() / name && !refused) {
            // User mode as an ordinary user: the folders above the scratch are the sandbox's own
            // (in its /tmp tmpfs), so this write lands there; it must still not reach the outside.
            MESSAGE("the write above the scratch went to the sandbox's own /tmp: " << r.out);
        } else {
            CHECK(refused);
        }
        CHECK_FALSE(fs::exists(p));
    }
    CHECK(contains(r.out, "write /tmp/" + name + ": OK\n"));  // its own /tmp
    CHECK_FALSE(fs::exists(fs::path("/tmp") / name));         // ... not the machine's
    CHECK(fs::exists(w.scratch() / "inside"));
    CHECK(leftovers(w, r) == "");
}

TEST_CASE("--scratch-read-only: the scratch cannot be written, /tmp still can") {
    REQUIRE_ISOLATION();
    Workspace w;
    const fs::path inside = fs::canonical(w.scratch()) / ("refused-" + w.marker());
    Call call;
    call.options = {"--scratch-read-only"};
    call.command = {fixture("escape"), "write:" + inside.string(),
                    "write:/tmp/allowed-" + w.marker()};
    const Result r = run(w, call);
    INFO(r.describe());
    CHECK(r.outcome() == "ok");
    CHECK((contains(r.out, "write " + inside.string() + ": EROFS\n") ||
           contains(r.out, "write " + inside.string() + ": EACCES\n")));
    CHECK_FALSE(fs::exists(inside));
    CHECK(contains(r.out, "write /tmp/allowed-" + w.marker() + ": OK\n"));
    CHECK(leftovers(w, r) == "");
}

TEST_CASE("files outside that were not passed are not there: the repository, /root, /home") {
    REQUIRE_ISOLATION();
    Workspace w;
    const fs::path home = ::geteuid() == 0
                              ? fs::path("/root")
                              : fs::path(std::getenv("HOME") ? std::getenv("HOME") : "/tmp");
    const fs::path secret = home / (".workbook-sandbox-secret-" + w.marker());
    std::ofstream(secret) << "the answers\n";
    const fs::path solution = fs::path(WORKBOOK_SOURCE_DIR) / "solutions" / "01-bytes" / "utf8.cpp";
    REQUIRE(fs::exists(solution));
    REQUIRE(fs::exists(secret));
    Call call;
    call.command = {fixture("escape"),
                    "read:" + secret.string(),
                    "read:" + solution.string(),
                    "read:" + (fs::path(WORKBOOK_SOURCE_DIR) / "CMakeLists.txt").string(),
                    "read:/home",
                    "read:/root"};
    const Result r = run(w, call);
    fs::remove(secret);
    INFO(r.describe());
    CHECK(r.outcome() == "ok");
    CHECK(contains(r.out, "read " + secret.string() + ": ENOENT\n"));
    CHECK(contains(r.out, "read " + solution.string() + ": ENOENT\n"));
    CHECK(contains(r.out, "CMakeLists.txt: ENOENT\n"));
    CHECK(contains(r.out, "read /home: ENOENT\n"));
    CHECK(contains(r.out, "read /root: ENOENT\n"));
    CHECK(leftovers(w, r) == "");
}

TEST_CASE(
    "--ro folders and files are readable and read-only; a symlinked scratch is canonicalised") {
    REQUIRE_ISOLATION();
    Workspace w;
    fs::create_directories(w.file("support"));
    std::ofstream(w.file("support") / "header.hpp") << "// support\n";
    fs::create_directory_symlink(w.scratch(), w.file("link-to-scratch"));
    std::ofstream(w.file("object.o")) << "a prebuilt object\n";
    Call call;
    call.standard = false;
    call.options = {"--scratch", w.file("link-to-scratch").string(),
                    "--ro",      fixtures_dir(),
                    "--ro",      w.file("support").string(),
                    "--ro",      w.file("object.o").string(),
                    "--stdout",  w.file("out").string(),
                    "--stderr",  w.file("err").string(),
                    "--report",  w.file("report.json").string(),
                    "--env",     "WB_MARK=" + w.marker()};
    call.command = {fixture("escape"),
                    "read:" + (w.file("support") / "header.hpp").string(),
                    "write:" + (w.file("support") / "header.hpp").string(),
                    "write:" + (w.file("support") / "new").string(),
                    "read:" + w.file("object.o").string(),
                    "write:" + w.file("object.o").string(),
                    "read:" + w.file("out").string()};
    const Result r = run(w, call);
    INFO(r.describe());
    CHECK(r.outcome() == "ok");
    CHECK(contains(r.out, "header.hpp: OK\n"));
    CHECK_FALSE(contains(r.out, "write " + (w.file("support") / "header.hpp").string() + ": OK"));
    CHECK_FALSE(contains(r.out, "new: OK"));
    CHECK_FALSE(fs::exists(w.file("support") / "new"));
    CHECK(contains(
        r.out, "read " + w.file("object.o").string() + ": OK\n"));  // a single file, shown alone
    CHECK_FALSE(contains(r.out, "write " + w.file("object.o").string() + ": OK"));
    CHECK(contains(r.out,
                   "read " + w.file("out").string() + ": ENOENT\n"));  // its neighbour is not there
    std::ifstream header(w.file("support") / "header.hpp");
    std::string first;
    std::getline(header, first);
    CHECK(first == "// support");
    CHECK(leftovers(w, r) == "");
}

TEST_CASE("killing its parent, or every process it may, does not touch anything outside") {
    REQUIRE_ISOLATION();
    // A canary outside, with the program's uid when we are root: kill(-1) would reach it if the
    // program shared our pid namespace.
    const pid_t canary = ::fork();
    if (canary == 0) {
        if (::geteuid() == 0) {
            (void)!::setresgid(65534, 65534, 65534);
            (void)!::setresuid(65534, 65534, 65534);
        }
        for (;;) ::pause();
    }
    Workspace w;
    Call call;
    call.command = {fixture("kill_parent")};
    const Result r = run(w, call);
    INFO(r.describe());
    CHECK(r.outcome() == "ok");
    CHECK(contains(r.out, "parent 1\n"));  // its parent is the sandbox's init
    CHECK(contains(r.out, "still here\n"));
    CHECK(r.status == 0);
    int status = 0;
    CHECK(::waitpid(canary, &status, WNOHANG) == 0);  // still alive
    ::kill(canary, SIGKILL);
    ::waitpid(canary, &status, 0);
    CHECK(leftovers(w, r) == "");
}

TEST_CASE("a setsid daemon does not outlive the sandbox") {
    REQUIRE_ISOLATION();
    Workspace w;
    Call call;
    call.options = {"--wall", "10"};
    call.command = {fixture("daemon")};
    const Result r = run(w, call);
    INFO(r.describe());
    CHECK(r.outcome() == "ok");
    CHECK(contains(r.out, "daemon started\n"));
    CHECK(r.number("wall_ms") < 5000);  // the sandbox did not wait for the daemon's stdout
    CHECK(leftovers(w, r) == "");
}

TEST_CASE(
    "if the sandbox itself is killed, its processes die too, and the next run removes its "
    "cgroups") {
    REQUIRE_ISOLATION();
    // The orphaned init is reparented to us, so that we can reap it.
    REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0);
    Workspace w;
    REQUIRE(::mkfifo((w.scratch() / "started").c_str(), 0666) == 0);
    Call call;
    call.options = {"--wall", "30", "--memory", "64", "--pids", "16"};
    call.command = {fixture("sleep_forever"), "started"};
    Started started = start(w, call);
    CHECK(read_fifo(w.scratch() / "started", 15s) == "started\n");
    std::vector<pid_t> running = processes_marked(w.marker());  // the sandbox, the program
    for (const pid_t init : children_of(started.pid)) running.push_back(init);
    CHECK(running.size() >= 3);
    ::kill(started.pid, SIGKILL);
    const Result killed = finish(started);
    CHECK(killed.status == -1);
    // Each of them ends (PR_SET_PDEATHSIG on the init; the namespace dies with it).
    for (const pid_t pid : running) {
        const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
        if (fd < 0) continue;  // already gone and reaped
        pollfd p{fd, POLLIN, 0};
        CHECK_MESSAGE(::poll(&p, 1, 10000) == 1, "process " << pid << " is still running");
        ::close(fd);
        ::waitpid(pid, nullptr, WNOHANG);  // our orphan, if it was reparented to us
    }
    CHECK(processes_marked(w.marker()).empty());
    ::prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);

    Workspace next;
    Call again;
    again.options = {"--memory", "64", "--pids", "16"};
    again.command = {fixture("exit_with"), "0"};
    const Result r = run(next, again);
    INFO(r.describe());
    CHECK(r.outcome() == "ok");
    CHECK_FALSE(cgroups_left(killed.sandbox_pid));
}

TEST_CASE(
    "SIGTERM to the sandbox stops the run cleanly: internal (not the student's fault), nothing "
    "left") {
    REQUIRE_ISOLATION();
    Workspace w;
    REQUIRE(::mkfifo((w.scratch() / "started").c_str(), 0666) == 0);
    Call call;
    call.options = {"--wall", "30", "--pids", "16"};
    call.command = {fixture("sleep_forever"), "started"};
    Started started = start(w, call);
    CHECK(read_fifo(w.scratch() / "started", 15s) == "started\n");
    ::kill(started.pid, SIGTERM);
    const Result r = finish(started);
    INFO(r.describe());
    CHECK(r.status == 3);
    CHECK(r.outcome() == "internal");
    CHECK(r.report.value("message", std::string()) ==
          "the sandbox itself failed, not the program: the sandbox was stopped by SIGTERM before "
          "the program ended");
    CHECK(leftovers(w, r) == "");
}

TEST_CASE("user isolation as root: the same confinement inside a user namespace") {
    REQUIRE_ISOLATION();
    if (::geteuid() != 0) {
        SKIP_CASE("not root, so every other case already runs in user isolation");
    }
    Workspace w;
    Call call;
    call.options = {"--isolation", "user", "--pids", "16", "--memory", "64"};
    call.command = {fixture("inspect")};
    const Result r = run(w, call);
    INFO(r.describe());
    CHECK(r.outcome() == "ok");
    CHECK(r.report.value("isolation", std::string()) == "user");
    CHECK(contains(r.out, expected_uid_line()));
    CHECK(contains(r.out, "interfaces: lo\n"));
    CHECK(contains(r.out, "hostname=sandbox\n"));
    CHECK(leftovers(w, r) == "");

    Workspace bomb;
    Call fork_bomb;
    fork_bomb.options = {"--isolation", "user", "--pids", "16", "--wall", "2"};
    fork_bomb.command = {fixture("fork_bomb")};
    const Result b = run(bomb, fork_bomb);
    INFO(b.describe());
    CHECK((b.outcome() == "pids" || b.outcome() == "time-out"));
    CHECK(leftovers(bomb, b) == "");
}

namespace {

// The lines of a file.
std::vector<std::string> lines_of(const fs::path& file) {
    std::ifstream in(file);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// The cgroup of `pid` as /proc/PID/cgroup gives it: in the v1 hierarchy of `v1_controller` (its
// line lists it: "1:cpu:/..." or "2:cpu,cpuacct:/..."), or with "" in v2 (the line "0::/...").
std::string cgroup_of(pid_t pid, const std::string& v1_controller) {
    for (const std::string& line : lines_of(fs::path("/proc") / std::to_string(pid) / "cgroup")) {
        const auto first = line.find(':');
        const auto second = line.find(':', first + 1);
        if (first == std::string::npos || second == std::string::npos) continue;
        const std::string controllers = line.substr(first + 1, second - first - 1);
        std::istringstream names(controllers);
        bool match = v1_controller.empty() && controllers.empty();
        for (std::string name; std::getline(names, name, ',');)
            match = match || name == v1_controller;
        if (match) return line.substr(second + 1);
    }
    return "";
}

}  // namespace

TEST_CASE(
    "each run has a CPU weight of its own: all its processes sit in a cpu cgroup run-<pid>, at "
    "the default weight, and the report says so") {
    REQUIRE_ISOLATION();
    if (!cpu_weight_cgroup_usable()) {
        const json& identity = ::geteuid() == 0 ? doctor()["root"] : doctor()["user"];
        SKIP_CASE(
            "workbook-sandbox --doctor says no cpu cgroup is usable here (the runs share the "
            "CPU per process): "
            << (identity.is_object()
                    ? identity.value(json::json_pointer("/cgroups/problems"), json::array())
                    : json::array())
                   .dump());
    }
    Workspace w;
    REQUIRE(::mkfifo((w.scratch() / "started").c_str(), 0666) == 0);
    REQUIRE(::mkfifo((w.scratch() / "go").c_str(), 0666) == 0);
    Call call;
    call.options = {"--wall", "30", "--pids", "16", "--memory", "64"};
    // The shell opens "go" read-write (which does not wait for a writer) before it says it has
    // started, so that the test's line always finds a reader; then it blocks until that line.
    call.command = {"/bin/sh", "-c", "exec 3<>go; echo started > started; read x <&3; echo \"$x\""};
    Started started = start(w, call);
    const bool running = read_fifo(w.scratch() / "started", 15s) == "started\n";
    CHECK(running);
    if (running) {
        // Seen from outside (the program sees only its cgroup namespace): the init and the shell.
        std::vector<pid_t> run_processes = children_of(started.pid);
        for (const pid_t pid : processes_marked(w.marker()))
            if (pid != started.pid) run_processes.push_back(pid);
        CHECK(run_processes.size() >= 2);

        const sandbox::CgroupLayout layout = sandbox::CgroupLayout::read();
        const auto version = layout.version_for("cpu-weight");
        const auto base = layout.base_for("cpu-weight");
        REQUIRE(base);
        const fs::path dir = *base / ("run-" + std::to_string(started.pid));
        const fs::path mount =
            version == sandbox::CgroupVersion::v2 ? *layout.v2_mount : layout.v1_mounts.at("cpu");
        const std::string expected = "/" + dir.lexically_relative(mount).string();
        const std::vector<std::string> members = lines_of(dir / "cgroup.procs");
        for (const pid_t pid : run_processes) {
            CAPTURE(pid);
            CHECK(cgroup_of(pid, version == sandbox::CgroupVersion::v2 ? "" : "cpu") == expected);
            CHECK(std::find(members.begin(), members.end(), std::to_string(pid)) != members.end());
        }
        if (version == sandbox::CgroupVersion::v2) {
            // cpu.weight exists only where the parent enabled the cpu controller.
            CHECK(lines_of(dir / "cpu.weight") == std::vector<std::string>{"100"});
        } else {
            CHECK(lines_of(dir / "cpu.shares") == std::vector<std::string>{"1024"});
        }
        CHECK(write_fifo(w.scratch() / "go", "done\n"));
    } else {
        ::kill(started.pid, SIGTERM);
    }
    const Result r = finish(started);
    INFO(r.describe());
    CHECK(r.outcome() == "ok");
    CHECK(r.out == "done\n");
    CHECK(r.report.value("cpu_weight", false));
    CHECK(leftovers(w, r) == "");
}
