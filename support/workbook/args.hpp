// Command-line options of the lessons' programs, parsed for you so each lesson's file is about
// sockets. `--help` prints the usage; a bad option prints an error and exits with status 2.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace workbook {

// A whole-number option of a lesson's own, from min to max; `value` holds its default until the
// command line says otherwise:
//   int workers = 4;
//   auto options = workbook::parse_server_options(argc, argv, "...",
//                                                 {{"--workers", workers, "threads", 1, 64}});
// --help then lists it too, and a bad value is a usage error (status 2) like any other.
struct Number {
    std::string name;
    int& value;
    std::string help;
    int min;
    int max;
};
using MoreOptions = std::vector<Number>;

// The seed's address: the server listens on localhost, port 63000.
inline constexpr const char* default_host = "127.0.0.1";
inline constexpr std::uint16_t default_port = 63000;

// server [--host H] [--port P]. Port 0 lets the operating system choose a free port.
struct ServerOptions {
    std::string host = default_host;
    std::uint16_t port = default_port;
};
ServerOptions parse_server_options(int argc, char** argv, const std::string& description,
                                   const MoreOptions& more = {});

// client [--host H] [--port P] MESSAGE
struct ClientOptions {
    std::string host = default_host;
    std::uint16_t port = default_port;
    std::string message;
};
ClientOptions parse_client_options(int argc, char** argv, const std::string& description,
                                   const MoreOptions& more = {});

}  // namespace workbook
