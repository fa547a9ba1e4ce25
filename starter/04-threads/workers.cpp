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
    // TODO: pthread_setname_np(pthread_self(), cut.c_str()) with cut = cut_thread_name(name).
    // Like every pthread function, it returns 0 or an error number (it does not set errno): for
    // an error, throw std::system_error(error, std::generic_category(), "pthread_setname_np").
    // Then delete the two lines below.
    static_cast<void>(name);
    throw std::logic_error(
        "TODO: set_current_thread_name is not written yet (starter/04-threads/workers.cpp)");
}

std::string current_thread_name() {
    // TODO: pthread_getname_np(pthread_self(), buffer, sizeof buffer) into a buffer of 16 chars
    // (15 bytes and the '\0'), and return the buffer as a std::string. An error number other
    // than 0: throw std::system_error as above, naming pthread_getname_np.
    // Then delete the line below.
    throw std::logic_error(
        "TODO: current_thread_name is not written yet (starter/04-threads/workers.cpp)");
}

// ---- Worker ----------------------------------------------------------------------------------

Worker::Worker(std::string name, std::function<void()> target)
    : name_(std::move(name)), target_(std::move(target)) {}

Worker::~Worker() {
    // TODO: if thread_ can still be joined (thread_.joinable()), join it. A destructor must not
    // throw, so this is all: an exception the target threw is dropped. Without it, destroying a
    // started Worker that nobody joined calls std::terminate and the program dies.
}

void Worker::start() {
    // TODO: Python's start().
    //   - started already? throw std::logic_error("threads can only be started once");
    //   - started_ = true; alive_ = true;  (before the thread exists: is_alive() is true as soon
    //     as start() returns)
    //   - thread_ = std::thread([this] { ... }); the new thread, and only it, runs:
    //       try { set_current_thread_name(name_); target_(); }
    //       catch (...) { error_ = std::current_exception(); }  (an exception must not leave a
    //                                                          thread: std::terminate)
    //       alive_ = false;                                    (the very last thing it does)
    // Then delete the line below.
    throw std::logic_error(
        "TODO: Worker::start is not written yet (starter/04-threads/workers.cpp)");
}

void Worker::join() {
    // TODO: Python's join(), and the target's exception given back.
    //   - never started? throw std::logic_error("cannot join a Worker before start()");
    //   - joined already (!thread_.joinable())? return;
    //   - thread_.join(); then, if error_ holds an exception, rethrow it once:
    //       std::rethrow_exception(std::exchange(error_, nullptr));
    // Then delete the line below.
    throw std::logic_error(
        "TODO: Worker::join is not written yet (starter/04-threads/workers.cpp)");
}

bool Worker::is_alive() const {
    // TODO: return alive_. Not thread_.joinable(): that stays true after the target has
    // returned, until join().
    // Then delete the line below.
    throw std::logic_error(
        "TODO: Worker::is_alive is not written yet (starter/04-threads/workers.cpp)");
}

// ---- Counting characters with threads ----------------------------------------------------------

std::vector<std::string_view> split_utf8(std::string_view text, std::size_t pieces) {
    // TODO: pieces == 0: throw std::invalid_argument. Otherwise, with start = 0, for i from 1 to
    // pieces: aim the end of piece i at text.size() * i / pieces, move it forward while the byte
    // there continues a character (is_continuation), push text.substr(start, end - start) and
    // start again from end. The last end is text.size().
    // Then delete the two lines below.
    static_cast<void>(text), static_cast<void>(pieces);
    throw std::logic_error("TODO: split_utf8 is not written yet (starter/04-threads/workers.cpp)");
}

std::vector<std::size_t> count_in_threads(
    std::span<const std::string_view> chunks,
    const std::function<std::size_t(std::string_view)>& count) {
    // TODO: one thread per chunk, all started before any is joined.
    //   - results(chunks.size()) and errors(chunks.size()) (std::exception_ptr): slot i belongs
    //     to thread i alone, so the threads need no lock.
    //   - std::vector<std::jthread> threads; for each i:
    //       threads.emplace_back([&, i] { ... });   (i by value: the loop changes it)
    //     and in the thread: set_current_thread_name("chunk-" + std::to_string(i)), then
    //     results[i] = count(chunks[i]), all in a try; catch (...) keeps
    //     std::current_exception() in errors[i].
    //   - let `threads` go out of scope (a jthread joins in its destructor), or join them all
    //     in a second loop; then rethrow the first error (std::rethrow_exception), else return
    //     the results.
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
    // TODO: split_utf8(text, threads), then count_in_threads(pieces, count_code_points), then
    // the sum of the counts (std::accumulate, with std::size_t{0} to start from).
    // Then delete the two lines below.
    static_cast<void>(text), static_cast<void>(threads);
    throw std::logic_error(
        "TODO: count_characters is not written yet (starter/04-threads/workers.cpp)");
}

}  // namespace workers
