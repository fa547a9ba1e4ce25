// Lesson 06, an echo server. Each test starts your server with --port 0, reads the port it
// announces on its first line, and talks to it as one or more clients. Read each TEST_CASE as a
// conversation; the lesson's README has the contract they check, sentence by sentence.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checks.hpp"
#include "probe.hpp"

namespace {

using namespace std::string_literals;

std::string listening_line(const std::string& host, std::uint16_t port) {
    return "Listening on " + host + ":" + std::to_string(port);
}

probe::Program start(std::vector<std::string> args = {"--port", "0"},
                     probe::Program::Options options = {}) {
    return probe::Program(probe::program_under_test(), std::move(args), std::move(options));
}

probe::Program start_with(probe::Faults faults) {
    probe::Program::Options options;
    options.faults = std::move(faults);
    return start({"--port", "0"}, std::move(options));
}

std::uint16_t port_of(probe::Program& server, const std::string& host = "127.0.0.1") {
    return server.port(listening_line(host, 41234));
}

auto starts_with(std::string prefix) {
    return [prefix](std::string_view line) { return line.starts_with(prefix); };
}

// FNV-1a: a short name for a long run of bytes, to show in a message instead of the bytes.
std::string fingerprint(std::string_view bytes) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : bytes) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
    return text;
}

// What came back is exactly what was sent. Compares sizes and fingerprints, and on a difference
// says where and what it suggests, instead of printing a mebibyte.
void check_echo(const std::string& back, const std::string& sent) {
    if (back == sent) {
        SUCCEED("every byte came back, in order");
        return;
    }
    std::size_t i = 0;
    while (i < back.size() && i < sent.size() && back[i] == sent[i]) ++i;
    std::string what = "sent " + std::to_string(sent.size()) + " bytes (fingerprint " +
                       fingerprint(sent) + "), got back " + std::to_string(back.size()) +
                       " (fingerprint " + fingerprint(back) + "); the first " + std::to_string(i) +
                       " are right";
    if (i < back.size() && i < sent.size())
        what += "; byte " + std::to_string(i) + " is " + probe::escape(back.substr(i, 8)) +
                "..., not " + probe::escape(sent.substr(i, 8)) + "...";
    if (back.size() < sent.size()) {
        what += ". " + std::to_string(sent.size() - back.size()) +
                " bytes were lost: when send() takes only part of the bytes, does send_all() "
                "send the rest?";
    } else if (back.size() > sent.size()) {
        what +=
            ". More came back than was sent: do you send the whole buffer instead of the "
            "count recv() returned?";
    } else {
        what += ". As many bytes, but not the same: are they sent back in the order they came?";
    }
    FAIL_CHECK(what);
}

// The server's line for a client that half-closed after sending `bytes` bytes.
void check_closed_line(probe::Program& server, const probe::Connection& client, std::size_t bytes) {
    const std::string peer = client.local().str();
    const std::string line = server.wait_for_line(starts_with("Closed " + peer + " "),
                                                  "the line \"Closed " + peer + " after ...\"");
    CHECK(line == "Closed " + peer + " after " + std::to_string(bytes) + " bytes");
}

// One client's whole conversation: connects, sends `bytes` while reading the echo, half-closes,
// reads to end of file, and checks it got every byte back and the server's "Closed" line.
void echo_once(probe::Program& server, std::uint16_t port, const std::string& bytes) {
    auto client = probe::Connection::connect("127.0.0.1", port, &server);
    client.send_while_receiving(bytes);
    client.shutdown_write();
    check_echo(client.receive_all(), bytes);
    check_closed_line(server, client, bytes.size());
}

}  // namespace

TEST_CASE("announces the port it listens on, then accepts a client there",
          "[pts=1][id=announces-port]") {
    auto server = start();
    const std::uint16_t port = port_of(server);
    REQUIRE(port != 0);
    CHECK(server.out_lines().front() == listening_line("127.0.0.1", port));
    auto client = probe::Connection::connect("127.0.0.1", port, &server);
    const std::string line =
        server.wait_for_line(starts_with("Connection from "), "the line naming the client");
    CHECK(line == "Connection from " + client.local().str());
}

TEST_CASE("sends back each piece as soon as it reads it, before the client is done",
          "[pts=2][id=echoes-as-it-reads]") {
    auto server = start();
    auto client = probe::Connection::connect("127.0.0.1", port_of(server), &server);
    {
        INFO(
            "the echo of each piece must come while the client is still connected: send back "
            "what recv() returned before you call recv() again");
        client.send("ping\n");
        CHECK(client.receive_exactly(5, "the echo of \"ping\\n\"") == "ping\n");
    }
    const std::string second = "pong, with é and \x00 in it\n"s;
    client.send(second);
    const std::string echo = client.receive_exactly(second.size(), "the echo of the second piece");
    if (echo != second) {
        INFO(
            "the bytes after the echo of \"ping\\n\" are not the echo of the next piece: do "
            "you send more than the count recv() returned (the whole buffer)?");
        CHECK(probe::escape(echo) == probe::escape(second));
    }
    client.shutdown_write();
    client.expect_eof();
    check_closed_line(server, client, 5 + second.size());
}

TEST_CASE("echoes 1 MiB of random bytes exactly, when send() and recv() move only part of them",
          "[pts=3][id=mebibyte-short-reads-writes]") {
    // The test makes your server's send() and recv() move fewer bytes than asked, as a real
    // network does: the first call always, then about one in two.
    auto server = start_with({.short_writes = true, .short_reads = true});
    probe::Random random("1 MiB echo");
    echo_once(server, port_of(server), random.bytes(1 << 20));
}

TEST_CASE("echoes bytes sent one at a time, and several sends that arrive together",
          "[pts=2][id=bytewise-and-bursts]") {
    auto server = start();
    auto client = probe::Connection::connect("127.0.0.1", port_of(server), &server);
    const std::string one_by_one = "Salut le serveur !\n";
    client.send_bytewise(one_by_one);
    CHECK(client.receive_exactly(one_by_one.size(), "the echo of the bytes sent one at a time") ==
          one_by_one);
    const std::string burst = "one\ntwo\nthree\n";
    client.send_split(burst, {4, 8});  // three sends, back to back
    CHECK(client.receive_exactly(burst.size(), "the echo of three sends") == burst);
    client.shutdown_write();
    client.expect_eof();
    check_closed_line(server, client, one_by_one.size() + burst.size());
}

TEST_CASE("echoes the last bytes a client sends just before it half-closes",
          "[pts=1][id=half-close-in-flight]") {
    // The bytes and the end of file arrive together: a server that stops at the end of file it
    // sees must still send back what came before it.
    auto server = start_with({.short_reads = true});
    auto client = probe::Connection::connect("127.0.0.1", port_of(server), &server);
    probe::Random random("last words");
    const std::string last = random.text(3000);
    client.send(last);
    client.shutdown_write();
    check_echo(client.receive_all(), last);
    check_closed_line(server, client, last.size());
}

TEST_CASE("serves clients one after another, each in full",
          "[pts=2][id=clients-one-after-another]") {
    auto server = start();
    const std::uint16_t port = port_of(server);
    auto first = probe::Connection::connect("127.0.0.1", port, &server);
    first.send("first\n");
    CHECK(first.receive_exactly(6, "the echo to the first client") == "first\n");
    // The second connects while the first is served: the system queues it until the server
    // accepts it (listen()'s backlog).
    auto second = probe::Connection::connect("127.0.0.1", port, &server);
    second.send("second\n");
    first.send("still first\n");
    first.shutdown_write();
    CHECK(first.receive_all() == "first\nstill first\n");
    INFO("once the first client is done, the server accepts the second, which was waiting");
    CHECK(second.receive_exactly(7, "the echo to the second client") == "second\n");
    second.shutdown_write();
    second.expect_eof();
    echo_once(server, port, "third\n");

    const std::vector<std::string> lines = server.out_lines();
    const std::vector<std::string> expected{
        listening_line("127.0.0.1", port),
        "Connection from " + first.local().str(),
        "Closed " + first.local().str() + " after 18 bytes",
        "Connection from " + second.local().str(),
        "Closed " + second.local().str() + " after 7 bytes",
    };
    REQUIRE(lines.size() >= expected.size());
    CHECK(std::vector<std::string>(lines.begin(), lines.begin() + 5) == expected);
}

TEST_CASE("a client that resets its connection gets a line on stderr, and the next is served",
          "[pts=2][id=survives-reset]") {
    auto server = start();
    const std::uint16_t port = port_of(server);
    auto rude = probe::Connection::connect("127.0.0.1", port, &server);
    const std::string peer = rude.local().str();
    probe::Random random("reset");
    const std::string bytes = random.bytes(64 << 10);
    rude.send_while_receiving(bytes);
    rude.receive_until([&](std::string_view all) { return all.size() == bytes.size(); },
                       "the echo of 64 KiB");
    // Your server has sent every byte back and waits in recv() for more: a reset (RST) now makes
    // that recv() fail with ECONNRESET.
    rude.abort();
    {
        INFO("the server must go on after a reset: it ends that client's echo, not the server");
        echo_once(server, port, "after the reset\n");
    }
    INFO("a reset is an error, not an end of file: recv() returned -1 (errno ECONNRESET), not 0");
    for (const std::string& line : server.out_lines())
        CHECK_FALSE(line.starts_with("Closed " + peer));
    const std::string line = server.wait_for_err_line(
        starts_with("server: " + peer + ": "), "the line \"server: " + peer + ": ...\" on stderr");
    CHECK(line == "server: " + peer + ": recv: Connection reset by peer");
}

TEST_CASE("a client that has gone when the server sends does not end the server (SIGPIPE)",
          "[pts=2][id=survives-broken-pipe]") {
    // The test makes your server's first send() fail as when the client has gone: with EPIPE,
    // and a SIGPIPE signal unless the call passed MSG_NOSIGNAL. SIGPIPE's default action ends
    // the program.
    auto server = start_with({.broken_pipe = true});
    const std::uint16_t port = port_of(server);
    auto gone = probe::Connection::connect("127.0.0.1", port, &server);
    gone.send("hello");
    {
        INFO("after a failed send() the server closes that client's connection");
        gone.expect_closed();
    }
    {
        INFO(
            "the server must still run: pass MSG_NOSIGNAL to send() (or ignore SIGPIPE), and "
            "go on with the next client when a send fails");
        echo_once(server, port, "next\n");
    }
    const std::string peer = gone.local().str();
    const std::string line = server.wait_for_err_line(
        starts_with("server: " + peer + ": "), "the line \"server: " + peer + ": ...\" on stderr");
    CHECK(line == "server: " + peer + ": send: Broken pipe");
}

TEST_CASE("calls interrupted by a signal (EINTR) are tried again, not errors",
          "[pts=2][id=retries-interrupted-calls]") {
    // The test makes about one accept(), recv() and send() in two fail with EINTR, as when a
    // signal arrives while the call waits.
    auto server = start_with(
        {.failing = {{"accept", EINTR, 0.5}, {"recv", EINTR, 0.5}, {"send", EINTR, 0.5}}});
    const std::uint16_t port = port_of(server);
    probe::Random random("interrupted");
    INFO("EINTR means \"nothing happened, a signal came\": call again");
    for (int i = 0; i < 3; ++i) echo_once(server, port, random.bytes(16 << 10));
    CHECK(server.err().empty());
}

TEST_CASE("closes every client's connection: 100 clients later it holds as many descriptors",
          "[pts=2][id=no-descriptor-leak]") {
    auto server = start();
    const std::uint16_t port = port_of(server);
    const auto count_with_a_client = [&] {
        auto client = probe::Connection::connect("127.0.0.1", port, &server);
        client.send("x");
        CHECK(client.receive_exactly(1, "the echo of \"x\"") == "x");
        const std::size_t open = server.open_descriptors();  // while the client is served
        client.shutdown_write();
        client.expect_eof();
        return open;
    };
    const std::size_t before = count_with_a_client();
    for (int i = 0; i < 100; ++i) {
        auto client = probe::Connection::connect("127.0.0.1", port, &server);
        client.send("ping");
        client.shutdown_write();
        REQUIRE(client.receive_all() == "ping");
    }
    const std::size_t after = count_with_a_client();
    INFO("your server had " << before << " descriptors open, and " << after
                            << " after 100 more clients: a Socket that does not close in its "
                               "destructor, or a move that leaves two owners?");
    CHECK(after == before);
}

TEST_CASE("starts again at once on the port it had, while old connections wait (TIME_WAIT)",
          "[pts=1][id=restarts-same-port]") {
    std::uint16_t port = 0;
    {
        auto first = start();
        port = port_of(first);
        auto client = probe::Connection::connect("127.0.0.1", port, &first);
        client.send("x");
        CHECK(client.receive_exactly(1, "the echo of \"x\"") == "x");
        first.stop();  // the server's side closes first, so TIME_WAIT now holds its port
        client.expect_eof();
    }
    auto second = start({"--port", std::to_string(port)});
    INFO("bind() fails while TIME_WAIT holds the port, unless SO_REUSEADDR is set before it");
    CHECK(port_of(second) == port);
}

TEST_CASE("says why on one line of stderr and exits with status 1 when the port is taken",
          "[pts=1][id=port-taken]") {
    checks::refuses_a_taken_port([](std::uint16_t port) {
        return start({"--port", std::to_string(port)});
    });
}

TEST_CASE("listens on the address --host gives", "[pts=1][id=host-option]") {
    auto server = start({"--host", "127.0.0.2", "--port", "0"});
    const std::uint16_t port = port_of(server, "127.0.0.2");
    CHECK(server.out_lines().front() == listening_line("127.0.0.2", port));
    auto client = probe::Connection::connect("127.0.0.2", port, &server);
    client.send("here\n");
    client.shutdown_write();
    CHECK(client.receive_all() == "here\n");
}
