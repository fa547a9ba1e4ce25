// Running one lesson's tests and reading what happened: the build, then the test executable with
// the "workbook" reporter (one JSON record per test case), then a verdict a person can act on.
#pragma once

#include "manifest.hpp"
#include "process.hpp"
#include "records.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace workbook {

// One failed check inside a test case, as the reporter recorded it.
using CaseFailure = records::Failure;

struct CaseResult {
    std::string name;
    std::vector<std::string> tags;
    bool passed = false;
    int points = 0;  // from a [pts=N] tag, 0 if none
    // From an [id=NAME] tag: the test case's identity, which stays when its title is reworded
    // (the gradebook's and the cache's key); "" if none.
    std::string id;
    std::vector<CaseFailure> failures;
    std::string transcript;
    std::string out, err;  // what the code under test printed during this test case
    double seconds = 0;    // its wall time, as its own record says (for scheduling only)
};

// A Catch2 test spec that selects the test case named `name` and nothing else (its special
// characters escaped).
std::string test_spec(const std::string& name);

enum class Verdict {
    passed,
    failed,        // some test case failed
    build_failed,  // the lesson does not compile
    broken,        // the tests could not run to the end: crash, time-out, missing records
};

struct LessonResult {
    Verdict verdict = Verdict::broken;
    std::string build_log;           // compiler errors, trimmed, when build_failed
    bool workbook_fault = false;     // the errors are not in the student's files
    std::vector<CaseResult> cases;   // one per test case that finished, in order
    std::size_t expected_cases = 0;  // how many test cases the executable lists
    std::string unfinished;          // the test case that was running when the run ended early
    std::string problem;             // one sentence when broken
    std::string output;              // what the test executable printed outside test cases
    int points = 0;                  // earned: sum of points of passed cases

    std::size_t passed_cases() const;
};

struct BuildTree {
    std::filesystem::path root;   // the workbook's checkout
    std::filesystem::path tree;   // starter/, solutions/ or a folder laid out like them
    std::filesystem::path build;  // the CMake build folder for that tree
    std::string preset;           // the configure preset, or empty for an explicit configuration
};

// Configures `b.build` if it has never been configured. Returns the failure, if any.
std::optional<CommandResult> configure(const BuildTree& b,
                                       const std::vector<std::string>& extra = {});

// Sets environment variables ("NAME=value" each) for as long as it lives, then unsets them: the
// programs named to a lesson's tests (Lesson::program_variables) for one run.
class ScopedVariables {
  public:
    explicit ScopedVariables(std::vector<std::string> variables);
    ~ScopedVariables();
    ScopedVariables(const ScopedVariables&) = delete;
    ScopedVariables& operator=(const ScopedVariables&) = delete;

  private:
    std::vector<std::string> names_;
};

// Builds the lesson's targets and runs its tests, with the lesson's time limit. `results_file` is
// where the reporter's records go.
// The test cases of one run, dealt into shards run at once: in turn (i % base) without the last
// run's times (`seconds`, by name); with them, the longest first, each to the shard with the least
// time so far, with up to two more shards than `base` while each shortens the slowest by a tenth.
std::vector<std::vector<std::string>> deal_shards(const std::vector<std::string>& names,
                                                  const std::map<std::string, double>& seconds,
                                                  std::size_t base);

LessonResult run_lesson(const BuildTree& b, const Lesson& lesson);

// Reads the reporter's records. Exposed for tests.
std::vector<CaseResult> parse_records(const std::string& jsonl, std::string* unfinished);

// Strips build noise from compiler output (ninja's progress and command lines) and makes paths
// relative to `root` (unless it is empty). Keeps at most `max_lines`.
std::string trim_build_log(const std::string& log, const std::filesystem::path& root,
                           std::size_t max_lines = 40);

}  // namespace workbook
