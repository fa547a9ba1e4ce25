// How lesson 01's tests (remote.hpp) and its driver (driver/driver.cpp) write bytes and code points
// to each other: in hex, so that any byte travels in a line of text. Bytes are two lowercase digits
// each, end to end ("c3a9"); a code point is a hex number ("e9"), code points are separated by one
// space ("4d e9 1f600").
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace wire {

// Text that is not what the other side writes.
struct Malformed {
    std::string why;
};

inline constexpr char hex_digits[] = "0123456789abcdef";

// The value of each lowercase hex digit, -1 for any other byte.
inline constexpr auto hex_values = [] {
    std::array<signed char, 256> values{};
    values.fill(-1);
    for (int d = 0; d < 16; ++d)
        values[static_cast<unsigned char>(hex_digits[d])] = static_cast<signed char>(d);
    return values;
}();

inline void put_hex(std::string& out, std::string_view bytes) {
    const std::size_t at = out.size();
    out.resize(at + 2 * bytes.size());
    char* p = out.data() + at;
    for (const char c : bytes) {
        const auto b = static_cast<unsigned char>(c);
        *p++ = hex_digits[b >> 4];
        *p++ = hex_digits[b & 0x0F];
    }
}

inline void put_code_point(std::string& out, char32_t code_point) {
    char text[8];
    char* const end = text + sizeof text;
    char* p = end;
    auto value = static_cast<unsigned long>(code_point);
    do {
        *--p = hex_digits[value & 0x0F];
        value >>= 4;
    } while (value != 0);
    out.append(p, end);
}

inline void put_code_points(std::string& out, std::u32string_view code_points) {
    for (std::size_t i = 0; i < code_points.size(); ++i) {
        if (i > 0) out += ' ';
        put_code_point(out, code_points[i]);
    }
}

// Appends the bytes `text` writes. Throws Malformed.
inline void parse_bytes_into(std::string& out, std::string_view text) {
    if (text.size() % 2 != 0) throw Malformed{"an odd number of hex digits"};
    const std::size_t at = out.size();
    out.resize(at + text.size() / 2);
    char* p = out.data() + at;
    const char* t = text.data();
    for (std::size_t i = 0; i < text.size(); i += 2) {
        const int high = hex_values[static_cast<unsigned char>(t[i])];
        const int low = hex_values[static_cast<unsigned char>(t[i + 1])];
        if ((high | low) < 0) throw Malformed{"not a lowercase hex digit"};
        *p++ = static_cast<char>(high * 16 + low);
    }
}

// Appends the code points `text` writes. Throws Malformed.
inline void parse_code_points_into(std::u32string& out, std::string_view text) {
    const char* t = text.data();
    const std::size_t size = text.size();
    for (std::size_t i = 0; i < size;) {
        unsigned long value = 0;
        std::size_t k = i;
        for (; k < size && t[k] != ' '; ++k) {
            const int digit = hex_values[static_cast<unsigned char>(t[k])];
            if (digit < 0 || k - i == 8)
                throw Malformed{"a code point is 1 to 8 lowercase hex digits"};
            value = value * 16 + static_cast<unsigned long>(digit);
        }
        if (k == i || k + 1 == size) throw Malformed{"one space between two code points"};
        out += static_cast<char32_t>(value);
        i = k + 1;
    }
}

inline std::string parse_bytes(std::string_view text) {
    std::string out;
    parse_bytes_into(out, text);
    return out;
}

inline std::u32string parse_code_points(std::string_view text) {
    std::u32string out;
    out.reserve(text.size() / 2 + 1);
    parse_code_points_into(out, text);
    return out;
}

// A number written in decimal.
inline std::size_t parse_count(std::string_view text) {
    if (text.empty() || text.size() > 19) throw Malformed{"not a count"};
    std::size_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') throw Malformed{"not a count"};
        value = value * 10 + static_cast<std::size_t>(c - '0');
    }
    return value;
}

}  // namespace wire
