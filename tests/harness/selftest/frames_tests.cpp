// Length-prefixed frames: frame() against bytes written by hand, and receive_frame() against the
// frame_server fixture (a frame whole, frames split across many small writes, a prefix over the
// limit or in the wrong byte order, a connection closed mid-prefix or mid-payload) and against
// in-process pairs for deadlines and limits.
#include "probe.hpp"  // first: it includes <regex> (see there)

#include <doctest/doctest.h>

#include <string>

#include "support.hpp"

using namespace selftest;

namespace {

std::string every_byte_value() {
    std::string bytes(300, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i);
    return bytes;
}

}  // namespace

TEST_CASE("frame() puts the payload's size before it, in 4 bytes, big-endian") {
    CHECK(probe::frame("hello") == std::string("\0\0\0\x05hello", 9));
    CHECK(probe::frame("") == std::string(4, '\0'));
    const std::string long_payload(0x010203, 'x');
    CHECK(probe::frame(long_payload) == std::string("\0\x01\x02\x03", 4) + long_payload);
}

TEST_CASE("receive_frame reads frames one after the other, whatever arrived in one piece") {
    ServerInMode server(FIXTURE_FRAME_SERVER, "whole");  // three frames in one send()
    CHECK(probe::receive_frame(server.client) == "hello");
    CHECK(probe::receive_frame(server.client) == "");
    CHECK(probe::receive_frame(server.client) == every_byte_value());
    server.client.expect_eof();
    const std::string steps = probe::transcript();
    CHECK(contains(steps, "client-1: received a frame of 5 bytes: \"hello\"\n"));
    CHECK(contains(steps, "client-1: received a frame of 0 bytes: \"\"\n"));
    CHECK(contains(steps, "client-1: received a frame of 300 bytes: \"\\x00\\x01\\x02"));
}

TEST_CASE("receive_frame waits for every piece of frames split across many small writes") {
    ServerInMode server(FIXTURE_FRAME_SERVER,
                        "split");  // one byte per send(), with a pause between
    CHECK(probe::receive_frame(server.client) == "split across many small writes");
    CHECK(probe::receive_frame(server.client) == "and a second");
    server.client.expect_eof();
}

TEST_CASE("frames and the other readers with a cursor follow each other on one connection") {
    Pair pair;
    pair.server.send("HELLO\n" + probe::frame("one") + "\r\n" + probe::frame("two"));
    CHECK(pair.client.receive_line("the greeting") == "HELLO");
    CHECK(probe::receive_frame(pair.client) == "one");
    CHECK(pair.client.receive_exactly(2, "the separator") == "\r\n");
    CHECK(probe::receive_frame(pair.client) == "two");
    CHECK(pair.client.unread().empty());
}

TEST_CASE("a length prefix over the limit fails at once, saying what it says") {
    ServerInMode server(FIXTURE_FRAME_SERVER,
                        "too_long");  // 0xffffffff, then 3 bytes, then the connection stays open
    const auto start = Clock::now();
    const std::string message = failure_of([&] { probe::receive_frame(server.client); });
    CHECK(since(start) < margin());  // it does not wait for 4 GiB that will never come
    CHECK(contains(message,
                   "client-1: the length prefix says 4294967295 bytes, more than the 1048576 "
                   "allowed (its 4 bytes: \"\\xff\\xff\\xff\\xff\")"));
    CHECK(contains(probe::transcript(),
                   "client-1: a frame's length prefix \"\\xff\\xff\\xff\\xff\" "
                   "says 4294967295 bytes, more than the 1048576 allowed\n"));

    Pair pair;  // the limit is the caller's
    pair.server.send(probe::frame(std::string(100, 'x')));
    CHECK(
        contains(failure_of([&] { probe::receive_frame(pair.client, probe::step_deadline(), 99); }),
                 "the length prefix says 100 bytes, more than the 99 allowed"));
}

TEST_CASE("a length in little-endian is named as such") {
    ServerInMode server(FIXTURE_FRAME_SERVER,
                        "little_endian");  // "\x05\0\0\0hello": 5 in the machine's byte order
    const std::string message = failure_of([&] { probe::receive_frame(server.client); });
    CHECK(
        contains(message, "the length prefix says 83886080 bytes, more than the 1048576 allowed"));
    CHECK(contains(message,
                   "Read in the other byte order they say 5: was the length sent without "
                   "htonl()"));
}

TEST_CASE("a connection closed in the middle of the length prefix: how many of its bytes came") {
    ServerInMode server(FIXTURE_FRAME_SERVER, "cut_prefix");  // 2 of the 4 bytes, then closes
    const std::string message = failure_of([&] { probe::receive_frame(server.client); });
    CHECK(contains(message,
                   "client-1: only 2 of the 4 bytes of a frame's length prefix arrived "
                   "(\"\\x00\\x00\"): your program closed the connection before sending "
                   "the 4 bytes of a frame's length prefix"));
    CHECK(contains(probe::transcript(),
                   "client-1: only 2 of the 4 bytes of a frame's length prefix arrived\n"));
}

TEST_CASE("a connection closed in the middle of the payload: how many of its bytes came") {
    ServerInMode server(FIXTURE_FRAME_SERVER,
                        "cut_payload");  // a prefix of 10, 4 bytes, then closes
    const std::string message = failure_of([&] { probe::receive_frame(server.client); });
    CHECK(contains(message,
                   "client-1: only 4 of the 10 bytes of the frame's payload arrived "
                   "(\"abcd\"): your program closed the connection before sending the "
                   "10 bytes of the frame's payload"));
}

TEST_CASE("receive_frame has one deadline for the whole frame") {
    {
        Pair pair;  // nothing at all
        const auto deadline = probe::scaled(300ms);
        const std::string message =
            failure_at_deadline(deadline, [&] { probe::receive_frame(pair.client, deadline); });
        CHECK(contains(message,
                       "client-1: waiting for the 4 bytes of a frame's length prefix: "
                       "nothing more arrived within"));
    }
    {
        Pair pair;  // the prefix and part of the payload, then nothing
        pair.server.send(std::string("\0\0\0\x08", 4) + "half");
        const auto deadline = probe::scaled(300ms);
        const std::string message =
            failure_at_deadline(deadline, [&] { probe::receive_frame(pair.client, deadline); });
        CHECK(contains(message, "only 4 of the 8 bytes of the frame's payload arrived (\"half\")"));
        CHECK(contains(message, "nothing more arrived within"));
    }
    {
        // The prefix takes most of the deadline to arrive: the payload gets only what is left.
        const std::string message =
            failure_with_a_late_part(std::string("\0\0", 2), std::string("\0\x08", 2),
                                     [](probe::Connection& client, milliseconds deadline) {
                                         probe::receive_frame(client, deadline);
                                     });
        CHECK(contains(message,
                       "waiting for the 8 bytes of the frame's payload: nothing more "
                       "arrived within"));
    }
}
