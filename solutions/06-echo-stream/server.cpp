// server: an echo server. It serves clients one after another: it sends back every byte a client
// sends, in order, as it reads them, until the client half-closes its side; then it closes the
// connection and accepts the next client. It runs until it is stopped (Ctrl-C, SIGTERM).
//
//   $ server --port 63000
//   Listening on 127.0.0.1:63000
//   Connection from 127.0.0.1:51234
//   Closed 127.0.0.1:51234 after 18 bytes
//
// A client whose connection fails (a reset, a broken pipe) gets one line on stderr,
// "server: 127.0.0.1:51234: recv: Connection reset by peer", and the server goes on with the next.
// The lesson's README has the whole contract.
#include <cstddef>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>

#include "stream.hpp"
#include "workbook/args.hpp"

namespace {

// Sends back every byte `client` sends until it half-closes; returns how many there were.
std::size_t echo(const stream::Socket& client) {
    char buffer[4096];
    std::size_t echoed = 0;
    while (const std::size_t received = stream::receive_some(client, buffer)) {
        stream::send_all(client, std::string_view(buffer, received));
        echoed += received;
    }
    return echoed;
}

}  // namespace

int main(int argc, char** argv) {
    const workbook::ServerOptions options = workbook::parse_server_options(
        argc, argv, "Echo every byte back to each client, one client after another.");
    try {
        const stream::Socket listener = stream::listen_on(options.host, options.port);
        std::cout << "Listening on " << stream::local_address(listener) << std::endl;
        for (;;) {
            std::string peer;
            const stream::Socket client = stream::accept_client(listener, peer);
            std::cout << "Connection from " << peer << std::endl;
            try {
                const std::size_t echoed = echo(client);
                std::cout << "Closed " << peer << " after " << echoed << " bytes" << std::endl;
            } catch (const std::system_error& e) {
                // This client's connection failed; the server goes on with the next one.
                std::cerr << "server: " << peer << ": " << e.what() << std::endl;
            }
        }  // `client` closes here, whichever way its echo ended
    } catch (const std::exception& e) {
        std::cerr << "server: " << e.what() << std::endl;
        return 1;
    }
}
