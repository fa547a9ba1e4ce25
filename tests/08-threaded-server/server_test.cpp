// Lesson 08, a thread per client. Each test starts your server with --port 0, reads the port from
// its first line, and talks to it as several clients at once. Your server is built with
// ThreadSanitizer: a data race fails the test case it happens in, even when every answer is right.
// The lesson's README has the contract they check, sentence by sentence.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checks.hpp"
#include "probe.hpp"

using namespace std::chrono_literals;

namespace {

probe::Program start() {
    return probe::Program(probe::program_under_test(), {"--port", "0"});
}

std::uint16_t port_of(probe::Program& server) {
    return server.port("Listening on 127.0.0.1:41234");
}

// Sends `line` and its '\n', and returns the answer line.
std::string ask(probe::Connection& client, const std::string& line,
                probe::milliseconds deadline = probe::step_deadline()) {
    client.send(line + "\n");
    return client.receive_line("the answer to \"" + probe::escape(line) + "\"", deadline);
}

// Asks STATS until the answer is `expected` or the deadline passes (the server sees a client
// leave when its thread reads the end of the connection, a moment after the client closed).
std::string stats_until(probe::Connection& client, const std::string& expected) {
    const auto until = probe::Clock::now() + probe::step_deadline();
    std::string got = ask(client, "STATS");
    while (got != expected && probe::Clock::now() < until) got = ask(client, "STATS");
    return got;
}

// Ends the test case with the sanitizer's report, if your server printed one (it keeps running
// after a data race: halt_on_error=0).
void no_race(probe::Program& server) {
    server.stop();
    checks::no_sanitizer_report(server);
}

}  // namespace

TEST_CASE("announces its port; answers a line in capitals, and STATS with the clients connected",
          "[pts=2][id=answers]") {
    auto server = start();
    const std::uint16_t port = port_of(server);
    CHECK(server.out_lines().front() == "Listening on 127.0.0.1:" + std::to_string(port));
    auto client = probe::Connection::connect("127.0.0.1", port, &server);
    CHECK(ask(client, "hello") == "HELLO");
    CHECK(ask(client, "Salut le serveur ! é") == "SALUT LE SERVEUR ! é");
    CHECK(ask(client, "a{b}~z") == "A{B}~Z");
    CHECK(ask(client, "stats") == "STATS");
    CHECK(ask(client, "STATS") == "clients 1");
    no_race(server);
}

TEST_CASE("a client that sends nothing does not keep a second one waiting",
          "[pts=3][id=silent-client]") {
    auto server = start();
    const std::uint16_t port = port_of(server);
    auto silent = probe::Connection::connect("127.0.0.1", port, &server);
    auto half = probe::Connection::connect("127.0.0.1", port, &server);
    half.send("half a line, and no end");
    auto second = probe::Connection::connect("127.0.0.1", port, &server);
    {
        INFO(
            "two clients are connected and send nothing more; a third must be answered at once "
            "(within 1 s): a server that waits for a client's thread to end (join) before it "
            "accepts the next serves one client at a time");
        CHECK(ask(second, "not waiting", probe::scaled(1s)) == "NOT WAITING");
    }
    no_race(server);
}

TEST_CASE("eight clients opened, then served last to first, then eight more",
          "[pts=2][id=reverse-order]") {
    auto server = start();
    const std::uint16_t port = port_of(server);
    for (int batch = 0; batch < 2; ++batch) {
        std::vector<probe::Connection> clients;
        for (int i = 0; i < 8; ++i)
            clients.push_back(probe::Connection::connect("127.0.0.1", port, &server));
        for (int i = 7; i >= 0; --i) {
            const std::string line =
                "batch " + std::to_string(batch) + " client " + std::to_string(i);
            INFO("client " << i << " of 8, opened " << 7 - i << " connections before the last one");
            CHECK(ask(clients[i], line) ==
                  "BATCH " + std::to_string(batch) + " CLIENT " + std::to_string(i));
        }
    }
    no_race(server);
}

TEST_CASE("50 clients at once, 100 lines each: every answer to its own client, in order",
          "[pts=3][id=fifty-clients]") {
    auto server = start();
    const std::uint16_t port = port_of(server);
    std::vector<probe::Connection> clients;
    for (int c = 0; c < 50; ++c) {
        // One at a time, each answered once before the next connects: the test does not depend
        // on how many connections listen() lets wait.
        clients.push_back(probe::Connection::connect("127.0.0.1", port, &server));
        REQUIRE(ask(clients.back(), "hello " + std::to_string(c)) == "HELLO " + std::to_string(c));
    }
    // Round after round, every client sends its line before any answer is read: the 50 threads
    // of your server have work at the same time.
    for (int round = 0; round < 100; ++round) {
        for (int c = 0; c < 50; ++c)
            clients[c].send("client " + std::to_string(c) + " line " + std::to_string(round) +
                            "\n");
        for (int c = 0; c < 50; ++c) {
            const std::string expected =
                "CLIENT " + std::to_string(c) + " LINE " + std::to_string(round);
            const std::string got =
                clients[c].receive_line("the answer to client " + std::to_string(c) + "'s line");
            if (got != expected) {
                INFO("client " << c << ", round " << round
                               << ": an answer lost, or meant for another client? Each thread "
                                  "must use its own buffer and its own socket");
                REQUIRE(got == expected);
            }
        }
    }
    no_race(server);
}

TEST_CASE("STATS counts the clients connected now: one that leaves, or resets, stops counting",
          "[pts=2][id=stats-counts]") {
    auto server = start();
    const std::uint16_t port = port_of(server);
    auto first = probe::Connection::connect("127.0.0.1", port, &server);
    auto second = probe::Connection::connect("127.0.0.1", port, &server);
    auto third = probe::Connection::connect("127.0.0.1", port, &server);
    for (auto* c : {&first, &second, &third}) CHECK(ask(*c, "ready") == "READY");
    CHECK(ask(first, "STATS") == "clients 3");
    second.close();
    {
        INFO("a client that closed its connection no longer counts");
        CHECK(stats_until(first, "clients 2") == "clients 2");
    }
    third.abort();
    INFO(
        "a client that reset its connection (an error, not an end of file) no longer counts "
        "either: take it away on every path out of the client's thread");
    CHECK(stats_until(first, "clients 1") == "clients 1");
    no_race(server);
}

TEST_CASE("after its clients leave, the server is back to as many threads and descriptors",
          "[pts=2][id=back-to-baseline]") {
    auto server = start();
    const std::uint16_t port = port_of(server);
    auto probe_client = probe::Connection::connect("127.0.0.1", port, &server);
    CHECK(ask(probe_client, "first") == "FIRST");
    const std::size_t threads = server.threads();  // with one client being served
    const std::size_t descriptors = server.open_descriptors();
    {
        std::vector<probe::Connection> clients;
        for (int i = 0; i < 20; ++i) {
            clients.push_back(probe::Connection::connect("127.0.0.1", port, &server));
            CHECK(ask(clients.back(), "x") == "X");
        }
        INFO("with 21 clients connected, a thread each");
        CHECK(server.threads() == threads + 20);
        for (std::size_t i = 0; i < clients.size(); ++i) {
            if (i % 2 == 0)
                clients[i].close();
            else
                clients[i].abort();
        }
    }
    // The last one out: once it has been answered STATS 1, the 20 others are gone.
    CHECK(stats_until(probe_client, "clients 1") == "clients 1");
    INFO("20 clients left (10 closed, 10 reset): each one's thread must end and its socket close");
    const auto until = probe::Clock::now() + probe::step_deadline();
    while ((server.threads() != threads || server.open_descriptors() != descriptors) &&
           probe::Clock::now() < until)
        ask(probe_client, "wait");  // a round trip, not a sleep: the server does the waiting
    CHECK(server.threads() == threads);
    CHECK(server.open_descriptors() == descriptors);
    no_race(server);
}

TEST_CASE("a line too long is refused and ends that client; a last line without \\n is answered",
          "[pts=1][id=lines-limits]") {
    auto server = start();
    const std::uint16_t port = port_of(server);
    auto other = probe::Connection::connect("127.0.0.1", port, &server);
    CHECK(ask(other, "still here") == "STILL HERE");
    {
        auto client = probe::Connection::connect("127.0.0.1", port, &server);
        const std::string peer = client.local().str();
        client.send(std::string(1025, 'z'));
        CHECK(client.receive_line("the error answer") == "error: line longer than 1024 bytes");
        client.expect_closed();
        CHECK(server.wait_for_err_line(
                  [&](std::string_view l) { return l.starts_with("server: " + peer + ": "); },
                  "the line \"server: " + peer + ": ...\" on stderr") ==
              "server: " + peer + ": line longer than 1024 bytes");
    }
    {
        auto client = probe::Connection::connect("127.0.0.1", port, &server);
        client.send("last\r\nwords");
        client.shutdown_write();
        CHECK(client.receive_line("the answer to \"last\"") == "LAST");
        CHECK(client.receive_line("the answer to \"words\", sent without '\\n'") == "WORDS");
        client.expect_eof();
    }
    CHECK(ask(other, "STATS") == "clients 1");
    no_race(server);
}

TEST_CASE("says why on one line of stderr and exits with status 1 when the port is taken",
          "[pts=1][id=port-taken]") {
    checks::refuses_a_taken_port([](std::uint16_t port) {
        return probe::Program(probe::program_under_test(), {"--port", std::to_string(port)});
    });
}
