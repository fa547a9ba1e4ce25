// line_server: answers each line a client sends with its length in characters and in bytes.
// Clients are served one after another, as in lesson 06; it runs until it is stopped.
//
//   $ line_server --port 63000
//   Listening on 127.0.0.1:63000
//   Connection from 127.0.0.1:51234
//   Closed 127.0.0.1:51234 after 2 lines
//
// The client's side of that conversation:
//   Message reçu          ->  12 characters, 13 bytes
//   caf\xe9 (Latin-1)     ->  error: can't decode byte 0xe9 in position 3: unexpected end of data
// The lesson's README has the whole contract.
#include <cstddef>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>

#include "lines.hpp"
#include "stream.hpp"
#include "workbook/args.hpp"

namespace {

// Answers every line of `client` until end of file; returns how many lines it answered. Throws
// LineTooLong (after answering it) and std::system_error.
std::size_t serve(const stream::Socket& client) {
    framing::LineSplitter splitter;
    std::size_t answered = 0;
    char buffer[4096];
    try {
        while (const std::size_t received = stream::receive_some(client, buffer)) {
            for (const std::string& line : splitter.feed(std::string_view(buffer, received))) {
                stream::send_all(client, framing::describe_line(line) + "\n");
                ++answered;
            }
        }
    } catch (const framing::LineTooLong& e) {
        stream::send_all(client, std::string("error: ") + e.what() + "\n");
        throw;
    }
    // End of file after a last line without '\n': it is a line all the same.
    if (!splitter.rest().empty()) {
        stream::send_all(client, framing::describe_line(splitter.rest()) + "\n");
        ++answered;
    }
    return answered;
}

}  // namespace

int main(int argc, char** argv) {
    const workbook::ServerOptions options = workbook::parse_server_options(
        argc, argv, "Answer each line with its length in characters and in bytes.");
    try {
        const stream::Socket listener = stream::listen_on(options.host, options.port);
        std::cout << "Listening on " << stream::local_address(listener) << std::endl;
        for (;;) {
            std::string peer;
            const stream::Socket client = stream::accept_client(listener, peer);
            std::cout << "Connection from " << peer << std::endl;
            try {
                const std::size_t lines = serve(client);
                std::cout << "Closed " << peer << " after " << lines << " lines" << std::endl;
            } catch (const std::system_error& e) {
                std::cerr << "server: " << peer << ": " << e.what() << std::endl;
            } catch (const framing::LineTooLong& e) {
                std::cerr << "server: " << peer << ": " << e.what() << std::endl;
            }
        }
    } catch (const std::exception& e) {
        std::cerr << "server: " << e.what() << std::endl;
        return 1;
    }
}
