// Lesson 02, your first server. Each test starts your server with --port 0, reads the port it
// announces on its first line, then talks to it as the seed's Python client would. Read each
// TEST_CASE as a conversation; the lesson's README has the contract they check.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "probe.hpp"

using Catch::Matchers::Contains;

namespace {

// Starts your server on `port`; 0 lets the system choose a free one.
probe::Program start_server(std::uint16_t port = 0) {
    return probe::Program(probe::program_under_test(), {"--port", std::to_string(port)});
}

// True for a line that starts with `prefix`.
auto starts_with(std::string prefix) {
    return [prefix](std::string_view line) { return line.starts_with(prefix); };
}

}  // namespace

TEST_CASE("announces the port it listens on, then accepts a connection there", "[pts=2]") {
    auto server = start_server();
    const std::uint16_t port = server.port();
    INFO("with --port 0 the system picks the port during bind(): getsockname() tells which");
    REQUIRE(port != 0);
    CHECK(server.out_lines().front() ==
          "Waiting for a connection on 127.0.0.1:" + std::to_string(port) + "...");

    auto client = probe::Connection::connect("127.0.0.1", port, &server);
    server.wait_for_line(starts_with("Connection from "), "the line naming the client");
}

TEST_CASE("prints the client's address and port as accept() gives them", "[pts=2]") {
    auto server = start_server();
    auto client = probe::Connection::connect("127.0.0.1", server.port(), &server);

    const std::string line =
        server.wait_for_line(starts_with("Connection from "), "the line naming the client");
    INFO("the address comes from accept(); inet_ntop() and ntohs() turn it into text");
    CHECK(line == "Connection from " + client.local().str());
}

TEST_CASE("prints the message exactly as received, UTF-8 included", "[pts=2]") {
    const std::string message =
        GENERATE(as<std::string>{}, "Salut le serveur !", "Message reçu", "Salut 👋 le serveur");
    auto server = start_server();
    auto client = probe::Connection::connect("127.0.0.1", server.port(), &server);

    client.send(message);  // in one piece, and the connection stays open: one recv() gets it all
    INFO("print after one recv(), without waiting for the client to close");
    const std::string line =
        server.wait_for_line(starts_with("Message received: "), "the line with the message");
    INFO("print exactly the bytes recv() returned: it says how many, and adds no '\\0'");
    CHECK(line == "Message received: " + message);
}

TEST_CASE("closes the connection after one message and exits with status 0", "[pts=1]") {
    auto server = start_server();
    auto client = probe::Connection::connect("127.0.0.1", server.port(), &server);

    client.send("Salut le serveur !");
    INFO("after its one recv() the server closes the client's socket, without waiting for more");
    client.expect_eof();
    const probe::ExitStatus status = server.wait_exit();
    INFO("your server " << status.describe());
    CHECK(status.ok());
}

TEST_CASE("can be started again on the same port at once (SO_REUSEADDR)", "[pts=2]") {
    std::uint16_t port = 0;
    {
        auto first = start_server();
        port = first.port();
        auto client = probe::Connection::connect("127.0.0.1", port, &first);
        client.send("Salut le serveur !");
        client.expect_eof();  // the server closed first, so TIME_WAIT now holds its port
        client.close();
        REQUIRE(first.wait_exit().ok());
    }

    auto second = start_server(port);
    INFO("bind() fails while TIME_WAIT holds the port, unless SO_REUSEADDR is set before it");
    const std::uint16_t again = second.port();
    INFO("--port " << port << " must give port " << port << ": is it converted with htons()?");
    CHECK(again == port);
}

TEST_CASE("says why and exits with a non-zero status when the port is taken", "[pts=1]") {
    probe::Listener someone_else;  // listens on a port of 127.0.0.1: bind() must fail there
    auto server = start_server(someone_else.port());

    INFO("port " << someone_else.port() << " is taken: bind() fails, and the server exits");
    const probe::ExitStatus status = server.wait_exit();
    INFO("your server " << status.describe());
    CHECK_FALSE(status.ok());
    INFO("the contract: one line on stderr, \"server: bind: \" and strerror(errno)");
    REQUIRE(server.err_lines().size() == 1);
    CHECK_THAT(server.err_lines().front(), Contains("bind") && Contains("Address already in use"));
}
