// How lesson 04's driver prints a thread's name, and how its tests show one: readable, in double
// quotes, as it is ("compteurs-éé"), except a backslash before `"` and before a backslash, and \xNN
// for each byte that is not part of a printable UTF-8 character (a name that ends in half an é
// shows as "compteurs-é\xc3"). The driver and the tests include this one header, so that they
// print a name the same way.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace printed_name {

// Length of the printable UTF-8 character at bytes[at]; 0 for a byte that does not start one (a
// continuation byte 10xxxxxx, a character cut short, a control character).
inline std::size_t printable_character(std::string_view bytes, std::size_t at) {
    const auto lead = static_cast<unsigned char>(bytes[at]);
    if (lead < 0x80) return lead >= 0x20 && lead != 0x7f ? 1 : 0;
    const std::size_t n = lead >= 0xC2 && lead < 0xE0   ? 2
                          : lead >= 0xE0 && lead < 0xF0 ? 3
                          : lead >= 0xF0 && lead < 0xF5 ? 4
                                                        : 0;
    if (n == 0 || at + n > bytes.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        if ((static_cast<unsigned char>(bytes[at + k]) & 0xC0) != 0x80) return 0;
    }
    return n;
}

inline std::string in_quotes(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out = "\"";
    for (std::size_t i = 0; i < bytes.size();) {
        const char c = bytes[i];
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
            ++i;
        } else if (const std::size_t n = printable_character(bytes, i); n > 0) {
            out.append(bytes.substr(i, n));
            i += n;
        } else {
            const auto byte = static_cast<unsigned char>(c);
            out += "\\x";
            out += digits[byte >> 4];
            out += digits[byte & 0xF];
            ++i;
        }
    }
    return out + '"';
}

}  // namespace printed_name
