// Fault injection (probe::Faults, Options::hosts): each fault bites a program with the matching
// bug on every run, a correct program is unaffected, and the same seed makes the same choices.
#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <string>
#include <vector>

#include "probe.hpp"
#include "support.hpp"

using namespace selftest;

namespace {

const std::string message = "The quick brown fox jumps over the lazy dog.";

probe::Program::Options with(probe::Faults faults) {
    probe::Program::Options options;
    options.faults = std::move(faults);
    return options;
}

// The fixture `sender` against a Listener of the test: what arrived, and what it printed.
struct Sent {
    std::string received;
    std::vector<std::string> lines;
    std::string errors;  // its stderr: nothing, even under a sanitizer with libraries preloaded
};

Sent send_to_test(const std::string& mode, const probe::Faults& faults, int times = 1) {
    probe::Listener listener;
    probe::Program sender(FIXTURE_SENDER,
                          {std::to_string(listener.port()), mode, message, std::to_string(times)},
                          with(faults));
    auto connection = listener.accept(&sender);
    Sent sent;
    sent.received = connection.receive_all();
    sender.wait_exit();
    sent.lines = sender.out_lines();
    sent.errors = sender.err();
    return sent;
}

std::size_t count_starting(const std::vector<std::string>& lines, std::string_view start) {
    return static_cast<std::size_t>(std::count_if(
        lines.begin(), lines.end(), [&](const std::string& l) { return l.starts_with(start); }));
}

// Lines after the first ("Listening on ...").
std::vector<std::string> after_first(const std::vector<std::string>& lines) {
    return lines.empty() ? lines : std::vector<std::string>(lines.begin() + 1, lines.end());
}

// fault_server: sends `bytes` to it in one send(), half-closes, and returns its lines.
std::vector<std::string> serve(const std::vector<std::string>& args,
                               const probe::Program::Options& options, std::string_view bytes) {
    probe::Program server(FIXTURE_FAULT_SERVER, args, options);
    auto client = probe::Connection::connect("127.0.0.1", server.port(), &server);
    client.send(bytes);
    client.shutdown_write();
    CHECK(server.wait_exit().ok());
    return server.out_lines();
}

}  // namespace

TEST_CASE("short writes: one send() loses bytes on every run, a send loop delivers them all") {
    ScopedEnv no_replay("WORKBOOK_FAULT_SEED", nullptr);
    for (std::uint64_t seed : {1, 2, 3, 4, 5}) {
        CAPTURE(seed);
        const Sent once = send_to_test("once", {.seed = seed, .short_writes = true});
        CHECK(once.received.size() < message.size());
        CHECK(message.starts_with(once.received));

        const Sent loop = send_to_test("loop", {.seed = seed, .short_writes = true});
        CHECK(loop.received == message);
        CHECK(count_starting(loop.lines, "send ") > 1);
    }
    CHECK(
        contains(probe::transcript(),
                 "faults: short writes (seed 5; set WORKBOOK_FAULT_SEED to replay with another)"));
}

TEST_CASE(
    "broken pipe: the first send() fails with EPIPE, and SIGPIPE ends a program that lets it") {
    const Sent quiet = send_to_test("once", {.broken_pipe = true});
    CHECK(quiet.received.empty());
    CHECK(quiet.lines == std::vector<std::string>{"send failed: Broken pipe"});

    // Once only: the second message goes.
    const Sent again = send_to_test("loop", {.broken_pipe = true}, 1);
    CHECK(again.lines.front() == "send failed: Broken pipe");

    probe::Listener listener;
    probe::Program plain(FIXTURE_SENDER, {std::to_string(listener.port()), "plain", message},
                         with({.broken_pipe = true}));
    auto connection = listener.accept(&plain);
    CHECK(connection.receive_all().empty());
    const probe::ExitStatus status = plain.wait_exit();
    CHECK(status.signaled);
    CHECK(status.signal == SIGPIPE);
    CHECK(contains(probe::transcript(),
                   "faults: a broken pipe (EPIPE, SIGPIPE) on the first send()"));
}

TEST_CASE("without faults the same program sends everything at once") {
    const Sent once = send_to_test("once", {});
    CHECK(once.received == message);
    CHECK(!contains(probe::transcript(), "faults:"));
}

TEST_CASE("the same seed makes the same choices; WORKBOOK_FAULT_SEED replays another") {
    ScopedEnv no_replay("WORKBOOK_FAULT_SEED", nullptr);
    const probe::Faults faults{.seed = 42, .short_writes = true};
    const Sent first = send_to_test("loop", faults, 5);
    const Sent second = send_to_test("loop", faults, 5);
    CHECK(first.lines == second.lines);
    CHECK(count_starting(first.lines, "send ") > 5);

    const Sent other = send_to_test("loop", {.seed = 43, .short_writes = true}, 5);
    CHECK(other.lines != first.lines);
    {
        ScopedEnv replay("WORKBOOK_FAULT_SEED", "43");
        CHECK(send_to_test("loop", faults, 5).lines == other.lines);
        CHECK(contains(probe::transcript(), "(seed 43, from WORKBOOK_FAULT_SEED; set"));
    }
    {
        ScopedEnv replay("WORKBOOK_FAULT_SEED", "forty");
        CHECK(contains(failure_of([&] { send_to_test("loop", faults); }),
                       "WORKBOOK_FAULT_SEED must be a whole number such as 7, not \"forty\""));
    }
}

TEST_CASE("short reads: a reader gets the same bytes in more, smaller reads") {
    for (std::uint64_t seed : {1, 2, 3}) {
        CAPTURE(seed);
        const auto lines =
            serve({"--port", "0"}, with({.seed = seed, .short_reads = true}), message);
        std::string joined;
        for (const std::string& line : lines) {
            if (line.starts_with("recv ")) joined += line.substr(line.find(": ") + 2);
        }
        CHECK(joined == message);
        CHECK(count_starting(lines, "recv ") > 1);
        CHECK(lines.back() == "done");
    }
}

TEST_CASE("poisoned reads: a program printing its buffer past the count shows the poison") {
    const std::string poison(5, probe::Faults::poison_byte);
    const auto buggy = serve({"--print", "buffer"}, with({.poison_reads = true}), "hello");
    REQUIRE(buggy.size() == 3);  // "Listening on ...", the read, "done"
    CHECK(buggy[1].starts_with("recv 5: hello" + poison));
    CHECK(buggy[1].size() == std::string("recv 5: ").size() + 63);  // the whole buffer but its '\0'

    const auto correct = serve({"--print", "count"}, with({.poison_reads = true}), "hello");
    CHECK(after_first(correct) == std::vector<std::string>{"recv 5: hello", "done"});

    // Without the fault the bug stays hidden: the buffer was zeroed.
    const auto hidden = serve({"--print", "buffer"}, {}, "hello");
    CHECK(after_first(hidden) == std::vector<std::string>{"recv 5: hello", "done"});
}

TEST_CASE(
    "stop before listen: a line printed before listen() is out while the program is stopped") {
    const probe::Faults stop{.stop_before_listen = true};
    SUBCASE("printed before listen(): seen while stopped, and nobody can connect yet") {
        probe::Program server(FIXTURE_FAULT_SERVER, {"--announce", "before"}, with(stop));
        REQUIRE(server.wait_stopped());
        REQUIRE(server.out_lines().size() == 1);
        const std::uint16_t port = server.port();
        CHECK(contains(failure_of([&] { probe::Connection::connect_once("127.0.0.1", port); }),
                       "Connection refused — nothing is listening there (the test tried once"));
        server.resume();
        auto client = probe::Connection::connect("127.0.0.1", port, &server);
        client.send("hi");
        client.shutdown_write();
        CHECK(server.wait_exit().ok());
        CHECK(after_first(server.out_lines()) == std::vector<std::string>{"recv 2: hi", "done"});
    }
    SUBCASE("printed after listen(): nothing out while stopped, and resume() lets it finish") {
        probe::Program server(FIXTURE_FAULT_SERVER, {"--announce", "after"}, with(stop));
        REQUIRE(server.wait_stopped());
        CHECK(server.out().empty());
        server.resume();
        auto client = probe::Connection::connect("127.0.0.1", server.port(), &server);
        client.close();
        CHECK(server.wait_exit().ok());
    }
    const std::string steps = probe::transcript();
    CHECK(contains(steps, "faults: a stop (SIGSTOP) before listen() (seed 1;"));
    CHECK(contains(steps, "your_program is stopped (SIGSTOP)\n"));
    CHECK(contains(steps, "resuming your_program (SIGCONT)\n"));
}

TEST_CASE("wait_stopped is false for a program that exits or never stops") {
    probe::Program exits(FIXTURE_EXIT_STATUS_3, {});
    CHECK_FALSE(exits.wait_stopped());
    probe::Program hangs(FIXTURE_SILENT_HANG, {});
    const auto start = Clock::now();
    CHECK_FALSE(hangs.wait_stopped(200ms));
    CHECK(since(start) < 200ms + margin());
    CHECK(contains(probe::transcript(), "your_program did not stop within 200 ms"));
}

TEST_CASE("libfiu: send() fails with the errno the test chose") {
    ScopedEnv no_replay("WORKBOOK_FAULT_SEED", nullptr);
    SUBCASE("ECONNRESET on every call") {
        probe::Faults faults;
        faults.failing = {{"send", ECONNRESET}};
        const Sent sent = send_to_test("loop", faults);
        CHECK(sent.received.empty());
        CHECK(sent.lines == std::vector<std::string>{"send failed: Connection reset by peer"});
        CHECK(sent.errors.empty());
        CHECK(
            contains(probe::transcript(), "faults: send() fails with ECONNRESET (probability 1)"));
    }
    SUBCASE("EINTR on about half the calls: a loop that retries delivers everything") {
        probe::Faults faults{.seed = 7, .short_writes = true};
        faults.failing = {{"send", EINTR, 0.5}};
        const Sent loop = send_to_test("loop", faults, 10);
        std::string expected;
        for (int i = 0; i < 10; ++i) expected += message;
        CHECK(loop.received == expected);
        CHECK(loop.errors.empty());
        REQUIRE(!loop.lines.empty());
        CHECK(loop.lines.back() != "interrupted 0");

        const Sent once = send_to_test("once", faults, 10);
        CHECK(once.lines.back() == "send failed: Interrupted system call");
    }
}

TEST_CASE("Faults::failing is checked") {
    probe::Faults faults;
    faults.failing = {{"send; rm", EINTR}};
    CHECK_THROWS_AS(send_to_test("loop", faults), std::invalid_argument);
    faults.failing = {{"send", EINTR, 1.5}};
    CHECK_THROWS_AS(send_to_test("loop", faults), std::invalid_argument);
}

TEST_CASE("hosts: a name resolves to the test's addresses, in the test's order") {
    probe::Program::Options options;
    options.hosts = "::1 localhost\n127.0.0.1 localhost\n127.0.0.2 server.test\n::1 server.test\n";
    {
        probe::Program resolve(FIXTURE_RESOLVE, {"localhost"}, options);
        CHECK(resolve.wait_exit().ok());
        CHECK(resolve.err().empty());
        CHECK(resolve.out_lines() == std::vector<std::string>{"::1", "127.0.0.1"});
    }
    {
        probe::Program resolve(FIXTURE_RESOLVE, {"server.test"}, options);
        CHECK(resolve.wait_exit().ok());
        CHECK(resolve.out_lines() == std::vector<std::string>{"127.0.0.2", "::1"});
    }
    CHECK(contains(probe::transcript(),
                   "hosts: names listed here resolve from these lines, in this order: ::1 "
                   "localhost; 127.0.0.1 localhost; 127.0.0.2 server.test; ::1 server.test\n"));
}

TEST_CASE("faults and hosts combine in one LD_PRELOAD; Options::env reaches the program") {
    ScopedEnv asan("ASAN_OPTIONS", "detect_leaks=0");
    probe::Program::Options options = with({.seed = 3, .short_writes = true});
    options.hosts = "127.0.0.1 sender.test\n";
    options.env = {"WORKBOOK_SELFTEST=yes", "ASAN_OPTIONS=detect_leaks=0:abort_on_error=0"};
    {
        probe::Program resolve(FIXTURE_RESOLVE, {"sender.test"}, options);
        CHECK(resolve.wait_exit().ok());
        CHECK(resolve.out_lines() == std::vector<std::string>{"127.0.0.1"});
    }
    probe::Program shell("/bin/sh",
                         {"-c", "echo $WORKBOOK_SELFTEST; echo $LD_PRELOAD; echo $ASAN_OPTIONS"},
                         options);
    CHECK(shell.wait_exit().ok());
    const auto lines = shell.out_lines();
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == "yes");
    CHECK(contains(lines[1], "libworkbook_faults.so "));
    CHECK(contains(lines[1], "libnss_wrapper.so"));
    CHECK(lines[2] == "detect_leaks=0:abort_on_error=0:verify_asan_link_order=0");
    probe::Program::Options bad;
    bad.env = {"no equals sign"};
    CHECK_THROWS_AS(probe::Program("/bin/true", {}, bad), std::invalid_argument);
}

TEST_CASE("connect_once fails at once on a refused port; ClosedPort takes an exact port") {
    probe::ClosedPort closed;
    const auto start = Clock::now();
    CHECK(contains(failure_of([&] { probe::Connection::connect_once("127.0.0.1", closed.port()); }),
                   "Connection refused"));
    CHECK(since(start) < 1s);
    CHECK(contains(failure_of([&] { probe::ClosedPort again("127.0.0.1", closed.port()); }),
                   "the test could not bind a port on 127.0.0.1 port " +
                       std::to_string(closed.port()) + ": Address already in use"));
}
