// lines: a byte stream cut into lines, and the line server's answer to each (lesson 07).
//
// A line is the bytes up to a '\n', without it; a '\r' just before the '\n' is dropped too, so that
// "hello\r\n" (what Windows' tools and many protocols send) and "hello\n" are the same line.
//
//     framing::LineSplitter splitter;
//     splitter.feed("Salut le ser");          // {}: no line is complete yet
//     splitter.feed("veur !\nsecond\nthi");   // {"Salut le serveur !", "second"}
//     splitter.rest();                        // "thi": the start of the next line
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace framing {

// The longest line, in bytes, not counting its '\n' (a '\r' before the '\n' counts).
inline constexpr std::size_t max_line = 1024;

// Thrown by LineSplitter::feed when a line grows longer than max_line: as soon as more than
// max_line bytes have come without a '\n', not when the '\n' arrives (it may never come).
class LineTooLong : public std::length_error {
  public:
    LineTooLong() : std::length_error("line longer than " + std::to_string(max_line) + " bytes") {}
};

// Cuts a stream of bytes into lines, however the bytes arrive: a line may come in many pieces, and
// one piece may hold many lines.
class LineSplitter {
  public:
    // Takes the next bytes of the stream. Returns the lines they complete, in order, each without
    // its '\n' (and without a '\r' just before it). Keeps the bytes after the last '\n' for the
    // next call. Throws LineTooLong when the line being read is longer than max_line.
    std::vector<std::string> feed(std::string_view bytes);

    // The bytes received after the last '\n': at end of file, a last line without its '\n'.
    const std::string& rest() const noexcept { return buffer_; }

  private:
    std::string buffer_;  // the bytes of the line being read
};

// The line server's answer to one line (without the '\n' it sends after it):
//   "N characters, M bytes"   N: the code points of the line read as UTF-8 (Python's len(str)),
//                             M: its bytes (Python's len(bytes));
//   "error: WHAT"             when the line is not UTF-8: WHAT is the Utf8Error's what() from
//                             lesson 01, "can't decode byte 0xff in position 2: invalid start
//                             byte".
std::string describe_line(std::string_view line);

}  // namespace framing
