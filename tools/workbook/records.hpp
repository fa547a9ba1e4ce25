// The records of the "workbook" Catch2 reporter (tests/harness/workbook_reporter.cpp), one JSON
// object per line, and what ./workbook and the grader read back (results.cpp): defined once, here,
// for both sides of the pipe.
//
//   {"event":"start","name":"..."}
//   {"event":"end","name":"...","tags":["pts=2","id=..."],"file":"...","line":12,"passed":false,
//    "assertions":{"passed":3,"failed":1},"failures":[{...}],"transcript":"...",
//    "stdout":"...","stderr":"..."}
//
// A record whose fields have the wrong types is no record (reading it throws): a test case counts
// as passed only when its own well-formed "end" record says so.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace workbook::records {

// How a check failed.
enum class FailureKind { unknown, assertion, exception, crash, explicit_failure };
NLOHMANN_JSON_SERIALIZE_ENUM(FailureKind, {{FailureKind::unknown, nullptr},
                                           {FailureKind::assertion, "assertion"},
                                           {FailureKind::exception, "exception"},
                                           {FailureKind::crash, "crash"},
                                           {FailureKind::explicit_failure, "explicit"}})

// One failed check of a test case.
struct Failure {
    FailureKind kind = FailureKind::unknown;
    std::string file;
    int line = 0;
    std::string macro;              // "REQUIRE"
    std::string expression;         // "line == expected"
    std::string expanded;           // "\"a\" == \"b\""
    std::string message;            // the exception's what(), FAIL's text
    std::vector<std::string> info;  // INFO / CAPTURE messages in force
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Failure, kind, file, line, macro, expression,
                                                expanded, message, info)

struct Assertions {
    std::uint64_t passed = 0;
    std::uint64_t failed = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Assertions, passed, failed)

// "start": a test case began (a run that ends before its "end" left it unfinished).
struct Start {
    std::string name;
};

// "end": a test case finished.
struct End {
    std::string name;
    std::vector<std::string> tags;  // without brackets: "pts=2", "id=sends-all"
    std::string file;
    std::uint64_t line = 0;
    bool passed = false;
    Assertions assertions;
    std::vector<Failure> failures;
    std::string transcript;  // what the test did (probe::transcript())
    std::string out, err;    // what the code under test printed: "stdout", "stderr"
    // Wall time of the test case: only for scheduling the next run's shards, never for a verdict.
    double seconds = 0;
};

inline void to_json(nlohmann::json& j, const Start& s) {
    j = {{"event", "start"}, {"name", s.name}};
}

inline void to_json(nlohmann::json& j, const End& e) {
    j = {{"event", "end"},
         {"name", e.name},
         {"tags", e.tags},
         {"file", e.file},
         {"line", e.line},
         {"passed", e.passed},
         {"assertions", e.assertions},
         {"failures", e.failures},
         {"transcript", e.transcript},
         {"stdout", e.out},
         {"stderr", e.err},
         {"seconds", e.seconds}};
}

inline void from_json(const nlohmann::json& j, End& e) {
    const End defaults;
    e.name = j.value("name", defaults.name);
    e.tags = j.value("tags", defaults.tags);
    e.file = j.value("file", defaults.file);
    e.line = j.value("line", defaults.line);
    e.passed = j.value("passed", defaults.passed);
    e.assertions = j.value("assertions", defaults.assertions);
    e.failures = j.value("failures", defaults.failures);
    e.transcript = j.value("transcript", defaults.transcript);
    e.out = j.value("stdout", defaults.out);
    e.err = j.value("stderr", defaults.err);
    e.seconds = j.value("seconds", defaults.seconds);
}

}  // namespace workbook::records
