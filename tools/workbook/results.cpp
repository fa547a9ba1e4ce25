#include "results.hpp"

#include "files.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <thread>

namespace workbook {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::stringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

int points_of(const std::vector<std::string>& tags) {
    for (const std::string& tag : tags)
        if (tag.starts_with("pts=")) return std::atoi(tag.c_str() + 4);
    return 0;
}

// Records are read defensively: a field of the wrong type counts as absent, never as a pass.
std::string string_or(const json& j, const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

}  // namespace

std::string test_spec(const std::string& name) {
    std::string spec;
    for (char c : name) {
        if (std::string_view("\\,[]*~\"").find(c) != std::string_view::npos) spec += '\\';
        spec += c;
    }
    return spec;
}

std::size_t LessonResult::passed_cases() const {
    return static_cast<std::size_t>(
        std::count_if(cases.begin(), cases.end(), [](const CaseResult& c) { return c.passed; }));
}

std::optional<CommandResult> configure(const BuildTree& b, const std::vector<std::string>& extra) {
    if (fs::exists(b.build / "CMakeCache.txt") && fs::exists(b.build / "build.ninja"))
        return std::nullopt;
    std::vector<std::string> argv{"cmake", "-S", b.root.string()};
    if (!b.preset.empty()) {
        argv.insert(argv.end(), {"--preset", b.preset});
    } else {
        argv.insert(argv.end(), {"-B", b.build.string(), "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Debug",
                                 "-DWORKBOOK_TREE=" + b.tree.string()});
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    CommandResult result = run_command(argv, std::chrono::seconds(300));
    if (result.ok()) return std::nullopt;
    return result;
}

ScopedVariables::ScopedVariables(std::vector<std::string> variables) {
    for (const std::string& v : variables) {
        const auto equals = v.find('=');
        names_.push_back(v.substr(0, equals));
        ::setenv(names_.back().c_str(), v.substr(equals + 1).c_str(), 1);
    }
}

ScopedVariables::~ScopedVariables() {
    for (const std::string& name : names_) ::unsetenv(name.c_str());
}

std::vector<CaseResult> parse_records(const std::string& jsonl, std::string* unfinished) {
    std::vector<CaseResult> cases;
    std::string running;
    for (const std::string& line : lines_of(jsonl)) {
        // A line cut off by a crash or a kill is not evidence of anything: skip it.
        const json record = json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (!record.is_object()) continue;
        const std::string event = string_or(record, "event");
        if (event == "start") {
            running = string_or(record, "name");
            continue;
        }
        if (event != "end") continue;
        records::End end;
        try {
            end = record.get<records::End>();
        } catch (const json::exception&) {
            continue;  // a field of the wrong type: no record, never a pass
        }
        CaseResult c;
        c.name = std::move(end.name);
        c.tags = std::move(end.tags);
        c.points = points_of(c.tags);
        for (const std::string& tag : c.tags)
            if (tag.starts_with("id=")) c.id = tag.substr(3);
        c.passed = end.passed;
        c.transcript = std::move(end.transcript);
        c.out = std::move(end.out);
        c.err = std::move(end.err);
        c.seconds = end.seconds;
        c.failures = std::move(end.failures);
        if (c.name == running) running.clear();
        cases.push_back(std::move(c));
    }
    if (unfinished) *unfinished = running;
    return cases;
}

std::string trim_build_log(const std::string& log, const fs::path& root, std::size_t max_lines) {
    const std::string prefix = root.empty() ? std::string() : root.string() + "/";
    std::vector<std::string> kept;
    bool skip_command = false;
    for (std::string line : lines_of(log)) {
        if (skip_command) {  // the line after "FAILED:" is the whole compiler command
            skip_command = false;
            continue;
        }
        if (line.starts_with("FAILED:")) {
            skip_command = true;
            continue;
        }
        if (line.starts_with("[") || line.starts_with("ninja: ") || line.empty()) continue;
        for (std::size_t at; !prefix.empty() && (at = line.find(prefix)) != std::string::npos;)
            line.erase(at, prefix.size());
        kept.push_back(std::move(line));
    }
    std::string out;
    for (std::size_t i = 0; i < kept.size() && i < max_lines; ++i) out += kept[i] + "\n";
    if (kept.size() > max_lines)
        out += fmt::format("... ({} more lines)\n", kept.size() - max_lines);
    return out;
}

namespace {

// The time of each test case in the lesson's last run, by name ({} when there is none yet).
std::map<std::string, double> read_timings(const fs::path& file) {
    std::map<std::string, double> seconds;
    try {
        if (!fs::exists(file)) return seconds;
        const nlohmann::json j = nlohmann::json::parse(read_file(file));
        for (const auto& [name, value] : j.items())
            if (value.is_number()) seconds[name] = value.get<double>();
    } catch (const std::exception&) {
        seconds.clear();  // a damaged file only costs the scheduling: deal in turn
    }
    return seconds;
}

void write_timings(const fs::path& file, const std::vector<CaseResult>& cases) {
    nlohmann::json j = nlohmann::json::object();
    for (const CaseResult& c : cases) j[c.name] = c.seconds;
    try {
        write_file(file, j.dump(1) + "\n");
    } catch (const std::exception&) {
        // scheduling only: the next run deals in turn
    }
}

}  // namespace

std::vector<std::vector<std::string>> deal_shards(const std::vector<std::string>& names,
                                                  const std::map<std::string, double>& seconds,
                                                  std::size_t base) {
    const std::size_t least =
        std::clamp<std::size_t>(base, 1, std::max<std::size_t>(names.size(), 1));
    const bool timed =
        !seconds.empty() &&
        std::all_of(names.begin(), names.end(), [&](const auto& n) { return seconds.contains(n); });
    if (!timed) {
        std::vector<std::vector<std::string>> shards(least);
        for (std::size_t i = 0; i < names.size(); ++i) shards[i % least].push_back(names[i]);
        return shards;
    }
    std::vector<std::string> longest_first = names;
    std::stable_sort(
        longest_first.begin(), longest_first.end(),
        [&](const std::string& x, const std::string& y) { return seconds.at(x) > seconds.at(y); });
    const auto deal = [&](std::size_t n, double* slowest) {
        std::vector<std::vector<std::string>> shards(n);
        std::vector<double> load(n, 0.0);
        for (const std::string& name : longest_first) {
            const std::size_t k =
                static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
            shards[k].push_back(name);
            load[k] += seconds.at(name);
        }
        *slowest = *std::max_element(load.begin(), load.end());
        return shards;
    };
    double slowest = 0;
    auto best = deal(least, &slowest);
    for (std::size_t n = least + 1; n <= std::min(names.size(), least + 2); ++n) {
        double s = 0;
        auto shards = deal(n, &s);
        if (s > 0.9 * slowest) break;
        best = std::move(shards);
        slowest = s;
    }
    return best;
}

LessonResult run_lesson(const BuildTree& b, const Lesson& lesson) {
    LessonResult result;
    // A lesson's build is small; five minutes covers a first build of everything it needs.
    CommandResult build =
        run_command({"cmake", "--build", b.build.string(), "--target", lesson.target()},
                    std::chrono::seconds(300));
    if (!build.ok()) {
        result.verdict = Verdict::build_failed;
        result.build_log = trim_build_log(build.out + build.err, b.root);
        if (result.build_log.empty()) result.build_log = build.describe() + "\n";
        // The log names files relative to the checkout when they are inside it.
        const fs::path student_dir = b.tree / lesson.slug;
        result.workbook_fault =
            result.build_log.find(student_dir.string()) == std::string::npos &&
            result.build_log.find(student_dir.lexically_relative(b.root).string() + "/") ==
                std::string::npos;
        return result;
    }

    const fs::path tests = lesson.tests_binary(b.build);
    // Counting the test cases first means a run that stops early (exit(0) in the code under test,
    // a crash) can never look complete.
    CommandResult listing =
        run_command({tests.string(), "--list-test-names-only"}, std::chrono::seconds(30));
    std::vector<std::string> names;
    for (const std::string& line : lines_of(listing.out))
        if (!line.empty()) names.push_back(line);
    result.expected_cases = names.size();

    // The test cases run in shards, four test programs at once (at least one per core): most of
    // a lesson's time is waiting (a deadline, a server's request that takes its time, a program
    // starting under ThreadSanitizer), not computing, so more shards than cores still shorten it
    // (lesson 10: 7.7 s in one run, about 2 s in four on two cores). The tests are written to run
    // in parallel (no fixed ports). The first run deals the listing out in turn; each run records
    // every test case's time, and the next deals the longest first, each to the shard with the
    // least time so far, with up to two more shards while that shortens the slowest shard by a
    // tenth: a lesson whose few long cases are waits then takes about its longest case.
    const fs::path timings = b.build / "results" / (lesson.slug + ".seconds.json");
    const std::vector<std::vector<std::string>> shards =
        deal_shards(names, read_timings(timings),
                    std::max<std::size_t>(std::thread::hardware_concurrency(), 4));
    std::vector<std::vector<std::string>> commands;
    std::vector<fs::path> records;
    fs::create_directories(b.build / "results");
    for (std::size_t k = 0; k < shards.size(); ++k) {
        records.push_back(b.build / "results" / fmt::format("{}.{}.jsonl", lesson.slug, k));
        fs::remove(records.back());
        // One argument, the names joined by commas: Catch2 2.13 takes several arguments as
        // conditions that must all hold (none would), a comma as "or".
        std::vector<std::string> argv{tests.string(), "--reporter", "workbook", "--out",
                                      records.back().string()};
        if (shards.size() > 1) {
            std::string spec;
            for (const std::string& name : shards[k])
                spec += (spec.empty() ? "" : ",") + test_spec(name);
            argv.push_back(spec);
        }
        commands.push_back(std::move(argv));
    }
    const std::vector<CommandResult> runs =
        run_commands(commands, std::chrono::seconds(lesson.timeout));
    // The run that describes the whole: the first that went wrong, else the first.
    const auto wrong =
        std::find_if(runs.begin(), runs.end(), [](const CommandResult& r) { return !r.ok(); });
    CommandResult run = wrong != runs.end() ? *wrong : runs.front();
    for (std::size_t k = 0; k < shards.size(); ++k) {
        std::string unfinished;
        for (CaseResult& c : parse_records(read_file(records[k]), &unfinished))
            result.cases.push_back(std::move(c));
        if (result.unfinished.empty()) result.unfinished = unfinished;
    }
    // In the order of the listing, as one run would have given them.
    std::stable_sort(result.cases.begin(), result.cases.end(),
                     [&](const CaseResult& x, const CaseResult& y) {
                         return std::find(names.begin(), names.end(), x.name) <
                                std::find(names.begin(), names.end(), y.name);
                     });
    for (CaseResult& c : result.cases)
        for (CaseFailure& f : c.failures)
            f.file = fs::path(f.file).lexically_proximate(b.root).string();
    result.output.clear();
    for (const CommandResult& r : runs) result.output += r.out + r.err;
    for (const CaseResult& c : result.cases)
        if (c.passed) result.points += c.points;
    write_timings(timings, result.cases);

    const bool all_recorded =
        result.expected_cases > 0 && result.cases.size() == result.expected_cases;
    const bool all_passed = result.passed_cases() == result.cases.size();
    if (run.timed_out) {
        result.problem = fmt::format(
            "The tests did not finish within {} s and were stopped{}.", lesson.timeout,
            result.unfinished.empty() ? "" : fmt::format(" during \"{}\"", result.unfinished));
    } else if (!run.started) {
        result.problem = "The tests could not be started: " + run.out;
    } else if (run.signaled || !result.unfinished.empty()) {
        result.problem = fmt::format(
            "The test program {}{}.", run.describe(),
            result.unfinished.empty() ? "" : fmt::format(" during \"{}\"", result.unfinished));
    } else if (!all_recorded) {
        result.problem = fmt::format(
            "The test program {} after {} of its {} test cases: did the code under test call "
            "exit()?",
            run.describe(), result.cases.size(), result.expected_cases);
    } else if (all_passed && !run.ok()) {
        result.problem = fmt::format(
            "Every test case passed, but then the test program {} (see its output below).",
            run.describe());
    }
    if (!result.problem.empty())
        result.verdict = Verdict::broken;
    else if (all_passed && run.ok())
        result.verdict = Verdict::passed;
    else
        result.verdict = Verdict::failed;
    return result;
}

}  // namespace workbook
