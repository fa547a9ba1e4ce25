// The driver of lesson 01-bytes: a main() that runs your four functions for the tests, so that your
// code runs in a program of its own and never inside the program that writes the verdict. The build
// links it with your utf8.cpp into bin/01-bytes/driver; tests/01-bytes/remote.hpp starts it and
// talks to it. It only reports what your functions did; the tests decide whether that is right.
//
// One request per line on stdin, one answer per line (one per item for the "-each" requests), each
// flushed when the request is done. Everything travels in hex (tests/01-bytes/wire.hpp), so that
// any byte does: a byte is two digits ("c3a9"), a code point is a hex number ("e9"), code points
// are separated by spaces.
//
//   encode CPS             encode_utf8(CPS)         ok BYTES
//   decode BYTES           decode_utf8(BYTES)       ok CPS
//   count BYTES            count_code_points(BYTES) ok N (in decimal)
//   hex BYTES              hex_dump(BYTES)          ok BYTES (the text it returned, in hex)
//   encode-each CPS,CPS,.. encode_utf8 of each item on its own: one answer line per item
//   decode-each BYTES,..   decode_utf8 of each item on its own: one answer line per item
//
// When the function throws, the answer is instead
//   error POSITION REASON WHAT    a bytes::Utf8Error (POSITION in decimal, REASON and WHAT in hex)
//   exception TYPE WHAT           any other std::exception (its type's name and what(), in hex)
//   exception-other               something that is not a std::exception
// and a request it cannot read is answered "bad-request WHY".
//
// Your code may print while it runs (std::cout, printf): the driver answers on a descriptor of its
// own, and your standard output goes to standard error, which the tests show in their transcript.

// The driver is the workbook's code, not the student's: optimised whatever the build, so that a
// batch of 65,536 calls costs little more than the calls themselves (utf8.cpp keeps the build's
// flags).
#pragma GCC optimize("O2")
#include <cxxabi.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <typeinfo>

#include "../wire.hpp"
#include "utf8.hpp"

namespace {

int answers = -1;  // the descriptor the answers go to (the original stdout)
std::string out;   // answers not written yet

void flush() {
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::write(answers, out.data() + done, out.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) std::_Exit(3);  // the tests are gone
        done += static_cast<std::size_t>(n);
    }
    out.clear();
}

std::string type_name(const std::type_info& type) {
    int status = 0;
    char* name = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
    std::string text = status == 0 && name != nullptr ? name : type.name();
    std::free(name);
    return text;
}

// Runs `call` (one of your functions, which writes "ok ..." once it has returned) and ends its
// answer line, whatever it throws.
template <class Call>
void answer(Call&& call) {
    try {
        call();
    } catch (const bytes::Utf8Error& error) {
        out += "error ";
        out += std::to_string(error.position());
        out += ' ';
        wire::put_hex(out, error.reason());
        out += ' ';
        wire::put_hex(out, error.what());
    } catch (const std::exception& error) {
        out += "exception ";
        wire::put_hex(out, type_name(typeid(error)));
        out += ' ';
        wire::put_hex(out, error.what());
    } catch (...) {
        out += "exception-other";
    }
    out += '\n';
    if (out.size() >= 256 * 1024) flush();  // a batch's answers go out a good many at a time
}

// One call of `verb` on `args`.
void run(std::string_view verb, std::string_view args) {
    if (verb == "encode") {
        const std::u32string code_points = wire::parse_code_points(args);
        return answer([&] {
            const std::string result = bytes::encode_utf8(code_points);
            out += "ok ";
            wire::put_hex(out, result);
        });
    }
    const std::string data = wire::parse_bytes(args);
    if (verb == "decode") {
        return answer([&] {
            const std::u32string result = bytes::decode_utf8(data);
            out += "ok ";
            wire::put_code_points(out, result);
        });
    }
    if (verb == "count") {
        return answer([&] {
            const std::size_t result = bytes::count_code_points(data);
            out += "ok " + std::to_string(result);
        });
    }
    if (verb == "hex") {
        return answer([&] {
            const std::string result = bytes::hex_dump(data);
            out += "ok ";
            wire::put_hex(out, result);
        });
    }
    throw wire::Malformed{"unknown request '" + std::string(verb) + "'"};
}

void handle(std::string_view line) {
    const std::size_t space = line.find(' ');
    std::string_view verb = line.substr(0, space);
    const std::string_view args =
        space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    try {
        if (!verb.ends_with("-each")) return run(verb, args);
        verb.remove_suffix(5);
        for (std::size_t i = 0;;) {  // the items, separated by commas
            const std::size_t comma = args.find(',', i);
            run(verb, args.substr(i, comma - i));
            if (comma == std::string_view::npos) return;
            i = comma + 1;
        }
    } catch (const wire::Malformed& bad) {  // thrown before the item's call: no half answer
        out += "bad-request ";
        wire::put_hex(out, bad.why);
        out += '\n';
    }
}

}  // namespace

int main() {
    // Answers go to the original stdout, kept as a descriptor of their own; what your code prints
    // on stdout goes to stderr with the rest of its output.
    answers = ::dup(STDOUT_FILENO);
    if (answers < 0 || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
        std::perror("driver: dup");
        return 2;
    }
    // A line your code prints shows at once, even if the code never returns after it.
    std::setvbuf(stdout, nullptr, _IOLBF, BUFSIZ);
    std::signal(SIGPIPE, SIG_DFL);
    std::string buffer;
    std::size_t start = 0;    // of the line being read
    std::size_t scanned = 0;  // no '\n' before this
    char chunk[64 * 1024];
    for (;;) {
        const std::size_t newline = buffer.find('\n', scanned);
        if (newline != std::string::npos) {
            handle(std::string_view(buffer).substr(start, newline - start));
            std::fflush(stdout);
            flush();
            start = scanned = newline + 1;
            continue;
        }
        buffer.erase(0, start);
        start = 0;
        scanned = buffer.size();
        const ssize_t n = ::read(STDIN_FILENO, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // the tests closed our stdin: done
        buffer.append(chunk, static_cast<std::size_t>(n));
    }
    return 0;
}
