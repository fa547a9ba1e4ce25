// Helpers shared by the self-tests.
#pragma once

#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include <doctest/doctest.h>

#include "probe.hpp"

namespace selftest {

using namespace std::chrono_literals;
using probe::Clock;
using probe::milliseconds;

// What a step threw as probe::Failure; "" if it did not throw.
template <class Step>
std::string failure_of(Step&& step) {
    try {
        step();
    } catch (const probe::Failure& failure) {
        return failure.what();
    }
    return "";
}

inline bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

inline milliseconds since(Clock::time_point start) {
    return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

// How much later than its deadline a step may return: it must not wait for another deadline.
inline milliseconds margin() {
    return probe::scaled(1500ms);
}

// What `step` threw as probe::Failure, checking that it threw when `deadline` had passed: not
// before, and not a deadline later.
template <class Step>
std::string failure_at_deadline(milliseconds deadline, Step&& step) {
    const auto start = Clock::now();
    std::string message = failure_of(std::forward<Step>(step));
    CHECK(since(start) >= deadline);
    CHECK(since(start) < deadline + margin());
    return message;
}

// True once no process of the group is left (not even a zombie: all were reaped).
inline bool group_gone(pid_t group) {
    return ::kill(-group, 0) == -1 && errno == ESRCH;
}
inline bool process_gone(pid_t pid) {
    return ::kill(pid, 0) == -1 && errno == ESRCH;
}

// A connection from the test to itself: `client` connected to `server`, for a test that plays
// both sides to produce each outcome on purpose.
struct Pair {
    probe::Listener listener;
    probe::Connection client = probe::Connection::connect("127.0.0.1", listener.port());
    probe::Connection server = listener.accept();
};

// A fixture server started as `path MODE --port 0` (frame_server, http_server), and the test's
// connection to it.
struct ServerInMode {
    ServerInMode(const char* path, const char* mode)
        : program(path, {mode, "--port", "0"}),
          client(probe::Connection::connect("127.0.0.1", program.port(), &program)) {}
    probe::Program program;
    probe::Connection client;
};

// What `receive(connection, deadline)` threw on a connection where `first` arrives at once and
// `second` when nine tenths of the deadline have passed, checking that it threw at the deadline: a
// reader that gives each part of a message a deadline of its own waits 1.9 times as long, longer
// than the deadline and the margin.
template <class Receive>
std::string failure_with_a_late_part(const std::string& first, const std::string& second,
                                     Receive receive) {
    Pair pair;
    const auto deadline = probe::scaled(2500ms);
    pair.server.send(first);
    std::thread late([&] {
        std::this_thread::sleep_for(deadline * 9 / 10);
        pair.server.send(second);
    });
    std::string message = failure_at_deadline(deadline, [&] { receive(pair.client, deadline); });
    late.join();
    return message;
}

// Sets an environment variable for one scope.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value != nullptr) {
            ::setenv(name, value, 1);
        } else {
            ::unsetenv(name);
        }
    }
    ~ScopedEnv() {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

  private:
    const char* name_;
    std::optional<std::string> old_;
};

}  // namespace selftest
