// The TCP layer: connections the test holds, to the program or from it, and the addresses they
// use.
//
// It promises: every call logs itself in the transcript under the connection's name ("client-N",
// "server-N"); every wait has a deadline and fails with what arrived so far and the likely cause
// (end of file, a reset, silence); a connection or an accept watching a Program fails at once when
// the program ends. Implemented in tcp.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "probe/common.hpp"

namespace probe {

class Program;

struct Endpoint {
    std::string ip;
    std::uint16_t port = 0;
    std::string str() const;  // "127.0.0.1:41234", "[::1]:41234"
};

// One TCP connection held by the test. Every call logs itself as "client-N: ..." (connections the
// test accepted with a Listener as "server-N: ..."). Every wait has a deadline: a send fails if the
// peer reads nothing for step_deadline().
class Connection {
  public:
    // Connects to `host` (an IPv4 or IPv6 literal, or a name such as "localhost"), retrying until
    // `deadline` while the connection is refused. If `watch` is given and the program exits
    // meanwhile, fails at once with its status and last lines.
    static Connection connect(const std::string& host, std::uint16_t port, Program* watch = nullptr,
                              milliseconds deadline = step_deadline());
    // One attempt (one connect() per address of `host`, no retry): fails at once if refused.
    // `deadline` bounds the handshake.
    static Connection connect_once(const std::string& host, std::uint16_t port,
                                   milliseconds deadline = step_deadline());

    Connection(Connection&&) noexcept;
    Connection& operator=(Connection&&) noexcept;
    ~Connection();

    const std::string& name() const { return name_; }
    Endpoint local() const;
    Endpoint peer() const;

    // Sends every byte (one send loop).
    void send(std::string_view bytes);
    // Sends one byte per send() with TCP_NODELAY, so the peer may see each byte separately.
    void send_bytewise(std::string_view bytes);
    // Sends in pieces cut at the given offsets (increasing, each > 0 and < size), with TCP_NODELAY.
    // Throws std::invalid_argument for offsets that do not cut `bytes`.
    void send_split(std::string_view bytes, const std::vector<std::size_t>& offsets);

    // Sends every byte while receiving whatever comes back, so that a program that answers as
    // it reads (an echo server) never waits on a test that is not reading yet: with one send
    // loop, both sides' buffers fill and both wait. What arrives is kept as receive_until keeps
    // it. The transcript shows the size, not the bytes. Throws Failure if the peer reads nothing
    // for `deadline`, or ends the connection before every byte is out.
    void send_while_receiving(std::string_view bytes, milliseconds deadline = step_deadline());
    // Caps the system's receive buffer of this connection (SO_RCVBUF; the kernel doubles the
    // value for its bookkeeping) and stops it growing: a test's client that reads nothing then
    // holds back the bytes sent to it sooner, so a program's slow-reader handling shows with
    // megabytes instead of tens of them.
    void limit_receive_buffer(int bytes);
    // Half-close: shutdown(SHUT_WR). The peer reads end of file; we can still receive.
    void shutdown_write();
    // Abortive close: SO_LINGER {1, 0} then close(), so the peer gets a reset (RST).
    void abort();
    // Orderly close.
    void close();

    // Receives until `done(all bytes so far)` is true; returns all bytes received so far on this
    // connection. Throws Failure on deadline, end of file or reset before `done`.
    std::string receive_until(const std::function<bool(std::string_view)>& done,
                              std::string_view what, milliseconds deadline = step_deadline());
    // Receives until end of file; returns everything received on this connection.
    std::string receive_all(milliseconds deadline = step_deadline());
    // The same, but a reset ends it as well as an end of file (a program that closes a connection
    // with bytes it never read resets it): for a test that only needs the connection to end.
    std::string receive_rest(milliseconds deadline = step_deadline());
    // Expects end of file with no further byte.
    void expect_eof(milliseconds deadline = step_deadline());
    // Expects the program to end the connection with no further byte: end of file, or a reset,
    // which is how a close ends it when bytes the program never read were waiting.
    void expect_closed(milliseconds deadline = step_deadline());
    // Expects that nothing arrives (no byte, no end of file) for `quiet` (as given, not scaled).
    void expect_silence(milliseconds quiet);
    // Readers with a cursor: each returns bytes after the last ones a reader returned, and moves
    // the cursor past them (receive_until and received() still see every byte). Each waits up to
    // its deadline and throws Failure as receive_until does.
    //
    // Exactly `n` bytes.
    std::string receive_exactly(std::size_t n, std::string_view what,
                                milliseconds deadline = step_deadline());
    // Up to and including `delimiter`.
    std::string receive_through(std::string_view delimiter, std::string_view what,
                                milliseconds deadline = step_deadline());
    // The next line, without its '\n'.
    std::string receive_line(std::string_view what, milliseconds deadline = step_deadline());
    // Everything received so far.
    const std::string& received() const { return received_; }
    // What was received after the cursor: the bytes the next reader with a cursor starts from
    // (after a reader failed, the part of what it waited for that did arrive).
    std::string_view unread() const { return std::string_view(received_).substr(cursor_); }

  private:
    friend class Listener;
    Connection(int fd, std::string name);
    int open_fd(std::string_view doing) const;
    void send_all(std::string_view bytes);
    void expect_end(milliseconds deadline, bool reset_too);
    std::string receive_to_end(milliseconds deadline, bool reset_too);
    int fd_ = -1;
    std::string name_;
    std::string received_;
    std::size_t cursor_ = 0;  // where the readers with a cursor go on from
    bool eof_ = false;
};

// A listening socket held by the test, for lessons whose program is a client.
class Listener {
  public:
    // Binds `host`:0 (the OS picks a free port) and listens.
    explicit Listener(const std::string& host = "127.0.0.1");
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    std::uint16_t port() const { return port_; }

    // Accepts one connection (named "server-N"). If `watch` exits first, fails at once with its
    // status and last lines.
    Connection accept(Program* watch = nullptr, milliseconds deadline = step_deadline());

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::string where_;  // "127.0.0.1:41234", for messages
};

// A port on `host` that refuses connections: bound (so nobody else takes it) but not listening.
// Held until destroyed.
class ClosedPort {
  public:
    explicit ClosedPort(const std::string& host = "127.0.0.1");
    // Binds exactly host:port. Throws Failure if it cannot (the port is taken).
    ClosedPort(const std::string& host, std::uint16_t port);
    ~ClosedPort();
    ClosedPort(const ClosedPort&) = delete;
    ClosedPort& operator=(const ClosedPort&) = delete;
    std::uint16_t port() const { return port_; }

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

// True if a new listening socket (with SO_REUSEADDR, as a restarted server would) can bind
// host:port right now.
bool port_can_be_bound(const std::string& host, std::uint16_t port);

}  // namespace probe
