// Random values (see random.hpp): splitmix64 seeded from the purpose and WORKBOOK_SEED, so the
// same sequence comes out with every standard library.
#include "probe/random.hpp"

#include <stdexcept>

#include <fmt/core.h>

#include "probe/internal.hpp"
#include "probe/transcript.hpp"

namespace probe {

using namespace detail;

Random::Random(std::string_view purpose) {
    std::uint64_t hash = 0xcbf29ce484222325ull;  // FNV-1a of the purpose: fixed for a given test
    for (const unsigned char c : purpose) hash = (hash ^ c) * 0x100000001b3ull;
    const auto [extra, given] = seed_from("WORKBOOK_SEED", 0);
    seed_ = hash ^ extra;
    state_ = seed_;
    log(fmt::format("random values for {}: seed {} ({})", purpose, seed_,
                    given ? fmt::format("WORKBOOK_SEED={} replays them", extra)
                          : "the same on every run; set WORKBOOK_SEED to draw others"));
}

std::uint64_t Random::next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

std::uint64_t Random::number(std::uint64_t low, std::uint64_t high) {
    if (high < low) throw std::invalid_argument("Random::number: high < low");
    const std::uint64_t span = high - low + 1;  // 0 when the range is every value
    return span == 0 ? next() : low + next() % span;
}

std::string Random::bytes(std::size_t n) {
    std::string out(n, '\0');
    for (char& c : out) c = static_cast<char>(next() & 0xff);
    return out;
}

std::string Random::text(std::size_t n) {
    std::string out(n, ' ');
    for (char& c : out) c = static_cast<char>(' ' + number(0, '~' - ' '));
    return out;
}

}  // namespace probe
