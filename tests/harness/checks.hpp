// checks: Catch2 assertions the server and client lessons share, each saying in plain words what
// went wrong. Header-only, for the lessons' tests (the probe library itself does not use Catch2).
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "probe.hpp"
#include "sanitizer.hpp"

namespace checks {

// The program ends with exit status `code` (not killed by a signal).
inline void exits_with(probe::Program& program, int code) {
    const probe::ExitStatus status = program.wait_exit();
    INFO("the contract: exit status " << code << "; your program " << status.describe());
    CHECK((!status.signaled && status.code == code));
}

// Its stderr holds exactly one line, and `is_it` says it is the one the contract asks for
// (`expected` describes it); when that line went to stdout instead, says so. Returns the line.
template <typename Predicate>
std::string one_error_line_that(const probe::Program& program, const std::string& expected,
                                Predicate is_it) {
    const std::vector<std::string> err = program.err_lines();
    const std::vector<std::string> out = program.out_lines();
    if (err.empty() && std::any_of(out.begin(), out.end(), is_it)) {
        FAIL_CHECK("the error line (" << expected
                                      << ") went to stdout: print it on stderr (std::cerr)");
        return "";
    }
    INFO("the contract: exactly one line on stderr, " << expected);
    REQUIRE(err.size() == 1);
    CHECK(is_it(err.front()));
    return err.front();
}

// Its stderr holds exactly one line, `expected`; when that line went to stdout instead, says so.
inline void one_error_line(const probe::Program& program, const std::string& expected) {
    const std::string line =
        one_error_line_that(program, "\"" + probe::escape(expected) + "\"",
                            [&](const std::string& l) { return l == expected; });
    if (!line.empty()) CHECK(line == expected);  // shows both lines when they differ
}

// A server started (by `start`, given a port) where another program already listens says so in
// exactly one line of stderr, "server: bind: Address already in use", and exits with status 1.
template <typename Start>
void refuses_a_taken_port(Start start) {
    probe::Listener someone_else;
    probe::Program server = start(someone_else.port());
    exits_with(server, 1);
    one_error_line(server, "server: bind: Address already in use");
}

// Its stderr holds no sanitizer report (the thread lessons build your code with ThreadSanitizer):
// otherwise the test case fails here, naming the kind of bug and the places in your code. Call it
// after the program has ended, before looking at its exit status (a report makes it 66).
inline void no_sanitizer_report(const probe::Program& program) {
    const std::vector<probe::SanitizerReport> reports = probe::sanitizer_reports(program.err());
    if (!reports.empty()) FAIL(probe::describe(reports));
}

}  // namespace checks
