// The parts of the sandbox that need no process: deciding the outcome, reading cgroup layouts.
#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include <fmt/core.h>

#include "cgroups.hpp"
#include "child.hpp"
#include "report.hpp"

using namespace sandbox;

namespace {

Report decided(const Ending& e, const LimitsAsked& limits = {}) {
    Report r;
    decide(e, limits, r);
    return r;
}

// An outcome as the report spells it.
std::string spelled(Outcome outcome) {
    return nlohmann::json(outcome).get<std::string>();
}

Ending exited(int code) {
    Ending e;
    e.exit_code = code;
    return e;
}

Ending signaled(int signal, KillReason killed = KillReason::none) {
    Ending e;
    e.signal = signal;
    e.killed = killed;
    return e;
}

}  // namespace

TEST_CASE("outcomes: the program's own end") {
    CHECK(spelled(decided(exited(0)).outcome) == "ok");
    CHECK(spelled(decided(exited(3)).outcome) == "exit");
    CHECK(decided(exited(3)).exit_code == 3);
    CHECK(decided(exited(3)).message == "the program exited with status 3");
    const Report segv = decided(signaled(SIGSEGV));
    CHECK(spelled(segv.outcome) == "signal");
    CHECK(segv.signal == SIGSEGV);
    CHECK(segv.signal_name == "SIGSEGV");
    CHECK(segv.exit_code == -1);
    CHECK(segv.message == "the program was killed by signal SIGSEGV (Segmentation fault)");
}

TEST_CASE("outcomes: limits, and which explanation wins") {
    LimitsAsked limits;
    limits.wall_seconds = 2;
    limits.cpu_seconds = 1;
    limits.memory_mib = 256;
    limits.pids = 32;
    limits.fsize_mib = 16;
    limits.output_cap = 1024 * 1024;

    CHECK(spelled(decided(signaled(SIGKILL, KillReason::wall), limits).outcome) == "time-out");
    CHECK(decided(signaled(SIGKILL, KillReason::wall), limits).message ==
          "killed after 2 s of wall-clock time (the program did not finish)");
    CHECK(spelled(decided(signaled(SIGKILL, KillReason::cpu), limits).outcome) == "cpu");
    CHECK(spelled(decided(signaled(SIGXCPU), limits).outcome) == "cpu");
    CHECK(spelled(decided(signaled(SIGXFSZ), limits).outcome) == "file-size");
    CHECK(decided(signaled(SIGXFSZ), limits).message ==
          "killed for writing a file larger than 16 MiB");

    Ending oom = signaled(SIGKILL);
    oom.oom_kills = 1;
    CHECK(spelled(decided(oom, limits).outcome) == "memory");
    CHECK(decided(oom, limits).message ==
          "killed by the out-of-memory killer: the program needed more than its 256 MiB of memory");

    // A fork bomb spins until the wall clock ends it: the process limit is the better explanation.
    Ending bomb = signaled(SIGKILL, KillReason::wall);
    bomb.pids_hits = 1000;
    CHECK(spelled(decided(bomb, limits).outcome) == "pids");
    CHECK(doctest::String(decided(bomb, limits).message.c_str()) ==
          doctest::Contains("more than 32 processes and threads"));

    // A program that met the process limit, coped and exited 0 is fine.
    Ending coped = exited(0);
    coped.pids_hits = 3;
    CHECK(spelled(decided(coped, limits).outcome) == "ok");

    Ending flood = signaled(SIGKILL, KillReason::output);
    flood.killed_stream = "standard output";
    CHECK(spelled(decided(flood, limits).outcome) == "output");
    CHECK(decided(flood, limits).message ==
          "killed for printing more than 1 MiB on its standard output");

    // The sandbox's own failure is never the program's.
    Ending broken = exited(0);
    broken.internal_error = "mount /usr: Permission denied";
    CHECK(spelled(decided(broken, limits).outcome) == "internal");
    CHECK(decided(broken, limits).message ==
          "the sandbox itself failed, not the program: mount /usr: Permission denied");
}

TEST_CASE("the report has every field the caller reads") {
    Report r = decided(exited(0));
    r.isolation = "root";
    r.limits_enforced = {"wall", "output"};
    const nlohmann::json j = r;
    for (const char* key :
         {"outcome", "exit_code", "signal", "signal_name", "wall_ms", "cpu_ms", "isolation",
          "limits_enforced", "cpu_weight", "output_truncated", "records_truncated", "message"}) {
        CHECK_MESSAGE(j.contains(key), key);
    }
    // What grade reads back is what was written, and a report without a field is refused.
    const Report back = j.get<Report>();
    CHECK(back.outcome == Outcome::ok);
    CHECK(back.limits_enforced == r.limits_enforced);
    CHECK(back.isolation == "root");
    nlohmann::json cut = j;
    cut.erase("message");
    CHECK_THROWS(cut.get<Report>());
}

TEST_CASE("every outcome has one spelling, and reads back as itself") {
    for (const Outcome o :
         {Outcome::internal, Outcome::ok, Outcome::exit, Outcome::signal, Outcome::time_out,
          Outcome::cpu, Outcome::memory, Outcome::pids, Outcome::output, Outcome::file_size}) {
        const nlohmann::json j = o;
        CHECK(j.is_string());
        CHECK(j.get<Outcome>() == o);
    }
    CHECK(spelled(Outcome::time_out) == "time-out");
}

TEST_CASE("the init's control record is read defensively") {
    CHECK(parse_control_record("exit 3").kind == ControlRecord::Kind::exited);
    CHECK(parse_control_record("exit 3").value == 3);
    CHECK(parse_control_record("signal 11").value == 11);
    CHECK(parse_control_record("error mount /usr: EPERM").error == "mount /usr: EPERM");
    CHECK(parse_control_record("").kind == ControlRecord::Kind::missing);
    CHECK(parse_control_record("exit x").kind == ControlRecord::Kind::error);
    CHECK(parse_control_record("could not start a.out: No such file").kind ==
          ControlRecord::Kind::error);
}

TEST_CASE("a cgroup v1 hybrid layout (this kind of machine)") {
    const std::string mountinfo =
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "33 31 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
    const std::string own = "8:pids:/\n4:memory:/session/42\n2:cpu,cpuacct:/\n0::/\n";
    const CgroupLayout layout = CgroupLayout::parse(mountinfo, own);
    CHECK(layout.version_for("memory") == CgroupVersion::v1);
    CHECK(layout.version_for("pids") == CgroupVersion::v1);
    CHECK(layout.version_for("cpu") == CgroupVersion::v1);
    CHECK(layout.v1_mounts.at("cpuacct") == "/sys/fs/cgroup/cpu,cpuacct");
    CHECK(layout.v1_own.at("memory") == "/session/42");
    CHECK(layout.base_for("pids") == std::filesystem::path("/sys/fs/cgroup/pids/workbook-sandbox"));
    REQUIRE(layout.v2_mount);
    CHECK(*layout.v2_mount == "/sys/fs/cgroup/unified");
    CHECK(doctest::String(layout.summary().c_str()) == doctest::Contains("hybrid"));
}

TEST_CASE("a pure cgroup v2 layout (stock Debian 12)") {
    const std::string mountinfo =
        "29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 "
        "cgroup2 rw,nsdelegate,memory_recursiveprot\n";
    CgroupLayout layout =
        CgroupLayout::parse(mountinfo, "0::/user.slice/user-1000.slice/session-3.scope\n");
    layout.v2_controllers = {"cpu", "io", "memory",
                             "pids"};  // read() takes them from cgroup.controllers
    CHECK(layout.version_for("memory") == CgroupVersion::v2);
    CHECK(layout.version_for("pids") == CgroupVersion::v2);
    CHECK(layout.version_for("cpu") == CgroupVersion::v2);
    CHECK(layout.base_for("memory") == std::filesystem::path("/sys/fs/cgroup/workbook-sandbox"));
    CHECK(layout.v2_own == "/user.slice/user-1000.slice/session-3.scope");
    CHECK(doctest::String(layout.summary().c_str()) == doctest::Contains("v2 at /sys/fs/cgroup"));
}

TEST_CASE("no cgroups at all") {
    const CgroupLayout layout = CgroupLayout::parse("", "");
    CHECK(layout.version_for("memory") == CgroupVersion::none);
    CHECK_FALSE(layout.base_for("pids"));
    CHECK(layout.summary() == "none mounted");
}

// The CPU weight (the kernel's cpu controller, "cpu-weight" here) beside the CPU accounting
// ("cpu": v1 cpuacct, v2 cpu.stat).
namespace {

// mountinfo lines for v1 hierarchies mounted as systemd mounts them, at /sys/fs/cgroup/<options>
// ("cpu", or "cpu,cpuacct" for two controllers in one hierarchy).
std::string v1_mountinfo(std::initializer_list<std::string> hierarchies) {
    std::string text;
    int id = 31;
    for (const std::string& options : hierarchies) {
        text += fmt::format("{} 30 0:{} / /sys/fs/cgroup/{} rw,relatime - cgroup cgroup rw,{}\n",
                            id, id - 3, options, options);
        ++id;
    }
    return text;
}

// The empty cgroup2 of a hybrid machine.
const std::string unified_mountinfo =
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

// The versions the CPU weight and the CPU accounting come from, in that order.
std::pair<CgroupVersion, CgroupVersion> cpu_versions(const CgroupLayout& layout) {
    return {layout.version_for("cpu-weight"), layout.version_for("cpu")};
}

// What a run that asks only for a CPU weight is told, where the weight cannot be had.
std::vector<std::string> cpu_weight_refused(const CgroupLayout& layout) {
    std::vector<std::string> problems;
    CgroupRequest request;
    request.cpu_weight = true;
    const RunCgroups run(layout, request, problems);
    CHECK_FALSE(run.cpu_weight().active());
    return problems;
}

}  // namespace

TEST_CASE("the cpu weight on cgroup v1 with cpu and cpuacct mounted apart (this machine)") {
    const CgroupLayout layout =
        CgroupLayout::parse(v1_mountinfo({"cpu", "cpuacct", "memory"}) + unified_mountinfo,
                            "4:memory:/process_api/b3\n2:cpuacct:/\n1:cpu:/\n0::/\n");
    CHECK(layout.v1_mounts.at("cpu") == "/sys/fs/cgroup/cpu");
    CHECK(layout.v1_mounts.at("cpuacct") == "/sys/fs/cgroup/cpuacct");
    CHECK(cpu_versions(layout) == std::pair{CgroupVersion::v1, CgroupVersion::v1});
    // Two hierarchies, so two folders: the run is attached to both.
    CHECK(layout.base_for("cpu-weight") ==
          std::filesystem::path("/sys/fs/cgroup/cpu/workbook-sandbox"));
    CHECK(layout.base_for("cpu") ==
          std::filesystem::path("/sys/fs/cgroup/cpuacct/workbook-sandbox"));
}

TEST_CASE("the cpu weight on cgroup v1 with cpu,cpuacct mounted together: one folder for both") {
    const CgroupLayout layout = CgroupLayout::parse(v1_mountinfo({"cpu,cpuacct", "memory"}),
                                                    "4:memory:/\n2:cpu,cpuacct:/\n");
    CHECK(cpu_versions(layout) == std::pair{CgroupVersion::v1, CgroupVersion::v1});
    CHECK(layout.v1_own.at("cpu") == "/");
    CHECK(layout.base_for("cpu-weight") ==
          std::filesystem::path("/sys/fs/cgroup/cpu,cpuacct/workbook-sandbox"));
    CHECK(layout.base_for("cpu-weight") == layout.base_for("cpu"));
}

TEST_CASE("the cpu weight on cgroup v2: only where the root offers the cpu controller") {
    const std::string mountinfo =
        "29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 "
        "cgroup2 rw,nsdelegate,memory_recursiveprot\n";
    CgroupLayout layout = CgroupLayout::parse(mountinfo, "0::/user.slice\n");
    layout.v2_controllers = {"cpu", "io", "memory", "pids"};
    CHECK(layout.version_for("cpu-weight") == CgroupVersion::v2);
    CHECK(layout.base_for("cpu-weight") ==
          std::filesystem::path("/sys/fs/cgroup/workbook-sandbox"));
    CHECK(layout.base_for("cpu-weight") == layout.base_for("memory"));  // the same run folder

    layout.v2_controllers = {"io", "memory", "pids"};
    // The accounting does not need the controller: cpu.stat has usage_usec in every cgroup.
    CHECK(cpu_versions(layout) == std::pair{CgroupVersion::none, CgroupVersion::v2});
    CHECK_FALSE(layout.base_for("cpu-weight"));
}

TEST_CASE("the cpu weight on a hybrid machine whose cgroup2 has no controllers comes from v1") {
    const CgroupLayout layout =
        CgroupLayout::parse(v1_mountinfo({"cpu"}) + unified_mountinfo, "1:cpu:/\n0::/\n");
    // cpuacct is not mounted: the accounting uses the v2 cpu.stat.
    CHECK(cpu_versions(layout) == std::pair{CgroupVersion::v1, CgroupVersion::v2});
}

TEST_CASE("no cpu controller anywhere: the run has no cpu weight, and one sentence says why") {
    const auto problems = cpu_weight_refused(CgroupLayout{});  // nothing mounted
    REQUIRE(problems.size() == 1);
    CHECK(problems[0] ==
          "no cgroup hierarchy offers the cpu controller (for the run's CPU weight)");
}

TEST_CASE(
    "a cpu hierarchy that refuses the weight: left out with one sentence, its folder removed") {
    // A plain folder posing as the v1 cpu hierarchy: the run's folder can be made, but it has no
    // cpu.shares to write.
    const std::filesystem::path fake = std::filesystem::temp_directory_path() /
                                       ("workbook-sandbox-fake-cpu-" + std::to_string(::getpid()));
    std::filesystem::create_directories(fake);
    CgroupLayout layout;
    layout.v1_mounts["cpu"] = fake;
    layout.v1_own["cpu"] = "/";
    const auto problems = cpu_weight_refused(layout);
    REQUIRE(problems.size() == 1);
    CHECK(doctest::String(problems[0].c_str()) ==
          doctest::Contains("the cpu-weight cgroup could not be set up: "));
    CHECK(doctest::String(problems[0].c_str()) == doctest::Contains("cpu.shares"));
    CHECK_FALSE(std::filesystem::exists(fake / "workbook-sandbox"));
    std::filesystem::remove_all(fake);
}
