// What the sandbox's children need to know, prepared by the parent before it clones them.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sandbox {

// How the program is confined (the "isolation" of the report).
enum class Mode {
    root,  // new pid/net/mount/IPC/UTS namespaces made by root; the program runs as nobody
    user,  // the same inside a new user namespace; the program is nobody (65534) in it
    none,  // no namespaces (--unsafe): rlimits, wall clock, process group kill, output caps
};
std::string to_string(Mode mode);  // "root", "user", "none"

// The uid and gid the program runs as (nobody and nogroup on Debian).
constexpr uid_t nobody_uid = 65534;
constexpr gid_t nobody_gid = 65534;

struct ResourceLimit {
    int resource;  // RLIMIT_CPU, ...
    rlim_t soft;
    rlim_t hard;
};

// A path shown inside the sandbox at the same place.
struct Bind {
    std::filesystem::path path;  // canonical
    bool writable = false;
};

// Everything the children need. clone() without CLONE_VM copies the parent's memory as fork()
// does, so the children read their own copy of this; nothing flows back except through pipes.
struct ChildPlan {
    Mode mode = Mode::root;
    std::vector<std::string> argv;
    std::vector<std::string> env;  // the program's whole environment, K=V
    std::filesystem::path scratch;
    std::vector<Bind> binds;  // the --ro paths and the scratch, parents before children
    std::uint64_t tmp_bytes = 64 * 1024 * 1024;  // size of /tmp and of /dev/shm
    std::vector<ResourceLimit> rlimits;
    bool become_nobody = false;      // setgroups({}), gid and uid 65534 (root, and none as root)
    bool drop_bounding_set = false;  // when the children hold capabilities (root and user)
    pid_t supervisor = 0;            // the sandbox's pid (none mode: the program's parent)

    // Descriptors, numbered as in the parent; the program child moves them to 0, 1, 2 and 3.
    int stdin_fd = -1;
    int stdout_fd = -1;
    int stderr_fd = -1;
    int records_fd = -1;  // -1 without --records
    int control_fd = -1;  // to the parent: how the program ended, or why it could not start
    int go_fd = -1;       // from the parent: one byte once the init may go on (namespace modes)
    std::vector<int> parent_only_fds;  // the parent's ends and files: the child closes its copies
};

}  // namespace sandbox
