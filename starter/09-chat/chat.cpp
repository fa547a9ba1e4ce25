// The room and the outboxes: read chat.hpp first, its comments are the contract.
#include "chat.hpp"

#include <sys/socket.h>  // shutdown

#include <stdexcept>
#include <utility>

#include "utf8.hpp"  // bytes::count_code_points and bytes::Utf8Error, from lesson 01

namespace chat {

std::string name_problem(std::string_view name) {
    // TODO 1 the checks of chat.hpp, in its order, each returning its words; "" for a good name.
    //   bytes::count_code_points() throws bytes::Utf8Error when the bytes are not UTF-8.
    (void)name;
    throw std::logic_error("not written yet: name_problem (TODO 1 in starter/09-chat/chat.cpp)");
}

bool Outbox::push(std::string line) {
    // TODO 2 under mutex_: refuse if closed_; if bytes_ plus this line and its '\n' would pass
    //   max_queued, close (closed_ = true), drop every line and ::shutdown(socket_, SHUT_RDWR) (if
    //   socket_ >= 0); else add the line and count its bytes. Then wake the writer (changed_).
    //   Return whether the line was added.
    (void)line;
    throw std::logic_error("not written yet: Outbox::push (TODO 2 in starter/09-chat/chat.cpp)");
}

std::optional<std::string> Outbox::pop() {
    // TODO 3 wait on changed_ (with a std::unique_lock, and a condition: it may wake for no
    //   reason) until there is a line or the outbox is closed. Take the first line out (and its
    //   bytes off bytes_) and return it; nullopt if there is none (closed and empty).
    throw std::logic_error("not written yet: Outbox::pop (TODO 3 in starter/09-chat/chat.cpp)");
}

void Outbox::close() {
    // TODO 4 closed_ = true under the lock, then wake a pop() that waits.
}

bool Room::join(const std::string& name, std::shared_ptr<Outbox> outbox) {
    // TODO 5 under mutex_: false if the name is taken; else "welcome NAME" into `outbox`, then
    //   "* NAME joined" to the others, then add the member. One lock for all three, so that no
    //   line of the room reaches the newcomer before its welcome.
    (void)name;
    (void)outbox;
    throw std::logic_error("not written yet: Room::join (TODO 5 in starter/09-chat/chat.cpp)");
}

void Room::leave(const std::string& name) {
    // TODO 6 under mutex_: remove the member; if it was one, "* NAME left" to the others.
    (void)name;
}

void Room::broadcast(const std::string& from, const std::string& line) {
    // TODO 7 under mutex_: send_to_others.
    (void)from;
    (void)line;
}

void Room::send_to_others(const std::string& from, const std::string& line) {
    // TODO 8 push `line` into the outbox of every member but `from`. Pushing never waits on a
    //   socket, so doing it under the room's lock keeps the lock for a moment only.
    (void)from;
    (void)line;
}

}  // namespace chat
