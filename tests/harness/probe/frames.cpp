// Length-prefixed frames (see frames.hpp), read with Connection's readers with a cursor; and
// receive_part (internal.hpp), the reader every protocol helper uses for a part of known size.
#include "probe/frames.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

#include <fmt/core.h>

#include "probe/internal.hpp"
#include "probe/transcript.hpp"

namespace probe {

using namespace detail;

std::string_view detail::without_name(const Failure& failure, const Connection& connection) {
    std::string_view message = failure.what();
    if (message.starts_with(connection.name() + ": ")) {
        message.remove_prefix(connection.name().size() + 2);
    }
    return message;
}

std::string detail::receive_part(Connection& connection, std::size_t n, std::string_view part,
                                 Clock::time_point until) {
    const std::string what = fmt::format("the {} bytes of {}", n, part);
    try {
        return connection.receive_exactly(n, what, std::max(until_now(until), milliseconds(0)));
    } catch (const Failure& failure) {
        // Nothing of it arrived: the reader's own sentence says all there is to say.
        const std::string_view arrived = connection.unread();
        if (arrived.empty()) throw;
        log(fmt::format("{}: only {} of {} arrived", connection.name(), arrived.size(), what));
        // The reader's sentence on why the rest did not come (end of file, a reset, the deadline),
        // without the connection's name, which this one starts with, and without the bytes its
        // last wait received, which may be fewer than those that arrived: they are quoted here.
        std::string_view cause = without_name(failure, connection);
        for (const std::string_view tail : {" Received before", "; received so far"})
            cause = cause.substr(0, cause.find(tail));
        throw Failure(fmt::format("{}: only {} of {} arrived ({}): {}", connection.name(),
                                  arrived.size(), what, detail::quoted(arrived), cause));
    }
}

std::string frame(std::string_view payload) {
    if (payload.size() > UINT32_MAX) {
        throw std::invalid_argument(fmt::format(
            "frame: a payload of {} bytes does not fit in a 4-byte length", payload.size()));
    }
    const auto n = static_cast<std::uint32_t>(payload.size());
    std::string bytes{static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                      static_cast<char>(n >> 8), static_cast<char>(n)};
    bytes += payload;
    return bytes;
}

std::string receive_frame(Connection& connection, milliseconds deadline, std::size_t max_payload) {
    const auto until = Clock::now() + deadline;
    const std::string prefix = receive_part(connection, 4, "a frame's length prefix", until);
    std::uint32_t length = 0;   // big-endian, as frame() writes it
    std::uint32_t swapped = 0;  // little-endian: what a sender without htonl() meant
    for (std::size_t i = 0; i < 4; ++i) {
        length = length << 8 | static_cast<unsigned char>(prefix[i]);
        swapped = swapped << 8 | static_cast<unsigned char>(prefix[3 - i]);
    }
    if (length > max_payload) {
        log(fmt::format("{}: a frame's length prefix {} says {} bytes, more than the {} allowed",
                        connection.name(), detail::quoted(prefix), length, max_payload));
        throw Failure(fmt::format(
            "{}: the length prefix says {} bytes, more than the {} allowed (its 4 bytes: {}). {}",
            connection.name(), length, max_payload, detail::quoted(prefix),
            swapped <= max_payload
                ? fmt::format("Read in the other byte order they say {}: was the length sent "
                              "without htonl(), in the machine's order instead of big-endian?",
                              swapped)
                : "Is the prefix the payload's size in 4 bytes, big-endian (htonl), sent right "
                  "before the payload?"));
    }
    std::string payload = receive_part(connection, length, "the frame's payload", until);
    log(fmt::format("{}: received a frame of {} bytes: {}", connection.name(), length,
                    detail::quoted(payload)));
    return payload;
}

}  // namespace probe
