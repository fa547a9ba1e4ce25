// ./workbook verify: the maintainers' proof that the workbook is sound, run by CI.
//   - every lesson is laid out in lessons/, starter/, solutions/ and tests/, with hints and TODOs;
//   - every solution passes its tests (warnings are errors) and its [pts=N] tags add up;
//   - every starter compiles cleanly and fails its tests with a message that points at a TODO;
//   - the harness's self-tests and the interoperability tests with the seed's Python pass;
//   - the thread lessons' programs are built with TSan (so the solutions passed under it), and
//     the solutions pass again under ASan+UBSan;
//   - a simulated student sees 0/N, fixes lesson 1, and sees 1/N with lesson 2 next.
// Its last line is the count: "N passed, M failed".
#pragma once

#include "manifest.hpp"
#include "ui.hpp"

#include <filesystem>
#include <string>

namespace workbook {

struct VerifyOptions {
    bool quick = false;  // the layout, the format, solutions pass, starters fail: nothing more
};

// The lessons table of README.md, made from the manifest. README.md holds it between the markers
// below; `./workbook index --write` refreshes it and verify checks it is up to date.
inline constexpr const char* index_begin = "<!-- lessons: made by ./workbook index --write -->";
inline constexpr const char* index_end = "<!-- end of lessons -->";
// "You write" lists each lesson's files but the workbook's own (the same in starter/ and
// solutions/ under `root`, such as lesson 07's frame_decoder.cpp).
std::string lesson_index(const std::filesystem::path& root, const Manifest& manifest);
// Replaces the table in `readme` (text). Returns false if the markers are missing.
bool replace_index(std::string& readme, const std::filesystem::path& root,
                   const Manifest& manifest);

int cmd_verify(const std::filesystem::path& root, const Manifest& manifest, const Ui& ui,
               const VerifyOptions& options);

}  // namespace workbook
