// The line splitter and the answer to a line (lines.hpp).
#include "lines.hpp"

#include <utility>

#include "utf8.hpp"

namespace framing {

std::vector<std::string> LineSplitter::feed(std::string_view bytes) {
    std::vector<std::string> lines;
    for (;;) {
        const std::size_t end = bytes.find('\n');
        const std::string_view piece = bytes.substr(0, end);
        // Too long before its '\n' comes, or with it: either way more than max_line bytes.
        if (buffer_.size() + piece.size() > max_line) throw LineTooLong();
        buffer_.append(piece);
        if (end == std::string_view::npos) return lines;
        if (!buffer_.empty() && buffer_.back() == '\r') buffer_.pop_back();
        lines.push_back(std::move(buffer_));
        buffer_.clear();
        bytes.remove_prefix(end + 1);
    }
}

std::string describe_line(std::string_view line) {
    try {
        return std::to_string(bytes::count_code_points(line)) + " characters, " +
               std::to_string(line.size()) + " bytes";
    } catch (const bytes::Utf8Error& e) {
        return std::string("error: ") + e.what();
    }
}

}  // namespace framing
