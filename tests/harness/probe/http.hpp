// HTTP/1.x on top of a Connection: the bytes of a request, written exactly as the test wants them
// sent, and a response read and checked strictly.
//
// It promises: http_request() adds nothing the test did not ask for but the request line, the
// CRLF line ends and a Content-Length for a body; receive_http_response() reads exactly one
// response with the readers with a cursor (the head through its blank line, then exactly
// Content-Length bytes of body, or everything until the server closes the connection when there is
// no Content-Length), however it was split, within one deadline for the whole response, so that
// several responses can follow each other on one connection; a failure says what was wrong in
// words a student can act on (a malformed status line, a bad header line, a bad Content-Length,
// lines ended by "\n" alone, a body cut short); each response received is a transcript entry.
// Implemented in http.cpp.
//
// Small and strict on purpose, not a general HTTP client: no chunked transfer coding (a response
// with Transfer-Encoding fails and says so), no obsolete line folding, no responses to HEAD
// requests (they have a Content-Length but no body), no trailers.
//
//     client.send(probe::http_request("GET", "/hello", {{"Host", "localhost"}}));
//     const probe::HttpResponse response = probe::receive_http_response(client);
//     CHECK(response.status == 200);
//     CHECK(response.header("content-type") == "text/plain");
//     CHECK(response.body == "Hello!");
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "probe/common.hpp"
#include "probe/tcp.hpp"

namespace probe {

// Header fields in order: (name, value).
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// The bytes of an HTTP/1.1 request: "METHOD target HTTP/1.1\r\n", each header as "Name: value\r\n"
// in the order given, "Content-Length: N\r\n" when `body` is not empty and `headers` has no
// Content-Length of its own, an empty line "\r\n", then the body. Nothing else: pass a Host header
// when the server expects one (HTTP/1.1 requires it). Throws std::invalid_argument for a request
// that these bytes would not carry as the test meant: an empty method or target, a space, CR or LF
// in either, a header name that is not one word, a CR or LF in a header value.
std::string http_request(std::string_view method, std::string_view target,
                         const HttpHeaders& headers = {}, std::string_view body = {});

// One response as received.
struct HttpResponse {
    std::string version;  // "HTTP/1.1"
    int status = 0;       // 200
    std::string reason;   // "OK"; may be empty
    // In the order received, names as the server wrote them, values without the spaces and tabs
    // around them.
    HttpHeaders headers;
    std::string body;

    // The value of the first header called `name`, whatever the case of its letters
    // ("content-length" finds "Content-Length"); nullopt if there is none.
    std::optional<std::string> header(std::string_view name) const;
};

// Reads one response: the status line and the header lines through the empty line that ends them,
// then the body: exactly Content-Length bytes; none for a status 1xx, 204 or 304; without a
// Content-Length, everything until the server closes the connection. Throws Failure, saying what
// arrived, if the response is malformed (status line, header line, Content-Length, lines ended by
// "\n" alone, Transfer-Encoding), if the connection ends first, or at the deadline.
HttpResponse receive_http_response(Connection& connection, milliseconds deadline = step_deadline());

}  // namespace probe
