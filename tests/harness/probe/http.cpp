// HTTP/1.x requests and responses (see http.hpp), read with Connection's readers with a cursor and
// receive_part (frames.cpp). Every check of a response throws Failure with what was received and
// what HTTP wants instead, after a transcript entry.
#include "probe/http.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstddef>
#include <stdexcept>
#include <string>

#include <fmt/core.h>

#include "probe/internal.hpp"
#include "probe/transcript.hpp"

namespace probe {

using namespace detail;

namespace {

bool same_name(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

// A token (RFC 9110): what a method and a header name are made of.
bool token_character(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A character that may not be in a header value: the controls but the tab.
bool control_character(char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
}

// Logs the step, then throws it as the Failure.
[[noreturn]] void fail(const Connection& connection, const std::string& message) {
    log(fmt::format("{}: {}", connection.name(), message));
    throw Failure(fmt::format("{}: {}", connection.name(), message));
}

// "name: value" split and checked; `line` is the header line as received, without its "\r\n".
std::pair<std::string, std::string> header_field(const Connection& connection,
                                                 std::string_view line) {
    const auto bad = [&](const std::string& why) {
        fail(connection, fmt::format("the response's header line {} is not \"Name: value\": {}",
                                     detail::quoted(line), why));
    };
    if (line.starts_with(' ') || line.starts_with('\t')) {
        bad("it starts with a space (the obsolete folding of a long header into several lines "
            "is not accepted here)");
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) bad("it has no ':' after the name");
    const std::string_view name = line.substr(0, colon);
    if (name.empty()) bad("its name, before the ':', is empty");
    for (const char c : name) {
        if (c == ' ' || c == '\t') bad("a name is one word, with no space before the ':'");
        if (!token_character(c)) {
            bad(fmt::format("{} cannot be in a header name", detail::quoted(std::string(1, c))));
        }
    }
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (const auto c = std::find_if(value.begin(), value.end(), control_character);
        c != value.end()) {
        bad(fmt::format("its value holds the control character {}",
                        detail::quoted(std::string(1, *c))));
    }
    return {std::string(name), std::string(value)};
}

// "HTTP/1.1 200 OK" into `response`, or a Failure.
void parse_status_line(const Connection& connection, std::string_view line,
                       HttpResponse& response) {
    // "HTTP/1.x", a space, three digits, a space, then a reason of any characters but controls.
    const bool version = line.size() >= 8 && line.starts_with("HTTP/1.") &&
                         std::isdigit(static_cast<unsigned char>(line[7]));
    const bool code =
        line.size() >= 13 && line[8] == ' ' &&
        std::all_of(line.begin() + 9, line.begin() + 12,
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) &&
        line[12] == ' ';
    if (!version || !code || std::any_of(line.begin(), line.end(), control_character)) {
        fail(connection,
             fmt::format("the response's status line {} is not an HTTP/1.x status line: "
                         "\"HTTP/1.1\", a space, a three-digit status code, a space and a reason "
                         "(which may be empty), such as \"HTTP/1.1 200 OK\"",
                         detail::quoted(line)));
    }
    response.version = std::string(line.substr(0, 8));
    std::from_chars(line.data() + 9, line.data() + 12, response.status);
    response.reason = std::string(line.substr(13));
}

// The head, from the status line to the empty line that ends it: its "\r\n" are the line ends.
void parse_head(const Connection& connection, std::string_view head, HttpResponse& response) {
    head.remove_suffix(4);  // "\r\n\r\n": the end of the last line, and the empty line
    for (std::size_t start = 0, number = 0; start <= head.size(); ++number) {
        const std::size_t end = std::min(head.find("\r\n", start), head.size());
        const std::string_view line = head.substr(start, end - start);
        if (line.find('\n') != std::string_view::npos) {
            fail(connection,
                 fmt::format("the response's head has a line that ends with \"\\n\" alone, in {}: "
                             "HTTP ends every line of the status and the headers with \"\\r\\n\"",
                             detail::quoted(line)));
        }
        if (number == 0) {
            parse_status_line(connection, line, response);
        } else {
            response.headers.push_back(header_field(connection, line));
        }
        start = end + 2;
    }
}

// The body's length from Content-Length: nullopt without one. Failure for a value that is not a
// number of bytes, two that disagree, or a Transfer-Encoding (not read here).
std::optional<std::size_t> content_length(const Connection& connection,
                                          const HttpResponse& response) {
    std::optional<std::string> seen;
    std::optional<std::size_t> length;
    for (const auto& [name, value] : response.headers) {
        if (same_name(name, "Transfer-Encoding")) {
            fail(connection,
                 fmt::format("the response has \"Transfer-Encoding: {}\", which these tests do "
                             "not read (no chunked bodies): send the body with a Content-Length",
                             value));
        }
        if (!same_name(name, "Content-Length")) continue;
        if (seen && *seen != value) {
            fail(connection,
                 fmt::format("the response has two Content-Length headers that disagree, {} and "
                             "{}",
                             detail::quoted(*seen), detail::quoted(value)));
        }
        std::size_t n = 0;
        const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (value.empty() || error != std::errc() || end != value.data() + value.size()) {
            fail(connection, fmt::format("the response's Content-Length {} is not a number of "
                                         "bytes (digits only, such as \"13\")",
                                         detail::quoted(value)));
        }
        seen = value;
        length = n;
    }
    return length;
}

// Everything until the server closes the connection, from the cursor on.
std::string body_to_the_end(Connection& connection, Clock::time_point until) {
    try {
        connection.receive_all(std::max(until_now(until), milliseconds(0)));
    } catch (const Failure& failure) {
        throw Failure(fmt::format(
            "{}: the response has no Content-Length, so its body ends only when your program "
            "closes the connection: {}",
            connection.name(), without_name(failure, connection)));
    }
    return connection.receive_exactly(connection.unread().size(), "the rest of the body", 0ms);
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
    for (const auto& [field, value] : headers) {
        if (same_name(field, name)) return value;
    }
    return std::nullopt;
}

std::string http_request(std::string_view method, std::string_view target,
                         const HttpHeaders& headers, std::string_view body) {
    const auto refuse = [](const std::string& why) {
        throw std::invalid_argument("http_request: " + why);
    };
    if (method.empty() || !std::all_of(method.begin(), method.end(), token_character)) {
        refuse(fmt::format("the method \"{}\" is not one word such as GET", escape(method)));
    }
    if (target.empty() || target.find_first_of(" \t\r\n") != std::string_view::npos) {
        refuse(fmt::format("the target \"{}\" is empty or holds a space or a line break",
                           escape(target)));
    }
    std::string request = fmt::format("{} {} HTTP/1.1\r\n", method, target);
    bool has_length = false;
    for (const auto& [name, value] : headers) {
        if (name.empty() || !std::all_of(name.begin(), name.end(), token_character) ||
            value.find_first_of("\r\n") != std::string::npos) {
            refuse(
                fmt::format("the header \"{}: {}\" is not one word, a ':' and a value on one "
                            "line",
                            escape(name), escape(value)));
        }
        has_length = has_length || same_name(name, "Content-Length");
        request += fmt::format("{}: {}\r\n", name, value);
    }
    if (!body.empty() && !has_length) request += fmt::format("Content-Length: {}\r\n", body.size());
    request += "\r\n";
    request += body;
    return request;
}

HttpResponse receive_http_response(Connection& connection, milliseconds deadline) {
    const auto until = Clock::now() + deadline;
    std::string head;
    try {
        head = connection.receive_through(
            "\r\n\r\n",
            "the response's status line and headers, up to the empty line that ends them",
            deadline);
    } catch (const Failure& failure) {
        // The most common reason for a head that never ends: "\n" where HTTP wants "\r\n".
        if (connection.unread().find("\n\n") == std::string_view::npos) throw;
        throw Failure(fmt::format(
            "{}. Its lines end with \"\\n\" alone: HTTP ends every line of the status and the "
            "headers with \"\\r\\n\", and the headers with an empty line, so the tests wait for "
            "\"\\r\\n\\r\\n\".",
            failure.what()));
    }
    HttpResponse response;
    parse_head(connection, head, response);
    const std::optional<std::size_t> length = content_length(connection, response);
    // No body after a status 1xx, 204 or 304, whatever the headers say (RFC 9112, 6.3).
    const bool bodiless =
        response.status / 100 == 1 || response.status == 204 || response.status == 304;
    if (!bodiless && length) {
        response.body =
            receive_part(connection, *length,
                         fmt::format("the response's body (Content-Length: {})", *length), until);
    } else if (!bodiless) {
        response.body = body_to_the_end(connection, until);
    }
    log(fmt::format("{}: received an HTTP response: {} {}, {} header{}, a body of {} bytes",
                    connection.name(), response.status, response.reason, response.headers.size(),
                    response.headers.size() == 1 ? "" : "s", response.body.size()));
    return response;
}

}  // namespace probe
