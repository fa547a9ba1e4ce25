// The sandbox's self-tests (doctest): unit tests of its decisions, and runs of workbook-sandbox
// against small hostile programs (tests/sandbox/fixtures/), each checking the reported outcome and
// that nothing of the run is left behind. A case that cannot run on this machine is a skip: when
// nothing failed but something was skipped, the suite exits with 77 (ctest: "Skipped").
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <iostream>

#include "support.hpp"

int main(int argc, char** argv) {
    doctest::Context context(argc, argv);
    const int failed = context.run();
    if (context.shouldExit() || failed != 0) return failed;
    const auto& skipped = sandbox_test::skipped();
    if (skipped.empty()) return 0;
    std::cout << skipped.size() << " test case(s) skipped on this machine:\n";
    for (const std::string& why : skipped) std::cout << "  - " << why << "\n";
    return 77;
}
