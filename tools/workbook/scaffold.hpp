// ./workbook new NN-slug --kind K: a new lesson in the right shape, for a contributor to fill in.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace workbook {

struct NewLesson {
    std::string slug;   // "06-echo-stream"
    std::string kind;   // "unit", "server" or "client"
    std::string title;  // default: the slug's words
};

// Writes lessons/S/README.md and hints.md, starter/S/ and solutions/S/ (the same file, with
// TODOs), tests/S/ (one test case that fails until the lesson's tests are written, a driver for a
// unit lesson, an empty mutants.json) and the manifest's entry, last in the list. Writes nothing
// and throws std::runtime_error with the reason if the slug is malformed, its number or a folder
// of it is taken, or the kind is unknown. Returns the files written, relative to `root`.
std::vector<std::filesystem::path> scaffold_lesson(const std::filesystem::path& root,
                                                   const NewLesson& lesson);

}  // namespace workbook
