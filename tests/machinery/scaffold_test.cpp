// ./workbook new: what it writes, and what it refuses without writing anything.
#include <doctest/doctest.h>
#include <unistd.h>

#include <string>

#include "files.hpp"
#include "manifest.hpp"
#include "scaffold.hpp"

using namespace workbook;
namespace fs = std::filesystem;

namespace {

// A workbook with one lesson in its manifest, in a folder of its own.
fs::path small_workbook(const std::string& name) {
    const fs::path root =
        fs::temp_directory_path() / ("workbook-scaffold-" + std::to_string(::getpid())) / name;
    fs::remove_all(root);
    fs::create_directories(root / "lessons");
    write_file(
        root / "lessons" / "manifest.json",
        R"({"format_version":2,"lessons":[{"slug":"01-first","title":"First","kind":"unit",)"
        R"("programs":[{"name":"driver","files":["first.cpp"]}],"points":3,"timeout":30}]})");
    return root;
}

std::size_t files_under(const fs::path& dir) {
    std::size_t n = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) n += entry.is_regular_file();
    return n;
}

}  // namespace

TEST_CASE("new: a server lesson in the four folders, its manifest entry last, loadable") {
    const fs::path root = small_workbook("server");
    const auto written = scaffold_lesson(root, {"06-echo-stream", "server", ""});
    for (const char* file :
         {"lessons/06-echo-stream/README.md", "lessons/06-echo-stream/hints.md",
          "starter/06-echo-stream/server.cpp", "solutions/06-echo-stream/server.cpp",
          "tests/06-echo-stream/server_test.cpp", "tests/06-echo-stream/mutants.json"})
        CHECK_MESSAGE(fs::is_regular_file(root / file), file);
    CHECK(written.size() == 7);
    const Manifest m = Manifest::load(root / "lessons" / "manifest.json");
    REQUIRE(m.lessons.size() == 2);
    CHECK(m.lessons[0].slug == "01-first");
    const Lesson& l = m.lessons[1];
    CHECK(l.slug == "06-echo-stream");
    CHECK(l.title == "Echo stream");
    CHECK(l.kind == "server");
    REQUIRE(l.programs.size() == 1);
    CHECK(l.programs.front().name == "server");
    CHECK(l.programs.front().options == std::vector<std::string>{"--host H", "--port P"});
    CHECK(l.files == std::vector<std::string>{"server.cpp"});
    CHECK(l.hints.size() == 3);
    // The starter has a TODO for the student, and the test case fails until it is written.
    CHECK(read_file(root / "starter/06-echo-stream/server.cpp").find("TODO") != std::string::npos);
    CHECK(read_file(root / "tests/06-echo-stream/server_test.cpp").find("FAIL(") !=
          std::string::npos);
    CHECK(read_file(root / "lessons/06-echo-stream/README.md").find("### What the tests check") !=
          std::string::npos);
}

TEST_CASE("new: a unit lesson has the contract's header in both trees and a driver") {
    const fs::path root = small_workbook("unit");
    scaffold_lesson(root, {"07-framing", "unit", "Frames on a stream"});
    CHECK(fs::is_regular_file(root / "tests/07-framing/driver/driver.cpp"));
    CHECK(read_file(root / "starter/07-framing/framing.hpp") ==
          read_file(root / "solutions/07-framing/framing.hpp"));
    const Manifest m = Manifest::load(root / "lessons" / "manifest.json");
    CHECK(m.lessons.back().title == "Frames on a stream");
    REQUIRE(m.lessons.back().programs.size() == 1);
    CHECK(m.lessons.back().programs.front().name == "driver");
    CHECK(m.lessons.back().files == std::vector<std::string>{"framing.cpp"});
}

TEST_CASE("new: a bad slug, a taken number or folder, an unknown kind: refused, nothing written") {
    const fs::path root = small_workbook("refused");
    const std::string manifest = read_file(root / "lessons" / "manifest.json");
    const auto refusal = [&](const NewLesson& l) {
        try {
            scaffold_lesson(root, l);
        } catch (const std::runtime_error& e) {
            return std::string(e.what());
        }
        return std::string("not refused");
    };
    CHECK(refusal({"6-echo", "server", ""}).find("two digits") != std::string::npos);
    CHECK(refusal({"06-Echo", "server", ""}).find("lowercase") != std::string::npos);
    CHECK(refusal({"06-echo", "daemon", ""}).find("unit, server or client") != std::string::npos);
    CHECK(refusal({"01-again", "server", ""}).find("lesson 01 is 01-first already") !=
          std::string::npos);
    fs::create_directories(root / "tests" / "06-echo");
    CHECK(refusal({"06-echo", "server", ""}).find("tests/06-echo exists already") !=
          std::string::npos);
    CHECK(read_file(root / "lessons" / "manifest.json") == manifest);
    CHECK(files_under(root) == 1);
}
