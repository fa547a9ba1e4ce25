// server: a line server that serves every client at once, each in a thread of its own. Each line
// a client sends gets one answer: STATS gets "clients N", the number of clients connected now;
// any other line comes back with its letters a to z in capitals. It runs until it is stopped.
//
//   $ server --port 63000
//   Listening on 127.0.0.1:63000
//
// A client's side:   hello    ->  HELLO
//                    STATS    ->  clients 2
// The lesson's README has the whole contract. First copy your tools in (stream.cpp from lesson 06,
// lines.cpp from 07, utf8.cpp from 01: the README says how), then follow the TODOs below.
#include <atomic>
#include <cstddef>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "lines.hpp"
#include "stream.hpp"
#include "workbook/args.hpp"

namespace {

// TODO 1 the number of clients connected now. Every client's thread will change it and read it at
//   the same time: make it a type for which that is not a data race.

[[maybe_unused]] std::string answer(const std::string& line) {
    // TODO 2 "STATS" is answered "clients N" (the count of TODO 1); any other line comes back
    //   with its letters a to z in capitals.
    (void)line;
    throw std::logic_error(
        "not written yet: answer (TODO 2 in starter/08-threaded-server/server.cpp)");
}

// One client's whole conversation, in a thread of its own.
[[maybe_unused]] void serve(stream::Socket client, std::string peer) {
    // TODO 3 count this client as connected for as long as this function runs, whichever way it
    //   ends (end of file, a reset, an exception): a small class whose constructor adds one and
    //   whose destructor takes it away does that on every path.
    // TODO 4 lesson 07's line loop: each line gets answer(line) and "\n"; a line too long gets
    //   "error: line longer than 1024 bytes" and ends the conversation; at end of file, a last line
    //   without '\n' is answered too. Any error of this client is one line on stderr,
    //   "server: IP:PORT: WHAT", printed as one string (threads print at the same time).
    (void)client;
    (void)peer;
}

}  // namespace

int main(int argc, char** argv) {
    const workbook::ServerOptions options = workbook::parse_server_options(
        argc, argv, "Serve every client at once, a thread each: lines in capitals, and STATS.");
    try {
        // TODO 5 listen and print "Listening on IP:PORT" (std::endl). Then, for ever: accept a
        //   client and start a std::thread running serve() for it. Give the thread the client's
        //   Socket by moving it in (std::move): the thread owns it from then on. Do not wait for
        //   the thread to end before accepting the next client.

        // TODO when 1 to 5 are written: delete this line.
        throw std::logic_error(
            "not written yet: follow the TODOs in starter/08-threaded-server/server.cpp (your "
            "tools from lessons 06, 07 and 01 copied in first: see the lesson's README)");
    } catch (const std::exception& e) {
        std::cerr << "server: " << e.what() << std::endl;
        return 1;
    }
}
