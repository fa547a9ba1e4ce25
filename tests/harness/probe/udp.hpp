// The UDP layer: a UDP socket of the test's own on loopback.
//
// It promises: each datagram is received whole, with the address it came from, within a deadline;
// every datagram sent and received is in the transcript under the socket's name ("udp-N").
// Implemented in udp.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "probe/common.hpp"
#include "probe/tcp.hpp"  // Endpoint

namespace probe {

// A UDP socket of the test's own, bound to a free port of `host`: it sends datagrams to the program
// and receives what comes back, each datagram whole, with the address it came from. Logs itself as
// "udp-N: ..."; every wait has a deadline.
class UdpSocket {
  public:
    explicit UdpSocket(const std::string& host = "127.0.0.1");
    ~UdpSocket();
    UdpSocket(const UdpSocket&) = delete;
    UdpSocket& operator=(const UdpSocket&) = delete;
    std::uint16_t port() const { return port_; }

    struct Datagram {
        std::string bytes;
        Endpoint from;
    };
    // Sends one datagram to `port` on the same host.
    void send_to(std::uint16_t port, std::string_view bytes);
    // The next datagram. Throws Failure at the deadline, naming `what`.
    Datagram receive(std::string_view what, milliseconds deadline = step_deadline());
    // Expects no datagram for `quiet` (as given, not scaled).
    void expect_silence(milliseconds quiet);

  private:
    int fd_ = -1;
    std::string host_;
    std::uint16_t port_ = 0;
    std::string name_;
};

}  // namespace probe
