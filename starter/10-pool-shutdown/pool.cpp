// The queue of connections: read pool.hpp first, its comments are the contract.
#include "pool.hpp"

#include <stdexcept>
#include <utility>

namespace pool {

std::optional<Connection> ConnectionQueue::try_push(Connection connection) {
    // TODO 1 under mutex_: if closed_, or connections_ already holds capacity_ connections, give
    //   the connection back (return it); else move it into connections_. Then wake one waiting
    //   pop() (changed_.notify_one()) and return std::nullopt.
    (void)connection;
    throw std::logic_error(
        "not written yet: ConnectionQueue::try_push (TODO 1 in starter/10-pool-shutdown/pool.cpp)");
}

std::optional<Connection> ConnectionQueue::pop() {
    // TODO 2 wait on changed_ (a std::unique_lock, and a condition) until the queue is closed or
    //   holds a connection. Empty then means closed: return std::nullopt. Else move the front one
    //   out, pop_front(), and return it.
    throw std::logic_error(
        "not written yet: ConnectionQueue::pop (TODO 2 in starter/10-pool-shutdown/pool.cpp)");
}

void ConnectionQueue::close() {
    // TODO 3 closed_ = true under the lock, then wake every waiting pop() (notify_all).
}

}  // namespace pool
