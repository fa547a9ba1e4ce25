// The report workbook-sandbox writes (--report FILE) and ./workbook grade reads: one definition of
// its fields and of the outcomes' spellings, serialised by nlohmann's macros on both sides, so
// that the two programs cannot drift apart (a "timeout" written where "time-out" is read).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace sandbox {

// How the run ended, the first that applies (see decide() in tools/sandbox/report.hpp).
enum class Outcome {
    internal,   // the sandbox itself failed, not the program
    ok,         // exited with status 0
    exit,       // exited with another status
    signal,     // killed by a signal it did not get from the sandbox
    time_out,   // killed on the wall clock
    cpu,        // used up its CPU time
    memory,     // killed by the out-of-memory killer
    pids,       // a fork was refused by the process limit
    output,     // printed more than its cap
    file_size,  // wrote a file larger than its limit
};

NLOHMANN_JSON_SERIALIZE_ENUM(Outcome, {
                                          {Outcome::internal, "internal"},
                                          {Outcome::ok, "ok"},
                                          {Outcome::exit, "exit"},
                                          {Outcome::signal, "signal"},
                                          {Outcome::time_out, "time-out"},
                                          {Outcome::cpu, "cpu"},
                                          {Outcome::memory, "memory"},
                                          {Outcome::pids, "pids"},
                                          {Outcome::output, "output"},
                                          {Outcome::file_size, "file-size"},
                                      })

struct Report {
    Outcome outcome = Outcome::internal;
    int exit_code = -1;       // the program's exit status; -1 if it did not exit by itself
    int signal = 0;           // the signal that killed it; 0 if none
    std::string signal_name;  // "SIGSEGV"; "" if none
    long long wall_ms = 0;
    long long cpu_ms = 0;
    std::string isolation = "none";  // root, user or none
    std::vector<std::string> limits_enforced;
    // The run had a cpu cgroup of its own: it shared the CPU equally with the runs beside it,
    // whatever its number of processes. Without one, each of its processes competed on its own.
    bool cpu_weight = false;
    bool output_truncated = false;   // stdout or stderr went past --output
    bool records_truncated = false;  // descriptor 3 went past 16 MiB
    std::string message;             // one plain sentence for a teacher
};

// Every field is written; reading a report that lacks one throws (it is not the sandbox's).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Report, outcome, exit_code, signal, signal_name, wall_ms, cpu_ms,
                                   isolation, limits_enforced, cpu_weight, output_truncated,
                                   records_truncated, message)

}  // namespace sandbox
