#include "verify.hpp"

#include "files.hpp"

#include "export.hpp"
#include "results.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

namespace workbook {
namespace fs = std::filesystem;

namespace {

class Checks {
  public:
    explicit Checks(const Ui& ui) : ui_(ui) {}

    bool check(bool ok, const std::string& name, const std::string& detail = "") {
        ++(ok ? passed_ : failed_);
        std::cout << fmt::format("{} {}\n", ok ? ui_.ok() : ui_.fail(), name);
        if (!ok && !detail.empty()) std::cout << indent(detail, 4);
        std::cout << std::flush;
        return ok;
    }
    // What could not be checked on this machine: said as such, counted neither as passed nor
    // failed.
    void skip(const std::string& name, const std::string& why) {
        ++skipped_;
        std::cout << fmt::format("{} {} {}\n", ui_.dim("-"), name, ui_.dim("(skipped)"));
        if (!why.empty()) std::cout << indent(why, 4);
        std::cout << std::flush;
    }
    void section(const std::string& title) {
        std::cout << "\n" << ui_.bold(title) << "\n" << std::flush;
    }
    int finish() const {
        if (skipped_ > 0)
            std::cout << "\n"
                      << fmt::format(
                             "{} check(s) skipped: they could not run on this machine (see above).",
                             skipped_);
        std::cout << "\n" << fmt::format("{} passed, {} failed", passed_, failed_) << std::endl;
        return failed_ == 0 ? 0 : 1;
    }

  private:
    const Ui& ui_;
    int passed_ = 0;
    int failed_ = 0;
    int skipped_ = 0;
};

std::set<std::string> file_names(const fs::path& dir) {
    std::set<std::string> names;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec))
        if (entry.is_regular_file()) names.insert(entry.path().filename().string());
    return names;
}

// Everything a failing run said, to look for the pointer at the TODO.
std::string all_text(const LessonResult& r) {
    std::string text = r.output + r.problem;
    for (const CaseResult& c : r.cases) {
        text += c.transcript + c.out + c.err;
        for (const CaseFailure& f : c.failures) text += f.message + f.expanded;
    }
    return text;
}

std::string layout_problems(const fs::path& root, const Lesson& lesson) {
    std::string problems;
    const auto note = [&](const std::string& p) { problems += p + "\n"; };
    if (!fs::is_regular_file(root / "lessons" / lesson.slug / "README.md"))
        note(fmt::format("lessons/{}/README.md is missing", lesson.slug));
    const auto starter = file_names(root / "starter" / lesson.slug);
    const auto solution = file_names(root / "solutions" / lesson.slug);
    if (starter.empty()) note(fmt::format("starter/{}/ is missing or empty", lesson.slug));
    if (starter != solution)
        note(fmt::format("starter/{0}/ and solutions/{0}/ must hold the same file names",
                         lesson.slug));
    bool has_tests = false;
    for (const std::string& name : file_names(root / "tests" / lesson.slug))
        has_tests = has_tests || name.ends_with(".cpp");
    if (!has_tests) note(fmt::format("tests/{}/ has no .cpp file", lesson.slug));
    for (const std::string& file : lesson.files) {
        if (!starter.contains(file))
            note(fmt::format("the manifest names starter/{}/{}, which does not exist", lesson.slug,
                             file));
        else if (const std::string text = read_file(root / "starter" / lesson.slug / file);
                 text.find("TODO") == std::string::npos &&
                 // The same in both trees: the workbook's own file (a tool such as lesson 07's
                 // frame_decoder.cpp), which the student does not write.
                 text != read_file(root / "solutions" / lesson.slug / file))
            note(fmt::format("starter/{}/{} has no TODO for the student", lesson.slug, file));
    }
    // A program's options are the lesson's to explain: each is named in its README.
    const std::string readme = read_file(root / "lessons" / lesson.slug / "README.md");
    for (const Program& program : lesson.programs)
        for (const std::string& option : program.options) {
            const std::string word = option.substr(0, option.find(' '));
            if (readme.find(word) == std::string::npos)
                note(fmt::format("lessons/{}/README.md does not explain {}'s {}", lesson.slug,
                                 program.name, word));
        }
    // A header in both trees is the lesson's contract (the tests include the solutions' copy, the
    // student's code the starter's): one text, or the tests would judge another contract.
    for (const std::string& name : starter)
        if (name.ends_with(".hpp") && solution.contains(name) &&
            read_file(root / "starter" / lesson.slug / name) !=
                read_file(root / "solutions" / lesson.slug / name))
            note(fmt::format(
                "starter/{0}/{1} and solutions/{0}/{1} differ: the contract is one text",
                lesson.slug, name));
    if (lesson.hints.size() < 3)
        note(fmt::format(
            "lessons/{}/hints.md has fewer than three hints (a hint is a \"## \" section)",
            lesson.slug));
    for (const Hint& hint : lesson.hints)
        if (hint.text.empty())
            note(fmt::format("lessons/{}/hints.md: the hint \"{}\" has no text", lesson.slug,
                             hint.title));
    return problems;
}

// Each lesson keeps its classic mistakes in tests/NN-slug/mutants.json (docs/how-it-works.md).
constexpr std::size_t min_mutants = 10;

std::string corpus_problem(const fs::path& root, const Lesson& lesson) {
    const fs::path path = root / "tests" / lesson.slug / "mutants.json";
    if (!fs::exists(path)) return fmt::format("tests/{}/mutants.json is missing\n", lesson.slug);
    const auto corpus = nlohmann::json::parse(read_file(path), nullptr, /*allow_exceptions=*/false);
    if (!corpus.is_object() || !corpus.contains("mutants") || !corpus["mutants"].is_array())
        return fmt::format("tests/{}/mutants.json is not an object with a \"mutants\" list\n",
                           lesson.slug);
    if (corpus["mutants"].size() < min_mutants)
        return fmt::format("tests/{}/mutants.json has {} mutants\n", lesson.slug,
                           corpus["mutants"].size());
    return "";
}

std::string describe_failure(const LessonResult& r) {
    if (r.verdict == Verdict::build_failed) return r.build_log;
    Ui plain;
    return plain.lesson_details(r, /*all_failures=*/true);
}

BuildTree preset_tree(const fs::path& root, const std::string& preset, const std::string& tree) {
    return {root, root / tree, root / "build" / preset, preset};
}

// Runs every lesson accepted by `wanted` in the tree, checking that each passes.
void solutions_pass(
    Checks& checks, const BuildTree& b, const Manifest& manifest, const std::string& what,
    const std::function<bool(const Lesson&)>& wanted,
    const std::function<void(Checks&, const Lesson&, const LessonResult&)>& also = {}) {
    if (auto failure = configure(b)) {
        checks.check(false, fmt::format("configure {}", b.preset), failure->out + failure->err);
        return;
    }
    // The lessons' targets in one build first, with a build's time limit: a lesson's run allows
    // five minutes to build, which the first lesson of a sanitized tree (the harness with it) can
    // need on a busy machine.
    std::vector<std::string> targets;
    for (const Lesson& lesson : manifest.lessons)
        if (wanted(lesson)) targets.push_back(lesson.target());
    if (!targets.empty()) {
        std::vector<std::string> argv{"cmake", "--build", b.build.string(), "--target"};
        argv.insert(argv.end(), targets.begin(), targets.end());
        run_command(argv,
                    std::chrono::seconds(1800));  // a failure shows in the lessons' runs below
    }
    for (const Lesson& lesson : manifest.lessons) {
        if (!wanted(lesson)) continue;
        const LessonResult r = run_lesson(b, lesson);
        checks.check(r.verdict == Verdict::passed, fmt::format("{} {}", lesson.slug, what),
                     describe_failure(r));
        if (also) also(checks, lesson, r);
    }
}

// Every test case carries [pts=N], and they add up to the manifest's points for the lesson.
void points_add_up(Checks& checks, const Lesson& lesson, const LessonResult& r) {
    int sum = 0;
    std::string unscored;
    for (const CaseResult& c : r.cases) {
        sum += c.points;
        if (c.points <= 0) unscored += fmt::format("\"{}\" has no [pts=N] tag\n", c.name);
    }
    checks.check(unscored.empty() && sum == lesson.points && !r.cases.empty(),
                 fmt::format("{} test cases are worth {} points", lesson.slug, lesson.points),
                 unscored + fmt::format("the [pts=N] tags add up to {}\n", sum));
}

// The trimmed cells of a Markdown table row ("| a | b |" gives {"a", "b"}).
std::vector<std::string> table_cells(std::string_view row) {
    std::vector<std::string> cells;
    std::size_t from = row.find('|');
    while (from != std::string_view::npos) {
        const std::size_t to = row.find('|', from + 1);
        if (to == std::string_view::npos) break;
        std::string_view cell = row.substr(from + 1, to - from - 1);
        while (!cell.empty() && cell.front() == ' ') cell.remove_prefix(1);
        while (!cell.empty() && cell.back() == ' ') cell.remove_suffix(1);
        cells.emplace_back(cell);
        from = to;
    }
    return cells;
}

// The lesson's README has a "What the tests check" table with one row per test case: its exact
// name in the first column and its points in the second, and no row for a case that is gone.
void table_lists_cases(Checks& checks, const fs::path& root, const Lesson& lesson,
                       const LessonResult& r) {
    const std::string readme = read_file(root / "lessons" / lesson.slug / "README.md");
    const auto begin = readme.find("### What the tests check");
    std::map<std::string, std::string> rows;  // first cell -> second cell
    if (begin != std::string::npos) {
        const auto end = readme.find("\n## ", begin);
        std::istringstream section(
            readme.substr(begin, end == std::string::npos ? end : end - begin));
        for (std::string line; std::getline(section, line);) {
            if (!line.starts_with("| ")) continue;
            const auto cells = table_cells(line);
            if (cells.size() >= 2 && !cells[0].starts_with("---") && cells[0] != "Test case")
                rows[cells[0]] = cells[1];
        }
    }
    std::string problems;
    if (begin == std::string::npos) problems += "no section \"### What the tests check\"\n";
    for (const CaseResult& c : r.cases) {
        const auto row = rows.find(c.name);
        if (row == rows.end())
            problems += fmt::format("no row for \"{}\"\n", c.name);
        else if (row->second != std::to_string(c.points))
            problems += fmt::format("\"{}\" is worth {} points, the table says {}\n", c.name,
                                    c.points, row->second);
        if (row != rows.end()) rows.erase(row);
    }
    for (const auto& [name, points] : rows)
        problems += fmt::format("a row for \"{}\", which no test case has\n", name);
    checks.check(
        problems.empty(),
        fmt::format("lessons/{}/README.md lists every test case with its points", lesson.slug),
        problems);
}

// Every test case carries [id=NAME] (lower-case letters, digits and -), unique in the lesson: its
// identity in gradebooks and cached grades, which stays when its title is reworded.
void ids_are_stable(Checks& checks, const Lesson& lesson, const LessonResult& r) {
    std::string problems;
    std::set<std::string> seen;
    for (const CaseResult& c : r.cases) {
        if (c.id.empty() ||
            c.id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos)
            problems += fmt::format(
                "\"{}\" has no [id=...] tag of lower-case letters, digits and -\n", c.name);
        else if (!seen.insert(c.id).second)
            problems += fmt::format("\"{}\": another test case has the id {}\n", c.name, c.id);
    }
    checks.check(problems.empty() && !r.cases.empty(),
                 fmt::format("{} test cases each have an id of their own", lesson.slug), problems);
}

bool builds_everything(Checks& checks, const BuildTree& b) {
    const CommandResult build =
        run_command({"cmake", "--build", b.build.string()}, std::chrono::seconds(900));
    return checks.check(build.ok(), fmt::format("{}: everything builds", b.preset),
                        trim_build_log(build.out + build.err, b.root));
}

// Builds only these targets (and what they need).
bool builds_targets(Checks& checks, const BuildTree& b, const std::vector<std::string>& targets) {
    std::vector<std::string> argv{"cmake", "--build", b.build.string(), "--target"};
    argv.insert(argv.end(), targets.begin(), targets.end());
    const CommandResult build = run_command(argv, std::chrono::seconds(900));
    return checks.check(build.ok(), fmt::format("{}: {} build", b.preset, fmt::join(targets, ", ")),
                        trim_build_log(build.out + build.err, b.root));
}

// The tests labelled `label`, but none labelled `but_not` (a regular expression, "": no exception).
void ctest_label(Checks& checks, const BuildTree& b, const std::string& label,
                 const std::string& name, const std::string& but_not = "") {
    std::vector<std::string> argv{"ctest", "--test-dir",          b.build.string(),  "-L",
                                  label,   "--output-on-failure", "--no-tests=error"};
    if (!but_not.empty()) argv.insert(argv.end(), {"-LE", but_not});
    const CommandResult r = run_command(argv, std::chrono::seconds(600));
    // ctest exits 0 for a skipped test (SKIP_RETURN_CODE): that is a skip, not a pass.
    std::string skipped;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);)
        if (line.find("***Skipped") != std::string::npos) skipped += line + "\n";
    if (r.ok() && !skipped.empty()) return checks.skip(name, skipped);
    checks.check(r.ok(), name, r.out + r.err);
}

// A student with a fresh copy of starter/ runs ./workbook, then solves lesson 1 and runs it again.
void student_journey(Checks& checks, const fs::path& root, const Manifest& manifest) {
    if (manifest.lessons.size() < 2) return;
    const Lesson& first = manifest.lessons[0];
    const Lesson& second = manifest.lessons[1];
    const fs::path base = root / "build" / "journey";
    const fs::path tree = base / "tree";
    fs::remove_all(tree);
    fs::remove(base / "build" / "workbook-state.json");
    fs::create_directories(base);
    fs::copy(root / "starter", tree, fs::copy_options::recursive);
    const std::vector<std::string> student{fs::read_symlink("/proc/self/exe").string(),
                                           "--root",
                                           root.string(),
                                           "--tree",
                                           tree.string(),
                                           "--build",
                                           (base / "build").string(),
                                           "--no-color"};
    const std::size_t n = manifest.lessons.size();

    CommandResult before = run_command(student, std::chrono::seconds(900));
    const std::string file = fmt::format("{}/{}", first.slug, first.files.front());
    checks.check(
        !before.ok() && before.out.find(fmt::format("0/{} lessons", n)) != std::string::npos &&
            before.out.find(file) != std::string::npos,
        fmt::format("a new student sees 0/{} and is sent to {}", n, file), before.out + before.err);

    for (const std::string& name : file_names(root / "solutions" / first.slug))
        fs::copy_file(root / "solutions" / first.slug / name, tree / first.slug / name,
                      fs::copy_options::overwrite_existing);
    CommandResult after = run_command(student, std::chrono::seconds(900));
    checks.check(!after.ok() &&
                     after.out.find(fmt::format("1/{} lessons", n)) != std::string::npos &&
                     after.out.find("✗ " + second.slug) != std::string::npos,
                 fmt::format("after solving {} the student sees 1/{} and {} next", first.slug, n,
                             second.slug),
                 after.out + after.err);
}

// The student edition, written where verify's builds go, holds no solution code, not even in its
// git objects, and its Markdown links only to files it has.
void student_edition_check(Checks& checks, const fs::path& root, const Manifest& manifest) {
    const fs::path edition = root / "build" / "student-edition";
    fs::remove_all(edition);
    try {
        export_student_edition(root, manifest, edition);
        const std::vector<Leak> leaks = find_leaks(root, edition);
        checks.check(
            leaks.empty(),
            fmt::format("no {} lines in a row of solutions/ in its files or its git history",
                        leak_window),
            describe_leaks(leaks));
        const std::vector<std::string> broken = broken_links(edition, root);
        checks.check(broken.empty(), "its Markdown links only to files it has",
                     fmt::format("{}\n", fmt::join(broken, "\n")));
    } catch (const std::exception& e) {
        checks.check(false, "export-student writes it", fmt::format("{}\n", e.what()));
    }
}

// The C++ files the workbook keeps in the format of .clang-format: all but the grader's hostile
// submissions, which are written to be strange.
std::vector<std::string> formatted_files(const fs::path& root) {
    std::vector<std::string> files;
    for (const char* dir : {"tools", "tests", "support", "solutions", "starter"}) {
        std::error_code ec;
        for (auto it = fs::recursive_directory_iterator(root / dir, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            const fs::path& path = it->path();
            if (it->is_directory() && path == root / "tests" / "grading")
                it.disable_recursion_pending();
            if (it->is_regular_file() && (path.extension() == ".cpp" || path.extension() == ".hpp"))
                files.push_back(path.string());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

// clang-format 14 (Debian 12's and Ubuntu 22.04's): another version formats some lines otherwise,
// so it is this one or a skip.
void format_check(Checks& checks, const fs::path& root) {
    const std::string name = "the C++ files follow .clang-format";
    std::string program;
    for (const char* candidate : {"clang-format-14", "clang-format"}) {
        const CommandResult version =
            run_command({candidate, "--version"}, std::chrono::seconds(30));
        if (version.ok() && version.out.find("version 14.") != std::string::npos) {
            program = candidate;
            break;
        }
    }
    if (program.empty())
        return checks.skip(
            name, "clang-format 14 is not installed: sudo apt-get install -y clang-format\n");
    std::vector<std::string> argv{program, "--dry-run", "--Werror", "--style=file"};
    const std::vector<std::string> files = formatted_files(root);
    argv.insert(argv.end(), files.begin(), files.end());
    const CommandResult r = run_command(argv, std::chrono::seconds(120));
    std::set<std::string> differ;
    std::istringstream lines(r.err);
    for (std::string line; std::getline(lines, line);)
        if (const auto at = line.find(": error:"); at != std::string::npos) {
            const std::string file = line.substr(0, line.rfind(':', line.rfind(':', at - 1) - 1));
            differ.insert(fs::path(file).lexically_relative(root).string());
        }
    checks.check(r.ok(), name,
                 differ.empty()
                     ? r.out + r.err
                     : fmt::format("{}\nformat them with: {} -i {}\n", fmt::join(differ, "\n"),
                                   program, fmt::join(differ, " ")));
}

}  // namespace

std::string lesson_index(const fs::path& root, const Manifest& manifest) {
    std::string table =
        "| # | Lesson | Kind | You write | Points |\n| --- | --- | --- | --- | --- |\n";
    for (const Lesson& l : manifest.lessons) {
        std::vector<std::string> written;
        for (const std::string& file : l.files) {
            const fs::path starter = root / "starter" / l.slug / file;
            const fs::path solution = root / "solutions" / l.slug / file;
            if (!fs::exists(starter) || !fs::exists(solution) ||
                read_file(starter) != read_file(solution))
                written.push_back(file);
        }
        table += fmt::format("| {} | [{}](lessons/{}/README.md) | {} | `starter/{}/{}` | {} |\n",
                             l.number(), l.title, l.slug, l.kind, l.slug,
                             fmt::join(written, "`, `"), l.points);
    }
    return table;
}

bool replace_index(std::string& readme, const fs::path& root, const Manifest& manifest) {
    const auto begin = readme.find(index_begin);
    const auto end = readme.find(index_end);
    if (begin == std::string::npos || end == std::string::npos || end < begin) return false;
    const auto from = begin + std::string_view(index_begin).size();
    readme.replace(from, end - from, "\n" + lesson_index(root, manifest));
    // The sample of ./workbook's first output counts the lessons too.
    const std::string sample = "Progress: 0/";
    if (const auto at = readme.find(sample); at != std::string::npos) {
        const auto digits = at + sample.size();
        const auto after = readme.find(" lessons", digits);
        if (after != std::string::npos && after - digits <= 3)
            readme.replace(digits, after - digits, std::to_string(manifest.lessons.size()));
    }
    return true;
}

int cmd_verify(const fs::path& root, const Manifest& manifest, const Ui& ui,
               const VerifyOptions& options) {
    Checks checks(ui);
    const auto all = [](const Lesson&) { return true; };
    const auto with = [](const char* sanitizer) {
        return [sanitizer](const Lesson& l) {
            return std::find(l.sanitizers.begin(), l.sanitizers.end(), sanitizer) !=
                   l.sanitizers.end();
        };
    };

    checks.section("Layout: every lesson in lessons/, starter/, solutions/ and tests/");
    for (const Lesson& lesson : manifest.lessons) {
        const std::string problems = layout_problems(root, lesson);
        checks.check(problems.empty(), fmt::format("{} is laid out", lesson.slug), problems);
    }

    // A lesson that builds on an earlier one's tools (lesson 07 on 06's stream.hpp and .cpp, and
    // 01's utf8) carries a copy of them: the student copies theirs. A header with the name of an
    // earlier lesson's marks them. The reference's copies are the earlier lesson's, word for word,
    // or the later lesson would be graded against other tools.
    std::string carried;
    for (std::size_t i = 0; i < manifest.lessons.size(); ++i) {
        const std::string& slug = manifest.lessons[i].slug;
        const auto names = file_names(root / "solutions" / slug);
        for (const std::string& header : names) {
            if (!header.ends_with(".hpp")) continue;
            for (std::size_t j = i; j-- > 0;) {
                const std::string& earlier = manifest.lessons[j].slug;
                const auto earlier_names = file_names(root / "solutions" / earlier);
                if (!earlier_names.contains(header)) continue;
                const std::string source = header.substr(0, header.size() - 4) + ".cpp";
                for (const std::string& name : {header, source}) {
                    if (!names.contains(name) && !earlier_names.contains(name)) continue;
                    if (!names.contains(name) || !earlier_names.contains(name) ||
                        read_file(root / "solutions" / slug / name) !=
                            read_file(root / "solutions" / earlier / name))
                        carried += fmt::format("solutions/{}/{} is not a copy of solutions/{}/{}\n",
                                               slug, name, earlier, name);
                }
                break;  // the nearest earlier lesson with that header is where it comes from
            }
        }
    }
    checks.check(carried.empty(), "a file carried from an earlier lesson is the same in both",
                 carried);

    std::string readme = read_file(root / "README.md");
    const std::string before = readme;
    checks.check(replace_index(readme, root, manifest) && readme == before,
                 "README.md lists the lessons as the manifest does",
                 "run ./workbook index --write to refresh the table in README.md\n");

    format_check(checks, root);

    checks.section("The student edition gives nothing away");
    student_edition_check(checks, root, manifest);

    checks.section("Solutions pass (warnings are errors)");
    const BuildTree solutions = preset_tree(root, "solutions", "solutions");
    // A build configured before the preset built the starters' programs and the ASan ones too is
    // configured again.
    const fs::path cache = solutions.build / "CMakeCache.txt";
    if (const std::string text = read_file(cache);
        fs::exists(cache) &&
        (text.find("WORKBOOK_CHECK_TREE:STRING=starter") == std::string::npos ||
         text.find("WORKBOOK_ASAN_PROGRAMS:BOOL=ON") == std::string::npos))
        fs::remove(cache);
    solutions_pass(checks, solutions, manifest, "solution passes", all,
                   [&](Checks& c, const Lesson& lesson, const LessonResult& r) {
                       points_add_up(c, lesson, r);
                       ids_are_stable(c, lesson, r);
                       table_lists_cases(c, root, lesson, r);
                   });

    checks.section("Starters compile cleanly and fail, pointing at a TODO");
    // Their programs are built in the solutions' build (WORKBOOK_CHECK_TREE=starter), in
    // bin/S/check/, and the lesson's tests run on them: the harness and the tests are the same for
    // both trees, so they are not built twice.
    for (const Lesson& lesson : manifest.lessons) {
        const std::string name = fmt::format("{} starter fails, pointing at a TODO", lesson.slug);
        const CommandResult built = run_command(
            {"cmake", "--build", solutions.build.string(), "--target", lesson.slug + "-check"},
            std::chrono::seconds(300));
        if (!built.ok()) {
            checks.check(false, name,
                         "it does not compile with warnings as errors:\n" +
                             trim_build_log(built.out + built.err, root));
            continue;
        }
        const LessonResult r = [&] {
            const ScopedVariables programs(
                lesson.program_variables(solutions.build / "bin" / lesson.slug / "check"));
            return run_lesson(solutions, lesson);
        }();
        const bool fails_cleanly =
            r.verdict == Verdict::failed && r.passed_cases() < r.cases.size();
        checks.check(fails_cleanly && all_text(r).find("TODO") != std::string::npos, name,
                     r.verdict == Verdict::passed ? "the untouched starter passes its tests\n"
                                                  : describe_failure(r));
    }

    // The thread lessons' programs are built with ThreadSanitizer in every unsanitized build, so
    // the solutions passed above under it (and without it under ASan): here, that they really were.
    checks.section("Thread lessons run under ThreadSanitizer");
    for (const Lesson& lesson : manifest.lessons) {
        if (!with("tsan")(lesson)) continue;
        for (const Program& p : lesson.programs) {
            const fs::path program = lesson.program_binary(solutions.build, p.name);
            const std::string bytes = fs::exists(program) ? read_file(program) : "";
            checks.check(bytes.find("libtsan.so") != std::string::npos,
                         fmt::format("{}: {} is built with ThreadSanitizer", lesson.slug, p.name),
                         fmt::format("{} does not link libtsan: check workbook_add_lesson in "
                                     "cmake/Workbook.cmake\n",
                                     program.string()));
        }
    }

    checks.section("Known mistakes: every mutant of a solution loses the test cases it names");
    for (const Lesson& lesson : manifest.lessons) {
        const std::string problem = corpus_problem(root, lesson);
        checks.check(problem.empty(),
                     fmt::format("{} has at least {} known mistakes", lesson.slug, min_mutants),
                     problem);
    }
    // --quick (a contributor's check before a commit) stops here: the layout, the format, the
    // solutions pass and the starters fail. CI runs the whole.
    if (options.quick) return checks.finish();

    checks.section("Machinery");
    if (builds_everything(checks, solutions)) {
        ctest_label(checks, solutions, "machinery", "harness and runner self-tests pass");
        ctest_label(checks, solutions, "interop",
                    "the seed's Python programs work with the C++ ones");
        ctest_label(checks, solutions, "grading",
                    "grading: solutions full marks, starter 0, hostile submissions contained");
        ctest_label(checks, solutions, "mutants",
                    "mutants: each is caught by the test cases it names");
    }

    checks.section("Solutions under AddressSanitizer and UndefinedBehaviorSanitizer");
    ::setenv("WORKBOOK_TIME_SCALE", "3", 1);
    // The programs of the lessons that ask for it are built under ASan+UBSan in the solutions'
    // build too (WORKBOOK_ASAN_PROGRAMS), in bin/S/asan/, and the lesson's tests run on them, as
    // on the starters' programs above: no sanitized build of the harness and the tests.
    for (const Lesson& lesson : manifest.lessons) {
        if (!with("asan")(lesson)) continue;
        const std::string name = fmt::format("{} passes under ASan+UBSan", lesson.slug);
        const CommandResult built = run_command(
            {"cmake", "--build", solutions.build.string(), "--target", lesson.slug + "-asan"},
            std::chrono::seconds(600));
        if (!built.ok()) {
            checks.check(false, name,
                         "its ASan+UBSan programs do not build:\n" +
                             trim_build_log(built.out + built.err, root));
            continue;
        }
        const fs::path dir = solutions.build / "bin" / lesson.slug / "asan";
        std::string not_sanitized;
        for (const Program& p : lesson.programs)
            if (read_file(dir / p.name).find("libasan.so") == std::string::npos)
                not_sanitized += fmt::format("{} does not link libasan\n", (dir / p.name).string());
        const LessonResult r = [&] {
            const ScopedVariables programs(lesson.program_variables(dir));
            return run_lesson(solutions, lesson);
        }();
        checks.check(r.verdict == Verdict::passed && not_sanitized.empty(), name,
                     not_sanitized + describe_failure(r));
    }
    const BuildTree asan = preset_tree(root, "asan", "solutions");
    if (auto failure = configure(asan))
        checks.check(false, "configure asan", failure->out + failure->err);
    // The self-tests labelled "asan" (the harness's, which runs beside student code, and the
    // option parser's, which is linked into it), and only what they need: the runner's and the
    // sandbox's suites run in the plain build.
    // The lessons are labelled "asan" too; theirs ran above.
    if (builds_targets(checks, asan, {"harness-selftest", "args-selftest"}))
        ctest_label(checks, asan, "asan",
                    "harness and option parser self-tests pass under ASan+UBSan", "lesson");
    ::unsetenv("WORKBOOK_TIME_SCALE");

    checks.section("A student's first steps");
    student_journey(checks, root, manifest);
    return checks.finish();
}

}  // namespace workbook
