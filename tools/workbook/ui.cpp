#include "ui.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <cstdlib>

namespace workbook {
namespace {

std::string paint(bool on, std::string_view code, std::string_view s) {
    return on ? fmt::format("\033[{}m{}\033[0m", code, s) : std::string(s);
}

std::string verdict_note(const LessonResult& r) {
    switch (r.verdict) {
        case Verdict::passed:
            return "";
        case Verdict::build_failed:
            return "does not compile";
        case Verdict::broken:
        case Verdict::failed:
            return fmt::format("{} of {} test cases pass", r.passed_cases(),
                               std::max(r.expected_cases, r.cases.size()));
    }
    return "";
}

std::string failure_text(const CaseFailure& f) {
    std::string out = fmt::format("at {}:{}\n", f.file, f.line);
    if (f.kind == records::FailureKind::exception) {
        out += "threw: " + f.message + "\n";
    } else if (f.kind == records::FailureKind::crash) {
        out += "crashed: " + f.message + "\n";
    } else if (!f.expression.empty()) {
        out += fmt::format("{}( {} )\n", f.macro, f.expression);
        if (f.expanded != f.expression) out += "with values: " + f.expanded + "\n";
        if (!f.message.empty()) out += f.message + "\n";
    } else {
        out += f.message + "\n";
    }
    for (const std::string& info : f.info) out += "  where " + info + "\n";
    return out;
}

}  // namespace

Ui Ui::for_stdout(bool allow_color) {
    return Ui{allow_color && ::isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr};
}

std::string Ui::bold(std::string_view s) const {
    return paint(color, "1", s);
}
std::string Ui::dim(std::string_view s) const {
    return paint(color, "2", s);
}
std::string Ui::green(std::string_view s) const {
    return paint(color, "32", s);
}
std::string Ui::red(std::string_view s) const {
    return paint(color, "31", s);
}
std::string Ui::yellow(std::string_view s) const {
    return paint(color, "33", s);
}

std::string indent(std::string_view text, std::size_t spaces) {
    const std::string pad(spaces, ' ');
    std::string out;
    bool at_line_start = true;
    for (char c : text) {
        if (at_line_start && c != '\n') out += pad;
        out += c;
        at_line_start = c == '\n';
    }
    if (!out.empty() && out.back() != '\n') out += '\n';
    return out;
}

std::string Ui::lesson_line(const Lesson& lesson, const LessonResult& result) const {
    const bool passed = result.verdict == Verdict::passed;
    const std::string note = verdict_note(result);
    return fmt::format("{} {:<20} {}{}\n", passed ? ok() : fail(), lesson.slug, lesson.title,
                       note.empty() ? "" : dim(" (" + note + ")"));
}

std::string Ui::lesson_details(const LessonResult& r, bool all_failures) const {
    std::string out;
    if (r.verdict == Verdict::build_failed) {
        out += bold("The compiler says:") + "\n" + indent(r.build_log, 2);
        return out;
    }
    // In the short form, a long list of failures is cut: the first failure is what matters.
    const std::size_t shown = all_failures ? r.cases.size() : 12;
    for (std::size_t i = 0; i < r.cases.size() && i < shown; ++i) {
        const CaseResult& c = r.cases[i];
        out += fmt::format("  {} {}{}\n", c.passed ? ok() : fail(), c.name,
                           c.points ? dim(fmt::format(" ({} pts)", c.points)) : "");
    }
    if (r.cases.size() > shown)
        out += dim(fmt::format("  ... and {} more test cases\n", r.cases.size() - shown));
    if (!r.unfinished.empty())
        out += fmt::format("  {} {} {}\n", fail(), r.unfinished, dim("(did not finish)"));
    if (!r.problem.empty()) {
        out += "\n" + yellow(r.problem) + "\n";
        if (!r.output.empty())
            out += dim("The test program's last output:") + "\n" +
                   indent(r.output.substr(r.output.size() > 3000 ? r.output.size() - 3000 : 0), 2);
    }
    for (const CaseResult& c : r.cases) {
        if (c.passed) continue;
        out += "\n" + bold(red("Failed: ") + c.name) + "\n" + indent(case_details(c), 2);
        if (!all_failures) break;
    }
    return out;
}

std::string Ui::case_details(const CaseResult& c) const {
    std::string out;
    for (const CaseFailure& f : c.failures) out += failure_text(f);
    if (!c.transcript.empty()) out += bold("What the test did:") + "\n" + indent(c.transcript, 2);
    if (!c.out.empty()) out += bold("Your code printed:") + "\n" + indent(c.out, 2);
    if (!c.err.empty()) out += bold("Your code printed on stderr:") + "\n" + indent(c.err, 2);
    return out;
}

std::string Ui::progress(std::size_t done, std::size_t total) const {
    constexpr std::size_t width = 30;
    const std::size_t filled = total ? done * width / total : 0;
    std::string bar;
    for (std::size_t i = 0; i < width; ++i) bar += i < filled ? "█" : "░";
    return fmt::format("Progress: {}/{} lessons  {}\n", done, total,
                       done == total ? green(bar) : bar);
}

}  // namespace workbook
