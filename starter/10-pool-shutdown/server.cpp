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
// The lesson's README has the whole contract. First copy your tools in (stream.cpp from lesson 06,
// lines.cpp from 07, utf8.cpp from 01: the README says how), then write pool.cpp, then this file.
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
#include <stdexcept>
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
[[maybe_unused]] std::string answer(const std::string& line) {
    // TODO 4 "WORK N", N a whole number from 0 to 2000 (std::from_chars reads it): sleep N
    //   milliseconds, then "done N". Any other line: its letters a to z in capitals.
    (void)line;
    throw std::logic_error(
        "not written yet: answer (TODO 4 in starter/10-pool-shutdown/server.cpp)");
}

// One connection, to its end.
[[maybe_unused]] void serve(pool::Connection& connection) {
    // TODO 5 set SO_RCVTIMEO to 1 s on the socket (a recv() then waits at most that long, and
    //   fails with EAGAIN). Read until the first whole line (lesson 07's LineSplitter), or end of
    //   file (then the bytes that came, if any, are the request). Answer it: answer(line) + "\n".
    //   A recv() that timed out: "error: timeout"; a line too long: "error: line longer than 1024
    //   bytes". Any other error: one line on stderr, "server: IP:PORT: WHAT", printed whole.
    (void)connection;
}

}  // namespace

int main(int argc, char** argv) {
    int workers = 4;
    int queue_size = 16;
    const workbook::ServerOptions options = workbook::parse_server_options(
        argc, argv, "A pool of workers behind a bounded queue, and a clean shutdown.",
        {{"--workers", workers, "threads that serve clients", 1, 64},
         {"--queue", queue_size, "accepted connections that may wait", 1, 1024}});
    try {
        // TODO 6 block SIGINT and SIGTERM (a sigset_t, pthread_sigmask(SIG_BLOCK, ...)) before
        //   any thread starts: every thread then inherits the mask, and no handler interrupts any.
        // TODO 7 listen, print "Listening on IP:PORT" (std::endl). A ConnectionQueue of
        //   queue_size; `workers` std::jthreads, each: pop() connections until nullopt, printing
        //   "serving IP:PORT" (one string) then serve() and counting it (std::atomic<int>).
        // TODO 8 a signal thread (std::jthread): sigwait() for SIGINT or SIGTERM, then set a
        //   std::atomic<bool> stopping, and ::shutdown(listener.fd(), SHUT_RDWR): that wakes the
        //   accept() of the main thread (close() would not).
        // TODO 9 the main thread accepts: each client goes to queue.try_push(); one given back
        //   (queue full) gets "error: busy" and is closed. When accept fails: if stopping, that is
        //   the shutdown: leave the loop.
        // TODO 10 the shutdown: queue.close(), join the workers (they serve what was queued
        //   first), print "served N clients" (std::endl), and return 0.

        // TODO when 6 to 10 are written: delete this line.
        throw std::logic_error(
            "not written yet: follow the TODOs in starter/10-pool-shutdown/pool.cpp and "
            "server.cpp (your tools from lessons 06, 07 and 01 copied in first: see the lesson's "
            "README)");
    } catch (const std::exception& e) {
        std::cerr << "server: " << e.what() << std::endl;
        return 1;
    }
}
