// The TCP layer: connections against the echo fixture, and in-process pairs (a Listener and a
// Connection) where the test plays both sides to produce each outcome on purpose.
#include "probe.hpp"  // first: it includes <regex> (see there)

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "support.hpp"

using namespace selftest;

namespace {

bool ends_line(std::string_view bytes) {
    return bytes.ends_with('\n');
}

}  // namespace

TEST_CASE("talking to a well-behaved server: connect, send, receive, end of file, all logged") {
    pid_t group = 0;
    {
        probe::Program program(FIXTURE_ECHO_LINE, {"--port", "0"});
        group = program.pid();
        const std::uint16_t port = program.port();
        auto client = probe::Connection::connect("127.0.0.1", port, &program);
        CHECK(client.name() == "client-1");
        CHECK(client.peer().str() == "127.0.0.1:" + std::to_string(port));
        CHECK(client.local().ip == "127.0.0.1");
        client.send("Message reçu\n");
        CHECK(client.receive_until(ends_line, "the echoed line") == "Message reçu\n");
        client.expect_eof();
        CHECK(client.received() == "Message reçu\n");

        const std::string steps = probe::transcript();
        const std::string p = std::to_string(port);
        CHECK(contains(steps, "[your_program] Listening on 127.0.0.1:" + p + "\n"));
        CHECK(contains(steps, "client-1: connected to 127.0.0.1:" + p +
                                  " from 127.0.0.1:" + std::to_string(client.local().port) + "\n"));
        CHECK(contains(steps, "client-1: Sent bytes: \"Message re\\xc3\\xa7u\\n\"\n"));
        CHECK(contains(steps, "client-1: Received bytes: \"Message re\\xc3\\xa7u\\n\"\n"));
        CHECK(contains(steps, "client-1: received end of file\n"));
        // The order of the conversation is kept.
        CHECK(steps.find("client-1: connected") < steps.find("client-1: Sent bytes"));
        CHECK(steps.find("client-1: Sent bytes") < steps.find("client-1: Received bytes"));
    }
    CHECK(group_gone(group));
}

TEST_CASE("wait_for_next_line reads stdout in order: the second client's line is not the first's") {
    probe::Program program(FIXTURE_ECHO_LINE, {"--port", "0"});
    const std::uint16_t port = program.port();
    CHECK(program.next_line("the announcement").find("Listening on") == 0);  // the port line
    for (const char* client_number : {"1", "2"}) {
        auto client = probe::Connection::connect("127.0.0.1", port, &program);
        client.send("x\n");
        CHECK(client.receive_all() == "x\n");
        CHECK(
            program.wait_for_next_line(std::regex("^served client"), "the line for this client") ==
            std::string("served client ") + client_number);
    }
    // wait_for_line starts at the first line, whatever was read before.
    CHECK(program.wait_for_line(std::regex("^served client"), "a served line") ==
          "served client 1");
    // Nothing after the cursor: the deadline passes, with the usual explanation.
    CHECK_THROWS_AS(
        program.wait_for_next_line(std::regex("^served client"), "a third client's line", 200ms),
        probe::Failure);
}

TEST_CASE(
    "several programs in a std::vector: each keeps its own process and port, and all are stopped") {
    std::vector<pid_t> groups;
    {
        std::vector<probe::Program> servers;
        for (int i = 0; i < 3; ++i)
            servers.emplace_back(FIXTURE_ECHO_LINE, std::vector<std::string>{"--port", "0"});
        servers.reserve(10);  // moves every Program: each must go on working
        std::vector<std::uint16_t> ports;
        for (probe::Program& server : servers) {
            groups.push_back(server.pid());
            ports.push_back(server.port());
            auto client = probe::Connection::connect("127.0.0.1", ports.back(), &server);
            client.send("hi\n");
            CHECK(client.receive_all() == "hi\n");
        }
        CHECK(ports[0] != ports[1]);
        CHECK(ports[1] != ports[2]);
        servers[0] = std::move(servers[2]);  // stops the first server, takes the third
        CHECK(group_gone(groups[0]));
        servers.pop_back();
        CHECK_FALSE(process_gone(groups[2]));
    }
    for (const pid_t group : groups) CHECK(group_gone(group));
}

TEST_CASE("readers with a cursor: exactly N bytes, through a delimiter, a line, then end of file") {
    probe::Program program(FIXTURE_ECHO_LINE, {"--port", "0"});
    auto client = probe::Connection::connect("127.0.0.1", program.port(), &program);
    client.send_bytewise("head:body\n");  // the echo sends it back, then closes
    CHECK(client.receive_exactly(2, "two bytes") == "he");
    probe::Connection moved = std::move(client);  // the cursor moves with it
    client = std::move(moved);
    CHECK(client.receive_through(":", "the header") == "ad:");
    CHECK(client.receive_line("the rest of the line") == "body");
    CHECK(client.received() == "head:body\n");  // every byte is still there
    CHECK_THROWS_AS(client.receive_line("a second line"), probe::Failure);  // end of file first
}

TEST_CASE("sending byte by byte, in pieces, and half-closing") {
    probe::Program program(FIXTURE_ECHO_LINE, {"--port", "0"});
    const std::uint16_t port = program.port();
    {
        auto client = probe::Connection::connect("127.0.0.1", port, &program);
        client.send_bytewise("abc\n");
        CHECK(client.receive_all() == "abc\n");
    }
    {
        auto client = probe::Connection::connect("127.0.0.1", port, &program);
        client.send_split("hello\n", {1, 3});
        CHECK(client.receive_all() == "hello\n");
        CHECK_THROWS_AS(client.send_split("abc", {2, 2}), std::invalid_argument);
        CHECK_THROWS_AS(client.send_split("abc", {3}), std::invalid_argument);
        CHECK_THROWS_AS(client.send_split("abc", {0}), std::invalid_argument);
    }
    {
        auto client = probe::Connection::connect("127.0.0.1", port, &program);
        client.send("no newline");
        client.shutdown_write();  // the echo reads to end of file, then answers
        CHECK(client.receive_all() == "no newline");
    }
    const std::string steps = probe::transcript();
    CHECK(contains(steps,
                   "client-1: Sent bytes one at a time (one send() each, TCP_NODELAY): "
                   "\"abc\\n\"\n"));
    CHECK(contains(steps, "client-2: Sent bytes (piece 1 of 3): \"h\"\n"));
    CHECK(contains(steps, "client-2: Sent bytes (piece 2 of 3): \"el\"\n"));
    CHECK(contains(steps, "client-2: Sent bytes (piece 3 of 3): \"lo\\n\"\n"));
    CHECK(contains(steps, "client-3: half-closed (shutdown SHUT_WR)\n"));
}

TEST_CASE(
    "send_while_receiving: more than every buffer holds, to a server that echoes as it reads") {
    probe::Program program(FIXTURE_ECHO_LINE, {"--port", "0", "--stream"});
    auto client = probe::Connection::connect("127.0.0.1", program.port(), &program);
    probe::Random random("send_while_receiving");
    const std::string payload = random.bytes(16 << 20);  // a plain send() of it would wait forever
    client.send_while_receiving(payload);
    client.shutdown_write();
    CHECK(client.receive_all() == payload);
    const std::string steps = probe::transcript();
    CHECK(contains(steps, "client-1: Sending 16777216 bytes while receiving what comes back\n"));
}

TEST_CASE("a client's port never reads the same in both byte orders") {
    // So that a server printing the port without ntohs() is always wrong, not one time in 256.
    probe::Listener listener;
    for (int i = 0; i < 300; ++i) {
        const auto client = probe::Connection::connect("127.0.0.1", listener.port());
        const auto server = listener.accept();
        const std::uint16_t port = client.local().port;
        REQUIRE((port >> 8) != (port & 0xff));
        CHECK(server.peer().port == port);
    }
}

TEST_CASE("localhost and IPv6 literals") {
    {
        probe::Program program(FIXTURE_ECHO_LINE, {"--port", "0"});
        auto client = probe::Connection::connect("localhost", program.port(), &program);
        client.send("by name\n");
        CHECK(client.receive_all() == "by name\n");
    }
    if (!probe::port_can_be_bound("::1", 0)) {
        MESSAGE("IPv6 loopback is not available here: the IPv6 part is skipped");
        return;
    }
    probe::Program program(FIXTURE_ECHO_LINE, {"--host", "::1", "--port", "0"});
    const std::uint16_t port = program.port();
    CHECK(program.out_lines().front() == "Listening on [::1]:" + std::to_string(port));
    for (const char* host : {"::1", "[::1]"}) {
        auto client = probe::Connection::connect(host, port, &program);
        CHECK(client.peer().str() == "[::1]:" + std::to_string(port));
        client.send("six\n");
        CHECK(client.receive_all() == "six\n");
    }
}

TEST_CASE("abort() resets the connection, and the server lives on") {
    probe::Program program(FIXTURE_ECHO_LINE, {"--port", "0"});
    const std::uint16_t port = program.port();
    auto rude = probe::Connection::connect("127.0.0.1", port, &program);
    rude.send("half a li");
    rude.abort();
    CHECK(contains(probe::transcript(), "client-1: aborted with RST\n"));
    CHECK(contains(failure_of([&] { rude.send("more"); }), "after closing the connection"));

    auto polite = probe::Connection::connect("127.0.0.1", port, &program);
    polite.send("still there?\n");
    CHECK(polite.receive_all() == "still there?\n");
}

TEST_CASE("names are numbered per test case; clear_transcript starts again") {
    probe::Listener listener;
    auto a = probe::Connection::connect("127.0.0.1", listener.port());
    auto b = probe::Connection::connect("127.0.0.1", listener.port());
    auto accepted = listener.accept();
    CHECK(a.name() == "client-1");
    CHECK(b.name() == "client-2");
    CHECK(accepted.name() == "server-1");
    CHECK(contains(probe::transcript(), "server-1: accepted a connection from 127.0.0.1:"));
    probe::clear_transcript();
    auto c = probe::Connection::connect("127.0.0.1", listener.port());
    CHECK(c.name() == "client-1");
}

TEST_CASE("end of file before the expected data") {
    Pair pair;
    pair.server.send("Hel");
    pair.server.close();
    const std::string message =
        failure_of([&] { pair.client.receive_until(ends_line, "the greeting"); });
    CHECK(contains(message,
                   "client-1: your program closed the connection before sending the "
                   "greeting — did it close the socket too early?"));
    CHECK(contains(message, "Received before the end of file: \"Hel\""));
    CHECK(contains(probe::transcript(),
                   "client-1: Received bytes: \"Hel\"\nclient-1: received "
                   "end of file\n"));
}

TEST_CASE("a reset before the expected data") {
    Pair pair;
    pair.server.abort();
    const std::string message =
        failure_of([&] { pair.client.receive_until(ends_line, "the greeting"); });
    CHECK(contains(message,
                   "client-1: your program reset the connection before sending the "
                   "greeting: it closed the socket while unread data was waiting, or it "
                   "crashed"));
    CHECK(contains(probe::transcript(), "client-1: connection reset by peer\n"));
}

TEST_CASE("nothing more arrives: receive_until fails at its deadline with what it got") {
    Pair pair;
    pair.server.send("par");
    const auto deadline = probe::scaled(500ms);
    const auto start = Clock::now();
    const std::string message =
        failure_of([&] { pair.client.receive_until(ends_line, "a whole line", deadline); });
    CHECK(since(start) >= deadline);
    CHECK(since(start) < deadline + margin());
    CHECK(contains(message, "client-1: waiting for a whole line: nothing more arrived within"));
    CHECK(contains(message, "received so far: \"par\""));

    // What arrived counts for the next step; `done` sees everything received on the connection.
    pair.server.send("tial\n");
    CHECK(pair.client.receive_until(ends_line, "the rest of the line") == "partial\n");
}

TEST_CASE("receive_all: to end of file, or a failure when the peer keeps it open") {
    Pair pair;
    pair.server.send("some");
    const auto deadline = probe::scaled(300ms);
    const std::string message = failure_of([&] { pair.client.receive_all(deadline); });
    CHECK(contains(message, "expected your program to close the connection within"));
    CHECK(contains(message, "received so far: \"some\""));
    pair.server.send(" more");
    pair.server.close();
    CHECK(pair.client.receive_all() == "some more");
}

TEST_CASE("expect_eof: passes on end of file, fails on bytes or when the deadline passes") {
    {
        Pair pair;
        pair.server.close();
        pair.client.expect_eof();
        pair.client.expect_eof();  // still closed
    }
    {
        Pair pair;
        pair.server.send("extra");
        const std::string message = failure_of([&] { pair.client.expect_eof(); });
        CHECK(contains(message, "expected the connection to be closed, but received \"extra\""));
    }
    {
        Pair pair;
        const auto deadline = probe::scaled(300ms);
        const auto start = Clock::now();
        const std::string message = failure_of([&] { pair.client.expect_eof(deadline); });
        CHECK(since(start) >= deadline);
        CHECK(since(start) < deadline + margin());
        CHECK(contains(message, "but it is still open"));
    }
}

TEST_CASE("expect_closed: end of file or a reset both end the connection; bytes do not") {
    probe::Program program(FIXTURE_ECHO_LINE, {"--port", "0"});
    const std::uint16_t port = program.port();
    {
        auto client = probe::Connection::connect("127.0.0.1", port, &program);
        client.send("line\nmore the server never reads");  // it closes with these unread: a reset
        CHECK(client.receive_exactly(5, "the line") == "line\n");
        client.expect_closed();
    }
    {
        auto client = probe::Connection::connect("127.0.0.1", port, &program);
        client.send("line\nunread");  // a reset after the line: receive_rest takes both ends
        CHECK(client.receive_rest() == "line\n");
    }
    {
        auto client = probe::Connection::connect("127.0.0.1", port, &program);
        client.send("line\n");
        CHECK(contains(failure_of([&] { client.expect_closed(); }),
                       "expected the connection to be closed, but received"));
    }
}

TEST_CASE("expect_silence: passes when nothing comes, fails on a byte or end of file") {
    {
        Pair pair;
        const auto start = Clock::now();
        pair.client.expect_silence(200ms);
        CHECK(since(start) >= 200ms);
        CHECK(contains(probe::transcript(), "client-1: nothing arrived for 200 ms, as expected\n"));
    }
    {
        Pair pair;
        pair.server.send("!");
        CHECK(contains(failure_of([&] { pair.client.expect_silence(200ms); }),
                       "expected nothing for 200 ms, but received \"!\""));
    }
    {
        Pair pair;
        pair.server.close();
        CHECK(contains(failure_of([&] { pair.client.expect_silence(200ms); }),
                       "but your program closed it"));
    }
}

TEST_CASE("after a half-close the other direction still works") {
    Pair pair;
    pair.client.send("question");
    pair.client.shutdown_write();
    CHECK(pair.server.receive_all() == "question");
    pair.server.send("answer");
    pair.server.close();
    CHECK(pair.client.receive_all() == "answer");
}

TEST_CASE("sending to a peer that never reads fails after a step deadline") {
    ScopedEnv fast("WORKBOOK_TIME_SCALE", "0.1");  // step_deadline() = 500 ms
    Pair pair;
    const std::string lots(64 * 1024 * 1024, 'a');
    const auto start = Clock::now();
    const std::string message = failure_of([&] { pair.client.send(lots); });
    CHECK(since(start) < 5s);
    CHECK(contains(message, "client-1: could not send"));
    CHECK(contains(message, "your program read nothing for 500 ms"));
}

TEST_CASE("sending to a peer that reset the connection fails in plain words") {
    Pair pair;
    pair.server.abort();
    std::string message;
    for (int i = 0; i < 100 && message.empty(); ++i) {
        message = failure_of([&] { pair.client.send("hello?"); });
    }
    CHECK((contains(message, "your program reset the connection") ||
           contains(message, "the connection is closed (broken pipe)")));
}

TEST_CASE("accept() watching a client program: its exit or the deadline") {
    probe::Listener listener;
    {
        probe::Program program(FIXTURE_EXIT_STATUS_3, {});
        const auto start = Clock::now();
        const std::string message =
            failure_of([&] { listener.accept(&program, probe::scaled(10s)); });
        CHECK(since(start) < margin());
        CHECK(contains(message, "Your program exited with status 3 before connecting to it."));
        CHECK(contains(message, "[your_program stderr] fixture: cannot start, giving up"));
    }
    {
        probe::Program program(FIXTURE_SILENT_HANG, {});
        const auto deadline = probe::scaled(500ms);
        const auto start = Clock::now();
        const std::string message = failure_of([&] { listener.accept(&program, deadline); });
        CHECK(since(start) >= deadline);
        CHECK(since(start) < deadline + margin());
        CHECK(contains(message, "test: no connection arrived on 127.0.0.1:" +
                                    std::to_string(listener.port())));
        CHECK(contains(message, "Your program is still running. It printed nothing."));
    }
}

TEST_CASE("ClosedPort refuses connections; port_can_be_bound tells taken ports from free ones") {
    const probe::ClosedPort closed;
    const auto deadline = probe::scaled(500ms);
    const auto start = Clock::now();
    const std::string message = failure_of(
        [&] { probe::Connection::connect("127.0.0.1", closed.port(), nullptr, deadline); });
    CHECK(since(start) >= deadline);
    CHECK(since(start) < deadline + margin());
    CHECK(contains(message, "(last error: Connection refused)"));
    CHECK(contains(message,
                   "Nothing accepts connections on 127.0.0.1:" + std::to_string(closed.port())));

    CHECK_FALSE(probe::port_can_be_bound("127.0.0.1", closed.port()));
    std::uint16_t freed = 0;
    {
        probe::Listener listener;
        freed = listener.port();
        CHECK_FALSE(probe::port_can_be_bound("127.0.0.1", freed));
    }
    CHECK(probe::port_can_be_bound("127.0.0.1", freed));
    CHECK_FALSE(probe::port_can_be_bound("no-such-host.invalid", 1234));
}

TEST_CASE("a host that does not resolve is a clear Failure") {
    CHECK(contains(failure_of([] { probe::Connection::connect("no-such-host.invalid", 80); }),
                   "cannot find the address of \"no-such-host.invalid\""));
}
