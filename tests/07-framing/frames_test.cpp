// Lesson 07, part 2: length-prefixed frames. The frame server's tests start your frame_server
// with --port 0 and talk to it as a client; the decoder's run your frame_decoder (the workbook's
// frame_decoder.cpp, which feeds your FrameDecoder the pieces the test chooses and prints what came
// out of each). The lesson's README has the contract they check, sentence by sentence.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checks.hpp"
#include "probe.hpp"

using namespace std::string_literals;

namespace {

probe::Program start(probe::Program::Options options = {}) {
    return probe::Program(probe::program_path("frame_server"), {"--port", "0"}, std::move(options));
}

std::uint16_t port_of(probe::Program& server) {
    return server.port("Listening on 127.0.0.1:41234");
}

auto starts_with(std::string prefix) {
    return [prefix](std::string_view line) { return line.starts_with(prefix); };
}

// The contract's answer: letters a to z in capitals, every other byte as it is.
std::string capitals(std::string text) {
    for (char& c : text)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return text;
}

// Every byte value, then some: 300 bytes, so that the length prefix is 00 00 01 2c and a length
// read in the wrong byte order (0x2c010000) shows.
std::string every_byte() {
    std::string bytes;
    for (int i = 0; i < 300; ++i) bytes.push_back(static_cast<char>(i % 256));
    return bytes;
}

std::string hex(std::string_view bytes) {
    if (bytes.empty()) return "-";
    std::string text;
    char two[3];
    for (const char c : bytes) {
        std::snprintf(two, sizeof two, "%02x", static_cast<unsigned char>(c));
        text += two;
    }
    return text;
}

// ---- the decoder, through frame_decoder
// ----------------------------------------------------------

// One session of frame_decoder: the pieces it was given, and what it printed for them.
struct Session {
    std::vector<std::string> pieces;
    std::vector<std::string>
        lines;  // "piece 1: ...", ..., "pending N" or "error ...", without "end"
};

// Runs frame_decoder once over every session; fills each one's lines.
void decode(std::vector<Session>& sessions) {
    std::string input;
    for (const Session& s : sessions) {
        for (std::size_t i = 0; i < s.pieces.size(); ++i)
            input += (i ? " " : "") + hex(s.pieces[i]);
        input += "\n";
    }
    probe::Program::Options options;
    options.stdin_data = input;
    options.output_cap = 16 << 20;
    options.logged_lines = 20;  // the test compares them all; the transcript shows the start
    probe::Program decoder(probe::program_path("frame_decoder"), {}, std::move(options));
    const probe::ExitStatus status = decoder.wait_exit(probe::scaled(std::chrono::seconds(20)));
    {
        INFO("frame_decoder " << status.describe() << "; its last lines:\n"
                              << decoder.last_lines());
        REQUIRE(status.ok());
    }
    const std::vector<std::string> out = decoder.out_lines();
    std::size_t at = 0;
    for (Session& s : sessions) {
        while (at < out.size() && out[at] != "end") s.lines.push_back(out[at++]);
        INFO(
            "frame_decoder printed no \"end\" line for a session: did your code throw something "
            "that is not a std::exception, or end the program?");
        REQUIRE(at < out.size());
        ++at;
    }
}

// The line frame_decoder prints for piece `i` (from 1) that completed `payloads`.
std::string piece_line(std::size_t i, const std::vector<std::string>& payloads) {
    std::string line = "piece " + std::to_string(i) + ":";
    for (const std::string& p : payloads) line += " " + hex(p);
    return line;
}

// A sample stream and where each of its frames ends.
struct Stream {
    std::string bytes;
    std::vector<std::string> payloads;
    std::vector<std::size_t> ends;  // offset just past each frame
};

Stream sample() {
    Stream s;
    for (const std::string& payload : {"hello"s, ""s, every_byte(), "\0\0\0\x05"s, "é👋"s, "x"s}) {
        s.bytes += probe::frame(payload);
        s.payloads.push_back(payload);
        s.ends.push_back(s.bytes.size());
    }
    return s;
}

}  // namespace

// ---- the frame server
// ----------------------------------------------------------------------------

TEST_CASE("frame server: answers each frame with its payload in capitals, length in network order",
          "[pts=2][id=frames-answers]") {
    auto server = start();
    const std::uint16_t port = port_of(server);
    CHECK(server.out_lines().front() == "Listening on 127.0.0.1:" + std::to_string(port));
    auto client = probe::Connection::connect("127.0.0.1", port, &server);
    CHECK(server.wait_for_line(starts_with("Connection from "), "the line naming the client") ==
          "Connection from " + client.local().str());
    for (const std::string& payload : {"hello"s, ""s, "Message reçu"s, every_byte()}) {
        client.send(probe::frame(payload));
        INFO("the answer to a frame of "
             << payload.size()
             << " bytes; its length prefix is 4 "
                "bytes, big-endian: htonl() before sending, ntohl() after reading");
        CHECK(probe::receive_frame(client) == capitals(payload));
    }
}

TEST_CASE("frame server: many frames in one send, every answer in order",
          "[pts=2][id=frames-many-in-one]") {
    auto server = start();
    auto client = probe::Connection::connect("127.0.0.1", port_of(server), &server);
    probe::Random random("100 frames");
    std::string burst;
    std::vector<std::string> payloads;
    for (int i = 0; i < 100; ++i) {
        payloads.push_back(random.bytes(random.number(0, 2000)));
        burst += probe::frame(payloads.back());
    }
    client.send_while_receiving(burst);
    INFO("one recv() may bring many frames, and the start of the next: answer every whole one");
    for (const std::string& payload : payloads)
        REQUIRE(probe::receive_frame(client) == capitals(payload));
}

TEST_CASE("frame server: frames sent one byte at a time, and cut anywhere, with short reads",
          "[pts=2][id=frames-bytewise]") {
    probe::Program::Options options;
    options.faults = probe::Faults{.short_writes = true, .short_reads = true};
    auto server = start(std::move(options));
    auto client = probe::Connection::connect("127.0.0.1", port_of(server), &server);
    client.send_bytewise(probe::frame("one byte at a time"));
    CHECK(probe::receive_frame(client) == "ONE BYTE AT A TIME");
    const std::string three = probe::frame("first") + probe::frame("") + probe::frame("third");
    client.send_split(three, {2, 7, 11, 14});  // inside a prefix, a payload, between frames
    CHECK(probe::receive_frame(client) == "FIRST");
    CHECK(probe::receive_frame(client).empty());
    CHECK(probe::receive_frame(client) == "THIRD");
}

TEST_CASE(
    "frame server: answers a frame of 1 MiB; refuses a longer length at once, without "
    "reserving memory for it",
    "[pts=3][id=frames-oversized]") {
    auto server = start();
    const std::uint16_t port = port_of(server);
    {
        auto client = probe::Connection::connect("127.0.0.1", port, &server);
        probe::Random random("1 MiB frame");
        const std::string payload = random.bytes(1 << 20);
        client.send_while_receiving(probe::frame(payload));
        INFO("a payload of exactly 1 MiB (1048576 bytes) is allowed");
        CHECK(probe::receive_frame(client, probe::step_deadline(), 1 << 20) == capitals(payload));
    }
    for (const std::uint32_t length : {(1u << 20) + 1, 0xfffffff0u}) {
        auto client = probe::Connection::connect("127.0.0.1", port, &server);
        const std::string peer = client.local().str();
        client.send(std::string("\x00\x00\x00\x02hi", 6));  // answered first: the client is known
        CHECK(probe::receive_frame(client) == "HI");
        const std::size_t before = server.memory_peak();
        const std::string prefix{static_cast<char>(length >> 24), static_cast<char>(length >> 16),
                                 static_cast<char>(length >> 8), static_cast<char>(length)};
        client.send(prefix);  // and none of the payload
        INFO(
            "a length over 1 MiB is refused as soon as its prefix is read: the server closes the "
            "connection without waiting for the payload, and without reserving room for it");
        client.expect_closed();
        CHECK(server.wait_for_err_line(starts_with("server: " + peer + ": "),
                                       "the line \"server: " + peer + ": ...\" on stderr") ==
              "server: " + peer + ": frame of " + std::to_string(length) +
                  " bytes refused: at most 1048576");
        const std::size_t after = server.memory_peak();
        INFO("your server's peak of memory grew by " << (after - before) / 1024
                                                     << " KiB when the length arrived");
        CHECK(after - before < (std::size_t{64} << 20));
    }
    auto next = probe::Connection::connect("127.0.0.1", port, &server);
    next.send(probe::frame("next"));
    CHECK(probe::receive_frame(next) == "NEXT");
}

TEST_CASE("frame server: an incomplete frame at end of file is dropped, then it closes",
          "[pts=1][id=frames-partial-at-eof]") {
    auto server = start();
    auto client = probe::Connection::connect("127.0.0.1", port_of(server), &server);
    client.send(probe::frame("whole") + probe::frame("cut short").substr(0, 7));
    client.shutdown_write();
    CHECK(probe::receive_frame(client) == "WHOLE");
    client.expect_eof();
    const std::string peer = client.local().str();
    CHECK(server.wait_for_line(starts_with("Closed " + peer),
                               "the line \"Closed " + peer + " after ...\"") ==
          "Closed " + peer + " after 1 frames");
}

// ---- the decoder -----------------------------------------------------------------------------

TEST_CASE(
    "frame decoder: the stream cut in two at every place gives the same frames, each from "
    "the piece its last byte is in",
    "[pts=3][id=decoder-every-split]") {
    const Stream s = sample();
    std::vector<Session> sessions;
    for (std::size_t cut = 0; cut <= s.bytes.size(); ++cut)
        sessions.push_back({{s.bytes.substr(0, cut), s.bytes.substr(cut)}, {}});
    decode(sessions);
    for (std::size_t cut = 0; cut <= s.bytes.size(); ++cut) {
        std::vector<std::string> first, second;
        for (std::size_t f = 0; f < s.payloads.size(); ++f)
            (s.ends[f] <= cut ? first : second).push_back(s.payloads[f]);
        const std::vector<std::string> expected{piece_line(1, first), piece_line(2, second),
                                                "pending 0"};
        INFO("the stream of " << s.bytes.size() << " bytes cut after byte " << cut);
        REQUIRE(sessions[cut].lines == expected);
    }
}

TEST_CASE(
    "frame decoder: one byte at a time, each frame comes out with its last byte, and "
    "pending() counts the bytes held",
    "[pts=2][id=decoder-bytewise]") {
    const Stream s = sample();
    std::vector<Session> sessions(1);
    for (const char c : s.bytes) sessions[0].pieces.emplace_back(1, c);
    const std::string tail = probe::frame("next").substr(0, 6);  // a prefix and 2 bytes of payload
    sessions.push_back({{s.bytes + tail}, {}});
    sessions.push_back({{tail.substr(0, 3)}, {}});
    decode(sessions);
    std::vector<std::string> expected;
    for (std::size_t i = 1, f = 0; i <= s.bytes.size(); ++i) {
        std::vector<std::string> out;
        if (f < s.ends.size() && s.ends[f] == i) out.push_back(s.payloads[f++]);
        expected.push_back(piece_line(i, out));
    }
    expected.push_back("pending 0");
    {
        INFO("one byte at a time: each frame must come out of feed() with its last byte");
        CHECK(sessions[0].lines == expected);
    }
    {
        INFO(
            "the whole stream in one piece, and the start of one more frame: feed() returns every "
            "frame it completes (six), and keeps the 6 bytes of the unfinished one");
        CHECK(sessions[1].lines ==
              std::vector<std::string>{piece_line(1, s.payloads), "pending 6"});
    }
    INFO("pending() is the number of bytes held of the incomplete frame: its prefix included");
    CHECK(sessions[2].lines == std::vector<std::string>{piece_line(1, {}), "pending 3"});
}

TEST_CASE(
    "frame decoder: a length over 1 MiB is refused as soon as its prefix is whole; 1 MiB is "
    "not",
    "[pts=1][id=decoder-oversized]") {
    std::vector<Session> sessions{
        {{"\x00\x10\x00\x01"s}, {}},          // 1 MiB + 1
        {{"\xff\xff"s, "\xff\xff"s}, {}},     // 4 GiB - 1, its prefix in two pieces
        {{"\x00\x10\x00\x00"s, "abc"s}, {}},  // 1 MiB: allowed, waits for the payload
    };
    decode(sessions);
    CHECK(sessions[0].lines ==
          std::vector<std::string>{"piece 1:",
                                   "error frame of 1048577 bytes refused: at most 1048576"});
    CHECK(sessions[1].lines ==
          std::vector<std::string>{
              "piece 1:", "piece 2:", "error frame of 4294967295 bytes refused: at most 1048576"});
    CHECK(sessions[2].lines == std::vector<std::string>{"piece 1:", "piece 2:", "pending 7"});
}
