// TODO replace this file with your own utf8.cpp from lesson 01, the one that passes lesson 01's
// tests: lesson 10 links it with your line splitter.
//
//     cp starter/01-bytes/utf8.cpp starter/10-pool-shutdown/utf8.cpp
//
// (utf8.hpp here is the same as lesson 01's.)
#include "utf8.hpp"

namespace bytes {

namespace {

[[noreturn]] void copy_yours() {
    throw std::logic_error(
        "not written yet: lesson 10 uses your utf8.cpp from lesson 01: cp "
        "starter/01-bytes/utf8.cpp starter/10-pool-shutdown/utf8.cpp");
}

}  // namespace

std::string encode_utf8(std::u32string_view) {
    copy_yours();
}
std::u32string decode_utf8(std::string_view) {
    copy_yours();
}
std::size_t count_code_points(std::string_view) {
    copy_yours();
}
std::string hex_dump(std::string_view) {
    copy_yours();
}

}  // namespace bytes
