// stream: the tools of lesson 06 for talking over TCP, which every later server lesson uses.
//
// TCP carries a stream of bytes, not messages: send() may take fewer bytes than you gave it, recv()
// returns whatever has arrived (one byte, or several of the other side's sends at once), and a
// descriptor must be closed exactly once, whatever path the code takes. These tools take care of
// that once, so that a server's own code can say what it means:
//
//     stream::Socket listener = stream::listen_on("127.0.0.1", 0);
//     std::string peer;
//     stream::Socket client = stream::accept_client(listener, peer);
//     char buffer[4096];
//     while (const std::size_t n = stream::receive_some(client, buffer)) {
//         stream::send_all(client, std::string_view(buffer, n));
//     }
//     // end of file: the client half-closed. `client` closes here, in its destructor.
//
// Errors: a call that fails throws std::system_error, whose what() names the call and the reason
// ("recv: Connection reset by peer") and whose code() is the errno. A call interrupted by a signal
// (EINTR) is not an error: it is tried again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace stream {

// One open descriptor with exactly one owner: it closes in its destructor, can be moved (the
// owner changes, the descriptor does not) and cannot be copied (two owners would close it twice).
class Socket {
  public:
    Socket() noexcept = default;       // owns nothing
    explicit Socket(int fd) noexcept;  // owns `fd` from now on (-1: nothing)
    ~Socket();
    Socket(Socket&& other) noexcept;             // `other` owns nothing afterwards
    Socket& operator=(Socket&& other) noexcept;  // closes what this owned first
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;

    int fd() const noexcept { return fd_; }  // -1 when it owns nothing
    explicit operator bool() const noexcept { return fd_ >= 0; }

  private:
    int fd_ = -1;
};

// A TCP socket listening on `host` (an IPv4 address such as "127.0.0.1"), port `port` (0: the
// system chooses), with SO_REUSEADDR. Throws std::system_error naming the call that failed, or
// std::invalid_argument if `host` is not an IPv4 address.
Socket listen_on(const std::string& host, std::uint16_t port);

// The address a socket is bound to, "127.0.0.1:41234" (getsockname): after listen_on(host, 0),
// the port the system chose.
std::string local_address(const Socket& socket);

// Waits for the next client of `listener` and returns its connection; `peer` becomes its address,
// "127.0.0.1:51234". Tries again after EINTR.
Socket accept_client(const Socket& listener, std::string& peer);

// Sends every byte of `bytes`, however many calls it takes. A peer that has gone is an error
// (std::system_error with EPIPE or ECONNRESET), never a SIGPIPE that ends the program.
void send_all(const Socket& socket, std::string_view bytes);

// One receive: waits until some bytes have arrived and copies up to buffer.size() of them into
// `buffer`. Returns how many (at least 1), or 0 at end of file: the peer has closed or half-closed
// its side and nothing more will come. An error (a reset) throws std::system_error.
std::size_t receive_some(const Socket& socket, std::span<char> buffer);

}  // namespace stream
