// Control groups for one run: memory and process-count limits, CPU accounting, a CPU weight of its
// own, and the events that tell afterwards which limit was hit.
//
// Two layouts exist in the wild, and both are supported:
//   - cgroup v2 (stock Debian 12): one hierarchy at /sys/fs/cgroup. A run gets
//     /sys/fs/cgroup/workbook-sandbox/run-<pid>. v2 forbids processes in a cgroup whose children
//     have controllers enabled, except at the root; workbook-sandbox/ holds no process, so the
//     controllers are enabled there.
//   - cgroup v1 ("hybrid", one hierarchy per controller under /sys/fs/cgroup/<controller>, and an
//     empty cgroup2 at /sys/fs/cgroup/unified). A run gets <controller>/<our cgroup>/
//     workbook-sandbox/run-<pid> in each hierarchy: nested under the sandbox's own cgroup, so any
//     limit placed on the teacher's session still applies.
// A controller that is missing or not writable is left out; the caller then falls back to an
// rlimit and says so in the report.
//
// The CPU weight: the scheduler shares the CPU between cgroups first, then between the processes
// of each. Without a cgroup of its own, a run with hundreds of processes (setsid spinners, which
// escape any nice given to a process group) takes that many shares of the CPU from the runs graded
// beside it; in a cgroup of its own it has one share, like each of them.
//
// Controllers are named here as the sandbox uses them: "memory", "pids", "cpu" (accounting: v1
// cpuacct, v2 cpu.stat, which needs no controller) and "cpu-weight" (scheduling: the kernel's cpu
// controller in v1 or v2). Where v1 mounts cpu and cpuacct together, both use the same folder.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace sandbox {

enum class CgroupVersion { none, v1, v2 };
std::string to_string(CgroupVersion version);  // "none", "v1", "v2"

// Where the hierarchies are mounted and where this process sits in them.
struct CgroupLayout {
    std::optional<std::filesystem::path> v2_mount;
    std::set<std::string> v2_controllers;  // available at the v2 root (its cgroup.controllers)
    std::string v2_own;                    // our cgroup in v2, e.g. "/user.slice/..."
    std::map<std::string, std::filesystem::path> v1_mounts;  // controller -> mount point
    std::map<std::string, std::string> v1_own;               // controller -> our cgroup in it

    // Reads /proc/self/mountinfo and /proc/self/cgroup.
    static CgroupLayout read();
    // For tests: the same from the two files' contents.
    static CgroupLayout parse(const std::string& mountinfo, const std::string& own_cgroups);

    // The version a controller ("memory", "pids", "cpu", "cpu-weight") would be used from: v2 when
    // the unified hierarchy offers it, else v1 when mounted. CPU accounting needs no v2 controller
    // (cpu.stat always has usage_usec), but v1 cpuacct is preferred on a hybrid machine.
    CgroupVersion version_for(const std::string& controller) const;
    // The folder under which runs are created for that controller.
    std::optional<std::filesystem::path> base_for(const std::string& controller) const;
    // "v1 (hybrid: the cgroup2 hierarchy at /sys/fs/cgroup/unified has no controllers)" and so on.
    std::string summary() const;
};

struct CgroupRequest {
    std::optional<std::uint64_t> memory_bytes;
    std::optional<std::uint64_t> max_tasks;
    bool cpu_accounting = false;
    bool cpu_weight = false;  // a cpu cgroup of its own, at the default weight
};

// Where one controller of a run lives (version none: not in use).
struct ControllerDir {
    CgroupVersion version = CgroupVersion::none;
    std::filesystem::path dir;
    bool active() const { return version != CgroupVersion::none; }
};

// The cgroups of one run, created by the constructor and removed by the destructor (after killing
// anything left in them).
class RunCgroups {
  public:
    // Creates what `request` asks for, named run-<our pid>. Each controller that cannot be set up
    // (not mounted, not writable, a limit refused) is left out, with one sentence in `problems`.
    RunCgroups(const CgroupLayout& layout, const CgroupRequest& request,
               std::vector<std::string>& problems);
    ~RunCgroups();
    RunCgroups(const RunCgroups&) = delete;
    RunCgroups& operator=(const RunCgroups&) = delete;

    // Moves a process (and so its future children) into every active controller. Throws.
    void attach(pid_t pid) const;

    const ControllerDir& memory() const { return memory_; }
    const ControllerDir& pids() const { return pids_; }
    const ControllerDir& cpu() const { return cpu_; }
    const ControllerDir& cpu_weight() const { return cpu_weight_; }

    // CPU time used by every process that ran in the run's cgroup (nullopt without accounting).
    std::optional<std::chrono::microseconds> cpu_usage() const;
    // How many times the OOM killer killed a process of the run.
    std::uint64_t oom_kills() const;
    // How many times a fork or clone was refused because of the process limit.
    std::uint64_t pids_limit_hits() const;

  private:
    ControllerDir make(const CgroupLayout& layout, const std::string& controller,
                       std::vector<std::string>& problems);
    void destroy(const std::filesystem::path& dir) noexcept;

    std::string name_;
    ControllerDir memory_, pids_, cpu_, cpu_weight_;
    std::vector<std::filesystem::path> created_;  // in creation order
};

// Removes the empty run folders of sandboxes that were killed before they could clean up (their
// process no longer exists). Never kills anything. Errors are ignored.
void remove_stale_runs(const CgroupLayout& layout) noexcept;

}  // namespace sandbox
