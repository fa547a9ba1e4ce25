// Lesson 03, your first client. Each test plays the server: it listens on a port of 127.0.0.1 the
// system picked, runs your client with --port and a message, accepts its connection and checks
// what arrives. Read each TEST_CASE as a conversation; the lesson's README has the contract.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "probe.hpp"

using Catch::Matchers::Contains;

namespace {

// Runs your client with these arguments.
probe::Program start_client(std::vector<std::string> args) {
    return probe::Program(probe::program_under_test(), std::move(args));
}

// Plays the server: accepts your client, receives everything until it closes, and checks that it
// exited with status 0. Returns the bytes received.
std::string receive_from(probe::Listener& server, probe::Program& client) {
    auto connection = server.accept(&client);
    std::string received = connection.receive_all();
    const probe::ExitStatus status = client.wait_exit();
    INFO("your client " << status.describe());
    CHECK(status.ok());
    return received;
}

}  // namespace

TEST_CASE("sends the message's bytes, closes, and exits with status 0", "[pts=3]") {
    probe::Listener server;
    auto client = start_client({"--port", std::to_string(server.port()), "Salut le serveur !"});

    CHECK(receive_from(server, client) == "Salut le serveur !");
}

TEST_CASE("sends UTF-8 text as it is", "[pts=2]") {
    probe::Listener server;
    auto client = start_client({"--port", std::to_string(server.port()), "Message reçu 👋"});

    CHECK(receive_from(server, client) == "Message reçu 👋");
}

TEST_CASE("finds 127.0.0.1 through the name localhost", "[pts=2]") {
    probe::Listener server("127.0.0.1");
    auto client = start_client(
        {"--host", "localhost", "--port", std::to_string(server.port()), "Salut le serveur !"});

    INFO("getaddrinfo(\"localhost\") may list ::1 before 127.0.0.1: try each address in turn");
    CHECK(receive_from(server, client) == "Salut le serveur !");
}

TEST_CASE("says who refused, on one line of stderr, and exits with a non-zero status", "[pts=2]") {
    probe::ClosedPort nobody;  // a port of 127.0.0.1 where nothing listens
    const std::string port = std::to_string(nobody.port());
    auto client = start_client({"--port", port, "Salut le serveur !"});

    const probe::ExitStatus status = client.wait_exit();
    INFO("your client " << status.describe());
    CHECK_FALSE(status.ok());
    INFO("the contract: one line, \"client: connect to 127.0.0.1:" << port << ": \" and strerror");
    REQUIRE(client.err_lines().size() == 1);
    CHECK_THAT(client.err_lines().front(),
               Contains("127.0.0.1") && Contains(port) && Contains("refused"));
}

TEST_CASE("sends a long message (100 KB) whole", "[pts=1]") {
    std::string message;
    for (int i = 0; message.size() < 100'000; ++i) message += std::to_string(i) + " reçu, ";
    probe::Listener server;
    auto client = start_client({"--port", std::to_string(server.port()), message});

    const std::string received = receive_from(server, client);
    INFO("send() may take fewer bytes than asked: loop until every byte is sent");
    REQUIRE(received.size() == message.size());
    const auto differs = std::mismatch(received.begin(), received.end(), message.begin()).first;
    INFO("the first byte that differs is at offset " << (differs - received.begin()));
    CHECK(differs == received.end());
}
