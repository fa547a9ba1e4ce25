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
//
// Write the tools in stream.cpp first (TODOs 1 to 8), then the server here (TODOs 9 and 10).
#include <cstddef>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include "stream.hpp"
#include "workbook/args.hpp"

int main(int argc, char** argv) {
    const workbook::ServerOptions options = workbook::parse_server_options(
        argc, argv, "Echo every byte back to each client, one client after another.");
    try {
        // TODO 9 listen on options.host and options.port, and print "Listening on IP:PORT" with
        //   the address it really got (std::endl: a client may connect as soon as it reads it).

        // TODO 10 for each client, one after another, forever:
        //   - accept it and print "Connection from IP:PORT";
        //   - receive and send back every byte until end of file, then print
        //     "Closed IP:PORT after N bytes", N being how many bytes it sent;
        //   - if a call fails for this client (std::system_error: a reset, a broken pipe), print
        //     "server: IP:PORT: " and e.what() on stderr instead, and go on with the next client.
        //   Its Socket closes when it goes out of scope, whichever way the echo ended.

        // TODO when 9 and 10 are written: delete this line.
        throw std::logic_error(
            "not written yet: follow the TODOs in starter/06-echo-stream/stream.cpp (1 to 8), "
            "then in server.cpp (9 and 10)");
    } catch (const std::exception& e) {
        std::cerr << "server: " << e.what() << std::endl;
        return 1;
    }
}
