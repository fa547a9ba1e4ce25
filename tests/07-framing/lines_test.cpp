// Lesson 07, part 1: the line server. Each test starts your line_server with --port 0, reads the
// port from its first line, and talks to it as a client. The lesson's README has the contract they
// check, sentence by sentence.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checks.hpp"
#include "probe.hpp"

using namespace std::string_literals;

namespace {

probe::Program start(probe::Program::Options options = {}) {
    return probe::Program(probe::program_path("line_server"), {"--port", "0"}, std::move(options));
}

probe::Program start_with(probe::Faults faults) {
    probe::Program::Options options;
    options.faults = std::move(faults);
    return start(std::move(options));
}

std::uint16_t port_of(probe::Program& server) {
    return server.port("Listening on 127.0.0.1:41234");
}

auto starts_with(std::string prefix) {
    return [prefix](std::string_view line) { return line.starts_with(prefix); };
}

// The answer the contract gives to a valid UTF-8 line: its code points (the bytes that do not
// continue a character, 10xxxxxx) and its bytes.
std::string answer(std::string_view line) {
    std::size_t characters = 0;
    for (const char c : line) characters += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return std::to_string(characters) + " characters, " + std::to_string(line.size()) + " bytes";
}

// Sends `line` and its '\n', and checks the answer.
void ask(probe::Connection& client, const std::string& line, const std::string& expected) {
    client.send(line + "\n");
    CHECK(client.receive_line("the answer to \"" + probe::escape(line) + "\"") == expected);
}

}  // namespace

TEST_CASE("line server: announces its port, then answers each line with its characters and bytes",
          "[pts=2][id=lines-answers]") {
    auto server = start();
    const std::uint16_t port = port_of(server);
    CHECK(server.out_lines().front() == "Listening on 127.0.0.1:" + std::to_string(port));
    auto client = probe::Connection::connect("127.0.0.1", port, &server);
    CHECK(server.wait_for_line(starts_with("Connection from "), "the line naming the client") ==
          "Connection from " + client.local().str());
    ask(client, "hello", "5 characters, 5 bytes");
    INFO(
        "characters are code points, as Python's len(line.decode()): é is one character, two "
        "bytes");
    ask(client, "Message reçu", "12 characters, 13 bytes");
    ask(client, "Salut 👋", "7 characters, 10 bytes");
    ask(client, "", "0 characters, 0 bytes");
    ask(client, "a\0b"s, "3 characters, 3 bytes");
}

TEST_CASE("line server: drops the \\r of a \\r\\n, and no other", "[pts=1][id=lines-crlf]") {
    auto server = start();
    auto client = probe::Connection::connect("127.0.0.1", port_of(server), &server);
    ask(client, "hello\r", "5 characters, 5 bytes");
    ask(client, "a\rb", "3 characters, 3 bytes");
    ask(client, "\r\r", "1 characters, 1 bytes");
}

TEST_CASE("line server: a line sent one byte at a time is one line", "[pts=2][id=lines-bytewise]") {
    // The bytes may still arrive together; the test cuts your recv() calls short as well (the
    // first always, then about one in two), so that your server sees the line in pieces.
    auto server = start_with({.short_reads = true});
    auto client = probe::Connection::connect("127.0.0.1", port_of(server), &server);
    const std::string line = "Message reçu 👋";
    client.send_bytewise(line + "\n");
    INFO("keep the bytes of a line until its '\\n' comes: one recv() may bring a single byte");
    CHECK(client.receive_line("the answer to the line sent byte by byte") == answer(line));
}

TEST_CASE("line server: a character cut between two sends counts once",
          "[pts=2][id=lines-split-character]") {
    // The test cuts your recv() calls short too (the first always, then about one in two).
    auto server = start_with({.short_reads = true});
    auto client = probe::Connection::connect("127.0.0.1", port_of(server), &server);
    INFO(
        "count the characters of the whole line, once its '\\n' has come: counted piece by "
        "piece, a character cut in two is two errors, or two characters");
    client.send_split("reçu\n", {3});  // between ç's two bytes, c3 | a7
    CHECK(client.receive_line("the answer to \"reçu\"") == "4 characters, 5 bytes");
    client.send_split("👋 !\n", {1, 2, 3});  // 👋 is f0 9f 91 8b: cut after each byte
    CHECK(client.receive_line("the answer to \"👋 !\"") == "3 characters, 6 bytes");
}

TEST_CASE("line server: two lines in one send get two answers, in order",
          "[pts=1][id=lines-two-in-one]") {
    auto server = start();
    auto client = probe::Connection::connect("127.0.0.1", port_of(server), &server);
    client.send("one\ntwo\n\nfour!\n");
    INFO("one recv() may bring several lines: answer each of them");
    CHECK(client.receive_line("the answer to \"one\"") == "3 characters, 3 bytes");
    CHECK(client.receive_line("the answer to \"two\"") == "3 characters, 3 bytes");
    CHECK(client.receive_line("the answer to the empty line") == "0 characters, 0 bytes");
    CHECK(client.receive_line("the answer to \"four!\"") == "5 characters, 5 bytes");
}

TEST_CASE("line server: a line that is not UTF-8 gets an error answer, and the connection goes on",
          "[pts=2][id=lines-invalid-utf8]") {
    auto server = start();
    auto client = probe::Connection::connect("127.0.0.1", port_of(server), &server);
    ask(client,
        "ab\xff"
        "cd",
        "error: can't decode byte 0xff in position 2: invalid start byte");
    ask(client, "caf\xe9", "error: can't decode byte 0xe9 in position 3: unexpected end of data");
    INFO("after an error answer the connection stays open: the next line is answered");
    ask(client, "ok", "2 characters, 2 bytes");
}

TEST_CASE(
    "line server: a line of 1024 bytes is answered; a longer one gets an error and the "
    "connection closes, before its \\n",
    "[pts=2][id=lines-too-long]") {
    auto server = start();
    const std::uint16_t port = port_of(server);
    {
        auto client = probe::Connection::connect("127.0.0.1", port, &server);
        ask(client, std::string(1024, 'a'), "1024 characters, 1024 bytes");
    }
    auto client = probe::Connection::connect("127.0.0.1", port, &server);
    const std::string peer = client.local().str();
    client.send(std::string(1025, 'b'));  // and no '\n': it may never come
    INFO("a line longer than 1024 bytes is refused as soon as its 1025th byte arrives");
    CHECK(client.receive_line("the error answer") == "error: line longer than 1024 bytes");
    client.expect_closed();
    CHECK(server.wait_for_err_line(starts_with("server: " + peer + ": "),
                                   "the line \"server: " + peer + ": ...\" on stderr") ==
          "server: " + peer + ": line longer than 1024 bytes");
    {
        // The whole line at once, its '\n' included: too long all the same.
        auto whole = probe::Connection::connect("127.0.0.1", port, &server);
        whole.send(std::string(2000, 'c') + "\nafter\n");
        INFO(
            "a line of 2000 bytes that arrives with its '\\n' in one piece is too long too: check "
            "the length of every line, not only of the bytes left after the last '\\n'");
        CHECK(whole.receive_line("the error answer") == "error: line longer than 1024 bytes");
        whole.expect_closed();
    }
    auto next = probe::Connection::connect("127.0.0.1", port, &server);
    ask(next, "next", "4 characters, 4 bytes");
}

TEST_CASE("line server: a last line without \\n at end of file is answered, then it closes",
          "[pts=1][id=lines-partial-last]") {
    auto server = start();
    auto client = probe::Connection::connect("127.0.0.1", port_of(server), &server);
    client.send("first\nabc");
    client.shutdown_write();
    CHECK(client.receive_line("the answer to \"first\"") == "5 characters, 5 bytes");
    INFO("at end of file, the bytes after the last '\\n' are a line all the same");
    CHECK(client.receive_line("the answer to \"abc\", sent without '\\n'") ==
          "3 characters, 3 bytes");
    client.expect_eof();
    const std::string peer = client.local().str();
    CHECK(server.wait_for_line(starts_with("Closed " + peer),
                               "the line \"Closed " + peer + " after ...\"") ==
          "Closed " + peer + " after 2 lines");
}

TEST_CASE("line server: 300 lines of random text in one burst, with short reads and writes",
          "[pts=2][id=lines-many-short-io]") {
    auto server = start_with({.short_writes = true, .short_reads = true});
    auto client = probe::Connection::connect("127.0.0.1", port_of(server), &server);
    probe::Random random("300 lines");
    const std::vector<std::string> alphabet{"a", "Z", " ", "é", "ç", "€", "𝄞", "👋", "\t", "7"};
    std::string sent;
    std::string expected;
    for (int i = 0; i < 300; ++i) {
        std::string line;
        for (std::uint64_t n = random.number(0, 60); n > 0; --n)
            line += alphabet[random.number(0, alphabet.size() - 1)];
        sent += line + (i % 3 == 0 ? "\r\n" : "\n");
        expected += answer(line) + "\n";
    }
    client.send_while_receiving(sent);
    client.shutdown_write();
    const std::string back = client.receive_all();
    if (back != expected) {
        std::size_t line = 0;
        std::size_t i = 0;
        while (i < back.size() && i < expected.size() && back[i] == expected[i])
            line += back[i++] == '\n';
        INFO("the first " << line << " answers are right; answer " << line + 1 << " differs");
        CHECK(back == expected);
    }
    const std::string peer = client.local().str();
    CHECK(server.wait_for_line(starts_with("Closed " + peer),
                               "the line \"Closed " + peer + " after ...\"") ==
          "Closed " + peer + " after 300 lines");
}
