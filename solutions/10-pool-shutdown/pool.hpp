// pool: the queue between lesson 10's accepting thread and its pool of workers.
//
//     pool::ConnectionQueue queue(16);
//     // the accepting thread:
//     if (auto refused = queue.try_push({std::move(client), peer})) { /* full: refuse it */ }
//     // each worker:
//     while (std::optional<pool::Connection> c = queue.pop()) serve(*c);
//     // at shutdown, once nothing is accepted any more:
//     queue.close();  // the workers empty the queue, then pop() gives nullopt and they end
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "stream.hpp"

namespace pool {

// An accepted client: its socket and its address ("127.0.0.1:51234").
struct Connection {
    stream::Socket socket;
    std::string peer;
};

// A queue of accepted connections that holds at most `capacity` of them. One thread pushes, any
// number pop.
class ConnectionQueue {
  public:
    explicit ConnectionQueue(std::size_t capacity) : capacity_(capacity) {}

    // Adds the connection and wakes one waiting worker; returns nullopt. Never waits: if the queue
    // already holds `capacity` connections, or is closed, it gives the connection back instead,
    // for the caller to refuse.
    std::optional<Connection> try_push(Connection connection);

    // Waits until a connection is there, and takes the oldest out; nullopt once the queue is
    // closed and empty (the connections queued before close() are still handed out).
    std::optional<Connection> pop();

    // No more pushes; wakes every waiting pop().
    void close();

  private:
    const std::size_t capacity_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Connection> connections_;
    bool closed_ = false;
};

}  // namespace pool
