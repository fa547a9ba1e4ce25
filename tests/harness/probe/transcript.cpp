// The transcript (see transcript.hpp): the steps of the running test case, kept under one mutex,
// and the names of the test's sockets ("client-N", "server-N", "udp-N"), numbered per test case.
#include "probe/transcript.hpp"

#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "probe/common.hpp"
#include "probe/internal.hpp"

namespace probe {

namespace {

// The first `head_size` steps and the last `tail_size` steps are kept; the middle is counted.
struct Transcript {
    static constexpr std::size_t head_size = 500;
    static constexpr std::size_t tail_size = 500;
    static constexpr std::size_t line_size = 2000;
    std::mutex mutex;
    std::vector<std::string> head;
    std::deque<std::string> tail;
    std::size_t left_out = 0;
    int clients = 0;
    int servers = 0;
    int udp = 0;
};

// Never destroyed: a drain thread may still log while static objects are being destroyed.
Transcript& the_transcript() {
    static auto* transcript = new Transcript;
    return *transcript;
}

}  // namespace

std::string detail::next_name(const char* role) {
    Transcript& t = the_transcript();
    std::scoped_lock lock(t.mutex);
    int& counter = std::string_view(role) == "client" ? t.clients
                   : std::string_view(role) == "udp"  ? t.udp
                                                      : t.servers;
    return fmt::format("{}-{}", role, ++counter);
}

void log(std::string_view text) {
    const std::string line = shorten_runs(text);
    std::string step(line.substr(0, Transcript::line_size));
    if (line.size() > Transcript::line_size) {
        step += fmt::format("... ({} more characters)", line.size() - Transcript::line_size);
    }
    Transcript& t = the_transcript();
    std::scoped_lock lock(t.mutex);
    if (t.head.size() < Transcript::head_size) {
        t.head.push_back(std::move(step));
        return;
    }
    t.tail.push_back(std::move(step));
    if (t.tail.size() > Transcript::tail_size) {
        t.tail.pop_front();
        ++t.left_out;
    }
}

std::string transcript() {
    Transcript& t = the_transcript();
    std::scoped_lock lock(t.mutex);
    std::string out;
    for (const auto& line : t.head) out += line + '\n';
    if (t.left_out > 0) out += fmt::format("... ({} steps left out) ...\n", t.left_out);
    for (const auto& line : t.tail) out += line + '\n';
    return out;
}

void clear_transcript() {
    Transcript& t = the_transcript();
    std::scoped_lock lock(t.mutex);
    t.head.clear();
    t.tail.clear();
    t.left_out = 0;
    t.clients = 0;
    t.servers = 0;
    t.udp = 0;
}

}  // namespace probe
