// The tests of lesson 01-bytes, UTF-8 by hand. Read them as a second specification.
//
// Bytes are written in hex as Python's data.hex(" ") writes them: "c3 a9"_hex is the two bytes
// 0xC3 0xA9, Python's b'\xc3\xa9'. Code points are written as Unicode tables write them: U+00E9.
// The helpers that show them are the tests' own and never call your hex_dump, so that a bug there
// cannot hide a bug elsewhere.
//
// Your functions do not run inside this program: remote.hpp sends each call to the lesson's driver
// (your utf8.cpp with tests/01-bytes/driver/driver.cpp, a program of its own) and brings back what
// it returned or threw. So a crash, an endless loop or an exit() in your code fails the test case
// that called it, with a sentence that says so.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "remote.hpp"

using bytes::Utf8Error;
namespace reason = bytes::reason;

namespace {

// ---- How the tests write and show bytes and code points ---------------------------------------

// from_hex("c3 a9"): the bytes written in hex, two digits each, separated by spaces.
std::string from_hex(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i + 1 < text.size(); i += 3) {
        out += static_cast<char>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16));
    }
    return out;
}

// "c3 a9"_hex is from_hex("c3 a9"), shorter to read.
std::string operator""_hex(const char* text, std::size_t size) {
    return from_hex({text, size});
}

// The other way round, to show bytes in messages: "c3 a9" (and "(no bytes)" for none).
std::string hex(std::string_view data) {
    if (data.empty()) return "(no bytes)";
    std::string out;
    for (const char c : data) {
        char digits[4];
        std::snprintf(digits, sizeof digits, "%02x", static_cast<unsigned char>(c));
        if (!out.empty()) out += ' ';
        out += digits;
    }
    return out;
}

// "U+004D U+00E9" (and "(no code points)" for none).
std::string code_points(std::u32string_view text) {
    if (text.empty()) return "(no code points)";
    std::string out;
    for (const char32_t cp : text) {
        char name[16];
        std::snprintf(name, sizeof name, "U+%04lX", static_cast<unsigned long>(cp));
        if (!out.empty()) out += ' ';
        out += name;
    }
    return out;
}

// ---- The checks the test cases share ----------------------------------------------------------

// encode_utf8(text) gives exactly the bytes `expected`.
void check_encodes(std::u32string_view text, const std::string& expected) {
    INFO("encode_utf8(" << code_points(text) << ") should give the bytes " << hex(expected));
    const std::string encoded = bytes::encode_utf8(text);  // an exception ends the test case
    CHECK(hex(encoded) == hex(expected));
}

// decode_utf8(data) gives exactly the code points `expected`.
void check_decodes(const std::string& data, std::u32string_view expected) {
    INFO("decode_utf8 of the bytes " << hex(data) << " should give " << code_points(expected));
    const std::u32string decoded = bytes::decode_utf8(data);  // an exception ends the test case
    CHECK(code_points(decoded) == code_points(expected));
}

// encode_utf8(text) throws Utf8Error(text, position, why).
void check_encode_refuses(std::u32string_view text, std::size_t position, std::string_view why) {
    INFO("encode_utf8(" << code_points(text) << ") should throw Utf8Error: \"" << why
                        << "\" at position " << position << " (counted in code points)");
    try {
        const std::string encoded = bytes::encode_utf8(text);
        FAIL_CHECK("but it returned the bytes " << hex(encoded));
    } catch (const Utf8Error& error) {
        CHECK(error.reason() == std::string(why));
        CHECK(error.position() == position);
    }
}

// decode_utf8(data) throws Utf8Error(data, position, why).
void check_decode_refuses(const std::string& data, std::size_t position, std::string_view why) {
    INFO("decode_utf8 of the bytes " << hex(data) << " should throw Utf8Error: \"" << why
                                     << "\" at position " << position
                                     << " (counted in bytes, from 0: the first byte of the "
                                        "sequence that cannot be decoded)");
    try {
        const std::u32string decoded = bytes::decode_utf8(data);
        FAIL_CHECK("but it returned " << code_points(decoded));
    } catch (const Utf8Error& error) {
        CHECK(error.reason() == std::string(why));
        CHECK(error.position() == position);
    }
}

// The first and the last code point of each length, and the neighbours of the surrogates.
struct Example {
    char32_t code_point;
    const char* utf8;  // in hex
};
constexpr Example edges[] = {
    {0x0000, "00"},             // the smallest: NUL is a character like any other
    {0x007F, "7f"},             // the last one-byte code point
    {0x0080, "c2 80"},          // the first two-byte code point
    {0x07FF, "df bf"},          // the last two-byte code point
    {0x0800, "e0 a0 80"},       // the first three-byte code point
    {0xD7FF, "ed 9f bf"},       // just below the surrogates
    {0xE000, "ee 80 80"},       // just above the surrogates
    {0xFFFF, "ef bf bf"},       // the last three-byte code point
    {0x10000, "f0 90 80 80"},   // the first four-byte code point
    {0x10FFFF, "f4 8f bf bf"},  // the last code point of all
};

// How many bytes UTF-8 takes for `cp`: the README's table.
std::size_t utf8_length(char32_t cp) {
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

}  // namespace

// ---- encode_utf8 ------------------------------------------------------------------------------

TEST_CASE("encode_utf8: an ASCII code point is one byte of the same value",
          "[encode][pts=1][id=encode-utf8-ascii-code-point]") {
    check_encodes(U"Salut", "53 61 6c 75 74"_hex);
    check_encodes(U"\n", "0a"_hex);
    check_encodes(U"", ""_hex);
    // A C++ string literal of ASCII text already holds exactly those bytes.
    check_encodes(U"Salut le serveur !", "Salut le serveur !");
}

TEST_CASE("encode_utf8: é (U+00E9) is two bytes: c3 a9",
          "[encode][pts=1][id=encode-utf8-u-00e9-two]") {
    check_encodes(U"\u00e9", "c3 a9"_hex);
    check_encodes(U"\u00e7", "c3 a7"_hex);  // ç, the one of "reçu"
}

TEST_CASE("encode_utf8: € (U+20AC) is three bytes: e2 82 ac",
          "[encode][pts=1][id=encode-utf8-u-20ac-three]") {
    check_encodes(U"\u20ac", "e2 82 ac"_hex);
}

TEST_CASE("encode_utf8: 😀 (U+1F600) is four bytes: f0 9f 98 80",
          "[encode][pts=1][id=encode-utf8-u-1f600-four]") {
    check_encodes(U"\U0001F600", "f0 9f 98 80"_hex);
}

TEST_CASE("encode_utf8: the first and last code point of each length",
          "[encode][pts=2][id=encode-utf8-first-last-code]") {
    for (const Example& example : edges) {
        check_encodes(std::u32string(1, example.code_point), from_hex(example.utf8));
    }
}

TEST_CASE("encode_utf8: \"Message reçu\" is 12 code points and 13 bytes",
          "[encode][pts=1][id=encode-utf8-message-re-u]") {
    // Python: "Message reçu".encode()  ->  b'Message re\xc3\xa7u'
    const std::u32string text = U"Message reçu";
    REQUIRE(text.size() == 12);
    check_encodes(text, "Message re" + "c3 a7"_hex + "u");
    // g++ stores a string literal as UTF-8 bytes: your encoder must agree with the compiler.
    check_encodes(text, "Message reçu");
}

TEST_CASE("encode_utf8: several code points in a row are encoded one after the other",
          "[encode][pts=1][id=encode-utf8-several-code-points]") {
    check_encodes(U"a\u00e9\u20ac\U0001F600z", "61 c3 a9 e2 82 ac f0 9f 98 80 7a"_hex);
}

TEST_CASE("encode_utf8: surrogates U+D800..U+DFFF are refused",
          "[encode][errors][pts=1][id=encode-utf8-surrogates-u-d800]") {
    // Python: "a\ud800".encode()  ->  UnicodeEncodeError: ... in position 1: surrogates not allowed
    check_encode_refuses(U"a\xD800", 1, reason::surrogate);
    check_encode_refuses(U"\xDBFF", 0, reason::surrogate);
    check_encode_refuses(U"\xDC00", 0, reason::surrogate);
    check_encode_refuses(U"ok \xDFFF", 3, reason::surrogate);
}

TEST_CASE("encode_utf8: values above U+10FFFF are refused",
          "[encode][errors][pts=1][id=encode-utf8-values-above-u]") {
    check_encode_refuses(U"\x110000", 0, reason::too_large);
    check_encode_refuses(U"ab\x1FFFFF", 2, reason::too_large);
    check_encode_refuses(U"\xFFFFFFFF", 0, reason::too_large);
}

// ---- decode_utf8 ------------------------------------------------------------------------------

TEST_CASE("decode_utf8: each ASCII byte is one code point",
          "[decode][pts=1][id=decode-utf8-ascii-byte-code]") {
    check_decodes("Salut", U"Salut");
    check_decodes("", U"");
    // A NUL byte in the middle is data like any other (std::string_view knows its size).
    check_decodes(std::string("a\0b", 3), std::u32string(U"a\0b", 3));
}

TEST_CASE("decode_utf8: sequences of two to four bytes",
          "[decode][pts=1][id=decode-utf8-sequences-two-four]") {
    check_decodes("c3 a9"_hex, U"\u00e9");
    check_decodes("e2 82 ac"_hex, U"\u20ac");
    check_decodes("f0 9f 98 80"_hex, U"\U0001F600");
    check_decodes("61 c3 a9 e2 82 ac f0 9f 98 80 7a"_hex, U"a\u00e9\u20ac\U0001F600z");
}

TEST_CASE("decode_utf8: the first and last code point of each length",
          "[decode][pts=1][id=decode-utf8-first-last-code]") {
    for (const Example& example : edges) {
        check_decodes(from_hex(example.utf8), std::u32string(1, example.code_point));
    }
}

TEST_CASE("decode_utf8: the 13 bytes of \"Message reçu\" are 12 code points",
          "[decode][pts=1][id=decode-utf8-13-bytes-message]") {
    // Python: b'Message re\xc3\xa7u'.decode()  ->  'Message reçu'
    check_decodes("Message reçu", U"Message reçu");
}

TEST_CASE("Round trip: every code point survives encode_utf8 then decode_utf8",
          "[decode][encode][pts=2][id=round-trip-code-point-survives]") {
    // One code point at a time, all 1,112,064 of them: the first one that goes wrong is shown.
    // Each is encoded, then decoded, on its own; the calls go to your code a plane (65,536 code
    // points) at a time, in two requests (remote.hpp's encode_each and decode_each), so that two
    // million calls take a fraction of a second.
    std::u32string all;
    for (char32_t plane = 0; plane <= 0x10FFFF; plane += 0x10000) {
        std::u32string these;
        for (char32_t cp = plane; cp < plane + 0x10000; ++cp) {
            if (cp == 0xD800) cp = 0xE000;  // surrogates have no UTF-8 form
            these += cp;
        }
        const auto encoded = bytes::remote::encode_each(these);
        // Decoded up to the first code point encode_utf8 refused: that one ends the test case
        // below, in its turn.
        std::vector<std::string_view> to_decode;
        to_decode.reserve(encoded.size());
        for (std::size_t i = 0; i < encoded.size() && !encoded.threw(i); ++i)
            to_decode.push_back(encoded.get(i));
        const auto decoded_each = bytes::remote::decode_each(to_decode);
        for (std::size_t i = 0; i < these.size(); ++i) {
            const char32_t cp = these[i];
            const std::u32string one(1, cp);
            const std::string_view encoded_one = encoded.get(i);  // an exception ends the test case
            std::u32string_view decoded;
            try {
                decoded = decoded_each.get(i);
            } catch (const Utf8Error& error) {
                FAIL("encode_utf8(" << code_points(one) << ") gave the bytes " << hex(encoded_one)
                                    << ", and decode_utf8 of them threw: " << error.what());
            }
            if (encoded_one.size() != utf8_length(cp) || decoded != one) {
                INFO("encode_utf8(" << code_points(one) << ") gave the bytes " << hex(encoded_one)
                                    << " (the README's table says " << utf8_length(cp)
                                    << " byte(s)), and decode_utf8 of them gave "
                                    << code_points(decoded));
                CHECK(encoded_one.size() == utf8_length(cp));
                CHECK(code_points(decoded) == code_points(one));
                return;
            }
        }
        all += these;
    }
    // And all of them in one string, to check that your loops move on by the right amount.
    INFO("encoding all the code points from U+0000 to U+10FFFF in one string, then decoding it");
    const std::string encoded = bytes::encode_utf8(all);
    CHECK(encoded.size() == 4'382'592);  // 128*1 + 1920*2 + 61440*3 + 1048576*4 bytes
    const std::u32string decoded = bytes::decode_utf8(encoded);
    CHECK(decoded.size() == all.size());
    CHECK((decoded == all));
}

// ---- decode_utf8 on malformed bytes -----------------------------------------------------------

TEST_CASE("decode_utf8: a sequence cut short is \"unexpected end of data\"",
          "[decode][errors][pts=1][id=decode-utf8-sequence-cut-short]") {
    // Python: b'Message re\xc3'.decode()  ->  ... in position 10: unexpected end of data
    check_decode_refuses("Message re" + "c3"_hex, 10, reason::unexpected_end);
    check_decode_refuses("c3"_hex, 0, reason::unexpected_end);
    check_decode_refuses("e2 82"_hex, 0, reason::unexpected_end);
    check_decode_refuses("f0 9f 98"_hex, 0, reason::unexpected_end);
    check_decode_refuses("41 f0"_hex, 1, reason::unexpected_end);
}

TEST_CASE("decode_utf8: e0 80 at the very end is \"unexpected end of data\", not overlong",
          "[decode][errors][pts=1][id=decode-utf8-e0-80-very]") {
    INFO(
        "the checks come in order (lead byte, then each byte that should follow: is it there, "
        "is it 10xxxxxx; then the value): a missing byte is found before the value is ever "
        "complete enough to be overlong, a surrogate or too large");
    check_decode_refuses("e0 80"_hex, 0, reason::unexpected_end);     // would be overlong
    check_decode_refuses("f0 80 80"_hex, 0, reason::unexpected_end);  // would be overlong
    check_decode_refuses("ed a0"_hex, 0, reason::unexpected_end);     // would be a surrogate
    check_decode_refuses("f4 90 80"_hex, 0, reason::unexpected_end);  // would be too large
    check_decode_refuses("41 e0 80"_hex, 1, reason::unexpected_end);
}

TEST_CASE("decode_utf8: a continuation byte 10xxxxxx cannot start a sequence",
          "[decode][errors][pts=1][id=decode-utf8-continuation-byte-10xxxxxx]") {
    check_decode_refuses("80"_hex, 0, reason::invalid_start);
    check_decode_refuses("bf"_hex, 0, reason::invalid_start);
    check_decode_refuses("41 a7"_hex, 1, reason::invalid_start);
    // One continuation byte too many: c3 a7 is the whole of ç, the next a7 is alone.
    check_decode_refuses("c3 a7 a7"_hex, 2, reason::invalid_start);
}

TEST_CASE("decode_utf8: bytes c0 c1 and f5..ff never appear in UTF-8",
          "[decode][errors][pts=1][id=decode-utf8-bytes-c0-c1]") {
    INFO(
        "c0 and c1 could only start an overlong form of ASCII, and f5..ff a value above U+10FFFF:"
        " such a byte is refused as soon as it is read, before any byte that follows it");
    check_decode_refuses("c0 80"_hex, 0, reason::invalid_start);
    check_decode_refuses("c1 bf"_hex, 0, reason::invalid_start);
    check_decode_refuses("f5 80 80 80"_hex, 0, reason::invalid_start);
    for (int byte = 0xf5; byte <= 0xff; ++byte) {
        check_decode_refuses("ok" + std::string(1, static_cast<char>(byte)), 2,
                             reason::invalid_start);
    }
}

TEST_CASE("decode_utf8: a lead byte must be followed by continuation bytes 10xxxxxx",
          "[decode][errors][pts=1][id=decode-utf8-lead-byte-must]") {
    check_decode_refuses("c3 41"_hex, 0, reason::invalid_continuation);
    check_decode_refuses("e2 82 41"_hex, 0, reason::invalid_continuation);
    check_decode_refuses("f0 9f 98 41"_hex, 0, reason::invalid_continuation);
    check_decode_refuses("c3 c3 a7"_hex, 0, reason::invalid_continuation);  // a new lead byte
    // The wrong byte is there, so this is not an "unexpected end of data" (Python agrees).
    check_decode_refuses("e2 41"_hex, 0, reason::invalid_continuation);
    check_decode_refuses("Salut \xc3 !", 6, reason::invalid_continuation);
}

TEST_CASE("decode_utf8: a value written with more bytes than it needs is an overlong encoding",
          "[decode][errors][pts=1][id=decode-utf8-value-written-more]") {
    // (Two-byte overlong forms start with c0 or c1: the test case above.)
    check_decode_refuses("e0 80 80"_hex, 0, reason::overlong);     // U+0000 in three bytes
    check_decode_refuses("e0 80 af"_hex, 0, reason::overlong);     // U+002F '/' in three bytes
    check_decode_refuses("e0 9f bf"_hex, 0, reason::overlong);     // U+07FF in three bytes
    check_decode_refuses("f0 80 80 80"_hex, 0, reason::overlong);  // U+0000 in four bytes
    check_decode_refuses("f0 8f bf bf"_hex, 0, reason::overlong);  // U+FFFF in four bytes
    check_decode_refuses("41 42 e0 80 80"_hex, 2, reason::overlong);
}

TEST_CASE("decode_utf8: encoded surrogates U+D800..U+DFFF are refused",
          "[decode][errors][pts=1][id=decode-utf8-encoded-surrogates-u]") {
    check_decode_refuses("ed a0 80"_hex, 0, reason::surrogate);  // U+D800
    check_decode_refuses("ed bf bf"_hex, 0, reason::surrogate);  // U+DFFF
    // A UTF-16 surrogate pair encoded byte for byte (CESU-8) is not UTF-8 either.
    check_decode_refuses("41 ed a0 bd ed b8 80"_hex, 1, reason::surrogate);
}

TEST_CASE("decode_utf8: values above U+10FFFF are refused",
          "[decode][errors][pts=1][id=decode-utf8-values-above-u]") {
    check_decode_refuses("f4 90 80 80"_hex, 0, reason::too_large);  // U+110000
    check_decode_refuses("f4 bf bf bf"_hex, 0, reason::too_large);  // U+13FFFF
    check_decode_refuses("7a f4 90 80 80"_hex, 1, reason::too_large);
}

TEST_CASE("decode_utf8: the first error is reported with a message like Python's",
          "[decode][errors][pts=1][id=decode-utf8-first-error-reported]") {
    // Python: b'Message re\xc3'.decode() raises UnicodeDecodeError:
    //   'utf-8' codec can't decode byte 0xc3 in position 10: unexpected end of data
    const std::string data = "Message re\xc3";
    INFO("decode_utf8 of the bytes " << hex(data));
    try {
        bytes::decode_utf8(data);
        FAIL("decode_utf8 returned instead of throwing Utf8Error");
    } catch (const std::runtime_error& error) {  // Utf8Error is a std::runtime_error
        CHECK(std::string(error.what()) ==
              "can't decode byte 0xc3 in position 10: unexpected end of data");
    }
    // Two errors: the one that comes first in the bytes wins.
    check_decode_refuses("41 80 c3"_hex, 1, reason::invalid_start);
}

// ---- count_code_points ------------------------------------------------------------------------

TEST_CASE("count_code_points: characters are not bytes",
          "[count][pts=1][id=count-code-points-characters-bytes]") {
    // Python: len("Message reçu") == 12, len("Message reçu".encode()) == 13
    const std::string message = "Message reçu";
    INFO("the bytes of \"Message reçu\" are " << hex(message));
    REQUIRE(bytes::count_code_points(message) == 12);
    CHECK(message.size() == 13);  // while std::string::size() counts bytes
    CHECK(bytes::count_code_points("") == 0);
    CHECK(bytes::count_code_points("e2 82 ac f0 9f 98 80"_hex) == 2);  // 7 bytes
}

TEST_CASE("count_code_points: malformed bytes throw as decode_utf8 does",
          "[count][errors][pts=2][id=count-code-points-malformed-bytes]") {
    // One example of each of the six reasons, not at the start of the data: count_code_points
    // must find every one of them, at the same position, as decode_utf8 does.
    struct Malformed {
        std::string data;
        std::size_t position;
        std::string_view why;
    };
    const Malformed examples[] = {
        {"Message re" + "c3"_hex, 10, reason::unexpected_end},
        {"ab" + "e0 80"_hex, 2, reason::unexpected_end},
        {"ab" + "a7"_hex, 2, reason::invalid_start},
        {"ab" + "c0 80"_hex, 2, reason::invalid_start},
        {"ab" + "ff"_hex, 2, reason::invalid_start},
        {"ab" + "e2 82 41"_hex, 2, reason::invalid_continuation},
        {"ab" + "c3 c3 a7"_hex, 2, reason::invalid_continuation},
        {"ab" + "e0 80 af"_hex, 2, reason::overlong},
        {"ab" + "f0 8f bf bf"_hex, 2, reason::overlong},
        {"ab" + "ed a0 80"_hex, 2, reason::surrogate},
        {"ab" + "f4 90 80 80"_hex, 2, reason::too_large},
    };
    for (const Malformed& example : examples) {
        INFO("count_code_points of the bytes " << hex(example.data) << " should throw Utf8Error: \""
                                               << example.why << "\" at position "
                                               << example.position << ", as decode_utf8 does");
        try {
            const std::size_t count = bytes::count_code_points(example.data);
            FAIL_CHECK("but it returned " << count);
        } catch (const Utf8Error& error) {
            CHECK(error.reason() == std::string(example.why));
            CHECK(error.position() == example.position);
        }
    }
}

// ---- hex_dump ---------------------------------------------------------------------------------

TEST_CASE("hex_dump: two lowercase hex digits per byte and one space between bytes",
          "[hex][pts=1][id=hex-dump-two-lowercase-hex]") {
    // Python: "Message reçu".encode().hex(" ")  ->  '4d 65 73 73 61 67 65 20 72 65 c3 a7 75'
    REQUIRE(bytes::hex_dump("Message reçu") == "4d 65 73 73 61 67 65 20 72 65 c3 a7 75");
    CHECK(bytes::hex_dump("\n") == "0a");
    CHECK(bytes::hex_dump("") == "");
    CHECK(bytes::hex_dump(std::string(1, '\0')) == "00");
}

TEST_CASE("hex_dump: bytes 0x80..0xff are shown as they are and not as negative numbers",
          "[hex][pts=1][id=hex-dump-bytes-0x80-0xff]") {
    REQUIRE(bytes::hex_dump("\xff") == "ff");
    CHECK(bytes::hex_dump("\x80\x7f") == "80 7f");
    // All 256 bytes, in order: the tests' own hex() is the reference.
    std::string all;
    for (int byte = 0; byte < 256; ++byte) all += static_cast<char>(byte);
    CHECK(bytes::hex_dump(all) == hex(all));
}
