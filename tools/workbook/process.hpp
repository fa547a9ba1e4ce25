// Running the commands ./workbook needs (cmake, ctest, a lesson's test program, the sandbox) and
// capturing what they print, each in a process group of its own that a deadline ends whole. The
// runner's own spawner: the test harness's probe::Program is for the tests (it makes its caller a
// subreaper and writes a transcript), not for the runner.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace workbook {

// How a command ended, with what it printed.
struct CommandResult {
    bool started = false;  // false if it could not be started at all (then `out` says why)
    bool timed_out = false;
    bool signaled = false;
    int code = 0;
    int signal = 0;
    std::string out, err;  // the first 4 MiB of each
    bool ok() const { return started && !timed_out && !signaled && code == 0; }
    // "exited with status 2", "was killed by signal SIGSEGV (segmentation fault)", "did not
    // finish in time and was stopped"
    std::string describe() const;
};

// Runs argv[0] (found on PATH if it has no '/'), capturing stdout and stderr, for at most `limit`.
CommandResult run_command(const std::vector<std::string>& argv, std::chrono::seconds limit);

// Runs the commands at the same time, all within `limit`; their results in the same order. Each
// runs in its own process group with stdin from /dev/null. At the limit a command's group gets
// SIGTERM, then SIGKILL two seconds later; when a command ends, what is left of its group is
// killed, so nothing it started outlives it.
std::vector<CommandResult> run_commands(const std::vector<std::vector<std::string>>& commands,
                                        std::chrono::seconds limit);

}  // namespace workbook
