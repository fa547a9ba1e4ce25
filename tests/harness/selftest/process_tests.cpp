// The process layer: starting, watching and stopping programs (each misbehaving fixture must give
// a clear Failure within its deadline, and no process of its group may outlive the Program), how
// a program ended (ExitStatus), and which program a lesson's tests start (program_under_test).
// The program's environment (faults, hosts, variables) has its own file, faults_tests.cpp.
#include "probe.hpp"  // first: it includes <regex> (see there)

#include <doctest/doctest.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support.hpp"

using namespace selftest;

namespace {

std::size_t own_entries(const char* what) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator(std::string("/proc/self/") + what)) {
        ++n;
    }
    return n;
}

}  // namespace

TEST_CASE("a program that cannot be started is a Failure that names it") {
    const std::string missing = failure_of([] { probe::Program p("/no/such/program", {}); });
    CHECK(contains(missing, "could not start /no/such/program: No such file or directory"));

    const std::string not_executable = failure_of([] { probe::Program p(FIXTURE_SOURCE, {}); });
    CHECK(contains(not_executable, "could not start"));
    CHECK(contains(not_executable, "Permission denied"));
}

TEST_CASE("a program that exits at once: its status and last lines, without waiting") {
    pid_t group = 0;
    {
        probe::Program program(FIXTURE_EXIT_STATUS_3, {});
        group = program.pid();
        const auto start = Clock::now();
        const std::string message = failure_of([&] { program.port(); });
        CHECK(since(start) < margin());  // not the 5 s deadline
        CHECK(contains(message,
                       "Your program exited with status 3 before printing the line "
                       "announcing its port."));
        CHECK(contains(message,
                       "Its last lines:\n  [your_program stderr] fixture: cannot start, "
                       "giving up"));

        const probe::ExitStatus status = program.wait_exit();
        CHECK(status.code == 3);
        CHECK_FALSE(status.signaled);
        CHECK(program.status().has_value());
        CHECK_FALSE(program.running());
        CHECK(program.err_lines() == std::vector<std::string>{"fixture: cannot start, giving up"});
        CHECK(program.out().empty());
        CHECK(contains(probe::transcript(), "your_program exited with status 3\n"));
        CHECK(program.stop().code == 3);  // its own status, not the teardown's signal
    }
    CHECK(group_gone(group));
}

TEST_CASE("a program that prints nothing: port() fails at its deadline and mentions buffering") {
    pid_t group = 0;
    {
        probe::Program program(FIXTURE_SILENT_HANG, {});
        group = program.pid();
        const auto deadline = probe::scaled(1s);
        const auto start = Clock::now();
        const std::string message = failure_of([&] { program.port(deadline); });
        CHECK(since(start) >= deadline);
        CHECK(since(start) < deadline + margin());
        CHECK(contains(message, "Your program did not print the line announcing its port within"));
        CHECK(contains(message, "(it is still running). It printed nothing."));
        CHECK(contains(message, "std::endl"));
        CHECK(program.running());

        const std::string still = failure_of([&] { program.wait_exit(probe::scaled(200ms)); });
        CHECK(contains(still, "Your program was still running after"));
        CHECK(contains(still, "but the tests expected it to exit"));
    }
    CHECK(group_gone(group));
}

TEST_CASE("a crash is reported with the signal's name and the program's last lines") {
    pid_t group = 0;
    {
        probe::Program program(FIXTURE_CRASH, {});
        group = program.pid();
        const std::string message = failure_of([&] { program.port(); });
        CHECK(contains(message,
                       "Your program was killed by signal SIGSEGV (segmentation fault) "
                       "before printing the line announcing its port."));
        CHECK(contains(message, "[your_program stderr] fixture: about to crash"));
        const probe::ExitStatus status = program.wait_exit();
        CHECK(status.signaled);
        CHECK(status.signal == SIGSEGV);
        CHECK(status.shell_code() == 139);
    }
    CHECK(group_gone(group));
}

TEST_CASE(
    "a port line without listen(): connecting fails at its deadline and asks about listen()") {
    pid_t group = 0;
    {
        probe::Program program(FIXTURE_PORT_WITHOUT_LISTEN, {});
        group = program.pid();
        const std::uint16_t port = program.port();
        const auto deadline = probe::scaled(1s);
        const auto start = Clock::now();
        const std::string message =
            failure_of([&] { probe::Connection::connect("127.0.0.1", port, &program, deadline); });
        CHECK(since(start) >= deadline);
        CHECK(since(start) < deadline + margin());
        CHECK(
            contains(message, "client-1: could not connect to 127.0.0.1:" + std::to_string(port)));
        CHECK(contains(message, "(last error: Connection refused)"));
        CHECK(contains(message,
                       "Your program is running but nothing accepts connections on "
                       "127.0.0.1:" +
                           std::to_string(port) +
                           " — did it call listen()? Did it bind the port it printed?"));
    }
    CHECK(group_gone(group));
}

TEST_CASE("connecting fails at once when the watched program exits") {
    pid_t group = 0;
    {
        const probe::ClosedPort closed;
        probe::Program program(FIXTURE_EXIT_STATUS_3, {});
        group = program.pid();
        const auto start = Clock::now();
        const std::string message = failure_of([&] {
            probe::Connection::connect("127.0.0.1", closed.port(), &program, probe::scaled(10s));
        });
        CHECK(since(start) < margin());
        CHECK(contains(message,
                       "Your program exited with status 3 before accepting the "
                       "connection."));
        CHECK(contains(message, "fixture: cannot start, giving up"));
    }
    CHECK(group_gone(group));
}

TEST_CASE("an output flood is capped, drained, and does not block the program") {
    pid_t group = 0;
    {
        probe::Program program(FIXTURE_FLOOD, {});
        group = program.pid();
        const probe::ExitStatus status = program.wait_exit(probe::scaled(10s));
        CHECK(status.ok());
        CHECK(program.out().size() == 64 * 1024);
        CHECK(program.out_lines().size() == 64);  // 64 KiB of 1024-byte lines
        CHECK(program.err_lines() == std::vector<std::string>{"flood: done"});
        const std::string steps = probe::transcript();
        CHECK(contains(steps,
                       "[your_program] ... (more than 65536 bytes on stdout: the rest is "
                       "read but not kept)"));
        CHECK(steps.size() < 200 * 1024);
    }
    CHECK(group_gone(group));
}

TEST_CASE("the output cap is an option, and so is the label of the program's lines") {
    pid_t group = 0;
    {
        probe::Program::Options options;
        options.label = "peer";
        options.output_cap = 10;
        probe::Program program(
            "/bin/sh", {"-c", "printf 'out\\n'; printf 'err\\n' >&2; printf '0123456789abc'"},
            options);
        group = program.pid();
        CHECK(program.wait_exit().ok());
        CHECK(program.out() == "out\n012345");
        CHECK(program.out_lines() == std::vector<std::string>{"out", "012345"});
        CHECK(program.err_lines() == std::vector<std::string>{"err"});
        // Across stdout and stderr the order is the order the pipes were read in: either here.
        const std::string last = program.last_lines(2);
        CHECK((last == "[peer stderr] err\n[peer] 012345" ||
               last == "[peer] 012345\n[peer stderr] err"));
        CHECK(program.last_lines(1).find('\n') == std::string::npos);
        const std::string steps = probe::transcript();
        CHECK(contains(steps, "[peer] out\n"));
        CHECK(contains(steps, "[peer stderr] err\n"));
        CHECK(contains(steps, "peer exited with status 0\n"));

        const std::string message = failure_of([&] {
            program.wait_for_line([](std::string_view line) { return line == "never"; },
                                  "the line \"never\"");
        });
        CHECK(contains(message,
                       "Program 'peer' exited with status 0 before printing the line "
                       "\"never\"."));
    }
    CHECK(group_gone(group));
}

TEST_CASE("stdin_data reaches the program, then end of file; without it, stdin is empty") {
    {
        probe::Program::Options options;
        options.stdin_data = "hello\nw\xc3\xb6rld \"quoted\"\n";
        probe::Program cat("/bin/cat", {}, options);
        CHECK(cat.wait_exit().ok());
        CHECK(cat.out_lines() == std::vector<std::string>{"hello", "w\xc3\xb6rld \"quoted\""});
        CHECK(contains(probe::transcript(), "[your_program] w\\xc3\\xb6rld \"quoted\"\n"));
    }
    {
        probe::Program::Options options;
        options.stdin_data = std::string(4 * 1024 * 1024, 'z');  // far more than a pipe holds
        probe::Program cat("/bin/cat", {}, options);
        CHECK(cat.wait_exit(probe::scaled(10s)).ok());
        CHECK(cat.out().size() == 64 * 1024);
    }
    {
        probe::Program cat("/bin/cat", {});
        CHECK(cat.wait_exit().ok());
        CHECK(cat.out().empty());
    }
    {
        // It never reads its stdin: writing the rest fails with EPIPE, which must not kill the
        // test process with SIGPIPE.
        probe::Program::Options options;
        options.stdin_data = std::string(4 * 1024 * 1024, 'z');
        probe::Program early(FIXTURE_EXIT_STATUS_3, {}, options);
        CHECK(early.wait_exit().code == 3);
    }
}

TEST_CASE("a port line that names no port says what was expected") {
    probe::Program program("/bin/sh", {"-c", "echo 'Ready at last'; exec sleep 1000"});
    const std::string message = failure_of([&] { program.port(); });
    CHECK(contains(message,
                   "Your program's first line was \"Ready at last\", but the tests "
                   "expected it to announce the port it listens on: they read the port as the "
                   "number after the last ':' of that line."));
    CHECK_FALSE(contains(message, "such as"));  // no wording the lesson does not use

    const std::string example = "Waiting for a connection on 127.0.0.1:41234...";
    const std::string worded = failure_of([&] { program.port(example); });
    CHECK(contains(worded, "listens on, such as \"" + example + "\": they read the port"));
}

TEST_CASE("a line on the other stream is named: stderr instead of stdout, and the reverse") {
    probe::Program program("/bin/sh", {"-c",
                                       "echo 'Waiting for a connection on 127.0.0.1:41234...' >&2; "
                                       "echo 'bind: Address already in use'; exec sleep 1000"});
    const auto deadline = probe::scaled(300ms);
    const std::string port = failure_of(
        [&] { program.port("Waiting for a connection on 127.0.0.1:41234...", deadline); });
    // Its first line on stdout names no port; the port line went to stderr.
    CHECK(contains(port, "Your program's first line was \"bind: Address already in use\""));

    const std::string out = failure_of([&] {
        program.wait_for_line(std::regex("^Waiting for a connection"),
                              "the line announcing its port", deadline);
    });
    CHECK(contains(out,
                   "\nIt printed it on stderr instead of stdout: \"Waiting for a connection on "
                   "127.0.0.1:41234...\". The tests read this line on stdout: print it with "
                   "std::cout, not std::cerr."));

    const std::string err = failure_of(
        [&] { program.wait_for_err_line(std::regex("^bind: "), "the error message", deadline); });
    CHECK(contains(err, "Your program did not print the error message within"));
    CHECK(contains(err,
                   "It printed it on stdout instead of stderr: \"bind: Address already in use\". "
                   "The tests read this line on stderr: print it with std::cerr, not std::cout."));
    CHECK_FALSE(contains(err, "buffer"));  // stderr is not buffered
    CHECK(program.wait_for_err_line(std::regex("127\\.0\\.0\\.1"), "the port line") ==
          "Waiting for a connection on 127.0.0.1:41234...");
}

TEST_CASE("a missing line: the buffering advice holds when earlier lines arrived too") {
    probe::Program program("/bin/sh",
                           {"-c", "echo 'first line'; printf 'second'; exec sleep 1000"});
    const auto deadline = probe::scaled(300ms);
    const std::string third = failure_of(
        [&] { program.wait_for_line(std::regex("^third"), "the third line", deadline); });
    CHECK(contains(third, "Your program did not print the third line within"));
    CHECK(contains(third,
                   "\nIf it did print the line, the line may still sit in its output buffer, even "
                   "though earlier lines arrived: stdout into a pipe is fully buffered, so end "
                   "every line with std::endl or call std::fflush(stdout)."));
    // A line that did arrive, but without its end of line.
    const std::string second = failure_of(
        [&] { program.wait_for_line(std::regex("^second"), "the second line", deadline); });
    CHECK(contains(second, "It printed \"second\" but not the end of that line"));
    CHECK_FALSE(contains(second, "buffer"));  // it did leave the buffer
}

TEST_CASE("wait_for_line finds the first matching line, with a function or a regex") {
    probe::Program program(FIXTURE_ECHO_LINE, {"--port", "0"});
    const std::uint16_t port = program.port();
    CHECK(port > 0);
    CHECK(
        program.wait_for_line(std::regex("^Listening on 127\\.0\\.0\\.1:\\d+$"), "the port line") ==
        "Listening on 127.0.0.1:" + std::to_string(port));
    for (int i = 0; i < 2; ++i) {
        auto client = probe::Connection::connect("127.0.0.1", port, &program);
        client.send("x\n");
        client.receive_all();
    }
    CHECK(program.wait_for_line(std::regex("served client 2"), "the second client's line") ==
          "served client 2");
    CHECK(program.wait_for_line([](std::string_view line) { return line.starts_with("served"); },
                                "the first client's line") == "served client 1");
}

TEST_CASE("stop(): SIGTERM first, SIGKILL after the grace when SIGTERM is ignored") {
    pid_t group = 0;
    {
        probe::Program program(FIXTURE_IGNORE_SIGTERM, {});
        group = program.pid();
        program.wait_for_line([](std::string_view line) { return line == "ignoring SIGTERM"; },
                              "the line saying it ignores SIGTERM");
        const auto grace = probe::scaled(300ms);
        const auto start = Clock::now();
        const probe::ExitStatus status = program.stop(grace);
        CHECK(since(start) >= grace);
        CHECK(since(start) < grace + margin());
        CHECK(status.signaled);
        CHECK(status.signal == SIGKILL);
        CHECK(
            contains(probe::transcript(), "stopping your_program: SIGTERM to its process group\n"));
        CHECK(contains(probe::transcript(), "SIGKILL to its process group\n"));
        CHECK(group_gone(group));                 // stop() has reaped it already
        CHECK(program.stop().signal == SIGKILL);  // again: same answer
        CHECK(contains(failure_of([&] { program.open_descriptors(); }), "was killed by signal"));
    }
    CHECK(group_gone(group));
}

TEST_CASE("stop() ends a program that honours SIGTERM without waiting for the grace") {
    probe::Program program(FIXTURE_SILENT_HANG, {});
    const auto start = Clock::now();
    const probe::ExitStatus status = program.stop(probe::scaled(5s));
    CHECK(since(start) < margin());
    CHECK(status.signal == SIGTERM);
    CHECK(status.describe() == "was killed by signal SIGTERM (terminated)");
}

TEST_CASE("send_signal and wait_exit test a shutdown") {
    probe::Program program(FIXTURE_SILENT_HANG, {});
    program.send_signal(SIGINT);
    CHECK(program.wait_exit().signal == SIGINT);
    CHECK(contains(probe::transcript(), "sending SIGINT to your_program\n"));
}

TEST_CASE("teardown kills a grandchild left in the group, even one that ignores SIGTERM") {
    pid_t group = 0;
    pid_t grandchild = 0;
    {
        probe::Program program(FIXTURE_GRANDCHILD, {});
        group = program.pid();
        const std::string line =
            program.wait_for_line(std::regex("^grandchild \\d+$"), "the grandchild's pid");
        grandchild = std::stoi(line.substr(line.find(' ') + 1));
        CHECK(grandchild != group);
        CHECK_FALSE(process_gone(grandchild));
    }
    CHECK(group_gone(group));
    CHECK(process_gone(grandchild));
}

TEST_CASE("a test program stopped by SIGTERM first ends the groups of the programs it started") {
    // The runner stops a test program that hangs with SIGTERM. Without its handler, the program it
    // started dies (PR_SET_PDEATHSIG) but that program's own child lives on.
    pid_t grandchild = 0;
    {
        probe::Program tests(FIXTURE_HUNG_TESTS, {FIXTURE_GRANDCHILD});
        const std::string line =
            tests.wait_for_line(std::regex("^grandchild \\d+$"), "the grandchild's pid");
        grandchild = std::stoi(line.substr(line.find(' ') + 1));
        const int watch = static_cast<int>(::syscall(SYS_pidfd_open, grandchild, 0));
        REQUIRE(watch >= 0);
        const probe::ExitStatus status = tests.stop();
        CHECK(status.signaled);
        CHECK(status.signal == SIGTERM);  // it died of SIGTERM, as before, after its handler
        pollfd ended{watch, POLLIN, 0};
        CHECK_MESSAGE(
            ::poll(&ended, 1, static_cast<int>(probe::scaled(5000ms).count())) == 1,
            "the grandchild still runs after its grandparent, the test program, was stopped");
        ::close(watch);
    }
    // It died. Its zombie comes to this process (the child subreaper) only once its parent, killed
    // at the same moment, has finished dying too, and the test program after it: reap it then.
    const auto until = Clock::now() + probe::scaled(5000ms);
    while (!process_gone(grandchild) && Clock::now() < until) {
        int status = 0;
        if (::waitpid(grandchild, &status, WNOHANG) <= 0) ::poll(nullptr, 0, 10);
    }
    CHECK(process_gone(grandchild));
}

TEST_CASE("a grandchild that left the group and holds the pipes cannot hang the teardown") {
    pid_t group = 0;
    pid_t escaped = 0;
    const auto start = Clock::now();
    {
        probe::Program program(FIXTURE_GRANDCHILD, {"--escape"});
        group = program.pid();
        const std::string line =
            program.wait_for_line(std::regex("^grandchild \\d+$"), "the grandchild's pid");
        escaped = std::stoi(line.substr(line.find(' ') + 1));
    }
    CHECK(since(start) < margin() + probe::scaled(500ms));
    CHECK(group_gone(group));
    // It escaped the group, so it is still there: end it here. The test process adopted it
    // (child subreaper) when its parent died, so it can reap it.
    REQUIRE_FALSE(process_gone(escaped));
    ::kill(escaped, SIGKILL);
    int status = 0;
    CHECK(::waitpid(escaped, &status, 0) == escaped);
    CHECK(process_gone(escaped));
}

TEST_CASE("/proc counts: descriptors rise with a server that leaks one per connection") {
    pid_t group = 0;
    {
        probe::Program program(FIXTURE_LEAK_DESCRIPTORS, {});
        group = program.pid();
        const std::uint16_t port = program.port();
        const std::size_t before = program.open_descriptors();
        CHECK(program.threads() == 1);
        for (int i = 0; i < 10; ++i) {
            probe::Connection::connect("127.0.0.1", port, &program).close();
        }
        program.wait_for_line([](std::string_view line) { return line == "accepted 10"; },
                              "the line \"accepted 10\"");
        CHECK(program.open_descriptors() >= before + 10);
    }
    CHECK(group_gone(group));
}

TEST_CASE("logged_lines: the transcript shows the first lines and counts the rest") {
    probe::clear_transcript();
    probe::Program::Options options;
    options.stdin_data = "one\ntwo\nthree\nfour\n";
    options.logged_lines = 2;
    probe::Program program(FIXTURE_STDIN_ECHO, {}, options);
    program.wait_exit();
    CHECK(program.out_lines().size() == 5);  // out() keeps them all
    const std::string steps = probe::transcript();
    CHECK(contains(steps, "[your_program] got two\n"));
    CHECK(!contains(steps, "got three"));
    CHECK(contains(steps, "[your_program] ... (3 more lines not shown here)\n"));
}

TEST_CASE("/proc counts: memory_peak shows memory reserved and never touched") {
    probe::Program::Options options;
    options.interactive_stdin = true;
    probe::Program program(FIXTURE_STDIN_ECHO, {}, options);
    program.write_input("hello\n");
    program.wait_for_line([](std::string_view line) { return line == "got hello"; }, "got hello");
    const std::size_t before = program.memory_peak();
    CHECK(before > 0);
    program.write_input("reserve 256\n");
    program.wait_for_line([](std::string_view line) { return line == "reserved 256"; },
                          "reserved 256");
    CHECK(program.memory_peak() >= before + (std::size_t{256} << 20));
    program.close_input();
    program.wait_exit();
    CHECK(contains(failure_of([&] { program.memory_peak(); }), "cannot read the VmPeak line"));
}

TEST_CASE("many programs at once: each is torn down, and the harness leaks nothing itself") {
    // Warm up once, so that lazily created things (the transcript, libc state) are not counted.
    { probe::Program warm_up(FIXTURE_SILENT_HANG, {}); }
    const std::size_t descriptors = own_entries("fd");
    const std::size_t threads = own_entries("task");
    std::vector<pid_t> groups;
    {
        std::vector<std::unique_ptr<probe::Program>> programs;
        for (int i = 0; i < 8; ++i) {
            programs.push_back(std::make_unique<probe::Program>(
                FIXTURE_ECHO_LINE, std::vector<std::string>{"--port", "0"}));
            groups.push_back(programs.back()->pid());
        }
        // Backwards, so no program is served in the order it started.
        for (auto it = programs.rbegin(); it != programs.rend(); ++it) {
            auto client = probe::Connection::connect("127.0.0.1", (*it)->port(), it->get());
            client.send("ping\n");
            CHECK(client.receive_all() == "ping\n");
        }
        CHECK(own_entries("task") == threads + programs.size());  // one drain thread each
    }
    for (pid_t group : groups) CHECK(group_gone(group));
    CHECK(own_entries("fd") == descriptors);
    CHECK(own_entries("task") == threads);
}

TEST_CASE("the transcript shows the command as it can be pasted into bash") {
    probe::Program program("/bin/sh", {"-c", "exit 0", "it's", "re\xc3\xa7u"});
    CHECK(program.wait_exit().ok());
    CHECK(contains(probe::transcript(), "started as pid " + std::to_string(program.pid()) +
                                            ": /bin/sh -c 'exit 0' 'it'\\''s' $'re\\xc3\\xa7u'\n"));
}

TEST_CASE("a program dies with the test process, even when no destructor runs") {
    probe::Program spawner(FIXTURE_SPAWNER, {FIXTURE_SILENT_HANG});
    const std::string line =
        spawner.wait_for_line(std::regex("^started \\d+$"), "the started program's pid");
    const pid_t orphan = std::stoi(line.substr(line.find(' ') + 1));
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, orphan, 0));
    REQUIRE(pidfd >= 0);

    spawner.send_signal(SIGKILL);  // like a test runner killed on a timeout
    pollfd ended{pidfd, POLLIN, 0};
    const bool died = ::poll(&ended, 1, static_cast<int>(probe::step_deadline().count())) == 1;
    CHECK(died);
    if (!died) ::kill(orphan, SIGKILL);  // leave nothing behind, even when failing
    // SIGKILL came when the spawner's main thread ended; the orphan is handed to this process (the
    // child subreaper) only when the spawner's last thread has ended too. Then it can be reaped
    // here.
    CHECK(spawner.wait_exit().signal == SIGKILL);
    siginfo_t info{};
    CHECK(::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, WEXITED) == 0);
    CHECK(info.si_code == CLD_KILLED);
    CHECK(info.si_status == SIGKILL);
    ::close(pidfd);
}

TEST_CASE("ExitStatus describes an exit status and a signal") {
    const probe::ExitStatus three{false, 3, 0};
    CHECK(three.describe() == "exited with status 3");
    CHECK_FALSE(three.ok());
    CHECK(three.shell_code() == 3);

    const probe::ExitStatus segv{true, 0, SIGSEGV};
    CHECK(segv.describe() == "was killed by signal SIGSEGV (segmentation fault)");
    CHECK(segv.shell_code() == 128 + SIGSEGV);
    CHECK_FALSE(segv.ok());

    CHECK(probe::ExitStatus{}.ok());
    CHECK(probe::ExitStatus{}.describe() == "exited with status 0");
    CHECK(probe::ExitStatus{true, 0, SIGKILL}.describe() ==
          "was killed by signal SIGKILL (killed)");
}

TEST_CASE("program_under_test: $WORKBOOK_PROGRAM, else the compiled-in path, else a Failure") {
    {
        ScopedEnv unset("WORKBOOK_PROGRAM", nullptr);
        // This file is not a lesson's test: WORKBOOK_PROGRAM is not defined, so no default.
        CHECK(contains(failure_of([] { probe::program_under_test(); }), "set WORKBOOK_PROGRAM"));
        CHECK(probe::program_under_test(FIXTURE_ECHO_LINE) == FIXTURE_ECHO_LINE);
        CHECK(contains(failure_of([] { probe::program_under_test("/no/such/program"); }),
                       "/no/such/program, does not exist"));
    }
    {
        ScopedEnv chosen("WORKBOOK_PROGRAM", FIXTURE_SILENT_HANG);
        CHECK(probe::program_under_test(FIXTURE_ECHO_LINE) == FIXTURE_SILENT_HANG);
        CHECK(probe::program_under_test() == FIXTURE_SILENT_HANG);
    }
    {
        ScopedEnv missing("WORKBOOK_PROGRAM", "/no/such/server");
        CHECK(contains(failure_of([] { probe::program_under_test(FIXTURE_ECHO_LINE); }),
                       "/no/such/server, does not exist"));
    }
}
