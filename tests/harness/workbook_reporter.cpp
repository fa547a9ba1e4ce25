// The "workbook" Catch2 reporter: one JSON object per line, written and flushed as each test case
// starts and ends, so a run that is killed half-way still leaves a record of every test case it
// finished. ./workbook renders these records, and a grader trusts only them: a test case counts as
// passed only when its own "end" record says so.
//
// The records' format is tools/workbook/records.hpp, which ./workbook reads them with.
//
// Records go to Catch2's stream (--out FILE), or to the descriptor named by $WORKBOOK_RECORDS_FD.
#include "probe.hpp"

// The reporter interfaces of the single-header Catch2 are visible only with this defined.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "records.hpp"  // tools/workbook/: the records' format, shared with their reader

#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>

namespace {

using nlohmann::json;
namespace records = workbook::records;

// Test output may hold any bytes; JSON text must be UTF-8. Invalid sequences become U+FFFD.
std::string dump(const json& record) {
    return record.dump(-1, ' ', false, json::error_handler_t::replace);
}

// An expanded expression as a student can read it: Catch2 puts a std::string's bytes in as they
// are, so a NUL or a \x01 would not show and a '\r' would move the cursor. Its bytes are escaped as
// the transcript escapes what the program printed; the line breaks left are Catch2's own layout
// (our main turns on --invisibles, so a value's '\n' is already the two characters "\n"). Long
// runs of one character are shortened (probe::shorten_runs).
std::string visible(std::string_view expanded) {
    std::string out;
    for (std::size_t start = 0;;) {
        const std::size_t end = expanded.find('\n', start);
        out += probe::shorten_runs(probe::printable(expanded.substr(start, end - start)));
        if (end == std::string_view::npos) return out;
        out += '\n';
        start = end + 1;
    }
}

records::Failure failure_record(const Catch::AssertionStats& stats) {
    const Catch::AssertionResult& result = stats.assertionResult;
    records::Failure failure;
    failure.file = result.getSourceInfo().file;
    failure.line = static_cast<int>(result.getSourceInfo().line);
    failure.macro = std::string(result.getTestMacroName());
    failure.message = result.getMessage();
    if (result.hasExpression()) {
        failure.expression = result.getExpression();
        failure.expanded = visible(result.getExpandedExpression());
    }
    switch (result.getResultType()) {
        case Catch::ResultWas::ThrewException:
            failure.kind = records::FailureKind::exception;
            break;
        case Catch::ResultWas::FatalErrorCondition:
            failure.kind = records::FailureKind::crash;
            break;
        case Catch::ResultWas::ExplicitFailure:
            failure.kind = records::FailureKind::explicit_failure;
            break;
        default:
            failure.kind = records::FailureKind::assertion;
            break;
    }
    // Catch2 copies the assertion's own message (an exception's text, FAIL's text) into the info
    // messages too; keep only the INFO / CAPTURE ones.
    for (const Catch::MessageInfo& message : stats.infoMessages)
        if (!(result.hasMessage() && message.message == result.getMessage()))
            failure.info.push_back(message.message);
    return failure;
}

class WorkbookReporter : public Catch::StreamingReporterBase<WorkbookReporter> {
  public:
    explicit WorkbookReporter(const Catch::ReporterConfig& config) : StreamingReporterBase(config) {
        // Capture what the code under test prints, per test case, instead of mixing it in.
        m_reporterPrefs.shouldRedirectStdOut = true;
        // A grader hands over a descriptor instead of a file name, so that the program under test
        // cannot open the records by path. Forget the variable (the program under test inherits
        // the environment) and make this process non-dumpable, so that a program running as the
        // same user cannot open the descriptor through /proc/PID/fd.
        // (Read once per process: more than one instance of the reporter may be made.)
        static const int records_fd = [] {
            const char* fd = std::getenv("WORKBOOK_RECORDS_FD");
            if (fd == nullptr) return -1;
            const int value = std::atoi(fd);
            ::unsetenv("WORKBOOK_RECORDS_FD");
            ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
            return value;
        }();
        records_fd_ = records_fd;
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
        failures_.clear();
        started_ = std::chrono::steady_clock::now();
        emit(dump(records::Start{info.name}));
    }

    void testCaseEnded(const Catch::TestCaseStats& stats) override {
        const Catch::Counts& counts = stats.totals.assertions;
        records::End record;
        record.name = stats.testInfo.name;
        record.tags = stats.testInfo.tags;
        record.file = stats.testInfo.lineInfo.file;
        record.line = stats.testInfo.lineInfo.line;
        record.passed = counts.failed == 0 && counts.failedButOk == 0;
        record.assertions = {counts.passed, counts.failed};
        record.failures = std::move(failures_);
        failures_.clear();
        record.transcript = probe::transcript();
        record.out = stats.stdOut;
        record.err = stats.stdErr;
        record.seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
        emit(dump(record));
        StreamingReporterBase::testCaseEnded(stats);
    }

  private:
    // One record, one line, written at once.
    void emit(std::string line) {
        line += '\n';
        if (records_fd_ < 0) {
            stream << line << std::flush;
            return;
        }
        for (std::size_t done = 0; done < line.size();) {
            const ssize_t n = ::write(records_fd_, line.data() + done, line.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return;  // the reader is gone: nothing left to tell
            done += static_cast<std::size_t>(n);
        }
    }

    int records_fd_ = -1;
    std::chrono::steady_clock::time_point started_;
    std::vector<records::Failure> failures_;
};

}  // namespace

CATCH_REGISTER_REPORTER("workbook", WorkbookReporter)
