// Frames (frames.hpp): the 4-byte big-endian length, then the payload.
#include "frames.hpp"

#include <arpa/inet.h>  // htonl, ntohl

#include <cstring>

namespace framing {

std::string encode_frame(std::string_view payload) {
    if (payload.size() > max_payload) throw FrameTooLarge(payload.size());
    const std::uint32_t length = htonl(static_cast<std::uint32_t>(payload.size()));
    std::string frame(sizeof length, '\0');
    std::memcpy(frame.data(), &length, sizeof length);
    frame.append(payload);
    return frame;
}

std::vector<std::string> FrameDecoder::feed(std::string_view bytes) {
    buffer_.append(bytes);
    std::vector<std::string> payloads;
    std::size_t at = 0;  // where the next frame starts in buffer_
    while (buffer_.size() - at >= 4) {
        std::uint32_t length = 0;
        std::memcpy(&length, buffer_.data() + at, sizeof length);
        length = ntohl(length);
        if (length > max_payload) throw FrameTooLarge(length);
        if (buffer_.size() - at - 4 < length) break;  // the payload is not all here yet
        payloads.emplace_back(buffer_, at + 4, length);
        at += 4 + length;
    }
    buffer_.erase(0, at);
    return payloads;
}

}  // namespace framing
