// The sandbox's self-tests (doctest): unit tests of its decisions, and runs of workbook-sandbox
// against small hostile programs (tests/sandbox/fixtures/), each checking the reported outcome and
// that nothing of the run is left behind.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
