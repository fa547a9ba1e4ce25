#include "workbook/args.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>

namespace workbook {
namespace {

// Parses, or prints the help or the error and exits: 0 after --help, 2 for any usage error (CLI11's
// own codes, 104 to 109, mean nothing to a shell script; 2 is the convention of getopt and
// argparse).
void parse_or_exit(CLI::App& app, int argc, char** argv) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        std::exit(app.exit(e) == 0 ? 0 : 2);
    }
}

void add_address(CLI::App& app, std::string& host, std::uint16_t& port) {
    app.add_option("--host", host, "IPv4 address or host name")->capture_default_str();
    app.add_option("--port", port, "TCP port (0: the system picks one)")->capture_default_str();
}

void add_more(CLI::App& app, const MoreOptions& more) {
    for (const Number& n : more)
        app.add_option(n.name, n.value, n.help)
            ->check(CLI::Range(n.min, n.max))
            ->capture_default_str();
}

}  // namespace

ServerOptions parse_server_options(int argc, char** argv, const std::string& description,
                                   const MoreOptions& more) {
    ServerOptions options;
    CLI::App app{description};
    add_address(app, options.host, options.port);
    add_more(app, more);
    parse_or_exit(app, argc, argv);
    return options;
}

ClientOptions parse_client_options(int argc, char** argv, const std::string& description,
                                   const MoreOptions& more) {
    ClientOptions options;
    CLI::App app{description};
    add_address(app, options.host, options.port);
    add_more(app, more);
    app.add_option("message", options.message, "the text to send")->required();
    parse_or_exit(app, argc, argv);
    return options;
}

}  // namespace workbook
