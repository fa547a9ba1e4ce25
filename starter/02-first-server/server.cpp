// server: the seed's Python server, in C++. It waits on --host:--port (default 127.0.0.1:63000) for
// one client, prints who connected and the one message it received, closes both sockets and exits.
//
//   $ server --port 63000
//   Waiting for a connection on 127.0.0.1:63000...
//   Connection from 127.0.0.1:51234
//   Message received: Salut le serveur !
//
// Errors: one line on stderr, "server: CALL: REASON" (e.g. "server: bind: Address already in use"),
// and exit status 1. The lesson's README has the whole contract.
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

    // TODO 1 socket(): create a TCP socket over IPv4, as Python's
    //   socket.socket(socket.AF_INET, socket.SOCK_STREAM). On error (-1): return fail("socket");

    // TODO 2 bind(): first setsockopt(SO_REUSEADDR) so a restart can take the port at once; then a
    //   sockaddr_in with sin_family AF_INET, sin_port htons(options.port), and sin_addr filled by
    //   inet_pton() from options.host; then bind(). Python: bind(("localhost", 63000)).

    // TODO 3 listen(): listen(..., 1). Then getsockname() to learn the real port (--port 0 lets
    //   the system choose) and print "Waiting for a connection on HOST:PORT..." with std::endl,
    //   which flushes.

    // TODO 4 accept(): wait for one client; print "Connection from IP:PORT" with its address
    //   (inet_ntop, ntohs). Python: client_socket, adresse = server.accept()

    // TODO 5 recv(): receive at most 1024 bytes and print "Message received: " and exactly the
    //   bytes received. Python: message = client_socket.recv(1024)

    // TODO 6 close(): close the client's socket, then the listening one, and return 0.

    // TODO when steps 1 to 6 are written: delete these two lines.
    std::cerr << "server: not written yet: follow the TODOs in starter/02-first-server/server.cpp"
              << std::endl;
    return 1;
}
