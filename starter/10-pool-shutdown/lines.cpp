// TODO replace this file with your own lines.cpp from lesson 07, the one that passes lesson 07's
// tests: lesson 10's server reads each request line with your LineSplitter.
//
//     cp starter/07-framing/lines.cpp starter/10-pool-shutdown/lines.cpp
//
// (lines.hpp here is the same as lesson 07's.)
#include "lines.hpp"

#include <stdexcept>

namespace framing {

namespace {

[[noreturn]] void copy_yours() {
    throw std::logic_error(
        "not written yet: lesson 10 uses your lines.cpp from lesson 07: cp "
        "starter/07-framing/lines.cpp starter/10-pool-shutdown/lines.cpp");
}

}  // namespace

std::vector<std::string> LineSplitter::feed(std::string_view) {
    copy_yours();
}
std::string describe_line(std::string_view) {
    copy_yours();
}

}  // namespace framing
