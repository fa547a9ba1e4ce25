// server: a line server that serves every client at once, each in a thread of its own. Each line
// a client sends gets one answer: STATS gets "clients N", the number of clients connected now;
// any other line comes back with its letters a to z in capitals. It runs until it is stopped.
//
//   $ server --port 63000
//   Listening on 127.0.0.1:63000
//
// A client's side:   hello    ->  HELLO
//                    STATS    ->  clients 2
// The lesson's README has the whole contract.
#include <atomic>
#include <cstddef>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "lines.hpp"
#include "stream.hpp"
#include "workbook/args.hpp"

namespace {

// The clients connected now. Every client's thread changes it and reads it: an atomic, so that
// no update is lost and no read sees half of one.
std::atomic<int> connected{0};

// Counts its client as connected for as long as it lives: from the start of the client's thread
// to its end, whichever way the thread ends (end of file, a reset, a line too long).
class Counted {
  public:
    Counted() { ++connected; }
    ~Counted() { --connected; }
    Counted(const Counted&) = delete;
    Counted& operator=(const Counted&) = delete;
};

std::string answer(const std::string& line) {
    if (line == "STATS") return "clients " + std::to_string(connected.load());
    std::string capitals = line;
    for (char& c : capitals)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return capitals;
}

// One client's whole conversation, in its own thread. It owns everything it uses (the socket,
// moved in; the splitter and the buffer, its own); the only things it shares are `connected` and
// std::cerr.
void serve(stream::Socket client, std::string peer) {
    const Counted counted;
    try {
        framing::LineSplitter splitter;
        char buffer[4096];
        try {
            while (const std::size_t received = stream::receive_some(client, buffer))
                for (const std::string& line : splitter.feed(std::string_view(buffer, received)))
                    stream::send_all(client, answer(line) + "\n");
        } catch (const framing::LineTooLong& e) {
            stream::send_all(client, std::string("error: ") + e.what() + "\n");
            throw;
        }
        if (!splitter.rest().empty()) stream::send_all(client, answer(splitter.rest()) + "\n");
    } catch (const std::exception& e) {
        // One string, one write: lines from two threads do not mix.
        std::cerr << "server: " + peer + ": " + e.what() + "\n" << std::flush;
    }
}

}  // namespace

int main(int argc, char** argv) {
    const workbook::ServerOptions options = workbook::parse_server_options(
        argc, argv, "Serve every client at once, a thread each: lines in capitals, and STATS.");
    try {
        const stream::Socket listener = stream::listen_on(options.host, options.port);
        std::cout << "Listening on " << stream::local_address(listener) << std::endl;
        for (;;) {
            std::string peer;
            stream::Socket client = stream::accept_client(listener, peer);
            // Detached: the thread owns what it uses and ends with its client; the loop goes back
            // to accept() at once. (Lesson 10 keeps its threads, to join them at shutdown.)
            std::thread(serve, std::move(client), std::move(peer)).detach();
        }
    } catch (const std::exception& e) {
        std::cerr << "server: " << e.what() << std::endl;
        return 1;
    }
}
