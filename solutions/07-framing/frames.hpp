// frames: messages out of a byte stream by their length (lesson 07).
//
// A frame is 4 bytes, the payload's size as an unsigned 32-bit number in network byte order
// (big-endian: htonl, ntohl), then the payload, any bytes at all:
//
//     "hello"  ->  00 00 00 05 68 65 6c 6c 6f
//     ""       ->  00 00 00 00
//
// The decoder is incremental: it takes the stream's bytes as they arrive, in pieces of any size,
// and hands out each frame as soon as its last byte is there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace framing {

// The largest payload this workbook's frames may carry: 1 MiB.
inline constexpr std::size_t max_payload = 1 << 20;

// A length prefix (or a payload to encode) over max_payload.
class FrameTooLarge : public std::length_error {
  public:
    explicit FrameTooLarge(std::uint64_t length)
        : std::length_error("frame of " + std::to_string(length) + " bytes refused: at most " +
                            std::to_string(max_payload)),
          length_(length) {}
    std::uint64_t length() const noexcept { return length_; }

  private:
    std::uint64_t length_;
};

// The frame of `payload`: its size in 4 bytes, big-endian, then the payload. Throws FrameTooLarge
// if the payload is longer than max_payload.
std::string encode_frame(std::string_view payload);

class FrameDecoder {
  public:
    // Takes the next bytes of the stream. Returns the payloads of the frames they complete, in
    // order (none, one or many). Keeps the bytes of an incomplete frame for the next call.
    // Throws FrameTooLarge as soon as a length prefix announces more than max_payload bytes,
    // before it waits for them, and without allocating memory for them.
    std::vector<std::string> feed(std::string_view bytes);

    // How many bytes of an incomplete frame it holds (0 between frames).
    std::size_t pending() const noexcept { return buffer_.size(); }

  private:
    std::string buffer_;  // the bytes received of the next frame
};

}  // namespace framing
