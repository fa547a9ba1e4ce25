// The tools of stream.hpp: each system call once, its errors turned into exceptions, EINTR tried
// again.
#include "stream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace stream {

namespace {

[[noreturn]] void fail(const char* call) {
    throw std::system_error(errno, std::generic_category(), call);
}

std::string text_of(const sockaddr_in& address) {
    char ip[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &address.sin_addr, ip, sizeof ip);
    return std::string(ip) + ":" + std::to_string(ntohs(address.sin_port));
}

}  // namespace

Socket::Socket(int fd) noexcept : fd_(fd) {}

Socket::~Socket() {
    if (fd_ >= 0) ::close(fd_);
}

Socket::Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

Socket& Socket::operator=(Socket&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

Socket listen_on(const std::string& host, std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
        throw std::invalid_argument("not an IPv4 address: " + host);
    }
    Socket listener(::socket(AF_INET, SOCK_STREAM, 0));
    if (!listener) fail("socket");
    const int yes = 1;
    if (setsockopt(listener.fd(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes) != 0) {
        fail("setsockopt");
    }
    if (bind(listener.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        fail("bind");
    }
    if (listen(listener.fd(), 16) != 0) fail("listen");
    return listener;
}

std::string local_address(const Socket& socket) {
    sockaddr_in address{};
    socklen_t length = sizeof address;
    if (getsockname(socket.fd(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        fail("getsockname");
    }
    return text_of(address);
}

Socket accept_client(const Socket& listener, std::string& peer) {
    for (;;) {
        sockaddr_in address{};
        socklen_t length = sizeof address;
        const int fd = accept(listener.fd(), reinterpret_cast<sockaddr*>(&address), &length);
        if (fd >= 0) {
            peer = text_of(address);
            return Socket(fd);
        }
        if (errno != EINTR) fail("accept");
    }
}

void send_all(const Socket& socket, std::string_view bytes) {
    while (!bytes.empty()) {
        // MSG_NOSIGNAL: a peer that has gone makes send() fail with EPIPE instead of raising
        // SIGPIPE, whose default action ends the whole server.
        const ssize_t sent = send(socket.fd(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR) continue;
            fail("send");
        }
        bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
}

std::size_t receive_some(const Socket& socket, std::span<char> buffer) {
    for (;;) {
        const ssize_t received = recv(socket.fd(), buffer.data(), buffer.size(), 0);
        if (received >= 0) return static_cast<std::size_t>(received);
        if (errno != EINTR) fail("recv");
    }
}

}  // namespace stream
