// The tools of stream.hpp, which you write: read the comments there first, they are the contract.
// Each TODO says which system call it needs; lesson 02's server has most of them. The README's
// section "The tools" explains why each one is written the way it is.
#include "stream.hpp"

#include <arpa/inet.h>   // inet_pton, inet_ntop, htons, ntohs
#include <netinet/in.h>  // sockaddr_in
#include <sys/socket.h>  // socket, setsockopt, bind, listen, accept, send, recv, getsockname
#include <unistd.h>      // close

#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <utility>  // std::exchange

namespace stream {

namespace {

// Throws the error a failed call left in errno: what() is "CALL: REASON", for example
// "recv: Connection reset by peer". Use it as `if (...) fail("bind");`.
[[noreturn, maybe_unused]] void fail(const char* call) {
    throw std::system_error(errno, std::generic_category(), call);
}

[[noreturn]] void not_written(const char* what) {
    throw std::logic_error(std::string("not written yet: ") + what +
                           " (follow the TODOs in starter/06-echo-stream/stream.cpp)");
}

}  // namespace

Socket::Socket(int fd) noexcept : fd_(fd) {}

Socket::~Socket() {
    // TODO 1 close the descriptor, if this Socket owns one (fd_ >= 0).
}

Socket::Socket(Socket&& other) noexcept {
    // TODO 2 take `other`'s descriptor and leave `other` owning nothing (-1), so that only one of
    //   the two closes it. std::exchange(other.fd_, -1) does both in one step.
    (void)other;
}

Socket& Socket::operator=(Socket&& other) noexcept {
    // TODO 3 the same, but this Socket may already own a descriptor: close it first. Moving a
    //   Socket into itself (a = std::move(a)) must change nothing.
    (void)other;
    return *this;
}

Socket listen_on(const std::string& host, std::uint16_t port) {
    // TODO 4 socket(), setsockopt(SO_REUSEADDR), bind() to host:port, listen(): lesson 02's
    //   steps 1 to 3. Hold the descriptor in a Socket as soon as socket() returns it: when a later
    //   call fails and throws, the Socket's destructor closes it. A host that inet_pton() does not
    //   read as IPv4 throws std::invalid_argument.
    (void)host;
    (void)port;
    not_written("listen_on");
}

std::string local_address(const Socket& socket) {
    // TODO 5 getsockname(), then "IP:PORT" (inet_ntop, ntohs).
    (void)socket;
    not_written("local_address");
}

Socket accept_client(const Socket& listener, std::string& peer) {
    // TODO 6 accept(), and set `peer` to the client's "IP:PORT". If accept() fails with EINTR (a
    //   signal arrived while it waited), call it again: that is not an error.
    (void)listener;
    (void)peer;
    not_written("accept_client");
}

void send_all(const Socket& socket, std::string_view bytes) {
    // TODO 7 send() may send fewer bytes than you give it: call it again with the rest until every
    //   byte is sent. Pass MSG_NOSIGNAL, so that a client that has gone makes send() fail with
    //   EPIPE instead of killing the server with SIGPIPE. Try again after EINTR.
    (void)socket;
    (void)bytes;
    not_written("send_all");
}

std::size_t receive_some(const Socket& socket, std::span<char> buffer) {
    // TODO 8 one recv() into the buffer: return what it returns (0 is end of file), throw on an
    //   error, and try again after EINTR.
    (void)socket;
    (void)buffer;
    not_written("receive_some");
}

}  // namespace stream
