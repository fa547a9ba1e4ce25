// The "workbook" Catch2 reporter: one JSON object per line, written and flushed as each test case
// starts and ends, so a run that is killed half-way still leaves a record of every test case it
// finished. ./workbook renders these records, and a grader trusts only them: a test case counts as
// passed only when its own "end" record says so.
//
//   {"event":"start","name":"..."}
//   {"event":"end","name":"...","tags":["pts=2"],"file":"...","line":12,"passed":false,
//    "assertions":{"passed":3,"failed":1},"failures":[{...}],"transcript":"...",
//    "stdout":"...","stderr":"..."}
#include "probe.hpp"

// The reporter interfaces of the single-header Catch2 are visible only with this defined.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;

// Test output may hold any bytes; JSON text must be UTF-8. Invalid sequences become U+FFFD.
std::string dump(const json& record) {
    return record.dump(-1, ' ', false, json::error_handler_t::replace);
}

json failure_record(const Catch::AssertionStats& stats) {
    const Catch::AssertionResult& result = stats.assertionResult;
    json failure = {
        {"file", result.getSourceInfo().file},
        {"line", result.getSourceInfo().line},
        {"macro", std::string(result.getTestMacroName())},
        {"message", result.getMessage()},
    };
    if (result.hasExpression()) {
        failure["expression"] = result.getExpression();
        failure["expanded"] = result.getExpandedExpression();
    }
    switch (result.getResultType()) {
        case Catch::ResultWas::ThrewException: failure["kind"] = "exception"; break;
        case Catch::ResultWas::FatalErrorCondition: failure["kind"] = "crash"; break;
        case Catch::ResultWas::ExplicitFailure: failure["kind"] = "explicit"; break;
        default: failure["kind"] = "assertion"; break;
    }
    // Catch2 copies the assertion's own message (an exception's text, FAIL's text) into the info
    // messages too; keep only the INFO / CAPTURE ones.
    json info = json::array();
    for (const Catch::MessageInfo& message : stats.infoMessages)
        if (!(result.hasMessage() && message.message == result.getMessage())) info.push_back(message.message);
    failure["info"] = std::move(info);
    return failure;
}

class WorkbookReporter : public Catch::StreamingReporterBase<WorkbookReporter> {
public:
    explicit WorkbookReporter(const Catch::ReporterConfig& config) : StreamingReporterBase(config) {
        // Capture what the code under test prints, per test case, instead of mixing it in.
        m_reporterPrefs.shouldRedirectStdOut = true;
    }

    static std::string getDescription() {
        return "One JSON object per line for each test case started and ended (used by ./workbook)";
    }
    static std::set<Catch::Verbosity> getSupportedVerbosities() {
        return {Catch::Verbosity::Quiet, Catch::Verbosity::Normal, Catch::Verbosity::High};
    }

    void assertionStarting(const Catch::AssertionInfo&) override {}

    bool assertionEnded(const Catch::AssertionStats& stats) override {
        if (!stats.assertionResult.isOk()) failures_.push_back(failure_record(stats));
        return true;
    }

    void testCaseStarting(const Catch::TestCaseInfo& info) override {
        StreamingReporterBase::testCaseStarting(info);
        failures_ = json::array();
        stream << dump({{"event", "start"}, {"name", info.name}}) << '\n' << std::flush;
    }

    void testCaseEnded(const Catch::TestCaseStats& stats) override {
        const Catch::Counts& counts = stats.totals.assertions;
        json record = {
            {"event", "end"},
            {"name", stats.testInfo.name},
            {"tags", stats.testInfo.tags},
            {"file", stats.testInfo.lineInfo.file},
            {"line", stats.testInfo.lineInfo.line},
            {"passed", counts.failed == 0 && counts.failedButOk == 0},
            {"assertions", {{"passed", counts.passed}, {"failed", counts.failed}}},
            {"failures", failures_},
            {"transcript", probe::transcript()},
            {"stdout", stats.stdOut},
            {"stderr", stats.stdErr},
        };
        stream << dump(record) << '\n' << std::flush;
        StreamingReporterBase::testCaseEnded(stats);
    }

private:
    json failures_ = json::array();
};

}  // namespace

CATCH_REGISTER_REPORTER("workbook", WorkbookReporter)
