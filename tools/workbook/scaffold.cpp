#include "scaffold.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <regex>
#include <stdexcept>

#include "files.hpp"
#include "manifest.hpp"

namespace workbook {
namespace fs = std::filesystem;

namespace {

// "echo-stream" -> "Echo stream".
std::string title_of(const std::string& name) {
    std::string title = name;
    std::replace(title.begin(), title.end(), '-', ' ');
    if (!title.empty())
        title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[0])));
    return title;
}

// "echo-stream" -> "echo_stream": a file name for a unit lesson's code.
std::string stem_of(const std::string& name) {
    std::string stem = name;
    std::replace(stem.begin(), stem.end(), '-', '_');
    return stem;
}

struct File {
    fs::path path;
    std::string text;
};

std::string readme(const NewLesson& l, const std::string& file) {
    return fmt::format(R"~(# {0}. {1}

TODO: one paragraph on what the student builds and why it matters.

Check your work with `./workbook test {0}`. You edit `starter/{2}/{3}`.

Stuck? `./workbook hint {0}` shows one hint, a little more precise each time you ask.

## What you will learn

TODO: the ideas, with the seed's Python beside the C++ where there is some, and a diagram.

## The contract

TODO: every sentence a program can break, each checked by a test case below.{4}

### What the tests check

| Test case | Points | What it checks |
| --- | --- | --- |
| TODO: the first test case of {2} | 1 | TODO: the sentence of the contract it checks |

## Pitfalls

TODO: the classic mistakes (the same as tests/{2}/mutants.json).
)~",
                       l.slug.substr(0, 2), l.title, l.slug, file,
                       l.kind == "unit" ? ""
                                        : "\n\nTODO: its command line, `--host H` and `--port P` "
                                          "(the manifest lists them: verify checks that each is "
                                          "explained here).");
}

std::string hints(const NewLesson& l) {
    return fmt::format(R"~(# Hints: {0}

`./workbook hint {1}` shows these one at a time, each more specific than the last.

## TODO: a nudge

TODO: where to start.

## TODO: closer

TODO: the call or the idea that unlocks it.

## TODO: nearly the answer

TODO: the steps, with the calls' arguments.
)~",
                       l.title, l.slug.substr(0, 2));
}

std::vector<File> code_files(const NewLesson& l, const std::string& name) {
    if (l.kind == "server" || l.kind == "client") {
        const bool server = l.kind == "server";
        return {
            {name + ".cpp",
             fmt::format(R"~(// {0}: lesson {1}. TODO: what it does, as the lesson's contract says.
#include <iostream>

#include "workbook/args.hpp"

int main(int argc, char** argv) {{
    const auto options = workbook::{2}(argc, argv, "TODO: what it does");
    // TODO 1: the lesson's new idea, one step at a time.
    (void)options;
    std::cerr << "{0}: not written yet (TODO 1)" << std::endl;
    return 1;
}}
)~",
                         name, l.slug, server ? "parse_server_options" : "parse_client_options")}};
    }
    const std::string stem = stem_of(name);
    return {
        {stem + ".hpp",
         fmt::format(
             R"~(// Lesson {0}: the contract, the same in starter/ and solutions/ (verify checks).
#pragma once

namespace lesson {{

// TODO: the functions the student writes, each with what it promises.
int answer();

}}  // namespace lesson
)~",
             l.slug)},
        {stem + ".cpp", fmt::format(R"~(#include "{0}.hpp"

#include <stdexcept>

namespace lesson {{

int answer() {{
    // TODO 1: the lesson's new idea.
    throw std::logic_error("answer(): not written yet (TODO 1)");
}}

}}  // namespace lesson
)~",
                                    stem)}};
}

std::vector<File> test_files(const NewLesson& l, const std::string& name) {
    std::vector<File> files;
    files.push_back({fmt::format("{}_test.cpp", stem_of(name)),
                     fmt::format(
                         R"~(// Lesson {0}: its tests (Catch2). Each TEST_CASE is tagged [pts=N] and
// [id=NAME] (its identity in gradebooks: it stays when the title is reworded), and the lesson's
// README lists them in its table.
#include <catch2/catch.hpp>

#include "checks.hpp"
#include "probe.hpp"

TEST_CASE("TODO: the first test case of {0}", "[pts=1][id=first]") {{
    probe::Program program(probe::program_under_test(), {{}});
    FAIL("write this lesson's test cases: docs/how-it-works.md, \"Adding a lesson\"");
}}
)~",
                         l.slug)});
    files.push_back({"mutants.json", R"~({
  "mutants": []
}
)~"});
    if (l.kind == "unit")
        files.push_back(
            {"driver/driver.cpp",
             fmt::format(
                 R"~(// The driver of lesson {0}: a main() that runs the student's functions
// for the tests and prints what they did; the tests decide whether that is right.
#include <exception>
#include <iostream>

#include "{1}.hpp"

int main() {{
    try {{
        std::cout << "ok " << lesson::answer() << std::endl;
    }} catch (const std::exception& e) {{
        std::cout << "exception " << e.what() << std::endl;
    }}
    return 0;
}}
)~",
                 l.slug, stem_of(name))});
    return files;
}

}  // namespace

std::vector<fs::path> scaffold_lesson(const fs::path& root, const NewLesson& spec) {
    NewLesson l = spec;
    static const std::regex slug_form("[0-9]{2}-[a-z0-9]+(-[a-z0-9]+)*");
    if (!std::regex_match(l.slug, slug_form))
        throw std::runtime_error(
            fmt::format("\"{}\": a slug is two digits, a dash and lowercase words joined by "
                        "dashes, as in 06-echo-stream",
                        l.slug));
    if (l.kind != "unit" && l.kind != "server" && l.kind != "client")
        throw std::runtime_error(fmt::format("--kind {}: unit, server or client", l.kind));
    const std::string name = l.slug.substr(3);
    if (l.title.empty()) l.title = title_of(name);

    const fs::path manifest_file = root / "lessons" / "manifest.json";
    const Manifest manifest = Manifest::load(manifest_file);  // a broken manifest stops here
    for (const Lesson& other : manifest.lessons)
        if (other.number() == l.slug.substr(0, 2))
            throw std::runtime_error(
                fmt::format("lesson {} is {} already", other.number(), other.slug));
    for (const char* dir : {"lessons", "starter", "solutions", "tests"})
        if (fs::exists(root / dir / l.slug))
            throw std::runtime_error(fmt::format("{}/{} exists already", dir, l.slug));

    const std::string program = l.kind == "unit" ? "driver" : l.kind;
    const std::vector<File> code = code_files(l, program == "driver" ? name : program);
    std::vector<File> all;
    all.push_back(
        {fs::path("lessons") / l.slug / "README.md", readme(l, code.back().path.string())});
    all.push_back({fs::path("lessons") / l.slug / "hints.md", hints(l)});
    for (const char* tree : {"starter", "solutions"})
        for (const File& f : code) all.push_back({fs::path(tree) / l.slug / f.path, f.text});
    for (const File& f : test_files(l, program == "driver" ? name : program))
        all.push_back({fs::path("tests") / l.slug / f.path, f.text});

    // The manifest's entry, last: the order of the list is the order students follow.
    nlohmann::ordered_json doc = nlohmann::ordered_json::parse(read_file(manifest_file));
    nlohmann::ordered_json entry;
    entry["slug"] = l.slug;
    entry["title"] = l.title;
    entry["kind"] = l.kind;
    nlohmann::ordered_json main_program;
    main_program["name"] = program;
    main_program["files"] = {code.back().path.string()};
    if (l.kind != "unit") main_program["options"] = {"--host H", "--port P"};
    entry["programs"] = nlohmann::ordered_json::array({main_program});
    entry["points"] = 1;
    entry["timeout"] = 60;
    entry["sanitizers"] = {"asan"};
    doc["lessons"].push_back(entry);

    std::vector<fs::path> written;
    for (const File& f : all) {
        fs::create_directories((root / f.path).parent_path());
        write_file(root / f.path, f.text);
        written.push_back(f.path);
    }
    write_file(manifest_file, doc.dump(2) + "\n");
    written.push_back("lessons/manifest.json");
    return written;
}

}  // namespace workbook
