// Random values: the same for the same purpose on every run, others with WORKBOOK_SEED, and the
// seed in the transcript.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "probe.hpp"
#include "support.hpp"

using namespace selftest;

TEST_CASE(
    "Random: the same purpose draws the same values on every run; WORKBOOK_SEED draws others") {
    ScopedEnv no_seed("WORKBOOK_SEED", nullptr);
    probe::clear_transcript();
    probe::Random a("payloads");
    probe::Random b("payloads");
    const std::string bytes = a.bytes(64);
    CHECK(bytes == b.bytes(64));
    CHECK(probe::Random("sizes").seed() != a.seed());
    CHECK(contains(
        probe::transcript(),
        fmt::format("random values for payloads: seed {} (the same on every run", a.seed())));
    {
        ScopedEnv other("WORKBOOK_SEED", "7");
        probe::Random c("payloads");
        CHECK(c.seed() != a.seed());
        CHECK(c.bytes(64) != bytes);
        CHECK(contains(probe::transcript(), "WORKBOOK_SEED=7 replays them"));
    }
    {
        ScopedEnv bad("WORKBOOK_SEED", "seven");
        CHECK_THROWS_AS(probe::Random("payloads"), probe::Failure);
    }
    probe::Random d("ranges");
    for (int i = 0; i < 1000; ++i) {
        const std::uint64_t n = d.number(3, 5);
        CHECK((n >= 3 && n <= 5));
    }
    const std::string text = d.text(200);
    CHECK(std::all_of(text.begin(), text.end(), [](char c) { return c >= ' ' && c <= '~'; }));
    std::vector<int> order{1, 2, 3, 4, 5, 6, 7, 8};
    probe::Random("order").shuffle(order);
    std::vector<int> again{1, 2, 3, 4, 5, 6, 7, 8};
    probe::Random("order").shuffle(again);
    CHECK(order == again);
    CHECK(std::is_permutation(order.begin(), order.end(), again.begin()));
    CHECK(order != std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8});
}

TEST_CASE(
    "Random: number covers its whole range and refuses an empty one; bytes take every value") {
    ScopedEnv no_seed("WORKBOOK_SEED", nullptr);
    probe::Random random("ranges and bytes");
    CHECK(random.number(7, 7) == 7);
    CHECK_THROWS_AS(random.number(5, 4), std::invalid_argument);
    constexpr auto most = std::numeric_limits<std::uint64_t>::max();
    std::set<std::uint64_t> wide;
    for (int i = 0; i < 100; ++i) wide.insert(random.number(0, most));  // the range of every value
    CHECK(wide.size() > 95);
    std::set<std::uint64_t> faces;
    for (int i = 0; i < 600; ++i) faces.insert(random.number(1, 6));
    CHECK(faces == std::set<std::uint64_t>{1, 2, 3, 4, 5, 6});
    const std::string bytes = random.bytes(8192);
    CHECK(std::set<char>(bytes.begin(), bytes.end()).size() == 256);  // 0x00 and 0x80..0xff too
}
