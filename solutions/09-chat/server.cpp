// server: a chat room. A client's first line is its name; then each line it sends goes to every
// other client as "NAME: LINE". Clients are told who joins and who leaves. Usable with nc.
//
//   $ server --port 63000
//   Listening on 127.0.0.1:63000
//
// ada's side:  ada             ->  welcome ada
//                              <-  * bob joined
//              hello bob       (bob gets "ada: hello bob")
// The lesson's README has the whole contract.
#include <sys/socket.h>  // shutdown

#include <cstddef>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "chat.hpp"
#include "lines.hpp"
#include "stream.hpp"
#include "workbook/args.hpp"

namespace {

// Sends the lines of `outbox` to `client` until the outbox closes (the client left, or read too
// slowly) or a send fails; then shuts the connection down both ways, which also wakes the reader
// in recv() if it is still there.
void write_lines(const stream::Socket& client, chat::Outbox& outbox) {
    try {
        while (const std::optional<std::string> line = outbox.pop())
            stream::send_all(client, *line + "\n");
    } catch (const std::exception&) {
        // the client has gone: the reader sees it too
    }
    outbox.close();
    ::shutdown(client.fd(), SHUT_RDWR);
}

// One client's whole stay, in a thread of its own: its name, then its lines.
void serve(stream::Socket client, std::string peer, chat::Room& room) {
    const auto outbox = std::make_shared<chat::Outbox>(client.fd());
    // The writer: the only thread that sends on this socket, so lines never mix. Joined at the end
    // of this function (std::jthread), before the socket closes.
    std::jthread writer(write_lines, std::cref(client), std::ref(*outbox));
    std::string name;  // empty until the client has joined
    try {
        framing::LineSplitter splitter;
        char buffer[4096];
        while (const std::size_t received = stream::receive_some(client, buffer)) {
            for (const std::string& line : splitter.feed(std::string_view(buffer, received))) {
                if (!name.empty()) {
                    room.broadcast(name, name + ": " + line);
                } else if (const std::string problem = chat::name_problem(line); !problem.empty()) {
                    outbox->push("error: " + problem);
                } else if (!room.join(line, outbox)) {
                    outbox->push("error: the name " + line + " is taken");
                } else {
                    name = line;
                }
            }
        }
    } catch (const framing::LineTooLong& e) {
        outbox->push(std::string("error: ") + e.what());
        std::cerr << "server: " + peer + ": " + e.what() + "\n" << std::flush;
    } catch (const std::exception& e) {
        std::cerr << "server: " + peer + ": " + e.what() + "\n" << std::flush;
    }
    if (!name.empty()) room.leave(name);
    outbox->close();  // the writer sends what is left, then shuts the connection down
}

}  // namespace

int main(int argc, char** argv) {
    const workbook::ServerOptions options = workbook::parse_server_options(
        argc, argv,
        "A chat room: the first line is your name, then every line goes to the others.");
    try {
        const stream::Socket listener = stream::listen_on(options.host, options.port);
        std::cout << "Listening on " << stream::local_address(listener) << std::endl;
        chat::Room room;  // lives as long as main(), which never returns while clients are served
        for (;;) {
            std::string peer;
            stream::Socket client = stream::accept_client(listener, peer);
            std::thread(serve, std::move(client), std::move(peer), std::ref(room)).detach();
        }
    } catch (const std::exception& e) {
        std::cerr << "server: " << e.what() << std::endl;
        return 1;
    }
}
