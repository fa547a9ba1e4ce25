// Lesson 04-threads: start, join, and see them.
//
// Names for threads, a Worker shaped like Python's threading.Thread, and the characters of a text
// counted by several threads at once. The contract is in workers.hpp; lessons/04-threads/README.md
// explains it beside Python's threading module. In starter/ each body is a TODO.
//
// Check your work:   ./workbook test 04        Stuck?   ./workbook hint 04
#include "workers.hpp"

#include <pthread.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace workers {

namespace {
// A byte 10xxxxxx continues a character; every other byte starts one (lesson 01).
bool is_continuation(char byte) {
    return (static_cast<unsigned char>(byte) & 0xC0) == 0x80;
}
}  // namespace

// ---- Names -----------------------------------------------------------------------------------

std::string cut_thread_name(std::string_view name) {
    // TODO: return `name` whole if it has at most max_thread_name_bytes (15) bytes. Otherwise cut
    // it at byte 15, the first byte that does not fit, and while the byte at the cut continues a
    // character (is_continuation), move the cut back by one: that character does not fit either.
    // Then delete the two lines below.
    static_cast<void>(name);
    throw std::logic_error(
        "TODO: cut_thread_name is not written yet (starter/04-threads/workers.cpp)");
}

void set_current_thread_name(std::string_view name) {
    // TODO: give the calling thread the name cut_thread_name(name), with pthread_setname_np().
    // Like every pthread function, it returns 0 or an error number (it does not set errno): turn
    // an error into a std::system_error (std::generic_category()) that names the call.
    // Then delete the two lines below.
    static_cast<void>(name);
    throw std::logic_error(
        "TODO: set_current_thread_name is not written yet (starter/04-threads/workers.cpp)");
}

std::string current_thread_name() {
    // TODO: read the calling thread's name back with pthread_getname_np(), into a buffer with
    // room for 15 bytes and the '\0', and return it. An error: a std::system_error, as above.
    // Then delete the line below.
    throw std::logic_error(
        "TODO: current_thread_name is not written yet (starter/04-threads/workers.cpp)");
}

// ---- Worker ----------------------------------------------------------------------------------

Worker::Worker(std::string name, std::function<void()> target)
    : name_(std::move(name)), target_(std::move(target)) {}

Worker::~Worker() {
    // TODO: a Worker that was started and never joined is joined here. Without it, its
    // std::thread is destroyed while it can still be joined, which calls std::terminate. A
    // destructor must not throw: an exception the target threw is dropped.
}

void Worker::start() {
    // TODO: Python's start(), as workers.hpp describes it.
    //   - A second start() throws std::logic_error.
    //   - is_alive() must be true as soon as start() returns: mark it before the thread exists.
    //   - Start thread_. The new thread, and only it, takes the Worker's name, then runs the
    //     target. An exception must not leave a thread (that calls std::terminate): catch it and
    //     keep it in error_ for join(). Marking the Worker no longer alive is the last thing the
    //     thread does.
    // Then delete the line below.
    throw std::logic_error(
        "TODO: Worker::start is not written yet (starter/04-threads/workers.cpp)");
}

void Worker::join() {
    // TODO: Python's join(), and the target's exception given back.
    //   - Never started: std::logic_error. Joined already: nothing to do.
    //   - Otherwise wait for the thread to end; then, if the target threw, rethrow that exception
    //     here, in the caller, once (a second join() has nothing to rethrow).
    // Then delete the line below.
    throw std::logic_error(
        "TODO: Worker::join is not written yet (starter/04-threads/workers.cpp)");
}

bool Worker::is_alive() const {
    // TODO: is the target still running? Not thread_.joinable(): that stays true after the
    // target has returned, until join().
    // Then delete the line below.
    throw std::logic_error(
        "TODO: Worker::is_alive is not written yet (starter/04-threads/workers.cpp)");
}

// ---- Counting characters with threads ----------------------------------------------------------

std::vector<std::string_view> split_utf8(std::string_view text, std::size_t pieces) {
    // TODO: cut `text` into `pieces` views of nearly equal sizes (workers.hpp gives the bound),
    // in order, that together are the whole text, and never cut a character in two: a cut aimed
    // at a byte that continues a character (is_continuation) moves to that character's edge. No
    // pieces at all: std::invalid_argument. More pieces than characters: some pieces are empty.
    // Then delete the two lines below.
    static_cast<void>(text), static_cast<void>(pieces);
    throw std::logic_error("TODO: split_utf8 is not written yet (starter/04-threads/workers.cpp)");
}

std::vector<std::size_t> count_in_threads(
    std::span<const std::string_view> chunks,
    const std::function<std::size_t(std::string_view)>& count) {
    // TODO: one thread per chunk, all started before any is joined.
    //   - Thread i is named "chunk-i" and runs count(chunks[i]); its result goes in a slot of
    //     its own, so that the threads need no lock. Careful what the thread's lambda captures
    //     by reference: the loop's counter changes while the threads run.
    //   - An exception in thread i is caught there and kept (std::exception_ptr) for later.
    //   - Every thread is joined before this returns (std::jthread does it in its destructor).
    //     Then the first chunk's exception, if any, is rethrown; else the results, in the
    //     order of the chunks.
    // Then delete the two lines below.
    static_cast<void>(chunks), static_cast<void>(count);
    throw std::logic_error(
        "TODO: count_in_threads is not written yet (starter/04-threads/workers.cpp)");
}

std::size_t count_code_points(std::string_view text) {
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char byte) { return !is_continuation(byte); }));
}

std::size_t count_characters(std::string_view text, std::size_t threads) {
    // TODO: put the three together: split the text, count each piece in its own thread with
    // count_code_points, and add up the counts.
    // Then delete the two lines below.
    static_cast<void>(text), static_cast<void>(threads);
    throw std::logic_error(
        "TODO: count_characters is not written yet (starter/04-threads/workers.cpp)");
}

}  // namespace workers
