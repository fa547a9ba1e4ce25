#include "workbook/args.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>

namespace workbook {
namespace {

// Parses, or prints help / the error and exits as CLI11 prescribes (0 for --help, 2 for errors).
void parse_or_exit(CLI::App& app, int argc, char** argv) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        std::exit(app.exit(e));
    }
}

void add_address(CLI::App& app, std::string& host, std::uint16_t& port) {
    app.add_option("--host", host, "IPv4 address or host name")->capture_default_str();
    app.add_option("--port", port, "TCP port (0: the system picks one)")->capture_default_str();
}

}  // namespace

ServerOptions parse_server_options(int argc, char** argv, const std::string& description) {
    ServerOptions options;
    CLI::App app{description};
    add_address(app, options.host, options.port);
    parse_or_exit(app, argc, argv);
    return options;
}

ClientOptions parse_client_options(int argc, char** argv, const std::string& description) {
    ClientOptions options;
    CLI::App app{description};
    add_address(app, options.host, options.port);
    app.add_option("message", options.message, "the text to send")->required();
    parse_or_exit(app, argc, argv);
    return options;
}

}  // namespace workbook
