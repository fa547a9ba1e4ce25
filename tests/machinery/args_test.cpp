// doctest suite for support/workbook/args: the option parsing every lesson's program calls first.
// The lessons' contracts promise what it does (--help exits 0, a usage error exits 2 with a message
// on stderr); the lessons' own tests leave it out, since a student does not write it.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "workbook/args.hpp"

namespace {

// Runs parse(argv) in a child process (the parser may exit) and returns the child's exit status,
// or 0 when the parser returned.
template <typename Parse>
int exit_status_of(std::vector<std::string> args, Parse parse) {
    std::fflush(nullptr);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        std::freopen("/dev/null", "w", stdout);
        std::freopen("/dev/null", "w", stderr);
        std::vector<char*> argv;
        for (std::string& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        parse(static_cast<int>(args.size()), argv.data());
        std::_Exit(0);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status);
}

void server(int argc, char** argv) {
    workbook::parse_server_options(argc, argv, "test");
}
void client(int argc, char** argv) {
    workbook::parse_client_options(argc, argv, "test");
}

}  // namespace

TEST_CASE("the server's options: defaults, --help, usage errors exit with status 2") {
    CHECK(exit_status_of({"server"}, server) == 0);
    CHECK(exit_status_of({"server", "--host", "127.0.0.2", "--port", "0"}, server) == 0);
    CHECK(exit_status_of({"server", "--help"}, server) == 0);
    CHECK(exit_status_of({"server", "--port", "sixty-three-thousand"}, server) == 2);
    CHECK(exit_status_of({"server", "--port", "70000"}, server) == 2);
    CHECK(exit_status_of({"server", "--bogus"}, server) == 2);
    CHECK(exit_status_of({"server", "extra"}, server) == 2);
}

TEST_CASE("the client's options: MESSAGE is required, usage errors exit with status 2") {
    CHECK(exit_status_of({"client", "Salut"}, client) == 0);
    CHECK(exit_status_of({"client", "--help"}, client) == 0);
    CHECK(exit_status_of({"client"}, client) == 2);
    CHECK(exit_status_of({"client", "--port", "63000"}, client) == 2);
    CHECK(exit_status_of({"client", "--bogus", "Salut"}, client) == 2);
}

TEST_CASE("the defaults are the seed's: 127.0.0.1, port 63000") {
    char name[] = "server";
    char* argv[] = {name, nullptr};
    const workbook::ServerOptions options = workbook::parse_server_options(1, argv, "test");
    CHECK(options.host == "127.0.0.1");
    CHECK(options.port == 63000);
}

TEST_CASE("a lesson's own options: parsed with the rest, listed by --help, checked like them") {
    int workers = 4;
    const workbook::MoreOptions more{{"--workers", workers, "threads", 1, 64}};
    const auto with_workers = [&](int argc, char** argv) {
        workbook::parse_server_options(argc, argv, "test", more);
    };
    CHECK(exit_status_of({"server", "--workers", "8", "--port", "0"}, with_workers) == 0);
    CHECK(exit_status_of({"server", "--workers", "0"}, with_workers) == 2);
    CHECK(exit_status_of({"server", "--workers"}, with_workers) == 2);
    CHECK(exit_status_of({"server", "--workers", "8"}, server) == 2);  // only where it is added
    std::vector<std::string> words{"server", "--workers", "8", "--port", "0"};
    std::vector<char*> args;
    for (std::string& w : words) args.push_back(w.data());
    args.push_back(nullptr);
    const auto options = workbook::parse_server_options(5, args.data(), "test", more);
    CHECK(workers == 8);
    CHECK(options.port == 0);
    const auto client_with_workers = [&](int argc, char** argv) {
        workbook::parse_client_options(argc, argv, "test", more);
    };
    CHECK(exit_status_of({"client", "--workers", "2", "Salut"}, client_with_workers) == 0);
    CHECK(exit_status_of({"client", "--workers", "99", "Salut"}, client_with_workers) == 2);
}
