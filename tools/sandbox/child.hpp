// The processes the sandbox starts: the init (pid 1 of the new pid namespace) and the program.
//
//   workbook-sandbox (outside)
//     └─ init: pid 1 inside; builds the root, brings up loopback, forks the program, reaps every
//        process of the namespace, reports how the program ended, and exits. When it exits the
//        kernel kills whatever is left in the namespace (daemons, grandchildren, fork bombs).
//          └─ program: descriptors 0-3, rlimits, scratch as working folder, nobody, execvp
//
// Why an init rather than running the program as pid 1: pid 1 of a namespace ignores signals it
// has no handler for (a program could not even die of its own raise(SIGSEGV) or SIGTERM), and
// orphans are reparented to it, so it must reap them or they fill the process limit as zombies.
#pragma once

#include <string>

#include "plan.hpp"

namespace sandbox {

// The init. Never returns. On a setup failure it writes "error <sentence>" on the control pipe
// and exits; otherwise "exit N" or "signal N" once the program has ended.
[[noreturn]] void run_init(const ChildPlan& plan);

// The program's own process: sets it up and execs. Never returns. If it cannot start, writes the
// reason on `error_fd` (close-on-exec, so a successful exec closes it with nothing written).
[[noreturn]] void run_program(const ChildPlan& plan, int error_fd);

// How the init said the program ended (parsed from the control pipe).
struct ControlRecord {
    enum class Kind { missing, exited, signaled, error } kind = Kind::missing;
    int value = 0;
    std::string error;
};
ControlRecord parse_control_record(const std::string& text);

}  // namespace sandbox
