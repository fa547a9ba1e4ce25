// Lesson 09, a chat room. Each test starts your server with --port 0, reads the port from its
// first line, and joins it as several clients at once. Your server is built with ThreadSanitizer:
// a data race fails the test case it happens in, even when every line arrives right. The lesson's
// README has the contract they check, sentence by sentence.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checks.hpp"
#include "probe.hpp"

using namespace std::chrono_literals;

namespace {

struct Room {
    probe::Program server{probe::program_under_test(), {"--port", "0"}};
    std::uint16_t port = server.port("Listening on 127.0.0.1:41234");

    probe::Connection connect() { return probe::Connection::connect("127.0.0.1", port, &server); }

    // A client that has joined as `name` (its welcome read).
    probe::Connection join(const std::string& name) {
        auto client = connect();
        client.send(name + "\n");
        const std::string welcome = client.receive_line("the welcome of " + name);
        INFO("the first line a client sends is its name; the answer is \"welcome NAME\"");
        REQUIRE(welcome == "welcome " + name);
        return client;
    }

    // Ends the test case with the sanitizer's report, if your server printed one.
    void no_race() {
        server.stop();
        checks::no_sanitizer_report(server);
    }
};

// The most a TCP socket's send buffer may grow to on this machine (net.ipv4.tcp_wmem's maximum).
std::size_t send_buffer_max() {
    std::ifstream file("/proc/sys/net/ipv4/tcp_wmem");
    std::size_t least = 0, initial = 0, most = 4 << 20;
    file >> least >> initial >> most;
    return most;
}

std::string line_of(probe::Connection& client, const std::string& what) {
    return client.receive_line(what);
}

}  // namespace

TEST_CASE("joins with a name; the others are told, and get its lines as NAME: LINE",
          "[pts=2][id=join-and-talk]") {
    Room room;
    CHECK(room.server.out_lines().front() == "Listening on 127.0.0.1:" + std::to_string(room.port));
    auto ada = room.join("ada");
    auto bob = room.join("bob");
    CHECK(line_of(ada, "the notice that bob joined") == "* bob joined");
    ada.send("hello bob, ça va ?\n");
    CHECK(line_of(bob, "ada's line") == "ada: hello bob, ça va ?");
    bob.send("hi\n");
    INFO("a client's own lines do not come back to it: the next line ada gets is bob's");
    CHECK(line_of(ada, "bob's line") == "bob: hi");
    room.no_race();
}

TEST_CASE("six clients, 200 lines each at once: every other client gets each line once, in order",
          "[pts=3][id=six-clients]") {
    Room room;
    std::vector<probe::Connection> clients;
    for (int i = 0; i < 6; ++i) {
        const std::string name = "c" + std::to_string(i);
        clients.push_back(room.join(name));
        for (int j = 0; j < i; ++j)
            REQUIRE(line_of(clients[j], "the notice that " + name + " joined") ==
                    "* " + name + " joined");
    }
    for (int i = 0; i < 6; ++i) {
        std::string lines;
        for (int k = 0; k < 200; ++k)
            lines += "c" + std::to_string(i) + " line " + std::to_string(k) + "\n";
        clients[i].send(lines);  // 200 lines in one send
    }
    for (int i = 0; i < 6; ++i) {
        std::map<int, int> next;  // sender -> the line number expected next
        for (int n = 0; n < 5 * 200; ++n) {
            const std::string got = line_of(clients[i], "a line for c" + std::to_string(i));
            int sender = -1;
            int k = -1;
            char tail = 0;
            const bool well_formed =
                std::sscanf(got.c_str(), "c%d: c%*d line %d%c", &sender, &k, &tail) == 2 &&
                got == "c" + std::to_string(sender) + ": c" + std::to_string(sender) + " line " +
                           std::to_string(k);
            INFO("c" << i << " got \"" << probe::escape(got) << "\" (line " << n + 1
                     << " of the 1000 it expects)");
            REQUIRE(well_formed);
            {
                INFO("a client's own lines do not come back to it");
                REQUIRE(sender != i);
            }
            INFO("each sender's lines arrive once, in the order it sent them");
            REQUIRE(k == next[sender]);
            ++next[sender];
        }
    }
    room.no_race();
}

TEST_CASE("a client that resets is gone: the others are told, and its name is free again",
          "[pts=2][id=reset-leaves]") {
    Room room;
    auto ada = room.join("ada");
    auto bob = room.join("bob");
    CHECK(line_of(ada, "the notice that bob joined") == "* bob joined");
    auto cat = room.join("cat");
    CHECK(line_of(ada, "the notice that cat joined") == "* cat joined");
    CHECK(line_of(bob, "the notice that cat joined") == "* cat joined");
    cat.abort();  // a reset: recv() fails with ECONNRESET in cat's thread
    INFO("a client that leaves by a reset (an error) leaves all the same");
    CHECK(line_of(ada, "the notice that cat left") == "* cat left");
    CHECK(line_of(bob, "the notice that cat left") == "* cat left");
    ada.send("still here\n");
    CHECK(line_of(bob, "ada's line") == "ada: still here");
    auto again = room.join("cat");  // the name is free once its owner has left
    CHECK(line_of(ada, "the notice that the new cat joined") == "* cat joined");
    room.no_race();
}

TEST_CASE(
    "a client that reads nothing slows no one; once 256 KiB wait for it, it is "
    "disconnected",
    "[pts=3][id=slow-reader]") {
    Room room;
    auto sleepy = room.connect();
    sleepy.limit_receive_buffer(4096);  // the system holds back less for it: see below
    sleepy.send("sleepy\n");
    REQUIRE(line_of(sleepy, "the welcome of sleepy") == "welcome sleepy");  // then reads nothing
    auto ada = room.join("ada");
    auto bob = room.join("bob");
    CHECK(line_of(ada, "the notice that bob joined") == "* bob joined");
    // Lines of 1,000 bytes, more than the system can hold for sleepy's connection (the server's
    // side may keep up to tcp_wmem's maximum, 4 MB on most machines) and 256 KiB in its outbox.
    // bob reads each hundred as it comes.
    const int chunks = static_cast<int>((send_buffer_max() + (1 << 20)) / 100'000) + 4;
    const std::string text(990, 'x');
    int left_notices = 0;
    for (int chunk = 0; chunk < chunks; ++chunk) {
        std::string lines;
        for (int k = 0; k < 100; ++k) lines += std::to_string(chunk * 100 + k) + " " + text + "\n";
        ada.send(lines);
        for (int k = 0; k < 100;) {
            const std::string got = line_of(bob, "ada's line " + std::to_string(chunk * 100 + k));
            if (got == "* sleepy left") {
                ++left_notices;
                continue;
            }
            INFO(
                "bob must get every line of ada's, in order, while sleepy reads nothing: lines "
                "are sent to each client by a thread of its own, never while holding the room");
            REQUIRE(got == "ada: " + std::to_string(chunk * 100 + k) + " " + text);
            ++k;
        }
    }
    {
        INFO("sleepy had more than 256 KiB waiting: it is disconnected, and the others told");
        if (left_notices == 0)
            CHECK(line_of(bob, "the notice that sleepy left") == "* sleepy left");
        CHECK(line_of(ada, "the notice that sleepy left") == "* sleepy left");
    }
    INFO("a newcomer joins and talks at once");
    auto cat = room.join("cat");
    cat.send("hello\n");
    CHECK(line_of(ada, "the notice that cat joined") == "* cat joined");
    CHECK(line_of(ada, "cat's line") == "cat: hello");
    room.no_race();
}

TEST_CASE("names: empty, not UTF-8, too long, with a space, or taken, each refused in words",
          "[pts=2][id=names]") {
    Room room;
    auto ada = room.join("ada");
    auto client = room.connect();
    const std::vector<std::pair<std::string, std::string>> refused{
        {"", "error: a name cannot be empty"},
        {"caf\xe9", "error: a name must be UTF-8 text"},
        {std::string(33, 'n'), "error: a name has at most 32 bytes"},
        {"ada lovelace", "error: a name cannot contain a space"},
        {"ada", "error: the name ada is taken"},
    };
    for (const auto& [name, answer] : refused) {
        client.send(name + "\n");
        INFO("the name \"" << probe::escape(name) << "\"");
        REQUIRE(line_of(client, "the answer to that name") == answer);  // else it has joined
    }
    INFO("after a refusal the client tries again: its next line is a name too");
    client.send("zoé\n");
    CHECK(line_of(client, "the welcome of zoé") == "welcome zoé");
    CHECK(line_of(ada, "the notice that zoé joined") == "* zoé joined");
    auto longest = room.join(std::string(32, 'n'));  // 32 bytes is allowed
    room.no_race();
}

TEST_CASE("a line too long is refused and ends that client; the others are told it left",
          "[pts=1][id=line-too-long]") {
    Room room;
    auto ada = room.join("ada");
    auto bob = room.join("bob");
    CHECK(line_of(ada, "the notice that bob joined") == "* bob joined");
    const std::string peer = bob.local().str();
    bob.send(std::string(1025, 'b'));
    CHECK(line_of(bob, "the error answer") == "error: line longer than 1024 bytes");
    bob.expect_closed();
    CHECK(line_of(ada, "the notice that bob left") == "* bob left");
    CHECK(room.server.wait_for_err_line(
              [&](std::string_view l) { return l.starts_with("server: " + peer + ": "); },
              "the line \"server: " + peer + ": ...\" on stderr") ==
          "server: " + peer + ": line longer than 1024 bytes");
    room.no_race();
}

TEST_CASE("says why on one line of stderr and exits with status 1 when the port is taken",
          "[pts=1][id=port-taken]") {
    checks::refuses_a_taken_port([](std::uint16_t port) {
        return probe::Program(probe::program_under_test(), {"--port", std::to_string(port)});
    });
}
