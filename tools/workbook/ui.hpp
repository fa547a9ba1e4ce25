// How ./workbook talks: colours when the output is a terminal (and NO_COLOR is not set), symbols,
// and the rendering of a lesson's result.
#pragma once

#include "manifest.hpp"
#include "results.hpp"

#include <string>
#include <string_view>

namespace workbook {

struct Ui {
    bool color = false;

    static Ui for_stdout(bool allow_color);

    std::string bold(std::string_view s) const;
    std::string dim(std::string_view s) const;
    std::string green(std::string_view s) const;
    std::string red(std::string_view s) const;
    std::string yellow(std::string_view s) const;
    std::string ok() const { return green("✓"); }
    std::string fail() const { return red("✗"); }

    // "✓ 01-bytes  Bytes and text: UTF-8 by hand"
    std::string lesson_line(const Lesson& lesson, const LessonResult& result) const;
    // The test cases, one line each, then the details of the failures (all, or the first only).
    std::string lesson_details(const LessonResult& result, bool all_failures) const;
    // One failed test case in full: each failure, the transcript, what the code printed.
    std::string case_details(const CaseResult& c) const;
    // "Progress: 1/3 lessons  [██████░░░░░░░░░░░░]"
    std::string progress(std::size_t done, std::size_t total) const;
};

// Indents every line of `text` by `spaces`.
std::string indent(std::string_view text, std::size_t spaces);

}  // namespace workbook
