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
    if (name.size() <= max_thread_name_bytes) return std::string(name);
    // Byte 15 is the first one that does not fit. While it continues a character, that character
    // does not fit either: step back to its first byte.
    std::size_t end = max_thread_name_bytes;
    while (end > 0 && is_continuation(name[end])) --end;
    return std::string(name.substr(0, end));
}

void set_current_thread_name(std::string_view name) {
    const std::string cut = cut_thread_name(name);
    // pthread functions return the error number instead of setting errno.
    if (const int error = pthread_setname_np(pthread_self(), cut.c_str()); error != 0) {
        throw std::system_error(error, std::generic_category(), "pthread_setname_np");
    }
}

std::string current_thread_name() {
    char name[max_thread_name_bytes + 1] = {};
    if (const int error = pthread_getname_np(pthread_self(), name, sizeof name); error != 0) {
        throw std::system_error(error, std::generic_category(), "pthread_getname_np");
    }
    return name;
}

// ---- Worker ----------------------------------------------------------------------------------

Worker::Worker(std::string name, std::function<void()> target)
    : name_(std::move(name)), target_(std::move(target)) {}

Worker::~Worker() {
    // A std::thread that can still be joined calls std::terminate in its destructor.
    if (thread_.joinable()) thread_.join();
}

void Worker::start() {
    if (started_) throw std::logic_error("Worker::start: threads can only be started once");
    started_ = true;
    // Alive from now on, before the thread even runs: is_alive() right after start() is true.
    alive_ = true;
    thread_ = std::thread([this] {
        // An exception cannot leave a thread (std::terminate): catch it here, keep it for join().
        try {
            set_current_thread_name(name_);
            target_();
        } catch (...) {
            error_ = std::current_exception();
        }
        alive_ = false;  // the last thing this thread does for the Worker
    });
}

void Worker::join() {
    if (!started_) throw std::logic_error("Worker::join: cannot join a Worker before start()");
    if (!thread_.joinable()) return;  // joined already
    thread_.join();
    // join() makes everything the thread wrote visible here, error_ included. exchange: once.
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

bool Worker::is_alive() const {
    return alive_;
}

// ---- Counting characters with threads ----------------------------------------------------------

std::vector<std::string_view> split_utf8(std::string_view text, std::size_t pieces) {
    if (pieces == 0) throw std::invalid_argument("split_utf8: 0 pieces");
    std::vector<std::string_view> result;
    std::size_t start = 0;
    for (std::size_t i = 1; i <= pieces; ++i) {
        // Aim at i/pieces of the text, then move forward to the start of a character.
        std::size_t end = text.size() * i / pieces;
        while (end < text.size() && is_continuation(text[end])) ++end;
        result.push_back(text.substr(start, end - start));
        start = end;
    }
    return result;
}

std::vector<std::size_t> count_in_threads(
    std::span<const std::string_view> chunks,
    const std::function<std::size_t(std::string_view)>& count) {
    std::vector<std::size_t> results(chunks.size());
    std::vector<std::exception_ptr> errors(chunks.size());
    {
        // std::jthread joins in its destructor: even if starting the third thread throws, the
        // first two are joined when `threads` goes out of scope.
        std::vector<std::jthread> threads;
        threads.reserve(chunks.size());
        for (std::size_t i = 0; i < chunks.size(); ++i) {
            // i is captured by value: the loop changes it while the thread runs. results[i] and
            // errors[i] belong to thread i alone, so no lock is needed.
            threads.emplace_back([&, i] {
                try {
                    set_current_thread_name("chunk-" + std::to_string(i));
                    results[i] = count(chunks[i]);
                } catch (...) {
                    errors[i] = std::current_exception();
                }
            });
        }
    }  // every thread is joined here, after all of them were started
    for (const std::exception_ptr& error : errors) {
        if (error) std::rethrow_exception(error);
    }
    return results;
}

std::size_t count_code_points(std::string_view text) {
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char byte) { return !is_continuation(byte); }));
}

std::size_t count_characters(std::string_view text, std::size_t threads) {
    const std::vector<std::string_view> pieces = split_utf8(text, threads);
    const std::vector<std::size_t> counts = count_in_threads(pieces, count_code_points);
    return std::accumulate(counts.begin(), counts.end(), std::size_t{0});
}

}  // namespace workers
