// Lesson 04-threads: start, join, and see them.
//
// This header is the contract of the lesson: what each function and the Worker class must do. It is
// the workbook's and already complete: do not edit it. You write the bodies in workers.cpp.
// lessons/04-threads/README.md explains every line, with Python's threading module side by side.
//
// Words used below:
//   thread     a second (third, ...) line of execution inside the same process, sharing its memory.
//   OS name    the name Linux shows for a thread: `ps -L`, `top -H`, /proc/PID/task/TID/comm.
//              At most 15 bytes.
//   character  a code point, 1 to 4 bytes of UTF-8 (lesson 01). A byte 10xxxxxx (0x80..0xBF) is
//              never the first byte of a character.
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace workers {

// ---- Names -----------------------------------------------------------------------------------

// Linux keeps at most 15 bytes of a thread's name (16 with the '\0' at the end).
inline constexpr std::size_t max_thread_name_bytes = 15;

// The name Linux can show for `name` (UTF-8): `name` itself if it has at most 15 bytes, else its
// longest start of at most 15 bytes that ends between two characters, never inside one.
//   cut_thread_name("caissier-1")             == "caissier-1"
//   cut_thread_name("compteur-de-caractères") == "compteur-de-car"    (15 bytes)
//   cut_thread_name("compteurs-ééééé")        == "compteurs-éé"       (14 bytes: the third é would
//                                                                      end at byte 16)
std::string cut_thread_name(std::string_view name);

// Python: threading.current_thread().name = name   (Python 3.14 also sets the OS name)
// Sets the OS name of the calling thread to cut_thread_name(name) (pthread_setname_np). Throws
// std::system_error, naming pthread_setname_np, if the system refuses.
void set_current_thread_name(std::string_view name);

// Python: threading.current_thread().name
// The OS name of the calling thread (pthread_getname_np).
std::string current_thread_name();

// ---- Worker: Python's threading.Thread ---------------------------------------------------------

// Python:  w = threading.Thread(target=f, name="caissier-1"); w.start(); ...; w.join()
// C++:     workers::Worker w("caissier-1", f);                 w.start(); ...; w.join();
// Arguments go in the target: Worker w("w", [&] { f(a, b); }).
class Worker {
  public:
    // Stores the name and the target; starts nothing (Python's Thread(...) does not either).
    Worker(std::string name, std::function<void()> target);

    // If the thread was started and not joined, waits for it to end (an exception the target threw
    // is then dropped). A std::thread destroyed while it can still be joined calls std::terminate:
    // a Worker never does.
    ~Worker();

    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Starts a new thread and returns at once, without waiting for the target. The new thread
    // first sets its OS name (set_current_thread_name(name())), then calls the target. Throws
    // std::logic_error if this Worker was already started.
    void start();

    // Waits until the thread has ended. If the target ended with an exception, rethrows that
    // exception (the same type, std::rethrow_exception) in the caller, once: a later join()
    // returns at once without throwing. Throws std::logic_error if start() was never called.
    void join();

    // True from the moment start() returns until the target has returned or thrown (the thread
    // may still need join()); false before start(). Not thread_.joinable(), which stays true until
    // join().
    bool is_alive() const;

    // The name given to the constructor, whole (the OS name may be shorter).
    const std::string& name() const { return name_; }

  private:
    std::string name_;
    std::function<void()> target_;
    std::thread thread_;              // std::thread, not std::jthread: see ~Worker()
    std::atomic<bool> alive_{false};  // is_alive()'s answer: read by one thread, set by another
    std::exception_ptr error_;        // what the target threw, kept for join()
    bool started_ = false;
};

// ---- Counting characters with threads ----------------------------------------------------------

// Cuts `text` (UTF-8) into exactly `pieces` views of `text` itself (not copies), in order and one
// after the other: the first starts at text.data(), each next one where the previous ended, the
// last ends at the end of `text`. Each cut is between two characters: no piece starts with a byte
// 10xxxxxx. Each piece has at most ceil(text.size() / pieces) + 3 bytes. Pieces may be empty
// (more pieces than characters). Throws std::invalid_argument if pieces is 0.
std::vector<std::string_view> split_utf8(std::string_view text, std::size_t pieces);

// Calls count(chunks[i]) for every i, each in a new thread of its own named "chunk-i" (i from 0,
// the name set before count is called), all running at the same time: start every thread before
// joining any. Returns once every thread has ended, with results[i] = count(chunks[i]) whatever
// order the threads end in. If count throws in one thread or more, rethrows, once every thread has
// ended, the exception of the lowest i.
std::vector<std::size_t> count_in_threads(
    std::span<const std::string_view> chunks,
    const std::function<std::size_t(std::string_view)>& count);

// The number of characters (code points) in valid UTF-8: the bytes that are not 10xxxxxx. Already
// written in workers.cpp.
std::size_t count_code_points(std::string_view text);

// Python: len(text.decode()), with threads. The number of characters of `text` (valid UTF-8),
// counted by `threads` threads: split_utf8 into `threads` pieces, count_code_points of each piece
// in count_in_threads, and the sum. Throws std::invalid_argument if threads is 0.
std::size_t count_characters(std::string_view text, std::size_t threads);

}  // namespace workers
