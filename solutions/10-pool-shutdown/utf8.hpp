// Lesson 01-bytes: text and bytes, UTF-8 by hand.
//
// This header is the contract of the lesson: what each function must do, and the errors it throws.
// It is already complete and is the same in starter/ and solutions/. You write the four functions
// in utf8.cpp. lessons/01-bytes/README.md explains every line, with Python side by side.
//
// Words used below:
//   byte        one char of a std::string (8 bits). A socket sends and receives bytes.
//   code point  one char32_t of a std::u32string: the number Unicode gives a character,
//               written U+00E9 for é. Python's str is a sequence of code points.
#pragma once

#include <cstddef>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>

namespace bytes {

// Python: "Message reçu".encode()  ->  b'Message re\xc3\xa7u'
// Encodes each code point as 1 to 4 bytes of UTF-8. Throws Utf8Error for a surrogate
// (U+D800..U+DFFF) or a value above U+10FFFF: neither is a character, so neither has a UTF-8 form.
std::string encode_utf8(std::u32string_view code_points);

// Python: b'Message re\xc3\xa7u'.decode()  ->  'Message reçu'
// Decodes UTF-8 bytes into code points. Throws Utf8Error at the first malformed sequence.
std::u32string decode_utf8(std::string_view data);

// Python: len(data.decode())
// The number of code points in UTF-8 bytes ("Message reçu": 12, though it is 13 bytes). Throws the
// same Utf8Error as decode_utf8 when the bytes are not valid UTF-8.
std::size_t count_code_points(std::string_view data);

// Python: data.hex(" ")  ->  '4d 65 73 73 61 67 65 20 72 65 c3 a7 75'
// Every byte as two lowercase hex digits, separated by single spaces. Empty input gives "".
std::string hex_dump(std::string_view data);

// ---- Errors: already written, nothing to do here ----------------------------------------------

// Why a conversion failed, word for word. decode_utf8 uses all six, encode_utf8 the last two.
// The first three are Python's own words; the README says where Python words it differently.
namespace reason {
inline constexpr std::string_view unexpected_end = "unexpected end of data";
inline constexpr std::string_view invalid_start = "invalid start byte";
inline constexpr std::string_view invalid_continuation = "invalid continuation byte";
inline constexpr std::string_view overlong = "overlong encoding";
inline constexpr std::string_view surrogate = "surrogates not allowed";
inline constexpr std::string_view too_large = "code point above U+10FFFF";
}  // namespace reason

// The error of both directions, like Python's UnicodeDecodeError and UnicodeEncodeError.
// position() is where the problem starts:
//   decoding: the index of the first byte of the sequence that could not be decoded;
//   encoding: the index of the code point that could not be encoded.
// what() reads like Python's message (Python puts "'utf-8' codec " in front):
//   can't decode byte 0xc3 in position 10: unexpected end of data
//   can't encode character U+D800 in position 1: surrogates not allowed
class Utf8Error : public std::runtime_error {
  public:
    // Decoding: throw Utf8Error(data, position, reason::invalid_start);
    Utf8Error(std::string_view data, std::size_t position, std::string_view why)
        : std::runtime_error(message(position < data.size()
                                         ? "decode byte " + byte_name(data[position])
                                         : "decode past the end of the bytes",
                                     position, why)),
          position_(position),
          reason_(why) {}

    // Encoding: throw Utf8Error(code_points, position, reason::surrogate);
    Utf8Error(std::u32string_view code_points, std::size_t position, std::string_view why)
        : std::runtime_error(
              message(position < code_points.size()
                          ? "encode character " + code_point_name(code_points[position])
                          : "encode past the end of the code points",
                      position, why)),
          position_(position),
          reason_(why) {}

    std::size_t position() const { return position_; }
    const std::string& reason() const { return reason_; }

  private:
    // Both messages have Python's shape. A position past the end of the input is a bug in the
    // caller: the message says so rather than read a byte that is not there.
    static std::string message(const std::string& what, std::size_t position,
                               std::string_view why) {
        return "can't " + what + " in position " + std::to_string(position) + ": " +
               std::string(why);
    }
    // "0xc3", as Python writes a byte in its messages.
    static std::string byte_name(char byte) {
        char text[8];
        std::snprintf(text, sizeof text, "0x%02x", static_cast<unsigned char>(byte));
        return text;
    }
    // "U+D800", as Unicode writes a code point: at least four uppercase hex digits.
    static std::string code_point_name(char32_t code_point) {
        char text[16];
        std::snprintf(text, sizeof text, "U+%04lX", static_cast<unsigned long>(code_point));
        return text;
    }

    std::size_t position_;
    std::string reason_;
};

}  // namespace bytes
