// The transcript: steps in order, cut when too long, safe to write from several threads, started
// again (with its numbering of names) by clear_transcript.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include <fmt/core.h>

#include "probe.hpp"
#include "support.hpp"

using namespace selftest;

TEST_CASE("the transcript keeps steps in order and starts again on clear_transcript") {
    probe::clear_transcript();
    CHECK(probe::transcript() == "");
    probe::log("first");
    probe::log("second");
    CHECK(probe::transcript() == "first\nsecond\n");
    probe::clear_transcript();
    CHECK(probe::transcript() == "");
}

TEST_CASE("a very long line is cut, and a very long transcript keeps its first and last steps") {
    std::string line;
    while (line.size() < 5000) line += "0123456789";
    probe::log(line);
    CHECK(contains(probe::transcript(), "... (3000 more characters)"));

    probe::clear_transcript();
    for (int i = 0; i < 3000; ++i) probe::log("step " + std::to_string(i));
    const std::string all = probe::transcript();
    CHECK(contains(all, "step 0\n"));
    CHECK(contains(all, "step 2999\n"));
    CHECK(contains(all, "steps left out"));
    CHECK(all.size() < 30000);
}

TEST_CASE("log may be called from several threads at once: every line is kept whole, none lost") {
    probe::clear_transcript();
    constexpr int threads = 8;
    constexpr int lines = 50;  // 400 steps: all within the head the transcript keeps
    std::vector<std::thread> writers;
    for (int w = 0; w < threads; ++w) {
        writers.emplace_back([w] {
            for (int i = 0; i < lines; ++i) probe::log(fmt::format("writer {} line {}", w, i));
        });
    }
    for (std::thread& writer : writers) writer.join();
    const std::string all = probe::transcript();
    for (int w = 0; w < threads; ++w) {
        for (int i = 0; i < lines; ++i) {
            const std::string line = fmt::format("writer {} line {}\n", w, i);
            const bool whole = contains(all, "\n" + line) || all.starts_with(line);
            CHECK_MESSAGE(whole, line);
        }
    }
    CHECK(std::count(all.begin(), all.end(), '\n') == threads * lines);
}

TEST_CASE("clear_transcript numbers every kind of name from 1 again: client, server and udp") {
    probe::Listener listener;
    for (int round = 0; round < 2; ++round) {
        probe::clear_transcript();
        auto client = probe::Connection::connect("127.0.0.1", listener.port());
        auto accepted = listener.accept();
        probe::UdpSocket udp;
        CHECK(client.name() == "client-1");
        CHECK(accepted.name() == "server-1");
        CHECK(contains(probe::transcript(), "udp-1: a UDP socket of the test's own on 127.0.0.1:"));
    }
}
