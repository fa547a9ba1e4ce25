// client: the seed's Python client, in C++. It connects to --host:--port (default 127.0.0.1:63000),
// sends MESSAGE, closes the connection and exits with status 0.
//
//   $ client --port 63000 "Salut le serveur !"
//
// Errors: one line on stderr and exit status 1. When nobody listens there:
//   client: connect to 127.0.0.1:63000: Connection refused
// The lesson's README has the whole contract.
#include <netdb.h>       // getaddrinfo, freeaddrinfo, gai_strerror
#include <sys/socket.h>  // socket, connect, send
#include <unistd.h>      // close

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>

#include "workbook/args.hpp"

int main(int argc, char** argv) {
    const workbook::ClientOptions options =
        workbook::parse_client_options(argc, argv, "Connect to a server and send it one message.");
    const std::string port = std::to_string(options.port);
    const std::string where = options.host + ":" + port;  // for the error messages

    // 1. getaddrinfo(): what Python's connect(("localhost", 63000)) does before connecting. It
    //    turns a host name ("localhost", "example.org") or an address ("127.0.0.1", "::1") and a
    //    port into a list of addresses to try: "localhost" is often ::1 (IPv6) AND 127.0.0.1.
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;      // IPv4 or IPv6, whichever the name has
    hints.ai_socktype = SOCK_STREAM;  // TCP
    addrinfo* addresses = nullptr;
    const int status = getaddrinfo(options.host.c_str(), port.c_str(), &hints, &addresses);
    if (status != 0) {
        // getaddrinfo does not use errno: it returns its own error code, with its own texts.
        std::cerr << "client: getaddrinfo " << where << ": " << gai_strerror(status) << std::endl;
        return 1;
    }

    // 2. socket() and connect(): Python's socket.socket(...) and connect(...), for each address in
    //    turn until one accepts. A server listening on 127.0.0.1 only refuses ::1, so giving up
    //    after the first address would miss it.
    int client = -1;
    int error = 0;  // errno of the last failure, for the message if every address fails
    for (const addrinfo* a = addresses; a != nullptr; a = a->ai_next) {
        client = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (client == -1) {
            error = errno;
            continue;
        }
        if (connect(client, a->ai_addr, a->ai_addrlen) == 0) break;
        error = errno;  // save it before close(), which may change errno
        close(client);
        client = -1;
    }
    freeaddrinfo(addresses);  // the list was allocated by getaddrinfo: give it back
    if (client == -1) {
        std::cerr << "client: connect to " << where << ": " << std::strerror(error) << std::endl;
        return 1;
    }

    // 3. send(): Python's send(b"..."). The message is already bytes (UTF-8 text stays UTF-8).
    //    send() returns how many bytes the system took, which may be fewer than we asked for, so
    //    we loop until every byte is gone (Python's sendall() does the same loop).
    //    MSG_NOSIGNAL: if the server has gone, send() fails with EPIPE instead of the system
    //    killing this program with SIGPIPE.
    std::string_view rest = options.message;
    while (!rest.empty()) {
        const ssize_t sent = send(client, rest.data(), rest.size(), MSG_NOSIGNAL);
        if (sent == -1) {
            if (errno == EINTR) continue;  // interrupted by a signal before sending: try again
            std::cerr << "client: send to " << where << ": " << std::strerror(errno) << std::endl;
            close(client);
            return 1;
        }
        rest.remove_prefix(static_cast<std::size_t>(sent));
    }

    // 4. close(): Python's close(). The server's recv() then returns what is left, then 0 (end of
    //    file). Nothing is lost: close() hands the unsent bytes to the system, which delivers them.
    close(client);
    return 0;
}
