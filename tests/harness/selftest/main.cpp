// doctest's main for the harness's self-tests, with the same habit as the lessons' runner: each
// test case starts a new probe transcript, and a failed one prints it.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <iostream>

#include "probe.hpp"

namespace {

struct TranscriptListener : doctest::IReporter {
    explicit TranscriptListener(const doctest::ContextOptions&) {}

    void test_case_start(const doctest::TestCaseData&) override { probe::clear_transcript(); }
    void test_case_end(const doctest::CurrentTestCaseStats& stats) override {
        const std::string steps = probe::transcript();
        if (!stats.testCaseSuccess && !steps.empty()) {
            std::cout << "\n---- What the test did ----\n" << steps << "----\n" << std::flush;
        }
    }

    void report_query(const doctest::QueryData&) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats&) override {}
    void test_case_reenter(const doctest::TestCaseData&) override {}
    void test_case_exception(const doctest::TestCaseException&) override {}
    void subcase_start(const doctest::SubcaseSignature&) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData&) override {}
    void log_message(const doctest::MessageData&) override {}
    void test_case_skipped(const doctest::TestCaseData&) override {}
};

}  // namespace

REGISTER_LISTENER("transcript", 1, TranscriptListener);
