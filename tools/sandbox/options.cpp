#include "options.hpp"

#include <algorithm>
#include <iostream>
#include <map>
#include <string_view>

#include <CLI/CLI.hpp>

namespace sandbox {

std::string to_string(Isolation isolation) {
    switch (isolation) {
        case Isolation::automatic:
            return "auto";
        case Isolation::root:
            return "root";
        case Isolation::user:
            return "user";
        case Isolation::none:
            return "none";
    }
    return "?";
}

namespace {

constexpr const char* description =
    "Runs PROGRAM confined: its own pid, network, mount, IPC and UTS namespaces, a read-only view\n"
    "of the system with one writable folder (--scratch), resource limits, and captured output.\n"
    "Writes what happened as JSON (--report). Exit status: 0 if the program was run (whatever\n"
    "its outcome), 2 for a usage error, 3 if the sandbox itself failed.\n"
    "  workbook-sandbox [options] -- PROGRAM [ARGS...]\n"
    "  workbook-sandbox --doctor [--json]";

void check_env(const std::vector<std::string>& env) {
    for (const std::string& entry : env) {
        const auto equals = entry.find('=');
        if (equals == std::string::npos || equals == 0) {
            throw UsageError("--env takes K=V, not \"" + entry + "\"");
        }
    }
}

void check_combination(const Options& o) {
    if (o.doctor) {
        if (!o.command.empty()) throw UsageError("--doctor takes no program");
        return;
    }
    if (o.json) throw UsageError("--json goes with --doctor");
    if (o.command.empty())
        throw UsageError("no program to run: workbook-sandbox [options] -- PROGRAM [ARGS...]");
    if (o.scratch.empty()) throw UsageError("--scratch DIR is required");
    if (o.isolation == Isolation::none && !o.unsafe) {
        throw UsageError(
            "--isolation none runs the program without isolation: add --unsafe if you mean it");
    }
    check_env(o.env);
}

}  // namespace

Parsed parse_options(int argc, char** argv) {
    Parsed parsed;
    Options& o = parsed.options;
    CLI::App app(description, "workbook-sandbox");
    app.option_defaults()->always_capture_default();

    app.add_option("--scratch", o.scratch,
                   "the only writable folder (must exist); the working directory");
    app.add_flag("--scratch-read-only", o.scratch_read_only,
                 "show the scratch read-only: the program writes only in /tmp and /dev/shm");
    // One value per occurrence (repeat the option for more).
    app.add_option("--ro", o.read_only, "a path the program may read (repeatable)")
        ->allow_extra_args(false);
    // Bounds keep the arithmetic (deadlines in nanoseconds, MiB in bytes) far from overflowing.
    const CLI::Range seconds(0.001, 1e6);
    const CLI::Range mebibytes(std::uint64_t{1}, std::uint64_t{1} << 30);
    const CLI::Range count(std::uint64_t{1}, std::uint64_t{1} << 30);
    app.add_option("--wall", o.wall_seconds, "wall-clock limit in seconds")->check(seconds);
    app.add_option("--cpu", o.cpu_seconds, "CPU-time limit in seconds")->check(seconds);
    app.add_option("--memory", o.memory_mib, "memory limit in MiB")->check(mebibytes);
    app.add_flag("--no-address-space-limit", o.no_address_space_limit,
                 "where no cgroup can limit memory, do not fall back on RLIMIT_AS (ThreadSanitizer "
                 "programs cannot start under it): memory is then not limited");
    app.add_option("--pids", o.pids, "processes + threads")->check(count);
    app.add_option("--files", o.files, "open descriptors (RLIMIT_NOFILE)")->check(count);
    app.add_option("--fsize", o.fsize_mib, "largest file in MiB; also the size of /tmp")
        ->check(mebibytes);
    app.add_option("--output", o.output_cap, "bytes kept of stdout, and of stderr")->check(count);
    app.add_flag("--output-kill", o.output_kill, "kill the program when it prints past --output");
    app.add_option("--stdout", o.stdout_file, "file for the program's stdout (default: ours)");
    app.add_option("--stderr", o.stderr_file, "file for the program's stderr (default: ours)");
    app.add_option("--stdin", o.stdin_file, "file for the program's stdin (default: /dev/null)");
    app.add_option("--records", o.records_file,
                   "file that receives what the program writes on descriptor 3");
    app.add_option("--env", o.env, "K=V added to the program's clean environment (repeatable)")
        ->allow_extra_args(false);
    app.add_option("--report", o.report_file, "file for the JSON report (default: our stderr)");
    std::string isolation = "auto";
    app.add_option("--isolation", isolation,
                   "auto (root if run as root, else user), root, user or none")
        ->check(CLI::IsMember({"auto", "root", "user", "none"}));
    app.add_flag("--unsafe", o.unsafe, "allow --isolation none");
    app.add_flag("--doctor", o.doctor, "say what isolation this machine offers");
    app.add_flag("--json", o.json, "with --doctor: as JSON");

    // Everything after the first "--" is the program and its arguments, whatever they look like.
    // It is split off here rather than left to CLI11, which takes a "--" that follows a
    // repeatable option (--ro X --) as the end of that option's values.
    std::vector<const char*> ours(argv, argv + argc);
    const auto dashes = std::find_if(ours.begin() + 1, ours.end(),
                                     [](const char* arg) { return std::string_view(arg) == "--"; });
    if (dashes != ours.end()) {
        o.command.assign(dashes + 1, ours.end());
        ours.erase(dashes, ours.end());
    }
    app.allow_extras();  // reported below, with a better message
    try {
        app.parse(static_cast<int>(ours.size()), ours.data());
    } catch (const CLI::CallForHelp& e) {
        app.exit(e);
        parsed.exit_now = true;
        return parsed;
    } catch (const CLI::ParseError& e) {
        throw UsageError(e.what());
    }
    if (!app.remaining().empty()) {
        const std::string first = app.remaining().front();
        if (first.rfind('-', 0) == 0) throw UsageError("unknown option " + first);
        throw UsageError("unexpected \"" + first + "\": the program and its arguments go after --");
    }
    const std::map<std::string, Isolation> isolations{{"auto", Isolation::automatic},
                                                      {"root", Isolation::root},
                                                      {"user", Isolation::user},
                                                      {"none", Isolation::none}};
    o.isolation = isolations.at(isolation);
    check_combination(o);
    return parsed;
}

}  // namespace sandbox
