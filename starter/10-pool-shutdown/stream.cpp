// TODO replace this file with your own stream.cpp from lesson 06, the one that passes lesson 06's
// tests: lesson 10's server uses your tools.
//
//     cp starter/06-echo-stream/stream.cpp starter/10-pool-shutdown/stream.cpp
//
// (stream.hpp here is the same as lesson 06's.) If a test of this lesson finds a bug in a tool,
// fix it here, and in lesson 06's copy too.
#include "stream.hpp"

#include <stdexcept>

namespace stream {

namespace {

[[noreturn]] void copy_yours() {
    throw std::logic_error(
        "not written yet: lesson 10 uses your stream.cpp from lesson 06: cp "
        "starter/06-echo-stream/stream.cpp starter/10-pool-shutdown/stream.cpp");
}

}  // namespace

Socket::Socket(int) noexcept {}
Socket::~Socket() {}
Socket::Socket(Socket&&) noexcept {}
Socket& Socket::operator=(Socket&&) noexcept {
    return *this;
}
Socket listen_on(const std::string&, std::uint16_t) {
    copy_yours();
}
std::string local_address(const Socket&) {
    copy_yours();
}
Socket accept_client(const Socket&, std::string&) {
    copy_yours();
}
void send_all(const Socket&, std::string_view) {
    copy_yours();
}
std::size_t receive_some(const Socket&, std::span<char>) {
    copy_yours();
}

}  // namespace stream
