// Random values for a test: numbers, bytes, text and orders.
//
// It promises: the same values on every run for the same purpose (a grade does not change from one
// run to the next), other values with WORKBOOK_SEED, and a transcript line naming the seed so that
// any run can be replayed. Implemented in random.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace probe {

// Random numbers, bytes and orders for a test, drawn from a seed the transcript shows, so that a
// failure can be replayed. The seed comes from `purpose` (the same test draws the same values on
// every run: a grade does not change from one run to the next), mixed with WORKBOOK_SEED when it is
// set (to try other values, or to replay a run the transcript names):
//     probe::Random random("payload sizes");
//     const std::string payload = random.bytes(random.number(1, 4096));
class Random {
  public:
    explicit Random(std::string_view purpose);
    std::uint64_t seed() const { return seed_; }
    // A number from low to high, both included.
    std::uint64_t number(std::uint64_t low, std::uint64_t high);
    // `n` bytes of any value (0x00..0xff).
    std::string bytes(std::size_t n);
    // `n` printable ASCII characters (no line break).
    std::string text(std::size_t n);
    // The items in a random order.
    template <class T>
    void shuffle(std::vector<T>& items) {
        for (std::size_t i = items.size(); i > 1; --i)
            std::swap(items[i - 1], items[number(0, i - 1)]);
    }

  private:
    std::uint64_t seed_;
    std::uint64_t state_;  // splitmix64: the same sequence with every standard library
    std::uint64_t next();
};

}  // namespace probe
