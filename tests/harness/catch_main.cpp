// Catch2's main for every lesson's tests, plus one listener: each test case starts a new probe
// transcript, and a test case that failed shows it after the failure ("---- What the test did").
//
// The main turns on Catch2's --invisibles by default: a string's '\n' and '\t' are then shown as
// escapes in "with values", so that every line break left in an expanded expression is Catch2's
// own (between the operands of a long comparison), and the workbook reporter can escape the other
// invisible bytes of the values without touching that layout.
#define CATCH_CONFIG_RUNNER
// Catch2's implementation uses <regex>, in which g++ 12 warns (-Wmaybe-uninitialized) when
// optimising with sanitizers: a false positive in the standard library.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <catch2/catch.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <iostream>
#include <sstream>
#include <string>

#include "probe.hpp"

namespace {

// Reporters such as xml and junit capture std::cout while a test case runs and put it in the test
// case's record (<StdOut>, <system-out>). Ask the chosen reporter whether it does: a scratch
// instance writing to a string answers without touching the real output.
bool reporter_captures_stdout(const Catch::IConfigPtr& config) {
    try {
        const auto* full = dynamic_cast<const Catch::Config*>(config.get());
        if (full == nullptr) return false;
        const auto& factories = Catch::getRegistryHub().getReporterRegistry().getFactories();
        const auto found = factories.find(full->getReporterName());
        if (found == factories.end()) return false;
        std::ostringstream scratch;
        const auto reporter = found->second->create(Catch::ReporterConfig(config, scratch));
        return reporter->getPreferences().shouldRedirectStdOut;
    } catch (...) {
        return false;
    }
}

std::string reporter_name(const Catch::IConfigPtr& config) {
    const auto* full = dynamic_cast<const Catch::Config*>(config.get());
    return full ? full->getReporterName() : std::string();
}

struct TranscriptListener : Catch::TestEventListenerBase {
    explicit TranscriptListener(const Catch::ReporterConfig& config)
        : TestEventListenerBase(config),
          records_transcript(reporter_name(m_config) == "workbook"),
          captures_stdout(reporter_captures_stdout(m_config)) {}

    void testCaseStarting(const Catch::TestCaseInfo& info) override {
        TestEventListenerBase::testCaseStarting(info);
        probe::clear_transcript();
    }

    // Listeners hear of the end of a test case before the reporter, so the console shows the
    // failure (printed as it happened), then this block.
    void testCaseEnded(const Catch::TestCaseStats& stats) override {
        if (stats.totals.assertions.failed > 0 && !records_transcript) {
            const std::string steps = probe::transcript();
            if (!steps.empty()) {
                const std::string block = "\n---- What the test did ----\n" + steps + "----\n";
                if (captures_stdout) {
                    // The capture has ended by now; add the block to what was captured, which
                    // the reporter writes next. Catch2 2.13 passes the record as const only.
                    const_cast<std::string&>(stats.stdOut) += block;
                } else {
                    std::cout << block << std::flush;
                }
            }
        }
        TestEventListenerBase::testCaseEnded(stats);
    }

    bool records_transcript;  // the workbook reporter keeps the transcript in its own field
    bool captures_stdout;
};

}  // namespace

CATCH_REGISTER_LISTENER(TranscriptListener)

int main(int argc, char* argv[]) {
    Catch::Session session;
    session.configData().showInvisibles = true;
    if (const int error = session.applyCommandLine(argc, argv); error != 0) return error;
    return session.run();
}
