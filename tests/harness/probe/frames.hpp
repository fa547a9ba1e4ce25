// Length-prefixed frames, on top of a Connection: each frame is a 4-byte length in network byte
// order (big-endian), then that many bytes of payload. A protocol of the coming lessons, and the
// usual answer to "TCP is a stream of bytes: where does a message end?".
//
// It promises: receive_frame() reads exactly one frame, however the bytes were split by the
// sender or the network, with one deadline for the whole frame; it takes the bytes after the last
// ones a reader with a cursor took (receive_exactly, receive_line ...), so frames and other reads
// can follow each other on one connection; a failure says what arrived of the frame and why the
// rest did not (the connection closed, a reset, the deadline, a length over the limit); each frame
// received is a transcript entry. Implemented in frames.cpp.
//
//     connection.send(probe::frame("hello"));              // "\x00\x00\x00\x05hello"
//     CHECK(probe::receive_frame(connection) == "HELLO");
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "probe/common.hpp"
#include "probe/tcp.hpp"

namespace probe {

// The frame of `payload`: its size in 4 bytes, big-endian, then the payload. Throws
// std::invalid_argument for a payload of 4 GiB or more (its size does not fit in the prefix).
std::string frame(std::string_view payload);

// Reads one frame and returns its payload. Throws Failure if the whole frame has not arrived at
// the deadline, or the connection ends first (saying how many of the prefix's or the payload's
// bytes arrived, and which), or the length prefix announces more than `max_payload` bytes (at
// once, without waiting for them).
std::string receive_frame(Connection& connection, milliseconds deadline = step_deadline(),
                          std::size_t max_payload = 1 << 20);

}  // namespace probe
