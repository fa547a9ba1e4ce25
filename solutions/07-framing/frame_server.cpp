// frame_server: answers each length-prefixed frame a client sends with a frame of the same payload,
// its letters a to z in capitals (every other byte as it is). Clients are served one after another,
// as in lesson 06; it runs until it is stopped.
//
//   $ frame_server --port 63000
//   Listening on 127.0.0.1:63000
//   Connection from 127.0.0.1:51234
//   Closed 127.0.0.1:51234 after 3 frames
//
// The client's side: 00 00 00 05 "hello"  ->  00 00 00 05 "HELLO".
// The lesson's README has the whole contract.
#include <cstddef>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>

#include "frames.hpp"
#include "stream.hpp"
#include "workbook/args.hpp"

namespace {

// Letters a to z in capitals; every other byte (UTF-8's included) unchanged.
std::string capitals(std::string text) {
    for (char& c : text) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return text;
}

// Answers every frame of `client` until end of file; returns how many it answered. An incomplete
// frame at end of file is dropped. Throws FrameTooLarge and std::system_error.
std::size_t serve(const stream::Socket& client) {
    framing::FrameDecoder decoder;
    std::size_t answered = 0;
    char buffer[4096];
    while (const std::size_t received = stream::receive_some(client, buffer)) {
        for (const std::string& payload : decoder.feed(std::string_view(buffer, received))) {
            stream::send_all(client, framing::encode_frame(capitals(payload)));
            ++answered;
        }
    }
    return answered;
}

}  // namespace

int main(int argc, char** argv) {
    const workbook::ServerOptions options = workbook::parse_server_options(
        argc, argv, "Answer each length-prefixed frame with its payload in capitals.");
    try {
        const stream::Socket listener = stream::listen_on(options.host, options.port);
        std::cout << "Listening on " << stream::local_address(listener) << std::endl;
        for (;;) {
            std::string peer;
            const stream::Socket client = stream::accept_client(listener, peer);
            std::cout << "Connection from " << peer << std::endl;
            try {
                const std::size_t frames = serve(client);
                std::cout << "Closed " << peer << " after " << frames << " frames" << std::endl;
            } catch (const std::system_error& e) {
                std::cerr << "server: " << peer << ": " << e.what() << std::endl;
            } catch (const framing::FrameTooLarge& e) {
                std::cerr << "server: " << peer << ": " << e.what() << std::endl;
            }
        }
    } catch (const std::exception& e) {
        std::cerr << "server: " << e.what() << std::endl;
        return 1;
    }
}
