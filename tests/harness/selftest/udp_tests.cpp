// The UDP layer: datagrams to a program and back, each whole, with where it came from; silence;
// deadlines.
#include "probe.hpp"  // first: it includes <regex> (see there)

#include <doctest/doctest.h>

#include <string>

#include "support.hpp"

using namespace selftest;

TEST_CASE("UDP: datagrams go to the program and come back whole, with where they came from") {
    probe::Program server(FIXTURE_UDP_ECHO, {"--port", "0"});
    const std::uint16_t port = server.port();
    probe::UdpSocket udp;
    udp.send_to(port, "hello");
    udp.send_to(port, std::string("\0\xff", 2));
    const auto first = udp.receive("the first echo");
    CHECK(first.bytes == "HELLO");
    CHECK(first.from.port == port);
    CHECK(udp.receive("the second echo").bytes == std::string("\0\xff", 2));  // each datagram whole
    CHECK(server.wait_for_next_line(std::regex("^echoed"), "the first echo's line") ==
          "echoed 5 bytes");
    udp.expect_silence(100ms);
    udp.send_to(port, "quit");
    CHECK(server.wait_exit().code == 0);
    CHECK_THROWS_AS(udp.receive("an echo from a server that ended", 200ms), probe::Failure);
    const std::string steps = probe::transcript();
    CHECK(contains(steps, "udp-1: sent a datagram of 5 bytes to port"));
    CHECK(contains(steps, "udp-1: received a datagram of 5 bytes from 127.0.0.1:"));
}

TEST_CASE(
    "UDP: an empty datagram is a datagram; a datagram breaks silence; receive ends at its "
    "deadline") {
    probe::Program server(FIXTURE_UDP_ECHO, {"--port", "0"});
    const std::uint16_t port = server.port();
    probe::UdpSocket udp;
    udp.send_to(port, "");
    CHECK(udp.receive("the echo of an empty datagram").bytes.empty());
    udp.send_to(port, "late");
    CHECK(server.wait_for_next_line(std::regex("^echoed 4 bytes$"), "the echo's line") ==
          "echoed 4 bytes");
    const std::string message = failure_of([&] { udp.expect_silence(probe::scaled(2s)); });
    CHECK(contains(message, "udp-1: expected no datagram for"));
    CHECK(contains(message, "but received \"LATE\""));
    const auto deadline = probe::scaled(300ms);
    const auto start = Clock::now();
    CHECK(contains(failure_of([&] { udp.receive("a datagram nobody sends", deadline); }),
                   "udp-1: no datagram arrived within"));
    CHECK(since(start) >= deadline);
    CHECK(since(start) < deadline + margin());
}
