// The student edition: which files it takes, its README, and the leak check's window matching.
#include <doctest/doctest.h>

#include "export.hpp"

#include <fstream>
#include <sstream>

#include <unistd.h>

using namespace workbook;
namespace fs = std::filesystem;

namespace {

// Eight lines of a "solution", with the trivial and comment lines a real one has between them.
const std::string secret = R"(#include <sys/socket.h>

int serve(int port) {
    // 1. the socket
    const int server = socket(AF_INET, SOCK_STREAM, 0);
    if (server == -1) return fail("socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    if (bind(server, reinterpret_cast<sockaddr*>(&address), sizeof address) == -1) {
        return fail("bind");
    }
    return 0;
}
)";

std::string real_readme() {
    std::ifstream in(fs::path(WORKBOOK_MANIFEST).parent_path().parent_path() / "README.md");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

TEST_CASE("leak check: blank, comment-only and trivial lines are not counted") {
    CHECK(is_trivial_line("}"));
    CHECK(is_trivial_line("});"));
    CHECK(is_trivial_line("#include <string>"));
    CHECK(is_trivial_line("# include \"utf8.hpp\""));
    CHECK(is_trivial_line("#pragma once"));
    CHECK(is_trivial_line("return 0;"));
    CHECK(is_trivial_line("} else {"));
    CHECK_FALSE(is_trivial_line("#define PORT 63000"));
    CHECK_FALSE(is_trivial_line("return fail(\"bind\");"));
    CHECK_FALSE(is_trivial_line("close(client);"));

    const auto lines = significant_lines(
        "  int  a =\t1;  // one\n\n// a comment\n/* another */\n * more of it\n}\n"
        "auto s = \"http://x\"; /* inline */ f(s);\n");
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].text == "int a = 1;");
    CHECK(lines[0].number == 1);
    CHECK(lines[1].text == "auto s = \"http://x\"; f(s);");
    CHECK(lines[1].number == 7);
}

TEST_CASE("leak check: a planted leak is found, however it is re-indented or interleaved") {
    SecretWindows secrets;
    secrets.add_secret("solutions/09-x/server.cpp", secret);
    CHECK(secrets.size() == 4);  // 8 significant lines: 4 windows of 5

    const std::string planted =
        "# Notes\n\nSome text.\n"
        "const int server = socket(AF_INET, SOCK_STREAM, 0);\n"
        "\n"
        "      if (server == -1)   return fail(\"socket\");  // copied\n"
        "{\n"
        "sockaddr_in address{};\n"
        "/* a comment in between */\n"
        "address.sin_family = AF_INET;\n"
        "address.sin_port = htons(port);\n"
        "More text.\n";
    const auto leaks = secrets.find("lessons/09-x/README.md", planted);
    REQUIRE(leaks.size() == 1);
    CHECK(leaks[0].secret == "solutions/09-x/server.cpp");
    CHECK(leaks[0].secret_line == 5);
    CHECK(leaks[0].where == "lessons/09-x/README.md");
    CHECK(leaks[0].where_line == 4);
    REQUIRE(leaks[0].lines.size() == leak_window);
    CHECK(leaks[0].lines.front() == "const int server = socket(AF_INET, SOCK_STREAM, 0);");
    CHECK(leaks[0].lines.back() == "address.sin_port = htons(port);");

    // The whole solution is one run of leaking windows: one leak, at its start.
    CHECK(secrets.find("copy.cpp", secret).size() == 1);
}

TEST_CASE("leak check: near misses are not leaks") {
    SecretWindows secrets;
    secrets.add_secret("solutions/09-x/server.cpp", secret);
    // Four significant lines in a row, then a different one.
    CHECK(secrets
              .find("a",
                    "const int server = socket(AF_INET, SOCK_STREAM, 0);\n"
                    "if (server == -1) return fail(\"socket\");\n"
                    "sockaddr_in address{};\n"
                    "address.sin_family = AF_INET;\n"
                    "address.sin_port = htons(63000);\n")
              .empty());
    // Five lines in a row, but one is a brace: four significant lines.
    CHECK(secrets
              .find("b",
                    "int serve(int port) {\n"
                    "const int server = socket(AF_INET, SOCK_STREAM, 0);\n"
                    "}\n"
                    "if (server == -1) return fail(\"socket\");\n"
                    "sockaddr_in address{};\n")
              .empty());
    // The five lines, out of order.
    CHECK(secrets
              .find("c",
                    "if (server == -1) return fail(\"socket\");\n"
                    "const int server = socket(AF_INET, SOCK_STREAM, 0);\n"
                    "sockaddr_in address{};\n"
                    "address.sin_family = AF_INET;\n"
                    "address.sin_port = htons(port);\n")
              .empty());
}

TEST_CASE("leak check: what the starter publishes is no secret, what it does not is") {
    SecretWindows secrets;
    secrets.add_secret("solutions/09-x/server.cpp", secret);
    // A starter that keeps the first five significant lines and leaves bind() as a TODO.
    const std::string starter =
        "int serve(int port) {\n"
        "    const int server = socket(AF_INET, SOCK_STREAM, 0);\n"
        "    if (server == -1) return fail(\"socket\");\n"
        "    sockaddr_in address{};\n"
        "    address.sin_family = AF_INET;\n"
        "    // TODO bind\n"
        "}\n";
    secrets.add_public(starter);
    CHECK(secrets.find("starter/09-x/server.cpp", starter).empty());
    // The solution itself still leaks from its second window on: the part the starter leaves out.
    const auto leaks = secrets.find("copy.cpp", secret);
    REQUIRE(leaks.size() == 1);
    CHECK(leaks[0].secret_line == 5);
    CHECK(leaks[0].lines.back() == "address.sin_port = htons(port);");
}

TEST_CASE(
    "the student edition takes what a student needs and nothing that derives from solutions/") {
    for (const char* in :
         {"README.md", "workbook", "CMakeLists.txt", "lessons/manifest.json",
          "lessons/02-first-server/server.py", "starter/01-bytes/utf8.cpp",
          "tests/01-bytes/utf8_test.cpp", "tests/04-threads/driver/driver.cpp",
          "tests/harness/probe.hpp", "tests/harness/sanitizer.cpp", "support/workbook/args.cpp",
          "tools/workbook/main.cpp", "cmake/Workbook.cmake", "docs/setup.md"})
        CHECK_MESSAGE(in_student_edition(in), in);
    for (const char* out :
         {"solutions/01-bytes/utf8.cpp", "tests/02-first-server/mutants.json",
          "tests/02-first-server/mutants/off-by-one.cpp", "tests/grading/hostile/x/server.cpp",
          "tests/grading/extra/01-bytes/teacher_test.cpp", "tools/gradescope/setup.sh",
          "tools/sandbox/main.cpp", "docs/teachers.md", "bench/common.sh", ".ci/run",
          "tests/01-bytes/data.json", "tests/machinery/workbook_test.cpp", "notes.txt",
          "tests/04-threads/driver/notes.txt", "tests/05-locks/mutants.json"})
        CHECK_FALSE_MESSAGE(in_student_edition(out), out);
    for (const EditionEntry& entry : student_edition_files)
        CHECK_MESSAGE(!entry.why.empty(), entry.pattern);
}

TEST_CASE("the student README: the teachers' sections are cut, unpaired markers refused") {
    const std::string cut = student_readme(
        "# Title\n\nIntro.\n\n<!-- teachers' edition -->\n## For teachers\n\ngrade\n<!-- end of "
        "teachers' edition -->\n\n"
        "## Start\n");
    CHECK(cut == "# Title\n\nIntro.\n\n## Start\n");
    CHECK_THROWS_WITH_AS(student_readme("a\n<!-- teachers' edition -->\nb\n"),
                         doctest::Contains("never closed"), std::runtime_error);
    CHECK_THROWS_WITH_AS(student_readme("a\n<!-- end of teachers' edition -->\n"),
                         doctest::Contains("README.md:2"), std::runtime_error);

    const std::string readme = student_readme(real_readme());
    for (const char* teachers :
         {"./workbook verify", "solutions/", "./workbook grade", "export-student", "teachers.md",
          "doctor", "bench/", "tools/sandbox"})
        CHECK_MESSAGE(readme.find(teachers) == std::string::npos, teachers);
    CHECK(readme.find("./workbook hint") != std::string::npos);
}

TEST_CASE("the student edition's Markdown links are checked against its own files") {
    const fs::path dir =
        fs::temp_directory_path() / ("workbook-edition-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "docs");
    std::ofstream(dir / "docs" / "setup.md") << "[back](../README.md#start)\n";
    std::ofstream(dir / "README.md")
        << "[setup](docs/setup.md), [site](https://example.org), [top](#top), "
           "[teachers](docs/teachers.md)\n";
    const auto broken = broken_links(dir);
    REQUIRE(broken.size() == 1);
    CHECK(broken[0] == "README.md links to docs/teachers.md");
    fs::remove_all(dir);
}
