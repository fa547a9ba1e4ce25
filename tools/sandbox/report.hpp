// What happened to the program, decided from the facts the supervisor gathered, and the JSON
// report the caller reads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "../workbook/sandbox_report.hpp"  // Report and Outcome, shared with ./workbook grade

namespace sandbox {

// Why the sandbox killed the program's tree, if it did.
enum class KillReason { none, wall, cpu, output, interrupted };

// The facts, as gathered by the supervisor.
struct Ending {
    std::optional<int> exit_code;  // the program exited by itself with this status
    std::optional<int> signal;     // or was killed by this signal
    KillReason killed = KillReason::none;
    std::string killed_stream;    // "standard output" or "standard error", for KillReason::output
    std::uint64_t oom_kills = 0;  // from the memory cgroup
    std::uint64_t pids_hits = 0;  // forks refused by the pids cgroup
    double cpu_seconds = 0;
    double wall_seconds = 0;
    std::optional<std::string> internal_error;  // the sandbox failed: why
};

// The limits asked for, as the messages quote them.
struct LimitsAsked {
    double wall_seconds = 10;
    std::optional<double> cpu_seconds;
    std::optional<std::uint64_t> memory_mib;
    std::optional<std::uint64_t> pids;
    std::optional<std::uint64_t> fsize_mib;
    std::uint64_t output_cap = 0;
};

// Fills outcome, exit_code, signal, signal_name, message, wall_ms and cpu_ms from the facts.
// Rules, first match wins:
//   internal error -> internal; exited 0 and not killed -> ok; killed for output -> output;
//   killed for CPU, SIGXCPU, or SIGKILL with the CPU limit used up -> cpu; the OOM killer fired
//   -> memory; a fork was refused by the process limit -> pids; SIGXFSZ -> file_size;
//   killed on the wall clock -> time_out; other signal -> signal; other exit -> exit.
// A resource limit that was hit explains a time-out better than the time-out itself: a fork bomb
// that is stopped by the process limit spins until the wall clock ends it, and is reported "pids".
void decide(const Ending& ending, const LimitsAsked& limits, Report& report);

// Writes the report to `file` atomically (a temporary file in the same folder, then rename), or
// to our stderr when no file is given.
void write_report(const Report& report, const std::optional<std::filesystem::path>& file);

}  // namespace sandbox
