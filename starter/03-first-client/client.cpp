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

    // TODO 1 getaddrinfo(): turn options.host and port into a list of addresses (hints: ai_family
    //   AF_UNSPEC, ai_socktype SOCK_STREAM). On failure print "client: getaddrinfo HOST:PORT: " and
    //   gai_strerror() of the code it returned on stderr (`where` is "HOST:PORT"), and return 1.

    // TODO 2 socket() and connect(): for each address of the list in turn, create a socket and
    //   connect(); stop at the first that connects, close the others. Then freeaddrinfo() the list.
    //   If none connects: print "client: connect to HOST:PORT: " and strerror() of the errno saved
    //   after the last failure on stderr, and return 1.
    //   Python: client.connect(("localhost", 63000))

    // TODO 3 send(): send every byte of options.message; send() may take fewer bytes than you
    //   give it, so loop. Pass MSG_NOSIGNAL. Python: client.send(b"Salut le serveur !")

    // TODO 4 close(): close the socket and return 0.

    // TODO when steps 1 to 4 are written: delete these two lines.
    std::cerr << "client: not written yet: follow the TODOs in starter/03-first-client/client.cpp"
              << std::endl;
    return 1;
}
