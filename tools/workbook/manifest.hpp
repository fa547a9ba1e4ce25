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

// The manifest's format; a manifest of another says which it is, and is refused.
constexpr int manifest_format = 1;

struct Lesson {
    std::string
        slug;  // "02-first-server": the folder name in lessons/, starter/, solutions/, tests/
    std::string title;  // "Your first server: accept one client, read one message"
    std::string kind;   // "unit", "server" or "client"
    // The executable's name: a server's or client's, or a unit lesson's driver (the student's code
    // and the workbook's main() that calls it, run by the tests as a process of its own).
    std::string program;
    std::vector<std::string> files;  // what the student edits, relative to starter/<slug>/
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
    std::filesystem::path program_binary(const std::filesystem::path& build) const;
};

struct Manifest {
    std::vector<Lesson> lessons;

    // Reads and checks the manifest; throws std::runtime_error naming the file and the problem.
    static Manifest load(const std::filesystem::path& file);

    // Finds a lesson by number ("2", "02"), slug ("02-first-server") or slug without its number
    // ("first-server"). Returns nullptr if none matches.
    const Lesson* find(std::string_view key) const;
};

}  // namespace workbook
