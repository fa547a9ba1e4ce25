// The UDP layer (see udp.hpp): a UDP socket of the test's own, each wait bounded by a deadline,
// each datagram in the transcript.
#include "probe/udp.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>

#include <fmt/core.h>

#include "probe/internal.hpp"
#include "probe/transcript.hpp"

namespace probe {

using namespace detail;

UdpSocket::UdpSocket(const std::string& host) : name_(next_name("udp")) {
    const Address address = resolve(host, 0).front();
    fd_ = ::socket(address.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
        throw Failure(fmt::format("{}: socket(SOCK_DGRAM) failed: {}", name_, error_text(errno)));
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0) {
        const int error = errno;
        close_fd(fd_);
        throw Failure(fmt::format("{}: could not bind a UDP socket on {}: {}", name_, host,
                                  error_text(error)));
    }
    host_ = host;
    port_ = socket_name(fd_, false).port;
    log(fmt::format("{}: a UDP socket of the test's own on {}", name_,
                    socket_name(fd_, false).str()));
}

UdpSocket::~UdpSocket() {
    close_fd(fd_);
}

void UdpSocket::send_to(std::uint16_t port, std::string_view bytes) {
    const Address address = resolve(host_, port).front();
    const ssize_t sent =
        ::sendto(fd_, bytes.data(), bytes.size(), 0,
                 reinterpret_cast<const sockaddr*>(&address.storage), address.length);
    if (sent < 0)
        throw Failure(fmt::format("{}: sendto port {} failed: {}", name_, port, error_text(errno)));
    if (static_cast<std::size_t>(sent) != bytes.size())
        throw Failure(fmt::format("{}: sendto sent {} of {} bytes", name_, sent, bytes.size()));
    log(fmt::format("{}: sent a datagram of {} bytes to port {}: {}", name_, bytes.size(), port,
                    quoted(bytes)));
}

UdpSocket::Datagram UdpSocket::receive(std::string_view what, milliseconds deadline) {
    const auto until = Clock::now() + deadline;
    for (;;) {
        if (wait_fd(fd_, POLLIN, until) == 0)
            throw Failure(fmt::format("{}: no datagram arrived within {}: expected {}", name_,
                                      duration_text(deadline), what));
        std::string buffer(65536, '\0');
        sockaddr_storage from{};
        socklen_t length = sizeof from;
        const ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT,
                                     reinterpret_cast<sockaddr*>(&from), &length);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n < 0) {
            // On loopback an ICMP "port unreachable" for an earlier datagram comes back here.
            throw Failure(fmt::format(
                "{}: recvfrom failed while waiting for {}: {}{}", name_, what, error_text(errno),
                errno == ECONNREFUSED ? " (nothing listens on the port a datagram was sent to)"
                                      : ""));
        }
        buffer.resize(static_cast<std::size_t>(n));
        Datagram d{std::move(buffer), endpoint_of(from)};
        log(fmt::format("{}: received a datagram of {} bytes from {}: {}", name_, d.bytes.size(),
                        d.from.str(), quoted(std::string_view(d.bytes))));
        return d;
    }
}

void UdpSocket::expect_silence(milliseconds quiet) {
    if (wait_fd(fd_, POLLIN, Clock::now() + quiet) == 0) return;
    const Datagram d = receive("nothing", 0ms);
    throw Failure(fmt::format("{}: expected no datagram for {}, but received {}", name_,
                              duration_text(quiet), quoted(std::string_view(d.bytes))));
}

}  // namespace probe
