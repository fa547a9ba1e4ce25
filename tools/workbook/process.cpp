#include "process.hpp"

#include "os.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

namespace workbook {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t output_cap = 4 * 1024 * 1024;
// From SIGTERM to SIGKILL; and, once a command has ended, how long a process outside its group
// (one that called setsid()) may keep its output pipes open before they are closed on it.
constexpr auto grace = std::chrono::seconds(2);

void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

struct Child {
    pid_t pid = -1;
    int pidfd = -1;
    int out = -1, err = -1;  // read ends of its pipes; -1 once at end of file (or given up)
    bool ended = false;
    Clock::time_point ended_at{};
    bool done() const { return ended && out < 0 && err < 0; }
};

// Starts the command (os::spawn: a process group of its own, stdin from /dev/null). Returns false,
// with the reason in r.out, if it could not be started; when it returns true the command has
// really been exec'd.
bool start(const std::vector<std::string>& argv, Child& c, CommandResult& r) {
    try {
        os::Pipe out = os::make_pipe();
        os::Pipe err = os::make_pipe();
        os::SpawnOptions options;
        options.argv = argv;
        options.search_path = true;
        options.out = out.write.get();
        options.err = err.write.get();
        os::Spawned spawned = os::spawn(options);
        c.pid = spawned.pid;
        c.pidfd = spawned.pidfd.release();
        c.out = out.read.release();
        c.err = err.read.release();
    } catch (const std::system_error& e) {
        // "exec /usr/bin/cmake: Permission denied", "cmake: command not found on PATH: ..."
        r.out = e.what();
        return false;
    }
    r.started = true;
    return true;
}

// Reads what is there; closes the descriptor at end of file or on an error.
void drain(int& fd, std::string& into) {
    char buffer[65536];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
        into.append(buffer, std::min(static_cast<std::size_t>(n),
                                     output_cap - std::min(output_cap, into.size())));
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        close_fd(fd);
    }
}

// Reaps the command if it has ended; then ends what is left of its group.
void reap(Child& c, CommandResult& r) {
    int status = 0;
    const pid_t got = ::waitpid(c.pid, &status, WNOHANG);
    if (got != c.pid) return;
    c.ended = true;
    c.ended_at = Clock::now();
    close_fd(c.pidfd);
    ::kill(-c.pid, SIGKILL);
    if (WIFSIGNALED(status)) {
        r.signaled = true;
        r.signal = WTERMSIG(status);
    } else {
        r.code = WEXITSTATUS(status);
    }
}

}  // namespace

std::string CommandResult::describe() const {
    if (!started) return "could not be started";
    if (timed_out) return "did not finish in time and was stopped";
    if (!signaled) return fmt::format("exited with status {}", code);
    const char* abbreviation = sigabbrev_np(signal);
    const char* description = sigdescr_np(signal);
    if (abbreviation == nullptr || description == nullptr)
        return fmt::format("was killed by signal {}", signal);
    std::string lower(description);
    if (!lower.empty()) lower[0] = static_cast<char>(std::tolower(lower[0]));
    return fmt::format("was killed by signal SIG{} ({})", abbreviation, lower);
}

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::seconds limit) {
    return run_commands({argv}, limit).front();
}

std::vector<CommandResult> run_commands(const std::vector<std::vector<std::string>>& commands,
                                        std::chrono::seconds limit) {
    std::vector<CommandResult> results(commands.size());
    std::vector<Child> children(commands.size());
    for (std::size_t i = 0; i < commands.size(); ++i)
        if (!start(commands[i], children[i], results[i])) children[i].ended = true;

    const auto deadline = Clock::now() + limit;
    auto kill_at = Clock::time_point::max();
    while (true) {
        const auto now = Clock::now();
        if (now >= deadline && kill_at == Clock::time_point::max()) {
            for (std::size_t i = 0; i < children.size(); ++i)
                if (!children[i].ended) {
                    results[i].timed_out = true;
                    ::kill(-children[i].pid, SIGTERM);
                }
            kill_at = now + grace;
        }
        if (now >= kill_at)
            for (const Child& c : children)
                if (!c.ended) ::kill(-c.pid, SIGKILL);
        // Pipes held open by a process outside the group are closed on it after the grace.
        for (Child& c : children)
            if (c.ended && now >= c.ended_at + grace) close_fd(c.out), close_fd(c.err);
        if (std::all_of(children.begin(), children.end(), [](const Child& c) { return c.done(); }))
            break;
        // Not even SIGKILL ended it (a process stuck in the kernel): given up on, not waited for.
        if (kill_at != Clock::time_point::max() && now >= kill_at + std::chrono::seconds(10)) break;

        std::vector<pollfd> fds;
        std::vector<std::pair<std::size_t, int>> owner;  // child, 0 out / 1 err / 2 pidfd
        for (std::size_t i = 0; i < children.size(); ++i) {
            const Child& c = children[i];
            if (c.out >= 0) fds.push_back({c.out, POLLIN, 0}), owner.push_back({i, 0});
            if (c.err >= 0) fds.push_back({c.err, POLLIN, 0}), owner.push_back({i, 1});
            if (!c.ended && c.pidfd >= 0)
                fds.push_back({c.pidfd, POLLIN, 0}), owner.push_back({i, 2});
        }
        // The next moment something is due: the deadline, the SIGKILL, a grace's end; and a
        // command without a pidfd (an old kernel) is looked at every 50 ms.
        auto next = deadline > now  ? deadline
                    : kill_at > now ? kill_at
                                    : now + std::chrono::milliseconds(100);  // SIGKILL sent
        for (const Child& c : children) {
            if (c.ended) next = std::min(next, c.ended_at + grace);
            if (!c.ended && c.pidfd < 0) next = std::min(next, now + std::chrono::milliseconds(50));
        }
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
        const int timeout = static_cast<int>(std::clamp<long long>(wait, 0, 60'000));
        if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) break;
        for (std::size_t k = 0; k < fds.size(); ++k) {
            if (fds[k].revents == 0) continue;
            auto& [i, what] = owner[k];
            if (what == 0) drain(children[i].out, results[i].out);
            if (what == 1) drain(children[i].err, results[i].err);
        }
        for (std::size_t i = 0; i < children.size(); ++i)
            if (!children[i].ended && children[i].pid > 0) reap(children[i], results[i]);
    }
    for (Child& c : children) close_fd(c.pidfd), close_fd(c.out), close_fd(c.err);
    return results;
}

}  // namespace workbook
