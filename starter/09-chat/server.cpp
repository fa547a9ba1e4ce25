// server: a chat room. A client's first line is its name; then each line it sends goes to every
// other client as "NAME: LINE". Clients are told who joins and who leaves. Usable with nc.
//
//   $ server --port 63000
//   Listening on 127.0.0.1:63000
//
// ada's side:  ada             ->  welcome ada
//                              <-  * bob joined
//              hello bob       (bob gets "ada: hello bob")
// The lesson's README has the whole contract. First copy your tools in (stream.cpp from lesson 06,
// lines.cpp from 07, utf8.cpp from 01: the README says how), then write chat.cpp, then this file.
#include <sys/socket.h>  // shutdown

#include <cstddef>
#include <exception>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "chat.hpp"
#include "lines.hpp"
#include "stream.hpp"
#include "workbook/args.hpp"

namespace {

// The client's writer thread: the only thread that sends on this socket.
[[maybe_unused]] void write_lines(const stream::Socket& client, chat::Outbox& outbox) {
    // TODO 9 send each line outbox.pop() gives (with its "\n") until it gives nullopt, or a send
    //   fails (the client has gone). Then close the outbox and shut the connection down both ways,
    //   ::shutdown(client.fd(), SHUT_RDWR): that also wakes this client's reader, if it still
    //   waits in recv() (a client disconnected for reading too slowly).
    (void)client;
    (void)outbox;
}

// One client's whole stay, in a thread of its own.
[[maybe_unused]] void serve(stream::Socket client, std::string peer, chat::Room& room) {
    // TODO 10 an Outbox for this client's descriptor (std::make_shared<chat::Outbox>(client.fd()))
    // and a std::jthread running write_lines for it. Then
    //   lesson 07's line loop: until the client has a name, each line is a name to try
    //   (name_problem, then room.join; a refusal is "error: ..." in the outbox); after that, each
    //   line goes to room.broadcast as "NAME: LINE". A line too long: "error: line longer than
    //   1024 bytes" in the outbox. Any error: one line on stderr, "server: IP:PORT: WHAT". At the
    //   end, whichever way it came: room.leave(name) if it had joined, then outbox->close().
    (void)client;
    (void)peer;
    (void)room;
}

}  // namespace

int main(int argc, char** argv) {
    const workbook::ServerOptions options = workbook::parse_server_options(
        argc, argv,
        "A chat room: the first line is your name, then every line goes to the others.");
    try {
        // TODO 11 lesson 08's accept loop: listen, print "Listening on IP:PORT", then a detached
        //   thread running serve() for each client, with one chat::Room they all share (by
        //   reference: std::ref(room)).

        // TODO when 1 to 11 are written: delete this line.
        throw std::logic_error(
            "not written yet: follow the TODOs in starter/09-chat/chat.cpp and server.cpp (your "
            "tools from lessons 06, 07 and 01 copied in first: see the lesson's README)");
    } catch (const std::exception& e) {
        std::cerr << "server: " << e.what() << std::endl;
        return 1;
    }
}
