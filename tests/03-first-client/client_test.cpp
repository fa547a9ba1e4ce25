// Lesson 03, your first client. Each test plays the server: it listens on a port of 127.0.0.1 the
// system picked, runs your client with --port and a message, accepts its connection and checks
// what arrives. Read each TEST_CASE as a conversation; the lesson's README has the contract they
// check, sentence by sentence.
#include <catch2/catch.hpp>

#include <netdb.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "checks.hpp"
#include "probe.hpp"

namespace {

// Runs your client with these arguments (and these faults or other options).
probe::Program start_client(std::vector<std::string> args, probe::Program::Options options = {}) {
    return probe::Program(probe::program_under_test(), std::move(args), std::move(options));
}

// Plays the server: accepts your client, receives everything until it closes, and checks that it
// exited with status 0. Returns the bytes received.
std::string receive_from(probe::Listener& server, probe::Program& client) {
    auto connection = server.accept(&client);
    std::string received = connection.receive_all();
    checks::exits_with(client, 0);
    return received;
}

// `received` is `sent`, byte for byte; if not, says where they part and what that suggests.
void check_same_bytes(const std::string& received, const std::string& sent) {
    const auto [r, s] = std::mismatch(received.begin(), received.end(), sent.begin(), sent.end());
    INFO("received " << received.size() << " bytes of the " << sent.size()
                     << " sent; the first difference is at offset " << (r - received.begin()));
    if (received.size() < sent.size() && r == received.end()) {
        INFO(
            "the start arrived, the rest did not: send() may take fewer bytes than asked, and "
            "returns how many it took: loop until every byte is sent");
        CHECK(received.size() == sent.size());
    } else if (received.size() > sent.size() && s == sent.end()) {
        INFO(
            "the message arrived with bytes after it: send exactly options.message.size() "
            "bytes (no '\\0', no newline)");
        CHECK(received.size() == sent.size());
    } else {
        CHECK((r == received.end() && s == sent.end()));
    }
}

// The line for every gai_strerror() text, to recognise "client: getaddrinfo H:P: REASON".
bool is_gai_error_line(const std::string& line, const std::string& prefix) {
    if (!line.starts_with(prefix)) return false;
    const std::string reason = line.substr(prefix.size());
    for (int code : {EAI_AGAIN, EAI_FAIL, EAI_NONAME, EAI_NODATA, EAI_SERVICE, EAI_SYSTEM,
                     EAI_FAMILY, EAI_ADDRFAMILY}) {
        if (reason == gai_strerror(code)) return true;
    }
    return false;
}

// A hosts file in which "localhost" is ::1 first, then 127.0.0.1, whatever /etc/hosts says.
const std::string localhost_v6_first = "::1 localhost\n127.0.0.1 localhost\n";

// Holds `port` of ::1 bound but not listening, so that a connection there is refused; nothing when
// this machine has no IPv6 (a connection to ::1 then fails anyway, just as good a failure).
std::optional<probe::ClosedPort> refused_on_ipv6(std::uint16_t port) {
    try {
        return std::optional<probe::ClosedPort>(std::in_place, "::1", port);
    } catch (const probe::Failure&) {
        return std::nullopt;
    }
}

}  // namespace

TEST_CASE("sends the message's bytes, closes, and exits with status 0",
          "[pts=3][id=sends-messages-bytes-closes-exits]") {
    probe::Listener server;
    auto client = start_client({"--port", std::to_string(server.port()), "Salut le serveur !"});

    check_same_bytes(receive_from(server, client), "Salut le serveur !");
    INFO("the contract: nothing on stdout when all goes well");
    CHECK(client.out().empty());
}

TEST_CASE("sends UTF-8 text as it is", "[pts=2][id=sends-utf-8-text]") {
    probe::Listener server;
    auto client = start_client({"--port", std::to_string(server.port()), "Message reçu 👋"});

    check_same_bytes(receive_from(server, client), "Message reçu 👋");
}

TEST_CASE("tries each address of the name in turn (localhost as ::1, then 127.0.0.1)",
          "[pts=2][id=tries-address-name-turn-localhost]") {
    // The test decides what "localhost" resolves to, whatever this machine's /etc/hosts says:
    // ::1 first (nothing listens there: refused), then 127.0.0.1, where the test listens.
    probe::Listener server("127.0.0.1");
    const auto refused_v6 = refused_on_ipv6(server.port());
    probe::Program::Options options;
    options.hosts = localhost_v6_first;
    auto client = start_client(
        {"--host", "localhost", "--port", std::to_string(server.port()), "Salut le serveur !"},
        std::move(options));

    INFO(
        "getaddrinfo(\"localhost\") lists ::1 before 127.0.0.1 here: when connect() fails, close "
        "that socket and try the next address");
    check_same_bytes(receive_from(server, client), "Salut le serveur !");
}

TEST_CASE("connects to the address given with --host", "[pts=1][id=connects-address-given-host]") {
    probe::Listener server("127.0.0.2");  // loopback too, but not the default
    auto client = start_client(
        {"--host", "127.0.0.2", "--port", std::to_string(server.port()), "Salut le serveur !"});

    INFO("pass options.host to getaddrinfo()");
    check_same_bytes(receive_from(server, client), "Salut le serveur !");
}

TEST_CASE("says who refused, on exactly one line of stderr, and exits with status 1",
          "[pts=2][id=says-who-refused-exactly-line]") {
    probe::ClosedPort nobody;  // a port of 127.0.0.1 where nothing listens
    const std::string port = std::to_string(nobody.port());
    auto client = start_client({"--port", port, "Salut le serveur !"});

    checks::exits_with(client, 1);
    checks::one_error_line(client, "client: connect to 127.0.0.1:" + port + ": Connection refused");
}

TEST_CASE("writes the host as it was given in the error line",
          "[pts=1][id=writes-host-was-given-error]") {
    probe::ClosedPort nobody;
    const std::string port = std::to_string(nobody.port());
    const auto nobody_v6 = refused_on_ipv6(nobody.port());
    probe::Program::Options options;
    options.hosts = localhost_v6_first;
    auto client = start_client({"--host", "localhost", "--port", port, "Salut le serveur !"},
                               std::move(options));

    checks::exits_with(client, 1);
    INFO("one line after trying every address, with H as given (localhost), not the address");
    checks::one_error_line(client, "client: connect to localhost:" + port + ": Connection refused");
}

TEST_CASE("says when the name cannot be found: getaddrinfo and its reason",
          "[pts=1][id=says-name-cannot-found-getaddrinfo]") {
    probe::Program::Options options;
    options.hosts = "127.0.0.1 localhost\n";  // and no other name
    auto client = start_client({"--host", "no-such-host.invalid", "--port", "63000", "Salut"},
                               std::move(options));

    checks::exits_with(client, 1);
    INFO("getaddrinfo() does not set errno: its reason is gai_strerror() of what it returned");
    checks::one_error_line_that(
        client, "\"client: getaddrinfo no-such-host.invalid:63000: \" and gai_strerror()'s text",
        [](const std::string& line) {
            return is_gai_error_line(line, "client: getaddrinfo no-such-host.invalid:63000: ");
        });
}

TEST_CASE("says when sending fails: send and its reason",
          "[pts=1][id=says-sending-fails-send-reason]") {
    // The test makes send() fail as it does when the server resets the connection.
    probe::Listener server;
    const std::string port = std::to_string(server.port());
    probe::Program::Options options;
    options.faults = probe::Faults{.failing = {{"send", ECONNRESET}}};
    auto client = start_client({"--port", port, "Salut le serveur !"}, std::move(options));
    auto connection = server.accept(&client);

    INFO("send() returns -1 and sets errno: print the line and return 1");
    checks::exits_with(client, 1);
    checks::one_error_line(client,
                           "client: send to 127.0.0.1:" + port + ": Connection reset by peer");
}

TEST_CASE("sends every byte even when send() takes fewer than asked",
          "[pts=1][id=sends-byte-send-takes-fewer]") {
    // The test makes send() take fewer bytes than asked, as it may on a real network.
    std::string message;
    for (int i = 0; message.size() < 20'000; ++i) message += std::to_string(i) + " reçu, ";
    probe::Listener server;
    probe::Program::Options options;
    options.faults = probe::Faults{.seed = 3, .short_writes = true};
    auto client =
        start_client({"--port", std::to_string(server.port()), message}, std::move(options));

    check_same_bytes(receive_from(server, client), message);
}

TEST_CASE("sends a long message (100 KB) whole", "[pts=1][id=sends-long-message-100-kb]") {
    std::string message;
    for (int i = 0; message.size() < 100'000; ++i) message += std::to_string(i) + " reçu, ";
    probe::Listener server;
    auto client = start_client({"--port", std::to_string(server.port()), message});

    check_same_bytes(receive_from(server, client), message);
}
