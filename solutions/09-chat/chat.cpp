// The room and the outboxes (chat.hpp).
#include "chat.hpp"

#include <sys/socket.h>  // shutdown

#include <utility>

#include "utf8.hpp"

namespace chat {

std::string name_problem(std::string_view name) {
    if (name.empty()) return "a name cannot be empty";
    try {
        bytes::count_code_points(name);
    } catch (const bytes::Utf8Error&) {
        return "a name must be UTF-8 text";
    }
    if (name.size() > max_name) return "a name has at most " + std::to_string(max_name) + " bytes";
    if (name.find(' ') != std::string_view::npos) return "a name cannot contain a space";
    return "";
}

bool Outbox::push(std::string line) {
    bool added = false;
    {
        std::lock_guard lock(mutex_);
        if (closed_) return false;
        if (bytes_ + line.size() + 1 > max_queued) {
            // Too slow a reader: wake its writer and its reader, wherever they wait.
            closed_ = true;
            lines_.clear();
            bytes_ = 0;
            if (socket_ >= 0) ::shutdown(socket_, SHUT_RDWR);
        } else {
            bytes_ += line.size() + 1;
            lines_.push_back(std::move(line));
            added = true;
        }
    }
    changed_.notify_one();
    return added;
}

std::optional<std::string> Outbox::pop() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return closed_ || !lines_.empty(); });
    if (lines_.empty()) return std::nullopt;  // closed, and nothing left to send
    std::string line = std::move(lines_.front());
    lines_.pop_front();
    bytes_ -= line.size() + 1;
    return line;
}

void Outbox::close() {
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
    }
    changed_.notify_all();
}

bool Room::join(const std::string& name, std::shared_ptr<Outbox> outbox) {
    std::lock_guard lock(mutex_);
    if (members_.contains(name)) return false;
    outbox->push("welcome " + name);
    send_to_others(name, "* " + name + " joined");
    members_.emplace(name, std::move(outbox));
    return true;
}

void Room::leave(const std::string& name) {
    std::lock_guard lock(mutex_);
    if (members_.erase(name) == 0) return;
    send_to_others(name, "* " + name + " left");
}

void Room::broadcast(const std::string& from, const std::string& line) {
    std::lock_guard lock(mutex_);
    send_to_others(from, line);
}

void Room::send_to_others(const std::string& from, const std::string& line) {
    // Pushing never waits on a socket: holding the lock here is short.
    for (const auto& [name, outbox] : members_)
        if (name != from) outbox->push(line);
}

}  // namespace chat
