// The queue of connections (pool.hpp).
#include "pool.hpp"

#include <utility>

namespace pool {

std::optional<Connection> ConnectionQueue::try_push(Connection connection) {
    {
        std::lock_guard lock(mutex_);
        if (closed_ || connections_.size() >= capacity_) return connection;
        connections_.push_back(std::move(connection));
    }
    changed_.notify_one();
    return std::nullopt;
}

std::optional<Connection> ConnectionQueue::pop() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return closed_ || !connections_.empty(); });
    if (connections_.empty()) return std::nullopt;  // closed, and nothing left
    Connection connection = std::move(connections_.front());
    connections_.pop_front();
    return connection;
}

void ConnectionQueue::close() {
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
    }
    changed_.notify_all();
}

}  // namespace pool
