// Lesson 01-bytes: UTF-8 by hand.
//
// The four functions below turn code points into UTF-8 bytes and back, count code points and show
// bytes in hex. Their contract is in utf8.hpp; lessons/01-bytes/README.md explains it, with the bit
// patterns of UTF-8 and a diagram of the decoder's decisions. In starter/ each body is a TODO.
//
// Check your work:   ./workbook test 01        Stuck?   ./workbook hint 01
#include "utf8.hpp"

namespace bytes {

std::string encode_utf8(std::u32string_view code_points) {
    std::string out;
    for (std::size_t i = 0; i < code_points.size(); ++i) {
        const char32_t cp = code_points[i];
        if (cp >= 0xD800 && cp <= 0xDFFF) throw Utf8Error(code_points, i, reason::surrogate);
        if (cp > 0x10FFFF) throw Utf8Error(code_points, i, reason::too_large);

        if (cp < 0x80) {  // 0xxxxxxx: ASCII is its own byte.
            out += static_cast<char>(cp);
            continue;
        }
        // How many bytes, and the marker bits of the lead byte (the README's table).
        const int length = cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        const char32_t marker = length == 2 ? 0xC0 : length == 3 ? 0xE0 : 0xF0;
        // The lead byte carries the highest bits; each continuation byte 10xxxxxx carries six more,
        // from the highest to the lowest. Storing 0x80..0xFF in a char is fine: only reading it
        // back needs care (see decode_utf8).
        out += static_cast<char>(marker | (cp >> (6 * (length - 1))));
        for (int shift = 6 * (length - 2); shift >= 0; shift -= 6) {
            out += static_cast<char>(0x80 | ((cp >> shift) & 0x3F));
        }
    }
    return out;
}

std::u32string decode_utf8(std::string_view data) {
    std::u32string out;
    std::size_t i = 0;
    while (i < data.size()) {
        const std::size_t start = i;  // errors point at the first byte of the sequence
        // char is signed on x86 Linux: byte 0xC3 would read as -61 and compare below 0x80.
        // Look at bytes as unsigned char, 0 to 255.
        const auto lead = static_cast<unsigned char>(data[i++]);

        // The lead byte says how many bytes follow, and gives the top bits of the code point.
        // 0x80..0xBF are continuation bytes, 0xC0 and 0xC1 could only start an overlong form of
        // ASCII, 0xF5..0xFF would start a value above U+10FFFF: none of them may start a sequence.
        std::size_t length = 0;  // bytes in this sequence
        char32_t cp = 0;         // the code point, six bits at a time
        if (lead < 0x80) {       // 0xxxxxxx
            length = 1;
            cp = lead;
        } else if (lead >= 0xC2 && lead <= 0xDF) {  // 110xxxxx
            length = 2;
            cp = lead & 0x1F;
        } else if (lead >= 0xE0 && lead <= 0xEF) {  // 1110xxxx
            length = 3;
            cp = lead & 0x0F;
        } else if (lead >= 0xF0 && lead <= 0xF4) {  // 11110xxx
            length = 4;
            cp = lead & 0x07;
        } else {
            throw Utf8Error(data, start, reason::invalid_start);
        }

        // Each following byte must be there and look like 10xxxxxx; it adds six bits.
        for (std::size_t k = 1; k < length; ++k, ++i) {
            if (i == data.size()) throw Utf8Error(data, start, reason::unexpected_end);
            const auto byte = static_cast<unsigned char>(data[i]);
            if ((byte & 0xC0) != 0x80) throw Utf8Error(data, start, reason::invalid_continuation);
            cp = (cp << 6) | (byte & 0x3F);
        }

        // Well-formed bits can still give a value UTF-8 forbids. An overlong form (a value that
        // fits in fewer bytes) would let "/" or NUL slip past a filter that looks for their one
        // true form, so it is an error, not a curiosity.
        constexpr char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};  // by length
        if (cp < smallest[length]) throw Utf8Error(data, start, reason::overlong);
        if (cp >= 0xD800 && cp <= 0xDFFF) throw Utf8Error(data, start, reason::surrogate);
        if (cp > 0x10FFFF) throw Utf8Error(data, start, reason::too_large);
        out += cp;
    }
    return out;
}

std::size_t count_code_points(std::string_view data) {
    // Decoding checks every byte, so malformed input throws exactly as in decode_utf8.
    return decode_utf8(data).size();
}

std::string hex_dump(std::string_view data) {
    constexpr std::string_view digits = "0123456789abcdef";
    std::string out;
    for (const char c : data) {
        const auto byte = static_cast<unsigned char>(c);  // 0xff, not -1
        if (!out.empty()) out += ' ';
        out += digits[byte >> 4];    // high four bits
        out += digits[byte & 0x0F];  // low four bits
    }
    return out;
}

}  // namespace bytes
