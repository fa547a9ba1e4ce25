// Sanitizer reports, read from a program's stderr: the kind, the places in the student's code (not
// the standard library's), the thread names and the variable; and a real ThreadSanitizer run of a
// racy fixture. Also a program's stdin written as the test goes (interactive_stdin).
#include "sanitizer.hpp"

#include "probe.hpp"  // it includes <regex> (see there)

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "support.hpp"

using namespace selftest;

namespace {

// A data race as GCC 12's TSan prints it (trimmed): the student's frame is under two lambda and
// libstdc++ frames in the second section.
constexpr const char* race_report = R"(==================
WARNING: ThreadSanitizer: data race (pid=16825)
  Read of size 8 at 0x55bc10a71148 by thread T2:
    #0 Bank::total() const /home/ana/workbook/starter/05-locks/bank.cpp:57 (driver+0x1469)
    #1 operator() /home/ana/workbook/tests/05-locks/driver/driver.cpp:11 (driver+0x1507)
    #2 _M_run /usr/include/c++/12/bits/std_thread.h:210 (driver+0x1507)

  Previous write of size 8 at 0x55bc10a71148 by thread T1:
    #0 pthread_mutex_lock ../../../../src/libsanitizer/sanitizer_common/sanitizer_common_interceptors.inc:4324 (libtsan.so.2+0x558e1)
    #1 std::mutex::lock() /usr/include/c++/12/bits/std_mutex.h:100 (driver+0x1873)
    #2 Bank::transfer(unsigned long, unsigned long, long) /home/ana/workbook/starter/05-locks/bank.cpp:42 (driver+0x147c)
    #3 <null> <null> (libstdc++.so.6+0xd44a2)

  Location is heap block of size 40 at 0x7b0800000000 allocated by main thread:
    #0 operator new(unsigned long) ../../../../src/libsanitizer/tsan/tsan_new_delete.cpp:64 (libtsan.so.2+0x8f162)

  Thread T2 (tid=16828, running) created by main thread at:
    #0 pthread_create ../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp:1001 (libtsan.so.2+0x5e686)

  Thread T1 'teller-1' (tid=16827, finished) created by main thread at:
    #0 pthread_create ../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp:1001 (libtsan.so.2+0x5e686)

SUMMARY: ThreadSanitizer: data race /home/ana/workbook/starter/05-locks/bank.cpp:57 in Bank::total() const
==================
)";

}  // namespace

TEST_CASE("a data race report gives the student's two lines, the threads and the variable") {
    const auto reports =
        probe::sanitizer_reports(std::string("some output\n") + race_report + "total 42\n");
    REQUIRE(reports.size() == 1);
    const probe::SanitizerReport& r = reports.front();
    CHECK(r.tool == "ThreadSanitizer");
    CHECK(r.kind == "data race");
    CHECK(r.variable == "heap block of size 40");
    REQUIRE(r.places.size() == 2);
    CHECK(r.places[0].what == "Read of size 8 by thread T2");
    CHECK(r.places[0].location == "05-locks/bank.cpp:57");
    CHECK(r.places[0].function == "Bank::total() const");
    CHECK(r.places[1].what == "Previous write of size 8 by thread T1 'teller-1'");
    CHECK(r.places[1].location ==
          "05-locks/bank.cpp:42");  // not the interceptor's, not libstdc++'s
    CHECK(r.places[1].function == "Bank::transfer(unsigned long, unsigned long, long)");

    const std::string text = probe::describe(reports);
    CHECK(contains(text, "ThreadSanitizer: data race (memory from new, 40 bytes)\n"));
    CHECK(contains(
        text, "  Read of size 8 by thread T2: at 05-locks/bank.cpp:57 in Bank::total() const\n"));
    CHECK(contains(text, "What it means: two threads used the same variable"));
}

TEST_CASE("a frame in a lesson's driver or the system is never the student's") {
    const std::string report = R"(WARNING: ThreadSanitizer: data race (pid=1)
  Write of size 4 at 0x1 by main thread:
    #0 main /srv/workbook/tests/04-threads/driver/driver.cpp:30 (driver+0x1)
    #1 __libc_start_main /usr/lib/x86_64-linux-gnu/libc.so.6 (libc.so.6+0x1)
SUMMARY: ThreadSanitizer: data race /srv/workbook/tests/04-threads/driver/driver.cpp:30 in main
)";
    const auto reports = probe::sanitizer_reports(report);
    REQUIRE(reports.size() == 1);
    REQUIRE(reports[0].places.size() == 1);
    CHECK(reports[0].places[0].location.empty());
    CHECK(contains(probe::describe(reports), "Write of size 4 by main thread (not in your code)"));
}

TEST_CASE("what TSan only half knows is left out: a second Location line, a mutex's creation") {
    const std::string report = R"(WARNING: ThreadSanitizer: data race (pid=1)
  Write of size 8 at 0x7fffffffdd18 by thread T2:
    #0 locks::Counter::increment() /w/starter/05-locks/bank.cpp:20 (driver+0x445ac)

  Previous read of size 8 at 0x7fffffffdd18 by thread T1 (mutexes: write M25):
    #0 locks::Counter::value() const /w/starter/05-locks/bank.cpp:25 (driver+0x44603)

  Location is stack of main thread.

  Location is global '<null>' at 0x000000000000 ([stack]+0x1fd18)

  Mutex M25 (0x7fffffffdcf0) created at:
    #0 pthread_mutex_lock ../../../../src/libsanitizer/sanitizer_common/sanitizer_common_interceptors.inc:4324 (libtsan.so.2+0x558e1)
    #1 locks::Counter::value() const /w/starter/05-locks/bank.cpp:24 (driver+0x445e8)

SUMMARY: ThreadSanitizer: data race /w/starter/05-locks/bank.cpp:20 in locks::Counter::increment()
)";
    const auto reports = probe::sanitizer_reports(report);
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].variable == "stack of main thread");
    CHECK(reports[0].places.size() == 2);
    const std::string text = probe::describe(reports);
    CHECK(contains(text, "data race (a local variable of the main thread)"));
    CHECK_FALSE(contains(text, "created at"));
    CHECK_FALSE(contains(text, "<null>"));
}

TEST_CASE("library frames are told from the student's, for the transcript to fold them") {
    CHECK(probe::is_library_frame(
        "    #2 std::mutex::lock() /usr/include/c++/12/bits/std_mutex.h:100 (driver+0x1873)"));
    CHECK(
        probe::is_library_frame("    #0 pthread_mutex_lock ../../../../src/libsanitizer/x.inc:4324 "
                                "(libtsan.so.2+0x558e1)"));
    CHECK(probe::is_library_frame(
        "    #1 main /w/tests/05-locks/driver/driver.cpp:220 (driver+0x902f)"));
    CHECK(probe::is_library_frame("    #9 <null> <null> (libstdc++.so.6+0xd44a2)"));
    CHECK_FALSE(probe::is_library_frame(
        "    #0 locks::Counter::increment() /w/starter/05-locks/bank.cpp:20 (driver+0x1)"));
    CHECK_FALSE(probe::is_library_frame("  Write of size 8 at 0x7fffffffdd18 by thread T2:"));
}

TEST_CASE("text without a report has none, and the same report twice is described once") {
    CHECK(probe::sanitizer_reports("total 2000\nWARNING: not a sanitizer\n").empty());
    const auto twice = probe::sanitizer_reports(std::string(race_report) + race_report);
    CHECK(twice.size() == 2);
    const std::string text = probe::describe(twice);
    CHECK(text.find("data race") == text.rfind("data race ("));
}

#ifdef FIXTURE_RACY
TEST_CASE(
    "a real ThreadSanitizer run: the race and the lock-order inversion at the fixture's lines") {
    probe::Program racy(FIXTURE_RACY, {});
    const probe::ExitStatus status = racy.wait_exit(probe::scaled(20s));
    CHECK(contains(racy.out(), "total 2000"));  // the right total, all the same
    const auto reports = probe::sanitizer_reports(racy.err());
    REQUIRE(reports.size() == 2);
    CHECK(reports[0].kind == "data race");
    REQUIRE(reports[0].places.size() == 2);
    for (const auto& place : reports[0].places) {  // either thread may be the one caught second
        CHECK(place.location == "fixtures/racy.cpp:16");
        CHECK(place.function == "add");
    }
    CHECK((contains(reports[0].places[0].what, "'adder-1'") ||
           contains(reports[0].places[1].what, "'adder-1'")));
    CHECK(reports[1].kind == "lock-order-inversion (potential deadlock)");
    const std::string text = probe::describe(reports);
    CHECK(contains(text, "at fixtures/racy.cpp:26 in second_then_first"));
    CHECK(contains(text, "Lock them together with std::scoped_lock"));
    CHECK(contains(text, "(the global variable 'total')"));
    // The defaults the harness gives TSan: every report, then exit status 66, at once.
    CHECK(status.code == 66);
}
#endif

TEST_CASE("a program's first two sanitizer reports are in the transcript, the rest are counted") {
    // Five copies of the report on stderr, then a line of the program's own.
    std::string script = "for i in 1 2 3 4 5; do cat >&2 <<'EOF'\n";
    script += race_report;
    script += "EOF\ndone; echo 'my own line' >&2";
    probe::clear_transcript();
    probe::Program program("/bin/sh", {"-c", script});
    CHECK(program.wait_exit().ok());
    const std::string log = probe::transcript();
    std::size_t shown = 0;
    for (std::size_t at = log.find("WARNING: ThreadSanitizer"); at != std::string::npos;
         at = log.find("WARNING: ThreadSanitizer", at + 1))
        ++shown;
    CHECK(shown == 2);
    CHECK(contains(log, "... (3 more sanitizer reports not shown here: the first 2 are above)\n"));
    CHECK(contains(log, "my own line"));
    CHECK(log.find("3 more sanitizer reports") < log.find("my own line"));
    CHECK(probe::sanitizer_reports(program.err()).size() == 5);  // all kept
    probe::clear_transcript();
}

TEST_CASE("interactive stdin: lines written as the test goes, then end of file") {
    probe::Program::Options options;
    options.interactive_stdin = true;
    probe::Program echo(FIXTURE_STDIN_ECHO, {}, options);
    echo.write_input("one\n");
    CHECK(echo.wait_for_line([](std::string_view l) { return l == "got one"; },
                             "the first answer") == "got one");
    echo.write_input("two\n");
    echo.wait_for_line([](std::string_view l) { return l == "got two"; }, "the second answer");
    echo.close_input();
    echo.close_input();  // harmless
    CHECK(echo.wait_exit().ok());
    CHECK(echo.out_lines() == std::vector<std::string>{"got one", "got two", "end"});
    CHECK(contains(probe::transcript(), "to your_program stdin: one\\n"));
    CHECK(contains(failure_of([&] { echo.write_input("three\n"); }), "write_input needs"));
}

TEST_CASE("interactive stdin: a program that has ended is a Failure, not a SIGPIPE") {
    probe::Program::Options options;
    options.interactive_stdin = true;
    probe::Program quick(FIXTURE_EXIT_STATUS_3, {}, options);
    quick.wait_exit();
    const std::string failure = failure_of([&] {
        for (int i = 0; i < 100; ++i) quick.write_input(std::string(4096, 'x'));
    });
    CHECK(contains(failure, "did not read its stdin"));
}
