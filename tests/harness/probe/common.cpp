// The common layer (see common.hpp): deadlines and escaping, and the small helpers every other
// layer uses (declared in internal.hpp): an errno value and a duration in words, bytes quoted for
// a message, a wait on one descriptor until a deadline, a seed read from the environment.
#include "probe/common.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <utility>

#include <fmt/core.h>

#include "probe/internal.hpp"

namespace probe {

namespace {

// escape(), or with `quotes` false, for a line the program printed (not shown inside quotes): the
// same, except that '"' and '\\' stay as they are.
std::string escape_bytes(std::string_view bytes, bool quotes) {
    std::string out;
    out.reserve(bytes.size());
    for (unsigned char c : bytes) {
        switch (c) {
            case '\r':
                out += "\\r";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\\':
                out += quotes ? "\\\\" : "\\";
                break;
            case '"':
                out += quotes ? "\\\"" : "\"";
                break;
            default:
                if (c >= 0x20 && c < 0x7f) {
                    out += static_cast<char>(c);
                } else {
                    constexpr char hex[] = "0123456789abcdef";
                    out += {'\\', 'x', hex[c >> 4], hex[c & 0xf]};
                }
        }
    }
    return out;
}

}  // namespace

namespace detail {

// "Connection refused": the English text of an errno value (strerrordesc_np is thread-safe and
// ignores the locale, unlike strerror).
std::string error_text(int error) {
    const char* text = strerrordesc_np(error);
    return text ? text : fmt::format("error {}", error);
}

// "5 s", "1.5 s", "200 ms".
std::string duration_text(milliseconds d) {
    const auto ms = d.count();
    if (ms < 1000) return fmt::format("{} ms", ms);
    if (ms % 1000 == 0) return fmt::format("{} s", ms / 1000);
    return fmt::format("{:.1f} s", static_cast<double>(ms) / 1000.0);
}

// Bytes for a message or the transcript: quoted and escaped, cut if long.
std::string quoted(std::string_view bytes) {
    constexpr std::size_t shown = 300;
    if (bytes.size() <= shown) return "\"" + escape(bytes) + "\"";
    return fmt::format("\"{}\"... ({} bytes in all)", escape(bytes.substr(0, shown)), bytes.size());
}

milliseconds until_now(Clock::time_point t) {
    return std::chrono::ceil<milliseconds>(t - Clock::now());
}

// poll() one descriptor until `until`. Returns revents, 0 on timeout.
short wait_fd(int fd, short events, Clock::time_point until) {
    for (;;) {
        const auto left = until_now(until);
        pollfd p{fd, events, 0};
        const int rc = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count())));
        if (rc > 0) return p.revents;
        if (rc == 0 && left.count() <= 0) return 0;
        if (rc < 0 && errno != EINTR) throw Failure("poll failed: " + error_text(errno));
    }
}

void close_fd(int& fd) noexcept {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

// The whole number in the environment variable `name` if set, else `seed`; and whether it was set.
std::pair<std::uint64_t, bool> seed_from(const char* name, std::uint64_t seed) {
    const char* text = std::getenv(name);
    if (text == nullptr || *text == '\0') return {seed, false};
    const std::string_view s(text);
    const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), seed);
    if (error != std::errc() || end != s.data() + s.size()) {
        throw Failure(fmt::format("{} must be a whole number such as 7, not \"{}\"", name, s));
    }
    return {seed, true};
}

}  // namespace detail

// ---- deadlines -------------------------------------------------------------------------------

milliseconds scaled(milliseconds base) {
    double scale = 1.0;
    if (const char* text = std::getenv("WORKBOOK_TIME_SCALE"); text != nullptr && *text != '\0') {
        const std::string_view s(text);
        const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), scale);
        if (error != std::errc() || end != s.data() + s.size() || !std::isfinite(scale) ||
            scale <= 0) {
            throw Failure(fmt::format(
                "WORKBOOK_TIME_SCALE must be a positive number such as 2 or 0.5, not \"{}\"", s));
        }
    }
    return milliseconds(static_cast<milliseconds::rep>(std::ceil(base.count() * scale)));
}

milliseconds step_deadline() {
    return scaled(5s);
}

// ---- escaping --------------------------------------------------------------------------------

std::string escape(std::string_view bytes) {
    return escape_bytes(bytes, true);
}

std::string printable(std::string_view bytes) {
    return escape_bytes(bytes, false);
}

std::string shorten_runs(std::string_view text) {
    constexpr std::size_t longest = 16;
    constexpr std::size_t kept = 8;
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        std::size_t end = i + 1;
        while (end < text.size() && text[end] == text[i]) ++end;
        const std::size_t run = end - i;
        if (run > longest && text[i] != ' ') {
            out.append(kept, text[i]);
            out += fmt::format("[... {} more '{}' ...]", run - kept, text[i]);
        } else {
            out.append(text.substr(i, run));
        }
        i = end;
    }
    return out;
}

}  // namespace probe
