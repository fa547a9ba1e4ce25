// The TCP layer (see tcp.hpp): addresses, connections the test makes (Connection::connect) or
// accepts (Listener), and ports that refuse (ClosedPort). Every step is logged under the
// connection's name; every wait has a deadline and, when a Program is watched, ends at once with
// it.
#include "probe/tcp.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

#include <fmt/core.h>

#include "probe/internal.hpp"
#include "probe/process.hpp"
#include "probe/transcript.hpp"

namespace probe {

using namespace detail;

// ---- addresses -------------------------------------------------------------------------------

namespace detail {

// "::1" and "[::1]" are both accepted.
std::string bare_host(const std::string& host) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        return host.substr(1, host.size() - 2);
    }
    return host;
}

std::vector<Address> resolve(const std::string& host, std::uint16_t port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    if (const int rc = ::getaddrinfo(bare_host(host).c_str(), service.c_str(), &hints, &found)) {
        throw Failure(
            fmt::format("cannot find the address of \"{}\": {}", host, ::gai_strerror(rc)));
    }
    std::vector<Address> addresses;
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
        Address address;
        std::memcpy(&address.storage, a->ai_addr, a->ai_addrlen);
        address.length = a->ai_addrlen;
        address.family = a->ai_family;
        addresses.push_back(address);
    }
    ::freeaddrinfo(found);
    return addresses;
}

Endpoint endpoint_of(const sockaddr_storage& storage) {
    Endpoint e;
    char text[INET6_ADDRSTRLEN] = {};
    if (storage.ss_family == AF_INET6) {
        const auto& a = reinterpret_cast<const sockaddr_in6&>(storage);
        ::inet_ntop(AF_INET6, &a.sin6_addr, text, sizeof text);
        e.port = ntohs(a.sin6_port);
    } else {
        const auto& a = reinterpret_cast<const sockaddr_in&>(storage);
        ::inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
        e.port = ntohs(a.sin_port);
    }
    e.ip = text;
    return e;
}

Endpoint socket_name(int fd, bool peer) {
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    auto* a = reinterpret_cast<sockaddr*>(&storage);
    if ((peer ? ::getpeername(fd, a, &length) : ::getsockname(fd, a, &length)) != 0) {
        throw Failure(
            fmt::format("{} failed: {}", peer ? "getpeername" : "getsockname", error_text(errno)));
    }
    return endpoint_of(storage);
}

}  // namespace detail

namespace {

// A socket bound to host:wanted (0: the OS picks the port). Returns the descriptor; sets `where`.
int bind_any_port(const std::string& host, bool listening, std::uint16_t& port, std::string& where,
                  std::uint16_t wanted = 0) {
    const Address address = resolve(host, wanted).front();
    const int fd = ::socket(address.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) throw Failure("socket failed: " + error_text(errno));
    if (::bind(fd, address.get(), address.length) != 0 ||
        (listening && ::listen(fd, SOMAXCONN) != 0)) {
        const int error = errno;
        ::close(fd);
        throw Failure(fmt::format("the test could not {} on {} port {}: {}",
                                  listening ? "listen" : "bind a port", host, wanted,
                                  error_text(error)));
    }
    const Endpoint e = socket_name(fd, false);
    port = e.port;
    where = e.str();
    return fd;
}

}  // namespace

// ---- connections -----------------------------------------------------------------------------

std::string Endpoint::str() const {
    return ip.find(':') != std::string::npos ? fmt::format("[{}]:{}", ip, port)
                                             : fmt::format("{}:{}", ip, port);
}

namespace {

bool worth_retrying(int error) {
    return error == ECONNREFUSED || error == ECONNRESET || error == EAGAIN || error == EINTR ||
           error == ETIMEDOUT;
}

// One attempt: a non-blocking connect that waits for the handshake until `until`. Returns the
// descriptor, or -1 with the error in `error`.
// A client socket bound to a port whose two bytes differ. A server that prints the port accept()
// gave it without ntohs() then always shows another number: with the port the kernel picks at
// connect(), one time in 256 (0x9c9c, 0xa1a1...) the wrong program printed the right one.
int asymmetric_client_socket(int family, int& error) {
    for (int attempt = 0; attempt < 64; ++attempt) {
        const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
            error = errno;
            return -1;
        }
        sockaddr_storage any{};
        socklen_t length = 0;
        if (family == AF_INET6) {
            auto& a = reinterpret_cast<sockaddr_in6&>(any);
            a.sin6_family = AF_INET6;
            a.sin6_addr = in6addr_any;
            length = sizeof a;
        } else {
            auto& a = reinterpret_cast<sockaddr_in&>(any);
            a.sin_family = AF_INET;
            a.sin_addr.s_addr = htonl(INADDR_ANY);
            length = sizeof a;
        }
        if (::bind(fd, reinterpret_cast<const sockaddr*>(&any), length) != 0) {
            error = errno;
            ::close(fd);
            return -1;
        }
        const std::uint16_t port = socket_name(fd, false).port;
        if ((port >> 8) != (port & 0xff)) return fd;
        ::close(fd);
    }
    error = EADDRINUSE;
    return -1;
}

int try_connect(const Address& address, Clock::time_point until, int& error) {
    const int fd = asymmetric_client_socket(address.family, error);
    if (fd < 0) return -1;
    if (::connect(fd, address.get(), address.length) == 0) return fd;
    error = errno;
    if (error == EINPROGRESS) {
        // Loopback usually completes at once; a full accept backlog makes the SYN wait.
        if (wait_fd(fd, POLLOUT, until) == 0) {
            error = ETIMEDOUT;
        } else {
            socklen_t length = sizeof error;
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
            if (error == 0) return fd;
        }
    }
    ::close(fd);
    return -1;
}

// "127.0.0.1:41234", "[::1]:41234", "localhost:41234".
std::string target_text(const std::string& host, std::uint16_t port) {
    return bare_host(host).find(':') != std::string::npos
               ? fmt::format("[{}]:{}", bare_host(host), port)
               : fmt::format("{}:{}", host, port);
}

// One attempt per address, in order, until one connects (its descriptor, logged as `name`'s) or
// fails with an error not worth retrying. -1 with the last error in `error` if none connected.
int connect_any(const std::vector<Address>& addresses, const std::string& name,
                Clock::time_point until, int& error) {
    for (const Address& address : addresses) {
        const int fd = try_connect(address, until, error);
        if (fd >= 0) {
            log(fmt::format("{}: connected to {} from {}", name, endpoint_of(address.storage).str(),
                            socket_name(fd, false).str()));
            return fd;
        }
        if (!worth_retrying(error)) break;
    }
    return -1;
}

}  // namespace

Connection Connection::connect_once(const std::string& host, std::uint16_t port,
                                    milliseconds deadline) {
    const std::string name = next_name("client");
    const std::string target = target_text(host, port);
    int error = 0;
    if (const int fd = connect_any(resolve(host, port), name, Clock::now() + deadline, error);
        fd >= 0) {
        return Connection(fd, name);
    }
    log(fmt::format("{}: could not connect to {}: {}", name, target, error_text(error)));
    throw Failure(fmt::format(
        "{}: could not connect to {}: {}{} (the test tried once, without retrying)", name, target,
        error_text(error), error == ECONNREFUSED ? " — nothing is listening there" : ""));
}

Connection Connection::connect(const std::string& host, std::uint16_t port, Program* watch,
                               milliseconds deadline) {
    const std::string name = next_name("client");
    const auto until = Clock::now() + deadline;
    const std::string target = target_text(host, port);
    const std::vector<Address> addresses = resolve(host, port);
    int error = 0;
    for (;;) {
        if (const int fd = connect_any(addresses, name, until, error); fd >= 0) {
            return Connection(fd, name);
        }
        if (!worth_retrying(error)) {
            log(fmt::format("{}: could not connect to {}: {}", name, target, error_text(error)));
            throw Failure(
                fmt::format("{}: could not connect to {}: {}", name, target, error_text(error)));
        }
        // Wait a little before the next try: on the program, so that its end wakes us at once.
        const auto next_try = std::min(until, Clock::now() + 50ms);
        const bool ended = watch != nullptr ? watch->state_->wait_exit_until(next_try) : false;
        if (watch == nullptr) {
            ::poll(nullptr, 0,
                   static_cast<int>(std::max<long long>(0, until_now(next_try).count())));
        }
        if (ended) {
            log(fmt::format("{}: could not connect to {}: {}", name, target, error_text(error)));
            throw Failure(fmt::format("{}: could not connect to {}: {}", name, target,
                                      watch->state_->exited_before("accepting the connection")));
        }
        if (Clock::now() >= until) break;
    }
    log(fmt::format("{}: could not connect to {} within {}: {}", name, target,
                    duration_text(deadline), error_text(error)));
    std::string cause;
    if (error == ETIMEDOUT) {
        cause =
            "The connection was never accepted: the listen backlog may be full — does the "
            "server still call accept()?";
    } else if (watch != nullptr) {
        cause = fmt::format(
            "{} is running but nothing accepts connections on {} — did it call listen()? Did it "
            "bind the port it printed?",
            watch->state_->who(), target);
    } else {
        cause = fmt::format("Nothing accepts connections on {}.", target);
    }
    throw Failure(fmt::format("{}: could not connect to {} within {} (last error: {}). {}", name,
                              target, duration_text(deadline), error_text(error), cause));
}

Connection::Connection(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}

Connection::Connection(Connection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      name_(std::move(other.name_)),
      received_(std::move(other.received_)),
      cursor_(other.cursor_),
      eof_(other.eof_) {}

Connection& Connection::operator=(Connection&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
        name_ = std::move(other.name_);
        received_ = std::move(other.received_);
        cursor_ = other.cursor_;
        eof_ = other.eof_;
    }
    return *this;
}

Connection::~Connection() {
    if (fd_ >= 0) ::close(fd_);
}

int Connection::open_fd(std::string_view doing) const {
    if (fd_ < 0) {
        throw Failure(
            fmt::format("{}: the test tried to {} after closing the connection", name_, doing));
    }
    return fd_;
}

Endpoint Connection::local() const {
    return socket_name(open_fd("read its address"), false);
}

Endpoint Connection::peer() const {
    return socket_name(open_fd("read its address"), true);
}

// Logged before the bytes go out, so the transcript shows the program's reaction after them.
void Connection::send_all(std::string_view bytes) {
    const int fd = open_fd("send");
    std::size_t sent = 0;
    auto until = Clock::now() + step_deadline();
    const auto fail = [&](const std::string& cause) {
        log(fmt::format("{}: could not send the last {} of those {} bytes", name_,
                        bytes.size() - sent, bytes.size()));
        throw Failure(fmt::format("{}: could not send (sent {} of {} bytes): {}", name_, sent,
                                  bytes.size(), cause));
    };
    while (sent < bytes.size()) {
        const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
            until = Clock::now() + step_deadline();
        } else if (errno == EAGAIN || errno == EINTR) {
            if (errno == EAGAIN && wait_fd(fd, POLLOUT, until) == 0) {
                fail(
                    fmt::format("your program read nothing for {}, so the connection's buffers "
                                "are full — is it still reading from this connection?",
                                duration_text(step_deadline())));
            }
        } else if (errno == ECONNRESET) {
            fail(
                "your program reset the connection: it closed the socket while unread data was "
                "waiting, or it crashed");
        } else if (errno == EPIPE) {
            fail(
                "the connection is closed (broken pipe) — did your program close the socket "
                "too early?");
        } else {
            fail(error_text(errno));
        }
    }
}

void Connection::send(std::string_view bytes) {
    open_fd("send");
    log(fmt::format("{}: Sent bytes: {}", name_, quoted(bytes)));
    send_all(bytes);
}

void Connection::send_bytewise(std::string_view bytes) {
    const int one = 1;
    ::setsockopt(open_fd("send"), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    log(fmt::format("{}: Sent bytes one at a time (one send() each, TCP_NODELAY): {}", name_,
                    quoted(bytes)));
    for (std::size_t i = 0; i < bytes.size(); ++i) send_all(bytes.substr(i, 1));
}

void Connection::send_split(std::string_view bytes, const std::vector<std::size_t>& offsets) {
    std::size_t from = 0;
    for (std::size_t cut : offsets) {
        if (cut <= from || cut >= bytes.size()) {
            throw std::invalid_argument(
                fmt::format("send_split: offset {} does not cut {} bytes after offset {}", cut,
                            bytes.size(), from));
        }
        from = cut;
    }
    const int one = 1;
    ::setsockopt(open_fd("send"), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    from = 0;
    for (std::size_t i = 0; i <= offsets.size(); ++i) {
        const std::size_t to = i < offsets.size() ? offsets[i] : bytes.size();
        const std::string_view piece = bytes.substr(from, to - from);
        log(fmt::format("{}: Sent bytes (piece {} of {}): {}", name_, i + 1, offsets.size() + 1,
                        quoted(piece)));
        send_all(piece);
        from = to;
    }
}

void Connection::send_while_receiving(std::string_view bytes, milliseconds deadline) {
    const int fd = open_fd("send");
    log(fmt::format("{}: Sending {} bytes while receiving what comes back", name_, bytes.size()));
    const std::size_t start = received_.size();
    std::size_t sent = 0;
    auto until = Clock::now() + deadline;  // moved on whenever a byte goes out or comes in
    const auto fail = [&](const std::string& cause) {
        log(fmt::format("{}: sent {} of {} bytes, received {}", name_, sent, bytes.size(),
                        received_.size() - start));
        throw Failure(fmt::format("{}: could not send (sent {} of {} bytes, received {} back): {}",
                                  name_, sent, bytes.size(), received_.size() - start, cause));
    };
    while (sent < bytes.size()) {
        pollfd p{fd, static_cast<short>(POLLOUT | (eof_ ? 0 : POLLIN)), 0};
        const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now());
        const int ready = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count())));
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0) {
            fail(
                fmt::format("your program read nothing and sent nothing for {}: is it still "
                            "reading from this connection?",
                            duration_text(deadline)));
        }
        if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !eof_) {
            char buffer[65536];
            const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n > 0) {
                received_.append(buffer, static_cast<std::size_t>(n));
                until = Clock::now() + deadline;
            } else if (n == 0) {
                eof_ = true;
                log(fmt::format("{}: received end of file", name_));
            } else if (errno != EAGAIN && errno != EINTR) {
                fail(fmt::format("your program reset the connection ({})", error_text(errno)));
            }
        }
        if ((p.revents & POLLOUT) != 0) {
            const ssize_t n =
                ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) {
                sent += static_cast<std::size_t>(n);
                until = Clock::now() + deadline;
            } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                fail(errno == EPIPE ? std::string("the connection is closed (broken pipe)")
                                    : fmt::format("your program reset the connection ({})",
                                                  error_text(errno)));
            }
        }
    }
    log(fmt::format("{}: sent {} bytes; received {} so far", name_, bytes.size(),
                    received_.size() - start));
}

void Connection::limit_receive_buffer(int bytes) {
    if (::setsockopt(open_fd("limit its receive buffer"), SOL_SOCKET, SO_RCVBUF, &bytes,
                     sizeof bytes) != 0) {
        throw Failure(
            fmt::format("{}: setsockopt(SO_RCVBUF) failed: {}", name_, error_text(errno)));
    }
    log(fmt::format("{}: receive buffer limited to {} bytes (SO_RCVBUF)", name_, bytes));
}

void Connection::shutdown_write() {
    if (::shutdown(open_fd("half-close"), SHUT_WR) != 0) {
        throw Failure(fmt::format("{}: shutdown(SHUT_WR) failed: {}", name_, error_text(errno)));
    }
    log(fmt::format("{}: half-closed (shutdown SHUT_WR)", name_));
}

void Connection::abort() {
    const linger reset{1, 0};
    ::setsockopt(open_fd("abort"), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    ::close(std::exchange(fd_, -1));
    log(fmt::format("{}: aborted with RST", name_));
}

void Connection::close() {
    ::close(open_fd("close"));
    fd_ = -1;
    log(fmt::format("{}: closed the connection", name_));
}

namespace {

enum class Got { data, eof, reset, timeout };

// One recv() after waiting until `until`. Appends to `into`.
Got receive_some(int fd, std::string& into, Clock::time_point until, int& error) {
    for (;;) {
        if (wait_fd(fd, POLLIN, until) == 0) return Got::timeout;
        char buffer[65536];
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            into.append(buffer, static_cast<std::size_t>(n));
            return Got::data;
        }
        if (n == 0) return Got::eof;
        if (errno == EAGAIN || errno == EINTR) continue;
        error = errno;
        return Got::reset;  // ECONNRESET, or another error reported the same way
    }
}

std::string so_far(std::string_view bytes) {
    return bytes.empty() ? "nothing" : quoted(bytes);
}

// Logs what a receive brought (the bytes of `received` after `start`, if any), then how it ended
// when that was end of file or a reset.
void log_receipt(const std::string& name, std::string_view received, std::size_t start, Got how) {
    if (received.size() > start) {
        log(fmt::format("{}: Received bytes: {}", name, quoted(received.substr(start))));
    }
    if (how == Got::eof) log(fmt::format("{}: received end of file", name));
    if (how == Got::reset) log(fmt::format("{}: connection reset by peer", name));
}

}  // namespace

std::string Connection::receive_exactly(std::size_t n, std::string_view what,
                                        milliseconds deadline) {
    receive_until([&](std::string_view all) { return all.size() - cursor_ >= n; }, what, deadline);
    std::string bytes = received_.substr(cursor_, n);
    cursor_ += n;
    return bytes;
}

std::string Connection::receive_through(std::string_view delimiter, std::string_view what,
                                        milliseconds deadline) {
    receive_until(
        [&](std::string_view all) {
            return all.find(delimiter, cursor_) != std::string_view::npos;
        },
        what, deadline);
    const std::size_t end = received_.find(delimiter, cursor_) + delimiter.size();
    std::string bytes = received_.substr(cursor_, end - cursor_);
    cursor_ = end;
    return bytes;
}

std::string Connection::receive_line(std::string_view what, milliseconds deadline) {
    std::string line = receive_through("\n", what, deadline);
    line.pop_back();
    return line;
}

std::string Connection::receive_until(const std::function<bool(std::string_view)>& done,
                                      std::string_view what, milliseconds deadline) {
    const int fd = open_fd("receive");
    if (done(received_)) return received_;
    const auto until = Clock::now() + deadline;
    const std::size_t start = received_.size();
    const auto log_new = [&](Got how) { log_receipt(name_, received_, start, how); };
    const auto fresh = [&] { return so_far(std::string_view(received_).substr(start)); };
    if (eof_) {
        throw Failure(
            fmt::format("{}: your program had already closed the connection, so {} "
                        "cannot arrive.",
                        name_, what));
    }
    for (;;) {
        int error = 0;
        switch (receive_some(fd, received_, until, error)) {
            case Got::data:
                if (done(received_)) {
                    log_new(Got::data);
                    return received_;
                }
                break;
            case Got::eof:
                eof_ = true;
                log_new(Got::eof);
                throw Failure(fmt::format(
                    "{}: your program closed the connection before sending {} — did it close the "
                    "socket too early? Received before the end of file: {}",
                    name_, what, fresh()));
            case Got::reset:
                log_new(Got::reset);
                throw Failure(fmt::format(
                    "{}: your program reset the connection before sending {}: it closed the "
                    "socket while unread data was waiting, or it crashed ({}). Received before "
                    "the reset: {}",
                    name_, what, error_text(error), fresh()));
            case Got::timeout:
                log_new(Got::timeout);
                throw Failure(
                    fmt::format("{}: waiting for {}: nothing more arrived within {}; "
                                "received so far: {}",
                                name_, what, duration_text(deadline), fresh()));
        }
    }
}

std::string Connection::receive_all(milliseconds deadline) {
    return receive_to_end(deadline, false);
}

std::string Connection::receive_rest(milliseconds deadline) {
    return receive_to_end(deadline, true);
}

std::string Connection::receive_to_end(milliseconds deadline, bool reset_too) {
    const int fd = open_fd("receive");
    const auto until = Clock::now() + deadline;
    const std::size_t start = received_.size();
    const auto log_new = [&](Got how) { log_receipt(name_, received_, start, how); };
    while (!eof_) {
        int error = 0;
        switch (receive_some(fd, received_, until, error)) {
            case Got::data:
                break;
            case Got::eof:
                eof_ = true;
                log_new(Got::eof);
                break;
            case Got::reset:
                log_new(Got::reset);
                if (reset_too) {
                    eof_ = true;
                    break;
                }
                throw Failure(fmt::format(
                    "{}: your program reset the connection instead of closing it: it closed the "
                    "socket while unread data was waiting, or it crashed ({}). Received before "
                    "the reset: {}",
                    name_, error_text(error), so_far(std::string_view(received_).substr(start))));
            case Got::timeout:
                log_new(Got::timeout);
                throw Failure(
                    fmt::format("{}: expected your program to close the connection "
                                "within {}, but it is still open; received so far: {}",
                                name_, duration_text(deadline),
                                so_far(std::string_view(received_).substr(start))));
        }
    }
    return received_;
}

void Connection::expect_eof(milliseconds deadline) {
    expect_end(deadline, false);
}

void Connection::expect_closed(milliseconds deadline) {
    expect_end(deadline, true);
}

void Connection::expect_end(milliseconds deadline, bool reset_too) {
    const int fd = open_fd("receive");
    if (eof_) return;
    const std::size_t start = received_.size();
    int error = 0;
    switch (receive_some(fd, received_, Clock::now() + deadline, error)) {
        case Got::data: {
            const std::string_view extra = std::string_view(received_).substr(start);
            log_receipt(name_, received_, start, Got::data);
            throw Failure(fmt::format("{}: expected the connection to be closed, but received {}",
                                      name_, quoted(extra)));
        }
        case Got::eof:
            eof_ = true;
            log_receipt(name_, received_, start, Got::eof);
            return;
        case Got::reset:
            log_receipt(name_, received_, start, Got::reset);
            if (reset_too) {
                eof_ = true;
                return;
            }
            throw Failure(fmt::format(
                "{}: expected your program to close the connection, but it reset it ({}): it "
                "closed the socket while unread data was waiting, or it crashed",
                name_, error_text(error)));
        case Got::timeout:
            throw Failure(
                fmt::format("{}: expected your program to close the connection within "
                            "{}, but it is still open",
                            name_, duration_text(deadline)));
    }
}

void Connection::expect_silence(milliseconds quiet) {
    const int fd = open_fd("receive");
    if (eof_) {
        throw Failure(
            fmt::format("{}: expected the connection to stay open and quiet, but your "
                        "program had already closed it",
                        name_));
    }
    const std::size_t start = received_.size();
    int error = 0;
    switch (receive_some(fd, received_, Clock::now() + quiet, error)) {
        case Got::data: {
            const std::string_view extra = std::string_view(received_).substr(start);
            log_receipt(name_, received_, start, Got::data);
            throw Failure(fmt::format("{}: expected nothing for {}, but received {}", name_,
                                      duration_text(quiet), quoted(extra)));
        }
        case Got::eof:
            eof_ = true;
            log_receipt(name_, received_, start, Got::eof);
            throw Failure(
                fmt::format("{}: expected the connection to stay open with nothing "
                            "arriving for {}, but your program closed it",
                            name_, duration_text(quiet)));
        case Got::reset:
            log_receipt(name_, received_, start, Got::reset);
            throw Failure(
                fmt::format("{}: expected the connection to stay open with nothing "
                            "arriving for {}, but your program reset it ({})",
                            name_, duration_text(quiet), error_text(error)));
        case Got::timeout:
            log(fmt::format("{}: nothing arrived for {}, as expected", name_,
                            duration_text(quiet)));
            return;
    }
}

// ---- listening -------------------------------------------------------------------------------

Listener::Listener(const std::string& host) {
    fd_ = bind_any_port(host, true, port_, where_);
    log(fmt::format("test: listening on {}", where_));
}

Listener::~Listener() {
    if (fd_ >= 0) ::close(fd_);
}

Connection Listener::accept(Program* watch, milliseconds deadline) {
    const auto until = Clock::now() + deadline;
    const auto take = [&]() -> std::optional<Connection> {
        sockaddr_storage from{};
        socklen_t length = sizeof from;
        const int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&from), &length,
                                 SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) return std::nullopt;  // EAGAIN, or a connection aborted before we got it
        Connection c(fd, next_name("server"));
        log(fmt::format("{}: accepted a connection from {} on {}", c.name(),
                        endpoint_of(from).str(), where_));
        return c;
    };
    for (;;) {
        std::array<pollfd, 2> fds{pollfd{fd_, POLLIN, 0},
                                  pollfd{watch ? watch->state_->pidfd : -1, POLLIN, 0}};
        const auto left = until_now(until);
        const int rc =
            ::poll(fds.data(), 2, static_cast<int>(std::max<long long>(0, left.count())));
        if (rc < 0 && errno != EINTR) throw Failure("poll failed: " + error_text(errno));
        if (rc > 0 && fds[0].revents != 0) {
            if (auto c = take()) return std::move(*c);
        }
        if (rc > 0 && fds[1].revents != 0) {
            // It ended; a connection it made just before may still be waiting.
            if (auto c = take()) return std::move(*c);
            watch->state_->wait_exit_until(until);
            log(fmt::format("test: no connection arrived on {}", where_));
            throw Failure(fmt::format("test: no connection arrived on {}: {}", where_,
                                      watch->state_->exited_before("connecting to it")));
        }
        if (rc == 0 && left.count() <= 0) {
            log(fmt::format("test: no connection arrived on {} within {}", where_,
                            duration_text(deadline)));
            std::string running;
            if (watch != nullptr) {
                std::scoped_lock lock(watch->state_->mutex);
                running = fmt::format(" {} is still running. {}", watch->state_->who(),
                                      watch->state_->quote_last_lines());
            }
            throw Failure(
                fmt::format("test: no connection arrived on {} within {} — did your "
                            "program connect to the host and port it was given?{}",
                            where_, duration_text(deadline), running));
        }
    }
}

ClosedPort::ClosedPort(const std::string& host) : ClosedPort(host, 0) {}

ClosedPort::ClosedPort(const std::string& host, std::uint16_t port) {
    std::string where;
    fd_ = bind_any_port(host, false, port_, where, port);
    log(fmt::format("test: {} is bound but not listening, so connections to it are refused",
                    where));
}

ClosedPort::~ClosedPort() {
    if (fd_ >= 0) ::close(fd_);
}

bool port_can_be_bound(const std::string& host, std::uint16_t port) {
    try {
        const Address address = resolve(host, port).front();
        const int fd = ::socket(address.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return false;
        const int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        const bool ok = ::bind(fd, address.get(), address.length) == 0 && ::listen(fd, 1) == 0;
        ::close(fd);
        return ok;
    } catch (const Failure&) {
        return false;
    }
}

}  // namespace probe
