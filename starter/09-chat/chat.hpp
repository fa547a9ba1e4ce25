// chat: the shared state of lesson 09's chat server. Every client's thread uses one Room at the
// same time; each client has an Outbox, which its reader and every other client's thread fill and
// one writer thread empties.
//
//     chat::Room room;
//     auto outbox = std::make_shared<chat::Outbox>(fd);
//     room.join("ada", outbox);             // "welcome ada" to ada, "* ada joined" to the others
//     room.broadcast("ada", "ada: hello");  // to every outbox but ada's
//     room.leave("ada");                    // "* ada left" to the others
//
// No function here sends on a socket: they put lines in outboxes and return at once, so that a
// client that reads nothing never holds up the others.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace chat {

// The most bytes an outbox holds (its lines and their '\n's): 256 KiB. A client that lets more
// pile up (it reads nothing, or too slowly) is disconnected: see Outbox::push. Bytes rather than
// lines: a burst of many short lines is no reason to disconnect anyone.
inline constexpr std::size_t max_queued = 256 * 1024;

// The longest name, in bytes.
inline constexpr std::size_t max_name = 32;

// Why `name` cannot be a name, as the server words it after "error: ", or "" if it can:
//   ""                         "a name cannot be empty"
//   not valid UTF-8            "a name must be UTF-8 text"
//   more than max_name bytes   "a name has at most 32 bytes"
//   a space in it              "a name cannot contain a space"
// (in that order: the first that applies).
std::string name_problem(std::string_view name);

// The lines waiting to be sent to one client. Any thread may push; one thread, the client's
// writer, pops.
class Outbox {
  public:
    // The outbox of the client connected on descriptor `socket` (-1: none, for a test).
    explicit Outbox(int socket) : socket_(socket) {}

    // Adds `line` (without its '\n') and wakes the writer. If the line and its '\n' would take
    // the bytes it holds over max_queued, it closes instead, drops every line it holds, and shuts
    // the client's connection down both ways (shutdown(SHUT_RDWR)): the writer may be stuck in a
    // send() that waits for the client to read, and the reader in a recv() that waits for it to
    // write, and neither would see a flag; the shutdown wakes both, and the client is disconnected.
    // Returns false if the line was not added (full, or closed already).
    bool push(std::string line);

    // Waits until a line is there and takes it out, in the order they were pushed; nullopt once
    // the outbox is closed and empty.
    std::optional<std::string> pop();

    // Closes it: push() adds nothing more; pop() hands out the lines still there, then nullopt. A
    // pop() waiting wakes up.
    void close();

  private:
    const int socket_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::string> lines_;
    std::size_t bytes_ = 0;  // of lines_, each with its '\n'
    bool closed_ = false;
};

// The clients who have a name, and their outboxes.
class Room {
  public:
    // Adds `name` with its outbox, puts "welcome NAME" in that outbox first, and "* NAME joined"
    // in every other member's. False (and nothing changes) if the name is taken.
    bool join(const std::string& name, std::shared_ptr<Outbox> outbox);

    // Removes `name`, and puts "* NAME left" in every other member's outbox. Nothing if `name` is
    // not a member.
    void leave(const std::string& name);

    // Puts `line` in the outbox of every member but `from`.
    void broadcast(const std::string& from, const std::string& line);

  private:
    // Under mutex_: `line` to every member but `from`.
    void send_to_others(const std::string& from, const std::string& line);

    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<Outbox>> members_;
};

}  // namespace chat
