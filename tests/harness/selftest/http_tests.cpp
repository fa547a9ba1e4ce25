// HTTP/1.x: http_request() against bytes written by hand and against the http_server fixture's
// reading of them, and receive_http_response() against the fixture's responses, right (split across
// writes, two on one connection, no Content-Length, no content) and wrong (a malformed status line,
// a bad header line, a bad Content-Length, lines ended by "\n" alone, a chunked body, a body
// shorter than its Content-Length), and against in-process pairs for what a fixture cannot show.
#include "probe.hpp"  // first: it includes <regex> (see there)

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "support.hpp"

using namespace selftest;

namespace {

// What receive_http_response threw, after a GET / to a server in `mode`.
std::string failure_after_get(const char* mode) {
    ServerInMode server(FIXTURE_HTTP_SERVER, mode);
    server.client.send(probe::http_request("GET", "/", {{"Host", "localhost"}}));
    return failure_of([&] { probe::receive_http_response(server.client); });
}

}  // namespace

TEST_CASE("http_request: the request line, the headers, Content-Length and the body, CRLF ended") {
    CHECK(probe::http_request("GET", "/") == "GET / HTTP/1.1\r\n\r\n");
    CHECK(probe::http_request("GET", "/a?b=c", {{"Host", "localhost"}, {"Accept", "*/*"}}) ==
          "GET /a?b=c HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n");
    CHECK(probe::http_request("POST", "/echo", {{"Host", "x"}}, "hi!") ==
          "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nhi!");
    // A Content-Length of the test's own is sent as it is (to send a wrong one on purpose).
    CHECK(probe::http_request("POST", "/", {{"content-length", "9"}}, "hi!") ==
          "POST / HTTP/1.1\r\ncontent-length: 9\r\n\r\nhi!");
    for (const auto& [method, target] :
         {std::pair{"", "/"}, std::pair{"GET", ""}, std::pair{"GE T", "/"},
          std::pair{"GET", "/a b"}, std::pair{"GET", "/\r\nX: y"}}) {
        CHECK_THROWS_AS(probe::http_request(method, target), std::invalid_argument);
    }
    CHECK_THROWS_AS(probe::http_request("GET", "/", {{"Bad Name", "x"}}), std::invalid_argument);
    CHECK_THROWS_AS(probe::http_request("GET", "/", {{"X", "a\r\nY: b"}}), std::invalid_argument);
}

TEST_CASE("responses split across writes, one after the other on the same connection") {
    ServerInMode server(FIXTURE_HTTP_SERVER,
                        "ok");  // keeps the connection open; each response in three pieces
    server.client.send(probe::http_request("GET", "/hello", {{"Host", "localhost"}}));
    const probe::HttpResponse hello = probe::receive_http_response(server.client);
    CHECK(server.program.wait_for_next_line(std::regex("^request: "), "the request line") ==
          "request: GET /hello HTTP/1.1");
    CHECK(hello.version == "HTTP/1.1");
    CHECK(hello.status == 200);
    CHECK(hello.reason == "OK");
    CHECK(hello.header("Content-Type") == "text/plain");  // sent as "content-type"
    CHECK(hello.header("x-target") == "/hello");          // sent as "X-Target:  /hello "
    CHECK(hello.header("Content-Length") == "20");
    CHECK_FALSE(hello.header("Location").has_value());
    CHECK(hello.headers.size() == 3);
    CHECK(hello.body == "You asked for /hello");

    server.client.send(probe::http_request("POST", "/echo", {{"Host", "localhost"}}, "ping"));
    CHECK(server.program.wait_for_next_line(std::regex("^body: "), "the request's body") ==
          "body: ping");
    CHECK(probe::receive_http_response(server.client).body == "ping");
    server.client.expect_silence(100ms);  // nothing read past the second response
    CHECK(contains(probe::transcript(),
                   "client-1: received an HTTP response: 200 OK, 3 headers, a body of 20 bytes\n"));
}

TEST_CASE("without Content-Length the body ends when the server closes the connection") {
    ServerInMode server(FIXTURE_HTTP_SERVER, "no_length");
    server.client.send(probe::http_request("GET", "/", {{"Host", "localhost"}}));
    const probe::HttpResponse response = probe::receive_http_response(server.client);
    CHECK(response.version == "HTTP/1.0");
    CHECK(response.body == "Until the end");
    CHECK(server.client.unread().empty());
}

TEST_CASE("204 No Content has no body: nothing is waited for") {
    ServerInMode server(FIXTURE_HTTP_SERVER, "no_content");  // the connection stays open
    server.client.send(probe::http_request("GET", "/", {{"Host", "localhost"}}));
    const auto start = Clock::now();
    const probe::HttpResponse response = probe::receive_http_response(server.client);
    CHECK(since(start) < margin());
    CHECK(response.status == 204);
    CHECK(response.reason == "No Content");
    CHECK(response.body.empty());
}

TEST_CASE("a malformed status line is named, with what HTTP wants") {
    const std::string message = failure_after_get("malformed");  // "HTTP/1.1 OK"
    CHECK(contains(message,
                   "client-1: the response's status line \"HTTP/1.1 OK\" is not an "
                   "HTTP/1.x status line: \"HTTP/1.1\", a space, a three-digit status "
                   "code, a space and a reason"));
    CHECK(contains(probe::transcript(), "client-1: the response's status line \"HTTP/1.1 OK\""));
}

TEST_CASE("a header line without ':' is named") {
    CHECK(contains(failure_after_get("bad_header"),
                   "client-1: the response's header line \"Content-Type text/plain\" is not "
                   "\"Name: value\": it has no ':' after the name"));
}

TEST_CASE("a Content-Length that is not a number is named") {
    CHECK(contains(failure_after_get("bad_length"),
                   "client-1: the response's Content-Length \"ten\" is not a number of bytes"));
}

TEST_CASE("a chunked body is refused in words, not misread") {
    CHECK(contains(failure_after_get("chunked"),
                   "the response has \"Transfer-Encoding: chunked\", which these tests do not "
                   "read"));
}

TEST_CASE("a body shorter than its Content-Length: how many of its bytes came") {
    const std::string message = failure_after_get("short");  // 10 of 20 bytes, then closes
    CHECK(contains(message,
                   "client-1: only 10 of the 20 bytes of the response's body "
                   "(Content-Length: 20) arrived (\"only ten b\"): your program closed "
                   "the connection before sending"));
}

TEST_CASE("lines ended by \"\\n\" alone: the deadline, and why the head never ended") {
    ServerInMode server(FIXTURE_HTTP_SERVER,
                        "bare_lf");  // "HTTP/1.1 200 OK\nContent-Length: 2\n\nhi", stays open
    server.client.send(probe::http_request("GET", "/", {{"Host", "localhost"}}));
    const auto deadline = probe::scaled(300ms);
    const std::string message = failure_at_deadline(
        deadline, [&] { probe::receive_http_response(server.client, deadline); });
    CHECK(contains(message, "received so far: \"HTTP/1.1 200 OK\\nContent-Length: 2\\n\\nhi\""));
    CHECK(contains(message, "Its lines end with \"\\n\" alone: HTTP ends every line"));
}

TEST_CASE("the head's checks, and one deadline, on in-process pairs") {
    const auto response_to = [](const std::string& bytes) {
        Pair pair;
        pair.server.send(bytes);
        pair.server.close();
        return failure_of([&] { probe::receive_http_response(pair.client); });
    };
    CHECK(response_to("HTTP/1.1 200\r\n\r\n").find("is not an HTTP/1.x status line") !=
          std::string::npos);  // the space before the (empty) reason is missing
    CHECK(response_to("HTTP/2 200 OK\r\n\r\n").find("is not an HTTP/1.x status line") !=
          std::string::npos);
    CHECK(contains(response_to("HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nhi"),
                   "a name is one word, with no space before the ':'"));
    CHECK(contains(response_to("HTTP/1.1 200 OK\r\nX: 1\r\n folded\r\n\r\n"),
                   "it starts with a space"));
    CHECK(contains(response_to("HTTP/1.1 200 OK\nContent-Length: 2\r\n\r\nhi"),
                   "the response's head has a line that ends with \"\\n\" alone"));
    CHECK(contains(response_to("HTTP/1.1 200 OK\r\nContent-Length: 2\r\ncontent-length: 3\r\n\r\n"
                               "hi"),
                   "two Content-Length headers that disagree, \"2\" and \"3\""));
    CHECK(contains(response_to("HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\n"),
                   "Content-Length \"-2\" is not a number of bytes"));
    {
        Pair pair;  // a reason of several words, an empty one, and the same header twice
        pair.server.send(
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
            "HTTP/1.0 500 \r\nX: 1\r\nx: 2\r\nContent-Length: 1\r\n\r\n!");
        const probe::HttpResponse missing = probe::receive_http_response(pair.client);
        CHECK(missing.status == 404);
        CHECK(missing.reason == "Not Found");
        const probe::HttpResponse broken = probe::receive_http_response(pair.client);
        CHECK(broken.status == 500);
        CHECK(broken.reason == "");
        CHECK(broken.header("X") == "1");
        CHECK(broken.headers.size() == 3);
        CHECK(broken.body == "!");
    }
    {
        Pair pair;  // no Content-Length, and the server keeps the connection open
        pair.server.send("HTTP/1.1 200 OK\r\n\r\npart of a body");
        const auto deadline = probe::scaled(300ms);
        const std::string message = failure_at_deadline(
            deadline, [&] { probe::receive_http_response(pair.client, deadline); });
        CHECK(contains(message,
                       "the response has no Content-Length, so its body ends "
                       "only when your program closes the connection: expected your "
                       "program to close the connection within"));
    }
    {
        Pair pair;  // nothing at all
        const auto deadline = probe::scaled(300ms);
        CHECK(contains(failure_at_deadline(
                           deadline, [&] { probe::receive_http_response(pair.client, deadline); }),
                       "waiting for the response's status line and headers"));
    }
}

TEST_CASE("receive_http_response has one deadline for the whole response") {
    // The head takes most of the deadline to arrive: the body gets only what is left.
    const std::string message =
        failure_with_a_late_part("HTTP/1.1 200 OK\r\n", "Content-Length: 5\r\n\r\nab",
                                 [](probe::Connection& client, milliseconds deadline) {
                                     probe::receive_http_response(client, deadline);
                                 });
    CHECK(contains(message,
                   "only 2 of the 5 bytes of the response's body (Content-Length: 5) "
                   "arrived (\"ab\"): waiting for"));
}
