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
    // TODO: encode each code point of `code_points` as 1 to 4 bytes (the README's table) and
    // return all the bytes in one std::string.
    //   - Before encoding code_points[i], refuse what has no UTF-8 form:
    //       U+D800..U+DFFF   throw Utf8Error(code_points, i, reason::surrogate);
    //       above U+10FFFF   throw Utf8Error(code_points, i, reason::too_large);
    //   - Below 0x80 the byte is the code point itself: out += static_cast<char>(cp);
    //   - Otherwise a lead byte (110xxxxx, 1110xxxx or 11110xxx) then continuation bytes
    //     (10xxxxxx), each taking six bits: (cp >> shift) & 0x3F.
    // Then delete the two lines below.
    static_cast<void>(code_points);
    throw std::logic_error("TODO: encode_utf8 is not written yet (starter/01-bytes/utf8.cpp)");
}

std::u32string decode_utf8(std::string_view data) {
    // TODO: decode the UTF-8 bytes of `data` into code points, one sequence at a time.
    //   - Read each byte as unsigned char: static_cast<unsigned char>(data[i]).
    //   - The lead byte gives the length of the sequence (1 to 4) and its top bits. A byte that
    //     cannot start a sequence (0x80..0xBF, 0xC0, 0xC1, 0xF5..0xFF) is reason::invalid_start.
    //   - Each following byte must exist (else reason::unexpected_end) and be 10xxxxxx (else
    //     reason::invalid_continuation); it adds six bits: cp = (cp << 6) | (byte & 0x3F).
    //   - Then refuse an overlong form (reason::overlong), a surrogate (reason::surrogate) and a
    //     value above U+10FFFF (reason::too_large).
    //   - Every error is thrown at the first byte of its sequence:
    //       throw Utf8Error(data, start, reason::invalid_start);
    // Then delete the two lines below.
    static_cast<void>(data);
    throw std::logic_error("TODO: decode_utf8 is not written yet (starter/01-bytes/utf8.cpp)");
}

std::size_t count_code_points(std::string_view data) {
    // TODO: return how many code points the UTF-8 bytes of `data` hold ("Message reçu": 12,
    // though data.size() is 13). Malformed bytes throw the same Utf8Error as decode_utf8: you
    // have written a function that already checks them.
    // Then delete the two lines below.
    static_cast<void>(data);
    throw std::logic_error(
        "TODO: count_code_points is not written yet (starter/01-bytes/utf8.cpp)");
}

std::string hex_dump(std::string_view data) {
    // TODO: write every byte of `data` as two lowercase hex digits, separated by single spaces:
    // "Message reçu" gives "4d 65 73 73 61 67 65 20 72 65 c3 a7 75", empty input gives "".
    // Cast each char to unsigned char first, or 0xff prints as a negative number.
    // Then delete the two lines below.
    static_cast<void>(data);
    throw std::logic_error("TODO: hex_dump is not written yet (starter/01-bytes/utf8.cpp)");
}

}  // namespace bytes
