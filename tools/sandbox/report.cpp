#include "report.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <iostream>

#include <fmt/core.h>

#include "system.hpp"

namespace sandbox {

namespace {

Outcome outcome_of(const Ending& e, const LimitsAsked& limits) {
    const int signal = e.signal.value_or(0);
    const bool cpu_used_up = limits.cpu_seconds && e.cpu_seconds + 0.05 >= *limits.cpu_seconds;
    if (e.exit_code == 0 && e.killed == KillReason::none) return Outcome::ok;
    if (e.killed == KillReason::output) return Outcome::output;
    if (e.killed == KillReason::cpu || signal == SIGXCPU || (signal == SIGKILL && cpu_used_up))
        return Outcome::cpu;
    if (e.oom_kills > 0) return Outcome::memory;
    if (e.pids_hits > 0) return Outcome::pids;
    if (signal == SIGXFSZ) return Outcome::file_size;
    if (e.killed == KillReason::wall) return Outcome::time_out;
    if (e.signal) return Outcome::signal;
    if (e.exit_code) return Outcome::exit;
    return Outcome::internal;
}

std::string wall_clause(const Ending& e, const LimitsAsked& limits) {
    return e.killed == KillReason::wall
               ? fmt::format("; it was then killed after {} of wall-clock time",
                             duration_text(limits.wall_seconds))
               : "";
}

std::string message_for(Outcome outcome, const Ending& e, const LimitsAsked& limits) {
    const auto mib = [](std::optional<std::uint64_t> n) {
        return n ? size_text(*n * 1024 * 1024) : std::string("its limit");
    };
    if (outcome == Outcome::ok) return "the program exited normally (status 0)";
    if (outcome == Outcome::exit)
        return fmt::format("the program exited with status {}", *e.exit_code);
    if (outcome == Outcome::signal) {
        return fmt::format("the program was killed by signal {} ({})", signal_name(*e.signal),
                           signal_description(*e.signal));
    }
    if (outcome == Outcome::time_out) {
        return fmt::format("killed after {} of wall-clock time (the program did not finish)",
                           duration_text(limits.wall_seconds));
    }
    if (outcome == Outcome::cpu) {
        return fmt::format("killed after using {} of CPU time, its limit (a loop that never ends?)",
                           limits.cpu_seconds ? duration_text(*limits.cpu_seconds) : "all its");
    }
    if (outcome == Outcome::memory) {
        return fmt::format(
            "killed by the out-of-memory killer: the program needed more than its {} of memory",
            mib(limits.memory_mib));
    }
    if (outcome == Outcome::pids) {
        return fmt::format(
            "the program tried to run more than {} processes and threads at once (a fork bomb?){}",
            limits.pids ? std::to_string(*limits.pids) : "its limit of", wall_clause(e, limits));
    }
    if (outcome == Outcome::output) {
        return fmt::format("killed for printing more than {} on its {}",
                           size_text(limits.output_cap), e.killed_stream);
    }
    if (outcome == Outcome::file_size) {
        return fmt::format("killed for writing a file larger than {}", mib(limits.fsize_mib));
    }
    return "the sandbox lost track of the program (no exit status was recorded)";
}

}  // namespace

void decide(const Ending& ending, const LimitsAsked& limits, Report& report) {
    report.wall_ms = std::llround(ending.wall_seconds * 1000.0);
    report.cpu_ms = std::llround(ending.cpu_seconds * 1000.0);
    if (ending.internal_error) {
        report.outcome = Outcome::internal;
        report.message = "the sandbox itself failed, not the program: " + *ending.internal_error;
        return;
    }
    report.exit_code = ending.exit_code.value_or(-1);
    report.signal = ending.signal.value_or(0);
    report.signal_name = report.signal ? signal_name(report.signal) : "";
    report.outcome = outcome_of(ending, limits);
    report.message = message_for(report.outcome, ending, limits);
}

void write_report(const Report& report, const std::optional<std::filesystem::path>& file) {
    // "replace": a path or message that is not UTF-8 must not make the report itself fail.
    const std::string text =
        nlohmann::json(report).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
        "\n";
    if (!file) {
        std::cerr << text << std::flush;
        return;
    }
    const std::filesystem::path temporary =
        file->parent_path() / fmt::format(".{}.{}.tmp", file->filename().string(), ::getpid());
    {
        const FileDescriptor out(check_system_call(
            "create " + temporary.string(),
            ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)));
        write_all(out.get(), text, "write " + temporary.string());
    }
    if (::rename(temporary.c_str(), file->c_str()) < 0) {
        const int error = errno;
        ::unlink(temporary.c_str());
        throw_error(error, "rename the report to " + file->string());
    }
}

}  // namespace sandbox
