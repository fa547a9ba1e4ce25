// server: a fixed pool of worker threads behind a bounded queue, and a clean shutdown. Each
// connection carries one request, a line, and gets one answer line: "WORK N" (N from 0 to 2000)
// takes N milliseconds and is answered "done N"; any other line comes back in capitals. On SIGINT
// or SIGTERM it stops accepting, serves every connection it had accepted, joins its threads,
// prints how many clients it served, and exits with status 0.
//
//   $ server --port 63000 --workers 4 --queue 16
//   Listening on 127.0.0.1:63000
//   serving 127.0.0.1:51234
//   ^C
//   served 1 clients
//
// The lesson's README has the whole contract.
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "lines.hpp"
#include "pool.hpp"
#include "stream.hpp"
#include "workbook/args.hpp"

namespace {

// The answer to one request line.
std::string answer(const std::string& line) {
    int ms = -1;
    if (line.starts_with("WORK ")) {
        const char* first = line.data() + 5;
        const char* last = line.data() + line.size();
        const auto [end, error] = std::from_chars(first, last, ms);
        if (error != std::errc() || end != last || first == last) ms = -1;
    }
    if (ms >= 0 && ms <= 2000) {
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));  // the "work"
        return "done " + std::to_string(ms);
    }
    std::string capitals = line;
    for (char& c : capitals)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return capitals;
}

// One connection, to its end: one request line (or the bytes before end of file), one answer.
// A client that sends nothing for 1 s is answered "error: timeout".
void serve(pool::Connection& connection) {
    const stream::Socket& client = connection.socket;
    try {
        const timeval second{1, 0};
        ::setsockopt(client.fd(), SOL_SOCKET, SO_RCVTIMEO, &second, sizeof second);
        framing::LineSplitter splitter;
        std::optional<std::string> request;
        char buffer[4096];
        try {
            while (!request) {
                const std::size_t received = stream::receive_some(client, buffer);
                if (received == 0) {  // end of file: what came is the request, if anything did
                    if (!splitter.rest().empty()) request = splitter.rest();
                    break;
                }
                const auto lines = splitter.feed(std::string_view(buffer, received));
                if (!lines.empty()) request = lines.front();
            }
        } catch (const std::system_error& e) {
            if (e.code() != std::errc::resource_unavailable_try_again) throw;
            stream::send_all(client, "error: timeout\n");
            return;
        } catch (const framing::LineTooLong& e) {
            stream::send_all(client, std::string("error: ") + e.what() + "\n");
            return;
        }
        if (request) stream::send_all(client, answer(*request) + "\n");
    } catch (const std::exception& e) {
        std::cerr << "server: " + connection.peer + ": " + e.what() + "\n" << std::flush;
    }
}

}  // namespace

int main(int argc, char** argv) {
    int workers = 4;
    int queue_size = 16;
    const workbook::ServerOptions options = workbook::parse_server_options(
        argc, argv, "A pool of workers behind a bounded queue, and a clean shutdown.",
        {{"--workers", workers, "threads that serve clients", 1, 64},
         {"--queue", queue_size, "accepted connections that may wait", 1, 1024}});

    // SIGINT and SIGTERM are blocked in this thread before any other starts, so in every thread:
    // none of them is interrupted by a handler. One thread waits for them with sigwait(), and does
    // the shutdown's first step in plain code, where anything is allowed.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    try {
        const stream::Socket listener = stream::listen_on(options.host, options.port);
        std::cout << "Listening on " << stream::local_address(listener) << std::endl;

        pool::ConnectionQueue queue(static_cast<std::size_t>(queue_size));
        std::atomic<int> served{0};
        std::atomic<bool> stopping{false};
        std::vector<std::jthread> pool;
        for (int i = 0; i < workers; ++i) {
            pool.emplace_back([&] {
                while (std::optional<pool::Connection> connection = queue.pop()) {
                    std::cout << "serving " + connection->peer + "\n" << std::flush;
                    serve(*connection);
                    ++served;
                }
            });
        }
        // The signal thread: sigwait() returns the first SIGINT or SIGTERM. It wakes the accepting
        // thread from accept() by shutting the listening socket down (close() would not wake it).
        std::jthread signals([&] {
            int signal = 0;
            sigwait(&stop_signals, &signal);
            stopping = true;
            ::shutdown(listener.fd(), SHUT_RDWR);
        });

        int status = 0;
        for (;;) {
            std::string peer;
            stream::Socket client;
            try {
                client = stream::accept_client(listener, peer);
            } catch (const std::system_error& e) {
                if (!stopping) {  // a real error: shut down all the same, then exit with 1
                    std::cerr << "server: " << e.what() << std::endl;
                    status = 1;
                    pthread_kill(signals.native_handle(), SIGTERM);  // ends the signal thread
                }
                break;
            }
            if (const auto refused = queue.try_push({std::move(client), std::move(peer)})) {
                // A full queue: refuse at once rather than keep the client waiting unseen.
                try {
                    stream::send_all(refused->socket, "error: busy\n");
                } catch (const std::system_error&) {
                    // it has gone already
                }
            }
        }
        queue.close();  // the workers serve what is queued, then end
        pool.clear();   // joins them
        std::cout << "served " << served << " clients" << std::endl;
        return status;
    } catch (const std::exception& e) {
        std::cerr << "server: " << e.what() << std::endl;
        return 1;
    }
}
