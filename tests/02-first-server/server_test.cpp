// Lesson 02, your first server. Each test starts your server with --port 0 (or a port the test
// chose), reads the port it announces on its first line, then talks to it as the seed's Python
// client would. Read each TEST_CASE as a conversation; the lesson's README has the contract they
// check, sentence by sentence.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checks.hpp"
#include "probe.hpp"

namespace {

// The first line, as the contract writes it.
std::string waiting_line(const std::string& host, std::uint16_t port) {
    return "Waiting for a connection on " + host + ":" + std::to_string(port) + "...";
}

// Starts your server with these arguments (and these faults or other options). Unless a test
// asks for other faults, the part of recv()'s buffer past what it returned is filled with '~'
// (probe::Faults::poison_reads), so that a server printing past the count fails every time, not
// only when its memory happens to hold something else than a '\0' there.
probe::Program start(std::vector<std::string> args, probe::Program::Options options = {}) {
    if (!options.faults) options.faults = probe::Faults{.poison_reads = true};
    return probe::Program(probe::program_under_test(), std::move(args), std::move(options));
}

// Starts your server on `port`; 0 lets the system choose a free one.
probe::Program start_server(std::uint16_t port = 0) {
    return start({"--port", std::to_string(port)});
}

// The port your server announces on its first line; a message quotes the lesson's wording when
// the line is not what the tests expect.
std::uint16_t port_of(probe::Program& server, const std::string& host = "127.0.0.1") {
    return server.port(waiting_line(host, 41234));
}

// True for a line that starts with `prefix`.
auto starts_with(std::string prefix) {
    return [prefix](std::string_view line) { return line.starts_with(prefix); };
}

std::string wait_for_message(probe::Program& server) {
    return server.wait_for_line(starts_with("Message received: "), "the line with the message");
}

// The message line is "Message received: " and the message; when it is not, says what the
// difference suggests.
void check_message_line(const std::string& line, const std::string& message) {
    const std::string expected = "Message received: " + message;
    if (line.size() > expected.size() && line.starts_with(expected)) {
        INFO(
            "after the message come bytes recv() never wrote: print "
            "std::string_view(buffer, received), not buffer (recv() adds no '\\0')");
        CHECK(line == expected);
    } else {
        CHECK(line == expected);
    }
}

// No server answers at host:port (the test holds the port bound, not listening, on that address).
void check_refused(const std::string& host, std::uint16_t port) {
    INFO("nothing may answer at " << host << ":" << port);
    CHECK_THROWS_AS(probe::Connection::connect_once(host, port), probe::Failure);
}

}  // namespace

TEST_CASE("announces the port it listens on, then accepts a connection there",
          "[pts=2][id=announces-port-listens-accepts-connection]") {
    auto server = start_server();
    const std::uint16_t port = port_of(server);
    {
        INFO("with --port 0 the system picks the port during bind(): getsockname() tells which");
        REQUIRE(port != 0);
    }
    CHECK(server.out_lines().front() == waiting_line("127.0.0.1", port));

    auto client = probe::Connection::connect("127.0.0.1", port, &server);
    server.wait_for_line(starts_with("Connection from "), "the line naming the client");
}

TEST_CASE("prints its first line only once it listens", "[pts=1][id=prints-first-line-listens]") {
    // The test makes listen() stop your server just before it runs: if the first line is out by
    // then, it was printed too early. Without this, the bug shows only when a client is quick.
    probe::Program::Options options;
    options.faults = probe::Faults{.stop_before_listen = true};
    auto server = start({"--port", "0"}, std::move(options));
    if (server.wait_stopped()) {
        INFO(
            "your server printed before calling listen(): a client that connects as soon as it "
            "reads the first line is refused. Print the line after listen() and getsockname()");
        CHECK(server.out().empty());
        server.resume();
    }
    const std::uint16_t port = port_of(server);
    INFO("one connection attempt, right after the first line, without retrying");
    auto client = probe::Connection::connect_once("127.0.0.1", port);
    server.wait_for_line(starts_with("Connection from "), "the line naming the client");
}

TEST_CASE("listens on 127.0.0.1 by default, and only there", "[pts=1][id=listens-127-0-0-1]") {
    // 127.0.0.2 is loopback too: the test holds that port on it, so a server listening on every
    // address (0.0.0.0) cannot bind, or answers there, and is seen.
    probe::ClosedPort other("127.0.0.2");
    auto server = start({"--port", std::to_string(other.port())});
    const std::uint16_t port = [&] {
        INFO("the test holds port "
             << other.port()
             << " of 127.0.0.2: a server that binds "
                "127.0.0.1 only can take it there; one that binds every address (INADDR_ANY, "
                "0.0.0.0) gets \"Address already in use\"");
        return port_of(server);
    }();
    CHECK(server.out_lines().front() == waiting_line("127.0.0.1", port));
    auto client = probe::Connection::connect("127.0.0.1", port, &server);
    INFO("sin_addr must come from --host (default 127.0.0.1) through inet_pton(), not INADDR_ANY");
    check_refused("127.0.0.2", port);
}

TEST_CASE("listens on the address given with --host, and only there",
          "[pts=1][id=listens-address-given-host]") {
    probe::ClosedPort other("127.0.0.1");
    auto server = start({"--host", "127.0.0.2", "--port", std::to_string(other.port())});
    const std::uint16_t port = [&] {
        INFO("the test holds port "
             << other.port()
             << " of 127.0.0.1: a server that binds "
                "127.0.0.2 only can take it there; one that binds every address (INADDR_ANY, "
                "0.0.0.0) or 127.0.0.1 gets \"Address already in use\"");
        return port_of(server, "127.0.0.2");
    }();
    CHECK(server.out_lines().front() == waiting_line("127.0.0.2", port));
    auto client = [&] {
        INFO("--host 127.0.0.2 must give sin_addr 127.0.0.2: inet_pton(AF_INET, host, &sin_addr)");
        return probe::Connection::connect("127.0.0.2", port, &server);
    }();
    server.wait_for_line(starts_with("Connection from "), "the line naming the client");
    check_refused("127.0.0.1", port);
}

TEST_CASE("prints the client's address and port as accept() gives them",
          "[pts=2][id=prints-clients-address-port-accept]") {
    auto server = start_server();
    auto client = probe::Connection::connect("127.0.0.1", port_of(server), &server);

    // The client sends nothing yet, so your server waits in recv(): the line must be out already.
    const std::string line =
        server.wait_for_line(starts_with("Connection from "), "the line naming the client");
    INFO("the address comes from accept(); inet_ntop() and ntohs() turn it into text");
    CHECK(line == "Connection from " + client.local().str());
}

TEST_CASE("prints the message exactly as received, UTF-8 included",
          "[pts=2][id=prints-message-exactly-received-utf]") {
    const std::string message =
        GENERATE(as<std::string>{}, "Salut le serveur !", "Message reçu", "Salut 👋 le serveur");
    auto server = start_server();
    auto client = probe::Connection::connect("127.0.0.1", port_of(server), &server);

    client.send(message);  // in one piece, and the connection stays open: one recv() gets it all
    const std::string line = [&] {
        INFO("print after one recv(), without waiting for the client to close");
        return wait_for_message(server);
    }();
    check_message_line(line, message);
}

TEST_CASE("prints only the bytes recv() returned", "[pts=1][id=prints-bytes-recv-returned]") {
    // The rest of your buffer, past what recv() returned, is full of '~' (see start()): a program
    // that prints the buffer as a C string (up to a '\0' that recv() never writes) shows them.
    auto server = start_server();
    auto client = probe::Connection::connect("127.0.0.1", port_of(server), &server);

    client.send("Salut le serveur !");
    check_message_line(wait_for_message(server), "Salut le serveur !");
}

TEST_CASE("calls recv() once, for at most 1024 bytes", "[pts=1][id=calls-recv-most-1024-bytes]") {
    const std::string message(3000, 'a');  // sent in one piece: it is all there at once
    auto server = start_server();
    auto client = probe::Connection::connect("127.0.0.1", port_of(server), &server);

    client.send(message);
    const std::string line = wait_for_message(server);
    const std::string printed = line.substr(std::string_view("Message received: ").size());
    INFO("your server printed " << printed.size() << " bytes of the " << message.size() << " sent");
    CHECK(printed.size() <= 1024);
    CHECK_FALSE(printed.empty());
    CHECK(message.starts_with(printed));
}

TEST_CASE("prints an empty message when the client closes without sending",
          "[pts=1][id=prints-empty-message-client-closes]") {
    auto server = start_server();
    auto client = probe::Connection::connect("127.0.0.1", port_of(server), &server);
    server.wait_for_line(starts_with("Connection from "), "the line naming the client");

    client.close();  // recv() returns 0: end of file, no bytes
    const std::string line = [&] {
        INFO("recv() returning 0 is not an error: the message is empty");
        return wait_for_message(server);
    }();
    check_message_line(line, "");
    checks::exits_with(server, 0);
}

TEST_CASE("closes the connection after one message and exits with status 0",
          "[pts=1][id=closes-connection-message-exits-status]") {
    auto server = start_server();
    auto client = probe::Connection::connect("127.0.0.1", port_of(server), &server);

    client.send("Salut le serveur !");
    {
        INFO(
            "after its one recv() the server closes the client's socket, without waiting for more");
        client.expect_eof();
    }
    checks::exits_with(server, 0);
}

TEST_CASE("can be started again on the same port at once (SO_REUSEADDR)",
          "[pts=2][id=can-started-again-port-reuseaddr]") {
    std::uint16_t port = 0;
    {
        auto first = start_server();
        port = port_of(first);
        auto client = probe::Connection::connect("127.0.0.1", port, &first);
        client.send("Salut le serveur !");
        client.expect_eof();  // the server closed first, so TIME_WAIT now holds its port
        client.close();
        REQUIRE(first.wait_exit().ok());
    }

    auto second = start_server(port);
    const std::uint16_t again = [&] {
        INFO("bind() fails while TIME_WAIT holds the port, unless SO_REUSEADDR is set before it");
        return port_of(second);
    }();
    INFO("--port " << port << " must give port " << port << ": is it converted with htons()?");
    CHECK(again == port);
}

TEST_CASE("says why on one line of stderr and exits with status 1 when the port is taken",
          "[pts=1][id=says-why-line-stderr-exits]") {
    probe::Listener someone_else;  // listens on a port of 127.0.0.1: bind() must fail there
    auto server = start_server(someone_else.port());

    INFO("port " << someone_else.port() << " is taken: bind() fails, and the server exits");
    checks::exits_with(server, 1);
    checks::one_error_line(server, "server: bind: Address already in use");
}

TEST_CASE("names the call that failed and why, for accept() and recv() too",
          "[pts=1][id=names-call-failed-why-accept]") {
    // The test makes one call fail, as the system would when it runs out of descriptors or the
    // client resets the connection.
    const auto [call, error, line] = GENERATE(table<std::string, int, std::string>({
        {"accept", EMFILE, "server: accept: Too many open files"},
        {"recv", ECONNRESET, "server: recv: Connection reset by peer"},
    }));
    probe::Program::Options options;
    options.faults = probe::Faults{.failing = {{call, error}}};
    auto server = start({"--port", "0"}, std::move(options));
    std::optional<probe::Connection> client;
    if (call == "recv") {  // accept() fails before any client is needed
        client = probe::Connection::connect("127.0.0.1", port_of(server), &server);
        client->send("Salut le serveur !");
    }

    INFO(call << "() fails: check what it returns, and return fail(\"" << call << "\")");
    checks::exits_with(server, 1);
    checks::one_error_line(server, line);
}

TEST_CASE("refuses a --host that is not an IPv4 address", "[pts=1][id=refuses-host-ipv4-address]") {
    auto server = start({"--host", "localhost", "--port", "0"});
    {
        INFO("inet_pton() returns 0 (not -1) for text that is not an address: check for != 1");
        checks::exits_with(server, 1);
    }
    const std::vector<std::string> err = server.err_lines();
    if (err.size() == 1 && err.front().starts_with("server: inet_pton: ")) {
        INFO(
            "inet_pton() sets no errno, so strerror(errno) means nothing here: print the line "
            "yourself, as the contract writes it");
        checks::one_error_line(server, "server: inet_pton: not an IPv4 address: localhost");
    } else {
        checks::one_error_line(server, "server: inet_pton: not an IPv4 address: localhost");
    }
    CHECK(server.out().empty());
}
