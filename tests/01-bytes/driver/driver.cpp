// The driver of lesson 01-bytes: a main() that runs your four functions for the tests, so that your
// code runs in a program of its own and never inside the program that writes the verdict. The build
// links it with your utf8.cpp into bin/01-bytes/driver; tests/01-bytes/remote.hpp starts it and
// talks to it. It only reports what your functions did; the tests decide whether that is right.
//
// One request per line on stdin, one answer per line (one per item for the "-each" requests), each
// flushed when the request is done. Everything travels in hex, so that any byte does: a byte is
// two digits ("c3a9"), a code point is a hex number ("e9"), code points are separated by spaces.
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
#include <cxxabi.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <typeinfo>

#include "utf8.hpp"

namespace {

constexpr char digits[] = "0123456789abcdef";

int answers = -1;   // the descriptor the answers go to (the original stdout)
std::string out;    // answers not written yet

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

// Ends one answer line; writes the answers out once enough of them are waiting.
void end_line() {
    out += '\n';
    if (out.size() >= 256 * 1024) flush();
}

void put_hex(std::string_view bytes) {
    const std::size_t at = out.size();
    out.resize(at + 2 * bytes.size());
    char* p = out.data() + at;
    for (const char c : bytes) {
        const auto b = static_cast<unsigned char>(c);
        *p++ = digits[b >> 4];
        *p++ = digits[b & 0x0F];
    }
}

void put_code_points(std::u32string_view code_points) {
    char text[16];
    for (std::size_t i = 0; i < code_points.size(); ++i) {
        if (i > 0) out += ' ';
        char* end = text + sizeof text;
        char* p = end;
        auto value = static_cast<unsigned long>(code_points[i]);
        do {
            *--p = digits[value & 0x0F];
            value >>= 4;
        } while (value != 0);
        out.append(p, end);
    }
}

struct BadRequest {
    std::string why;
};

// The value of each hex digit, -1 for any other byte.
constexpr auto hex_values = [] {
    std::array<signed char, 256> values{};
    values.fill(-1);
    for (int d = 0; d < 10; ++d) values['0' + d] = static_cast<signed char>(d);
    for (int d = 0; d < 6; ++d) values['a' + d] = values['A' + d] = static_cast<signed char>(10 + d);
    return values;
}();

int digit_value(char c) {
    const int value = hex_values[static_cast<unsigned char>(c)];
    if (value < 0) throw BadRequest{"not a hex digit: '" + std::string(1, c) + "'"};
    return value;
}

std::string parse_bytes(std::string_view text) {
    if (text.size() % 2 != 0) throw BadRequest{"an odd number of hex digits"};
    std::string bytes(text.size() / 2, '\0');
    const char* t = text.data();
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        const int high = hex_values[static_cast<unsigned char>(t[2 * i])];
        const int low = hex_values[static_cast<unsigned char>(t[2 * i + 1])];
        if ((high | low) < 0) throw BadRequest{"not a hex digit"};
        bytes[i] = static_cast<char>(high * 16 + low);
    }
    return bytes;
}

std::u32string parse_code_points(std::string_view text) {
    std::u32string code_points;
    code_points.reserve(text.size() / 2 + 1);
    const char* t = text.data();
    const std::size_t size = text.size();
    for (std::size_t i = 0; i < size;) {
        unsigned long value = 0;
        std::size_t k = i;
        for (; k < size && t[k] != ' '; ++k) {
            if (k - i == 8) throw BadRequest{"a code point is 1 to 8 hex digits"};
            value = value * 16 + static_cast<unsigned long>(digit_value(t[k]));
        }
        if (k == i || k + 1 == size) throw BadRequest{"one space between two code points"};
        code_points += static_cast<char32_t>(value);
        i = k + 1;
    }
    return code_points;
}

std::string type_name(const std::type_info& type) {
    int status = 0;
    char* name = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
    std::string text = status == 0 && name != nullptr ? name : type.name();
    std::free(name);
    return text;
}

// Runs `call` (one of your functions) and writes its answer line, whatever it throws.
template <class Call>
void answer(Call&& call) {
    try {
        call();
    } catch (const bytes::Utf8Error& error) {
        out += "error ";
        out += std::to_string(error.position());
        out += ' ';
        put_hex(error.reason());
        out += ' ';
        put_hex(error.what());
    } catch (const std::exception& error) {
        out += "exception ";
        put_hex(type_name(typeid(error)));
        out += ' ';
        put_hex(error.what());
    } catch (...) {
        out += "exception-other";
    }
    end_line();
}

// Each answer is built in `result` first and appended only once the function has returned, so
// that an exception never leaves half an answer in `out`.
void encode(std::string_view args) {
    const std::u32string code_points = parse_code_points(args);
    answer([&] {
        const std::string result = bytes::encode_utf8(code_points);
        out += "ok ";
        put_hex(result);
    });
}

void decode(std::string_view args) {
    const std::string data = parse_bytes(args);
    answer([&] {
        const std::u32string result = bytes::decode_utf8(data);
        out += "ok ";
        put_code_points(result);
    });
}

void count(std::string_view args) {
    const std::string data = parse_bytes(args);
    answer([&] {
        const std::size_t result = bytes::count_code_points(data);
        out += "ok ";
        out += std::to_string(result);
    });
}

void hex(std::string_view args) {
    const std::string data = parse_bytes(args);
    answer([&] {
        const std::string result = bytes::hex_dump(data);
        out += "ok ";
        put_hex(result);
    });
}

// Calls `one` for each item of a comma-separated list.
template <class One>
void each(std::string_view args, One&& one) {
    std::size_t i = 0;
    for (;;) {
        const std::size_t end = std::min(args.find(',', i), args.size());
        one(args.substr(i, end - i));
        if (end == args.size()) return;
        i = end + 1;
    }
}

void handle(std::string_view line) {
    const std::size_t space = line.find(' ');
    const std::string_view verb = line.substr(0, space);
    const std::string_view args = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    const std::size_t before = out.size();
    try {
        if (verb == "encode") return encode(args);
        if (verb == "decode") return decode(args);
        if (verb == "count") return count(args);
        if (verb == "hex") return hex(args);
        if (verb == "encode-each") return each(args, encode);
        if (verb == "decode-each") return each(args, decode);
        throw BadRequest{"unknown request '" + std::string(verb) + "'"};
    } catch (const BadRequest& bad) {
        out.resize(before);
        out += "bad-request ";
        put_hex(bad.why);
        end_line();
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
