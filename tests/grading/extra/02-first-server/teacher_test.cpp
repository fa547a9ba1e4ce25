// A teacher's own test of a server lesson: it starts the student's program as the workbook's tests do.
#include <catch2/catch.hpp>

#include "probe.hpp"

TEST_CASE("teacher: a hidden check that the port is announced", "[pts=1][hidden][id=teacher-hidden-check-port-announced]") {
    probe::Program server(probe::program_under_test(), {"--port", "0"});
    CHECK(server.port() != 0);
}
