// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): the reference server of lesson 02, sabotaged to ignore --port and --host and
// always bind 127.0.0.1:63000, the seed's fixed port. 0-port-63000-b is the same server; the 0- puts
// the pair first in the batch, so that two workers grade them at the same time. Each in its own
// network namespace, both must get the same score, and neither may meet "Address already in use".
// It announces the port it really got, so only the test case that gives it a taken port can tell.
#include <arpa/inet.h>   // inet_pton, inet_ntop, htons, ntohs
#include <netinet/in.h>  // sockaddr_in
#include <sys/socket.h>  // socket, setsockopt, bind, listen, accept, recv, getsockname
#include <unistd.h>      // close

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string_view>

#include "workbook/args.hpp"

// Reports a failed call the way the contract asks: "server: CALL: REASON" on stderr, where
// REASON is strerror(errno), the text of the error the call left in errno. Returns 1, the exit
// status for errors, so that you can write `return fail("bind");`.
int fail(const char* call) {
    std::cerr << "server: " << call << ": " << std::strerror(errno) << std::endl;
    return 1;
}

int main(int argc, char** argv) {
    const workbook::ServerOptions options = workbook::parse_server_options(
        argc, argv, "Wait for one client, print the message it sends, and exit.");

    // 1. socket(): Python's socket.socket(socket.AF_INET, socket.SOCK_STREAM). AF_INET is IPv4,
    //    SOCK_STREAM is TCP. The result is a file descriptor: a small int naming the socket.
    const int server = socket(AF_INET, SOCK_STREAM, 0);
    if (server == -1) return fail("socket");

    // 2. bind(): Python's bind(("localhost", 63000)).
    //    SO_REUSEADDR first: when a connection closes, the side that closed first keeps its address
    //    in TIME_WAIT for a minute or so. Here that side is the server, so without this option a
    //    restart on the same port fails with "Address already in use" until TIME_WAIT is over.
    const int yes = 1;
    if (setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes) == -1) {
        return fail("setsockopt");
    }
    sockaddr_in address{};  // {} zeroes every field, the padding included
    address.sin_family = AF_INET;
    // Numbers on the wire are big-endian ("network byte order"); htons ("host to network short")
    // turns a 16-bit number from this machine's order (little-endian on x86 and ARM) into it.
    // Without it, --port 63000 would bind port 6390: the bytes F6 18 read the wrong way round.
    address.sin_port = htons(63000);  // sabotaged: always 63000, whatever --port says
    // inet_pton turns the text "127.0.0.1" into the 4 bytes sin_addr holds. It returns 1 on success
    // and 0 for text that is not an IPv4 address (errno is not set then, so no fail() here).
    if (inet_pton(AF_INET, "127.0.0.1", &address.sin_addr) != 1) {  // sabotaged: --host ignored
        std::cerr << "server: inet_pton: not an IPv4 address: " << options.host << std::endl;
        return 1;
    }
    // bind() takes any kind of address through the generic sockaddr*; the length says which.
    if (bind(server, reinterpret_cast<sockaddr*>(&address), sizeof address) == -1) {
        return fail("bind");
    }

    // 3. listen(): Python's listen(1). From now on the system accepts connections on our behalf
    //    and queues them (up to about 1) until we accept() them.
    if (listen(server, 1) == -1) return fail("listen");
    // With --port 0 the system chose the port during bind(); getsockname() tells which, so we
    // announce the port that really works, not the 0 we asked for.
    socklen_t length = sizeof address;
    if (getsockname(server, reinterpret_cast<sockaddr*>(&address), &length) == -1) {
        return fail("getsockname");
    }
    // std::endl ends the line AND flushes. When stdout is a pipe (a test, `| cat`), it is fully
    // buffered: without the flush this line would sit in our buffer while accept() waits, and
    // whoever reads it would wait for ever.
    std::cout << "Waiting for a connection on " << "127.0.0.1" << ':' << ntohs(address.sin_port)
              << "..." << std::endl;

    // 4. accept(): Python's client_socket, adresse = server.accept(). It waits for a client and
    //    returns a NEW socket for talking to it; `server` keeps listening. It also fills `peer`
    //    with the client's address: its IP and the port its system chose for it.
    sockaddr_in peer{};
    socklen_t peer_length = sizeof peer;
    const int client = accept(server, reinterpret_cast<sockaddr*>(&peer), &peer_length);
    if (client == -1) return fail("accept");
    char ip[INET_ADDRSTRLEN];  // room for "255.255.255.255" and its terminating '\0'
    inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
    std::cout << "Connection from " << ip << ':' << ntohs(peer.sin_port) << std::endl;

    // 5. recv(): Python's message = client_socket.recv(1024). It waits until some bytes have
    //    arrived, copies at most 1024 of them, and returns how many it copied: maybe fewer than the
    //    client sent (TCP is a stream of bytes, not of messages), 0 if the client closed without
    //    sending anything. The buffer gets no '\0' at the end: use exactly `received` bytes.
    char buffer[1024];
    const ssize_t received = recv(client, buffer, sizeof buffer, 0);
    if (received == -1) return fail("recv");
    // The bytes go out as they came: UTF-8 text stays UTF-8, nothing to decode in C++.
    std::cout << "Message received: "
              << std::string_view(buffer, static_cast<std::size_t>(received)) << std::endl;

    // 6. close(): Python's client_socket.close() and server.close(). Closing the client's socket
    //    sends the client end of file; closing the listening socket frees the port.
    close(client);
    close(server);
    return 0;
}
