// The lessons, as lessons/manifest.json lists them. The runner and the grader read them from here.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace workbook {

// One hint: a "## " section of lessons/<slug>/hints.md, its heading and the text under it.
struct Hint {
    std::string title;
    std::string text;
};

// The hints of a hints.md: one per "## " heading (outside ``` blocks), in order; what comes
// before the first heading is the file's introduction, not a hint.
std::vector<Hint> parse_hints(std::string_view markdown);

// The manifest's format; a manifest of another says which it is, and is refused. Version 2: a
// lesson lists its "programs", each with its files and options (version 1 had one "program").
constexpr int manifest_format = 2;

// One executable of a lesson: a server's, a client's, or a unit lesson's driver (the student's code
// and the workbook's main() that calls it, run by the tests as a process of its own).
struct Program {
    std::string name;  // "server": the executable, in bin/<slug>/ (letters a-z, 0-9, _)
    std::vector<std::string> files;    // the student's files it is built from, in starter/<slug>/
    std::vector<std::string> options;  // its command line: "--port N", "--workers N", "MESSAGE"

    // The variable that names it to the tests: WORKBOOK_PROGRAM_SERVER.
    std::string environment_variable() const;
};

struct Lesson {
    std::string
        slug;  // "02-first-server": the folder name in lessons/, starter/, solutions/, tests/
    std::string title;  // "Your first server: accept one client, read one message"
    std::string kind;   // "unit", "server" or "client"
    // Its programs, in the manifest's order (a unit lesson has one, its driver).
    std::vector<Program> programs;
    // What the student edits, relative to starter/<slug>/: every program's files, each once, in
    // the manifest's order.
    std::vector<std::string> files;
    std::vector<Hint>
        hints;  // from lessons/<slug>/hints.md: ordered, each more specific than the last
    std::vector<std::string> sanitizers;  // "asan", "tsan"
    int points = 0;
    int timeout = 60;  // seconds for the whole test run of this lesson

    // The number in front of the slug, as written: "02".
    std::string number() const;
    // Targets and paths the build gives this lesson (see cmake/Workbook.cmake).
    std::string target() const { return "lesson-" + slug; }
    std::filesystem::path tests_binary(const std::filesystem::path& build) const;
    // Program `name`'s executable in a build (the check tree's in bin/<slug>/check/).
    std::filesystem::path program_binary(const std::filesystem::path& build,
                                         const std::string& name) const;
    // The variables that name its programs in `dir` to its tests ("NAME=value" each):
    // WORKBOOK_PROGRAM_P=dir/P for each (probe::program_path), and for a lesson with one program
    // also WORKBOOK_PROGRAM=dir/P (probe::program_under_test).
    std::vector<std::string> program_variables(const std::filesystem::path& dir) const;
    // The program called `name`, or nullptr.
    const Program* program(std::string_view name) const;
    // The target that builds all its programs.
    std::string programs_target() const { return slug + "-programs"; }
};

struct Manifest {
    std::vector<Lesson> lessons;

    // Reads and checks the manifest; throws std::runtime_error naming the file and the problem.
    static Manifest load(const std::filesystem::path& file);

    // Finds a lesson by number ("2", "02"), slug ("02-first-server") or slug without its number
    // ("first-server"). Returns nullptr if none matches.
    const Lesson* find(std::string_view key) const;

    // The manifest as CMake code (cmake/Workbook.cmake includes it): the build reads the lessons
    // through this parser, checked as ./workbook checks them, not through a second one.
    std::string cmake() const;
};

}  // namespace workbook
