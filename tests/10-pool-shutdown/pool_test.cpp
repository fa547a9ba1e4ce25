// Lesson 10, a pool of workers and a clean shutdown. Each test starts your server with --port 0
// (and its --workers and --queue), reads the port from its first line, and talks to it as
// clients; the shutdown tests send it SIGTERM or SIGINT and time its exit. Your server is built
// with ThreadSanitizer: a data race fails the test case it happens in. The lesson's README has the
// contract they check, sentence by sentence.
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checks.hpp"
#include "probe.hpp"

using namespace std::chrono_literals;

namespace {

probe::Program start(int workers, int queue, std::uint16_t port = 0) {
    return probe::Program(probe::program_under_test(),
                          {"--port", std::to_string(port), "--workers", std::to_string(workers),
                           "--queue", std::to_string(queue)});
}

std::uint16_t port_of(probe::Program& server) {
    return server.port("Listening on 127.0.0.1:41234");
}

// A client that has sent its request line.
probe::Connection request(probe::Program& server, std::uint16_t port, const std::string& line) {
    auto client = probe::Connection::connect("127.0.0.1", port, &server);
    client.send(line + "\n");
    return client;
}

// Waits for the "serving IP:PORT" line of this client.
void wait_serving(probe::Program& server, const probe::Connection& client,
                  probe::milliseconds deadline = probe::step_deadline()) {
    const std::string line = "serving " + client.local().str();
    server.wait_for_line([&](std::string_view l) { return l == line; }, "the line \"" + line + "\"",
                         deadline);
}

// The answer line, then the end of the connection.
std::string answer_of(probe::Connection& client) {
    std::string line = client.receive_line("the answer");
    client.expect_eof();
    return line;
}

// The answer to a refused client, then the end of its connection: the server closes it without
// reading its request, which makes the end a reset.
std::string refusal_of(probe::Connection& client) {
    std::string line = client.receive_line("the refusal");
    client.expect_closed();
    return line;
}

// Sends `signal` and expects a clean exit: status 0 within 2 s, and no sanitizer report.
void stops_cleanly(probe::Program& server, int signal) {
    server.send_signal(signal);
    const auto sent = probe::Clock::now();
    const probe::ExitStatus status = [&] {
        INFO("after SIG" << sigabbrev_np(signal)
                         << " the server must exit within 2 s: stop accepting (shutdown() on the "
                            "listening socket wakes accept()), serve what was accepted, close the "
                            "queue so that every waiting worker wakes (notify_all), join the "
                            "threads");
        return server.wait_exit(probe::scaled(2s));
    }();
    checks::no_sanitizer_report(server);
    INFO("the contract: exit status 0 after a clean shutdown; your server "
         << status.describe() << " after "
         << std::chrono::duration_cast<probe::milliseconds>(probe::Clock::now() - sent).count()
         << " ms");
    CHECK(status.ok());
}

}  // namespace

TEST_CASE("announces its port; answers one request line per connection, WORK N after N ms",
          "[pts=2][id=answers]") {
    auto server = start(2, 4);
    const std::uint16_t port = port_of(server);
    CHECK(server.out_lines().front() == "Listening on 127.0.0.1:" + std::to_string(port));
    const std::vector<std::pair<std::string, std::string>> cases{
        {"hello", "HELLO"},         {"WORK 50", "done 50"}, {"WORK 0", "done 0"},
        {"WORK 2001", "WORK 2001"}, {"work 5", "WORK 5"},   {"WORK x", "WORK X"},
    };
    for (const auto& [line, expected] : cases) {
        auto client = request(server, port, line);
        wait_serving(server, client);
        INFO("the request \"" << line << "\": one answer line, then the connection closes");
        CHECK(answer_of(client) == expected);
    }
    {
        auto client = probe::Connection::connect("127.0.0.1", port, &server);
        client.send("no newline");
        client.shutdown_write();
        INFO("at end of file, the bytes that came are the request");
        CHECK(answer_of(client) == "NO NEWLINE");
    }
    {
        auto client = probe::Connection::connect("127.0.0.1", port, &server);
        client.send(std::string(1025, 'w'));
        CHECK(refusal_of(client) == "error: line longer than 1024 bytes");
    }
    stops_cleanly(server, SIGTERM);
}

TEST_CASE("four workers take four slow requests at once", "[pts=2][id=workers-at-once]") {
    auto server = start(4, 8);
    const std::uint16_t port = port_of(server);
    std::vector<probe::Connection> clients;
    for (int i = 0; i < 4; ++i) clients.push_back(request(server, port, "WORK 1000"));
    for (const auto& client : clients) {
        INFO(
            "with --workers 4, four requests are served at the same time: each is picked up at "
            "once (within half a second), not after the one before has finished (a second)");
        wait_serving(server, client, probe::scaled(500ms));
    }
    for (auto& client : clients) CHECK(answer_of(client) == "done 1000");
    stops_cleanly(server, SIGTERM);
}

TEST_CASE("a burst of 30 clients never takes it past the threads it started with",
          "[pts=2][id=fixed-pool]") {
    auto server = start(3, 32);
    const std::uint16_t port = port_of(server);
    {
        auto first = request(server, port, "first");
        wait_serving(server, first);
        CHECK(answer_of(first) == "FIRST");
    }
    const std::size_t threads = server.threads();  // the pool is running
    std::size_t most = threads;
    std::vector<probe::Connection> clients;
    for (int i = 0; i < 30; ++i) {
        clients.push_back(request(server, port, "WORK 10"));
        most = std::max(most, server.threads());
    }
    for (auto& client : clients) {
        CHECK(answer_of(client) == "done 10");
        most = std::max(most, server.threads());
    }
    INFO("a fixed pool: the threads it had once the pool was running ("
         << threads << "), and never more, whatever the number of clients");
    CHECK(most == threads);
    stops_cleanly(server, SIGTERM);
}

TEST_CASE("a full queue refuses a client at once with error: busy", "[pts=2][id=queue-full]") {
    auto server = start(1, 2);
    const std::uint16_t port = port_of(server);
    auto busy = request(server, port, "WORK 800");
    wait_serving(server, busy);  // the only worker is busy for 0.8 s
    auto second = request(server, port, "second");
    auto third = request(server, port, "third");
    auto refused = request(server, port, "fourth");
    INFO("one worker busy and two connections queued (--queue 2): the next is refused at once");
    CHECK(refusal_of(refused) == "error: busy");
    CHECK(answer_of(busy) == "done 800");
    CHECK(answer_of(second) == "SECOND");
    CHECK(answer_of(third) == "THIRD");
    stops_cleanly(server, SIGTERM);
}

TEST_CASE(
    "on SIGTERM a request in flight gets its whole answer; then it exits 0 and says how many "
    "it served",
    "[pts=3][id=shutdown-in-flight]") {
    auto server = start(2, 4);
    const std::uint16_t port = port_of(server);
    for (const auto& [line, expected] : {std::pair{"one", "ONE"}, std::pair{"two", "TWO"}}) {
        auto client = request(server, port, line);
        CHECK(answer_of(client) == expected);
    }
    auto slow = request(server, port, "WORK 500");
    wait_serving(server, slow);
    stops_cleanly(server, SIGTERM);
    {
        INFO("the request was in a worker's hands when the signal came: it is answered in full");
        CHECK(answer_of(slow) == "done 500");
    }
    const std::vector<std::string> lines = server.out_lines();
    INFO("the last line: how many clients were served, the three before the signal included");
    REQUIRE(!lines.empty());
    CHECK(lines.back() == "served 3 clients");
    INFO("once it has exited, nothing listens on its port");
    CHECK_THROWS_AS(probe::Connection::connect_once("127.0.0.1", port), probe::Failure);
}

TEST_CASE("on SIGINT or SIGTERM, with no client, it exits 0 within 2 s",
          "[pts=1][id=shutdown-idle]") {
    const int signal = GENERATE(SIGINT, SIGTERM);
    CAPTURE(sigabbrev_np(signal));
    auto server = start(2, 4);
    port_of(server);
    stops_cleanly(server, signal);
    CHECK(server.out_lines().back() == "served 0 clients");
}

TEST_CASE(
    "a client that sends nothing gets error: timeout after 1 s, even at shutdown (SIGINT), "
    "which still ends within 2 s",
    "[pts=2][id=timeout-and-shutdown]") {
    auto server = start(2, 4);
    const std::uint16_t port = port_of(server);
    auto silent = probe::Connection::connect("127.0.0.1", port, &server);
    wait_serving(server, silent);  // a worker waits for its request, which never comes
    stops_cleanly(server, SIGINT);
    {
        INFO("the worker gives up on a client that sends nothing for 1 s: SO_RCVTIMEO");
        CHECK(silent.receive_line("the answer to a client that sends nothing") == "error: timeout");
        silent.expect_eof();
    }
    CHECK(server.out_lines().back() == "served 1 clients");
}

TEST_CASE("connections still queued at the signal are served before it exits",
          "[pts=1][id=shutdown-drains-queue]") {
    auto server = start(1, 2);
    const std::uint16_t port = port_of(server);
    auto first = request(server, port, "WORK 500");
    wait_serving(server, first);  // the only worker is busy for half a second
    auto second = request(server, port, "second");
    auto third = request(server, port, "third");
    // A fourth is refused (--queue 2): so the two before it were accepted and wait in the queue.
    auto fourth = request(server, port, "fourth");
    REQUIRE(refusal_of(fourth) == "error: busy");
    server.send_signal(SIGTERM);
    INFO("connections accepted before the signal are served, the queued ones too");
    CHECK(answer_of(first) == "done 500");
    CHECK(answer_of(second) == "SECOND");
    CHECK(answer_of(third) == "THIRD");
    CHECK(server.wait_exit(probe::scaled(2s)).ok());
    checks::no_sanitizer_report(server);
    CHECK(server.out_lines().back() == "served 3 clients");
}

TEST_CASE("starts again at once on the port it had", "[pts=1][id=restart]") {
    std::uint16_t port = 0;
    {
        auto first = start(2, 4);
        port = port_of(first);
        auto client = request(first, port, "hello");
        CHECK(answer_of(client) == "HELLO");
        stops_cleanly(first, SIGTERM);
    }
    auto second = start(2, 4, port);
    INFO("SO_REUSEADDR: the old connections' TIME_WAIT must not stop a restart");
    CHECK(port_of(second) == port);
    stops_cleanly(second, SIGTERM);
}

TEST_CASE("says why on one line of stderr and exits with status 1 when the port is taken",
          "[pts=1][id=port-taken]") {
    checks::refuses_a_taken_port([](std::uint16_t port) { return start(2, 4, port); });
}
