// workbook_faults: an LD_PRELOAD library that makes a program's TCP sockets behave the way the
// kernel is allowed to but on loopback almost never does, so that a test can prove a program copes.
// The harness (probe::Faults, see probe.hpp and docs/fault-injection.md) loads it and sets
//
//     WORKBOOK_FAULTS="seed=7,short_writes,short_reads,poison_reads,stop_before_listen"
//
//   short_writes        send(), sendto() and write() on a stream socket, asked to move len > 1
//                       bytes, pass fewer to the kernel: a count in [1, len - 1].
//   short_reads         recv() and read() on a stream socket ask the kernel for fewer bytes than
//                       are waiting: a count in [1, min(len, waiting) - 1]. A blocking call first
//                       waits for bytes (as the call itself would), so that the count can be
//                       below what arrived. Not with MSG_WAITALL, which promises the whole count.
//   poison_reads        after recv() or read() returns n >= 0 bytes into a buffer of len, the
//                       bytes buf[n..len) are set to '~', so a program that uses the buffer past
//                       the count (prints it as a C string, say) shows tildes every run.
//   stop_before_listen  listen() stops the process (SIGSTOP) before it listens, so the test can
//                       see what the program printed before listening.
//   broken_pipe         the first send() or write() of the process on a stream socket (len > 0)
//                       fails with EPIPE and, unless the call passed MSG_NOSIGNAL, raises SIGPIPE:
//                       what the kernel does when the peer has gone. Once only, so that the test
//                       can then see whether the program goes on with its next client.
//   fail_accept4=E:P    accept4() fails with errno E, with probability P (drawn from the seed);
//   fail_read=E:P       read() on a stream socket, likewise;
//   fail_write=E:P      write() on a stream socket, likewise. These are the forms of accept(),
//                       recv() and send() that libfiu does not reach (see below): the harness
//                       asks for them together with libfiu's, so that a program fails the same
//                       way whichever of the equivalent calls it uses.
//
// Which calls are cut: the first write of the process with len > 1 and the first read that finds
// two bytes or more waiting, always (a program without a send loop fails every run, not by luck);
// after that, about one call in two. The choices and the counts come
// from one generator per process seeded by `seed` (one lock: threads share it), so the same seed
// gives the same sequence in a program that makes its calls in the same order. A count is drawn
// log-uniformly (first the number of bits, then the value), so small counts are as common as
// large ones and a 1 KiB read buffer still splits a 6-byte message often.
//
// Why a library of our own: Debian's libfiu (fiu_posix_preload.so) already makes send(), recv(),
// connect(), accept() ... fail with a chosen errno and a seeded probability, and the harness uses
// it for that. But it cannot shorten send() or recv() (its "reduce" points exist only for read(),
// write() and their vector and positioned forms, whatever the descriptor), cannot poison a buffer
// and cannot stop a program before listen(). Nor does it wrap accept4(), and its read() and
// write() failures hit every descriptor (a file, stdout), not sockets only, so a program that
// reads its socket with read() would escape a failing recv(). This library does only those
// things.
//
// It is built without sanitizers (a preloaded library must not need a sanitizer's runtime) and
// calls the next definition of each function (dlsym RTLD_NEXT): libfiu's, the sanitizer's
// interceptor, or the C library's.
#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace {

constexpr char poison = '~';

using send_fn = ssize_t (*)(int, const void*, size_t, int);
using sendto_fn = ssize_t (*)(int, const void*, size_t, int, const sockaddr*, socklen_t);
using write_fn = ssize_t (*)(int, const void*, size_t);
using recv_fn = ssize_t (*)(int, void*, size_t, int);
using read_fn = ssize_t (*)(int, void*, size_t);
using recv_chk_fn = ssize_t (*)(int, void*, size_t, size_t, int);
using read_chk_fn = ssize_t (*)(int, void*, size_t, size_t);
using listen_fn = int (*)(int, int);
using accept4_fn = int (*)(int, sockaddr*, socklen_t*, int);

struct Real {
    send_fn send;
    sendto_fn sendto;
    write_fn write;
    recv_fn recv;
    read_fn read;
    recv_chk_fn recv_chk;  // what _FORTIFY_SOURCE builds call instead of recv() and read()
    read_chk_fn read_chk;
    listen_fn listen;
    accept4_fn accept4;
};

// A call that fails: with errno `error` (0: never), with this probability.
struct Failing {
    int error = 0;
    double probability = 1.0;
};

struct Settings {
    bool short_writes = false;
    bool short_reads = false;
    bool poison_reads = false;
    bool stop_before_listen = false;
    bool broken_pipe = false;
    Failing accept4, read, write;
    std::uint64_t seed = 1;
};

Real real{};
Settings settings;
pthread_once_t loaded = PTHREAD_ONCE_INIT;

// The generator and the "first call" flags, under `lock`.
pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
std::uint64_t state = 0;
bool first_write = true;
bool first_read = true;
bool pipe_broken = false;  // broken_pipe has happened

template <class F>
F next_definition(const char* name) {
    return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

void complain(const char* what, const char* token, std::size_t length) {
    if (real.write == nullptr) return;
    const char* parts[] = {"workbook_faults: ", what, " in WORKBOOK_FAULTS: "};
    for (const char* part : parts) real.write(STDERR_FILENO, part, std::strlen(part));
    real.write(STDERR_FILENO, token, length);
    real.write(STDERR_FILENO, "\n", 1);
}

// "E:P" (an errno value and a probability) into `f`; false if it is not that.
bool parse_failing(const char* text, const char* end, Failing& f) {
    char* after = nullptr;
    const long error = std::strtol(text, &after, 10);
    if (after == text || after >= end || *after != ':' || error <= 0) return false;
    const char* number = after + 1;
    const double probability = std::strtod(number, &after);
    if (after != end || after == number || !(probability > 0 && probability <= 1)) return false;
    f = {static_cast<int>(error), probability};
    return true;
}

void apply(const char* token, std::size_t length) {
    const auto is = [&](const char* name) {
        return std::strlen(name) == length && std::strncmp(token, name, length) == 0;
    };
    const auto failing = [&](const char* prefix, Failing& f) {
        const std::size_t n = std::strlen(prefix);
        if (length <= n || std::strncmp(token, prefix, n) != 0) return false;
        if (!parse_failing(token + n, token + length, f)) {
            complain("a failing call that is not NAME=ERRNO:PROBABILITY", token, length);
        }
        return true;
    };
    if (failing("fail_accept4=", settings.accept4) || failing("fail_read=", settings.read) ||
        failing("fail_write=", settings.write)) {
        return;
    }
    if (length > 5 && std::strncmp(token, "seed=", 5) == 0) {
        char* end = nullptr;
        settings.seed = std::strtoull(token + 5, &end, 10);
        if (end != token + length) complain("a seed that is not a number", token, length);
    } else if (is("short_writes")) {
        settings.short_writes = true;
    } else if (is("short_reads")) {
        settings.short_reads = true;
    } else if (is("poison_reads")) {
        settings.poison_reads = true;
    } else if (is("stop_before_listen")) {
        settings.stop_before_listen = true;
    } else if (is("broken_pipe")) {
        settings.broken_pipe = true;
    } else if (length > 0) {
        complain("an unknown fault", token, length);
    }
}

void load() {
    real.send = next_definition<send_fn>("send");
    real.sendto = next_definition<sendto_fn>("sendto");
    real.write = next_definition<write_fn>("write");
    real.recv = next_definition<recv_fn>("recv");
    real.read = next_definition<read_fn>("read");
    real.recv_chk = next_definition<recv_chk_fn>("__recv_chk");
    real.read_chk = next_definition<read_chk_fn>("__read_chk");
    real.listen = next_definition<listen_fn>("listen");
    real.accept4 = next_definition<accept4_fn>("accept4");
    if (const char* text = std::getenv("WORKBOOK_FAULTS")) {
        for (const char* start = text;;) {
            const char* end = std::strchr(start, ',');
            const std::size_t length =
                end ? static_cast<std::size_t>(end - start) : std::strlen(start);
            apply(start, length);
            if (end == nullptr) break;
            start = end + 1;
        }
    }
    state = settings.seed;
}

const Settings& the_settings() {
    pthread_once(&loaded, load);
    return settings;
}

// splitmix64: small, and good enough to pick counts. Under `lock`.
std::uint64_t next_random() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// How many of `len` bytes this call may move: `len`, or a count in [1, len - 1].
std::size_t allowed(std::size_t len, bool& first) {
    if (len < 2) return len;
    pthread_mutex_lock(&lock);
    std::size_t count = len;
    if (first || next_random() % 2 == 0) {
        const std::size_t most = len - 1;
        const int bits = 64 - __builtin_clzll(most);  // most >= 1, so bits >= 1
        const std::size_t low = std::size_t{1} << (next_random() % static_cast<unsigned>(bits));
        const std::size_t high = std::min(most, low * 2 - 1);
        count = low + next_random() % (high - low + 1);
    }
    first = false;
    pthread_mutex_unlock(&lock);
    return count;
}

// True if this call is to fail (then errno is set). Draws from the generator unless the
// probability is 1.
bool fails(const Failing& f) {
    if (f.error == 0) return false;
    bool fail = true;
    if (f.probability < 1) {
        pthread_mutex_lock(&lock);
        fail = static_cast<double>(next_random() >> 11) * 0x1.0p-53 < f.probability;
        pthread_mutex_unlock(&lock);
    }
    if (fail) errno = f.error;
    return fail;
}

// Only TCP (stream) sockets: a datagram cannot be cut, and files and pipes are not the lesson.
bool stream_socket(int fd) {
    const int saved = errno;
    int type = 0;
    socklen_t length = sizeof type;
    const bool stream =
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 && type == SOCK_STREAM;
    errno = saved;
    return stream;
}

// True (with errno EPIPE, and SIGPIPE raised unless `flags` has MSG_NOSIGNAL) if this write is the
// one broken_pipe breaks.
bool breaks(int fd, std::size_t len, int flags) {
    if (!the_settings().broken_pipe || len == 0 || !stream_socket(fd)) return false;
    pthread_mutex_lock(&lock);
    const bool now = !pipe_broken;
    pipe_broken = true;
    pthread_mutex_unlock(&lock);
    if (!now) return false;
    if ((flags & MSG_NOSIGNAL) == 0) raise(SIGPIPE);
    errno = EPIPE;
    return true;
}

std::size_t write_size(int fd, std::size_t len) {
    if (!the_settings().short_writes || !stream_socket(fd)) return len;
    return allowed(len, first_write);
}

// The bytes waiting on a socket; for a blocking call, once some have arrived (or the connection
// ended). -1 if a signal interrupted the wait, as it would have interrupted the call.
long waiting(int fd, int flags) {
    int count = 0;
    if (ioctl(fd, FIONREAD, &count) != 0) return 0;
    timeval timeout{};
    socklen_t length = sizeof timeout;
    const bool blocking = (flags & MSG_DONTWAIT) == 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK) == 0 &&
                          getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, &length) == 0 &&
                          timeout.tv_sec == 0 && timeout.tv_usec == 0;
    if (count > 0 || !blocking) return count;
    pollfd p{fd, POLLIN, 0};
    if (ppoll(&p, 1, nullptr, nullptr) < 0) return errno == EINTR ? -1 : 0;
    if (ioctl(fd, FIONREAD, &count) != 0) return 0;
    return count;
}

// How many bytes to ask the kernel for; 0 with errno EINTR if the wait was interrupted.
std::size_t read_size(int fd, std::size_t len, int flags) {
    if (!the_settings().short_reads || (flags & MSG_WAITALL) != 0 || !stream_socket(fd)) {
        return len;
    }
    const int saved = errno;
    const long bytes = waiting(fd, flags);
    if (bytes < 0) return 0;
    errno = saved;
    if (bytes < 2) return len;  // nothing to cut
    return allowed(std::min(len, static_cast<std::size_t>(bytes)), first_read);
}

ssize_t poisoned(int fd, void* buf, std::size_t len, ssize_t got) {
    if (got >= 0 && static_cast<std::size_t>(got) < len && the_settings().poison_reads &&
        stream_socket(fd)) {
        std::memset(static_cast<char*>(buf) + got, poison, len - static_cast<std::size_t>(got));
    }
    return got;
}

}  // namespace

extern "C" {

ssize_t send(int fd, const void* buf, size_t len, int flags) {
    if (breaks(fd, len, flags)) return -1;
    const std::size_t n = write_size(fd, len);
    return real.send(fd, buf, n, flags);
}

ssize_t sendto(int fd, const void* buf, size_t len, int flags, const sockaddr* to,
               socklen_t to_length) {
    if (breaks(fd, len, flags)) return -1;
    const std::size_t n = write_size(fd, len);
    return real.sendto(fd, buf, n, flags, to, to_length);
}

ssize_t write(int fd, const void* buf, size_t len) {
    if (the_settings().write.error != 0 && stream_socket(fd) && fails(settings.write)) return -1;
    if (breaks(fd, len, 0)) return -1;
    const std::size_t n = write_size(fd, len);
    return real.write(fd, buf, n);
}

ssize_t recv(int fd, void* buf, size_t len, int flags) {
    const std::size_t n = read_size(fd, len, flags);
    if (n == 0 && len > 0) return -1;  // interrupted (errno is EINTR)
    return poisoned(fd, buf, len, real.recv(fd, buf, n, flags));
}

ssize_t read(int fd, void* buf, size_t len) {
    if (the_settings().read.error != 0 && stream_socket(fd) && fails(settings.read)) return -1;
    const std::size_t n = read_size(fd, len, 0);
    if (n == 0 && len > 0) return -1;
    return poisoned(fd, buf, len, real.read(fd, buf, n));
}

// A buffer smaller than len is the C library's to report (it aborts): pass such calls on as they
// are.
ssize_t __recv_chk(int fd, void* buf, size_t len, size_t buflen, int flags) {
    the_settings();
    if (len > buflen) return real.recv_chk(fd, buf, len, buflen, flags);
    return recv(fd, buf, len, flags);
}

ssize_t __read_chk(int fd, void* buf, size_t len, size_t buflen) {
    the_settings();
    if (len > buflen) return real.read_chk(fd, buf, len, buflen);
    return read(fd, buf, len);
}

int accept4(int fd, sockaddr* address, socklen_t* length, int flags) {
    if (fails(the_settings().accept4)) return -1;
    return real.accept4(fd, address, length, flags);
}

int listen(int fd, int backlog) noexcept {
    if (the_settings().stop_before_listen) raise(SIGSTOP);
    return real.listen(fd, backlog);
}

}  // extern "C"
