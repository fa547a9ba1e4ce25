// The parts of the sandbox that need no process: deciding the outcome, reading cgroup layouts.
#include <doctest/doctest.h>

#include <signal.h>

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
    CHECK(decided(exited(0)).outcome == "ok");
    CHECK(decided(exited(3)).outcome == "exit");
    CHECK(decided(exited(3)).exit_code == 3);
    CHECK(decided(exited(3)).message == "the program exited with status 3");
    const Report segv = decided(signaled(SIGSEGV));
    CHECK(segv.outcome == "signal");
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

    CHECK(decided(signaled(SIGKILL, KillReason::wall), limits).outcome == "timeout");
    CHECK(decided(signaled(SIGKILL, KillReason::wall), limits).message ==
          "killed after 2 s of wall-clock time (the program did not finish)");
    CHECK(decided(signaled(SIGKILL, KillReason::cpu), limits).outcome == "cpu");
    CHECK(decided(signaled(SIGXCPU), limits).outcome == "cpu");
    CHECK(decided(signaled(SIGXFSZ), limits).outcome == "file-size");
    CHECK(decided(signaled(SIGXFSZ), limits).message ==
          "killed for writing a file larger than 16 MiB");

    Ending oom = signaled(SIGKILL);
    oom.oom_kills = 1;
    CHECK(decided(oom, limits).outcome == "memory");
    CHECK(decided(oom, limits).message ==
          "killed by the out-of-memory killer: the program needed more than its 256 MiB of memory");

    // A fork bomb spins until the wall clock ends it: the process limit is the better explanation.
    Ending bomb = signaled(SIGKILL, KillReason::wall);
    bomb.pids_hits = 1000;
    CHECK(decided(bomb, limits).outcome == "pids");
    CHECK(doctest::String(decided(bomb, limits).message.c_str()) ==
          doctest::Contains("more than 32 processes and threads"));

    // A program that met the process limit, coped and exited 0 is fine.
    Ending coped = exited(0);
    coped.pids_hits = 3;
    CHECK(decided(coped, limits).outcome == "ok");

    Ending flood = signaled(SIGKILL, KillReason::output);
    flood.killed_stream = "standard output";
    CHECK(decided(flood, limits).outcome == "output");
    CHECK(decided(flood, limits).message ==
          "killed for printing more than 1 MiB on its standard output");

    // The sandbox's own failure is never the program's.
    Ending broken = exited(0);
    broken.internal_error = "mount /usr: Permission denied";
    CHECK(decided(broken, limits).outcome == "internal");
    CHECK(decided(broken, limits).message ==
          "the sandbox itself failed, not the program: mount /usr: Permission denied");
}

TEST_CASE("the report has every field the caller reads") {
    Report r = decided(exited(0));
    r.isolation = "root";
    r.limits_enforced = {"wall", "output"};
    const auto j = r.to_json();
    for (const char* key :
         {"outcome", "exit_code", "signal", "signal_name", "wall_ms", "cpu_ms", "isolation",
          "limits_enforced", "output_truncated", "records_truncated", "message"}) {
        CHECK_MESSAGE(j.contains(key), key);
    }
    CHECK(j.begin().key() == "outcome");
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
