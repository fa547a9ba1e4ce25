#include "export.hpp"
#include "files.hpp"

#include "results.hpp"
#include "verify.hpp"

#include <fmt/format.h>

#include <fnmatch.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace workbook {
namespace fs = std::filesystem;

// The student edition is an allow-list: a file git tracks goes in only if an entry here names it,
// so whatever is added to the workbook later stays out until someone decides a student needs it.
const std::vector<EditionEntry> student_edition_files = {
    {"README.md",
     "what the workbook is and how to start (exported without its teachers' sections)"},
    {"workbook",
     "the one command a student runs: installs, builds the runner and hands over to it"},
    {"CMakeLists.txt", "the build (it adds the teachers' folders only where they exist)"},
    {"CMakePresets.json", "the 'student' preset that ./workbook configures"},
    {"cmake/", "turns each lesson of the manifest into its targets and its test"},
    {"lessons/",
     "the lessons' texts, the manifest (order, points, hints) and the seed's Python programs"},
    {"starter/", "what the student edits"},
    {"tests/[0-9][0-9]-*/*.cpp",
     "the lessons' tests: what grades the student, and a second specification"},
    {"tests/[0-9][0-9]-*/*.hpp", "helpers of the lessons' tests"},
    {"tests/[0-9][0-9]-*/driver/*.cpp",
     "unit lessons' drivers: the main() built with the student's code that the tests run"},
    {"tests/[0-9][0-9]-*/driver/*.hpp", "helpers of the unit lessons' drivers"},
    {"tests/harness/",
     "the probe harness the lessons' tests are built with (not its self-tests: below)"},
    {"support/", "code the students' programs link and do not edit (option parsing)"},
    {"tools/workbook/",
     "the runner ./workbook builds (its teachers' commands refuse to run in this edition)"},
    {"tools/os/", "the systems layer the runner and the test harness start programs with"},
    {"docs/setup.md", "set-up on other systems and editors, linked from the README"},
    {"docs/fault-injection.md",
     "what some tests do to the student's program (short writes, a poisoned buffer, a failing "
     "call), linked from the README"},
    {".clang-format", "the formatting the workbook's code follows, for the student's editor"},
    {".gitignore", "keeps build/ and .workbook/ out of the student's commits"},
};

// Never exported, whatever the list above says: these hold or derive from the reference answers.
const std::vector<EditionEntry> never_in_student_edition = {
    {"solutions/", "the reference answers"},
    {"tests/*/mutants*", "mutation-testing corpora: the solutions with one mistake each"},
    {"tests/grading/", "the grader's self-test: submissions made from the solutions"},
    {"tests/harness/selftest/",
     "the harness's self-tests: a student builds the lessons' tests without them"},
    {"tests/harness/fixtures/",
     "small servers and clients the harness tests itself on: some are most of a lesson"},
};

namespace {

bool matches(const EditionEntry& entry, std::string_view path) {
    if (entry.pattern.ends_with('/')) return path.starts_with(entry.pattern);
    return ::fnmatch(std::string(entry.pattern).c_str(), std::string(path).c_str(),
                     FNM_PATHNAME | FNM_LEADING_DIR) == 0;
}

bool any_matches(const std::vector<EditionEntry>& entries, std::string_view path) {
    return std::any_of(entries.begin(), entries.end(),
                       [&](const EditionEntry& e) { return matches(e, path); });
}

CommandResult git(const fs::path& repo, std::vector<std::string> args) {
    args.insert(args.begin(), {"git", "-C", repo.string()});
    return run_command(args, std::chrono::seconds(120));
}

CommandResult git_or_throw(const fs::path& repo, std::vector<std::string> args) {
    CommandResult r = git(repo, args);
    if (!r.ok())
        throw std::runtime_error(
            fmt::format("git {} failed in {}: {}{}", args.front(), repo.string(), r.out, r.err));
    return r;
}

}  // namespace

bool in_student_edition(std::string_view path) {
    return !any_matches(never_in_student_edition, path) && any_matches(student_edition_files, path);
}

bool is_student_edition(const fs::path& root) {
    return fs::exists(root / edition_marker);
}

std::string student_readme(std::string_view readme) {
    std::string out;
    bool cutting = false, cut_just_ended = false;
    int number = 0;
    std::istringstream lines{std::string(readme)};
    for (std::string line; std::getline(lines, line);) {
        ++number;
        const bool begins = line.find(teachers_begin) != std::string::npos;
        const bool ends = line.find(teachers_end) != std::string::npos;
        if (begins == cutting && (begins || ends))
            throw std::runtime_error(fmt::format("README.md:{}: '{}' without its pair", number,
                                                 begins ? teachers_begin : teachers_end));
        if (begins || cutting) {
            cutting = !ends;
            cut_just_ended = ends;
            continue;
        }
        // One blank line where the cut section had one on each side.
        if (cut_just_ended && line.empty() && (out.empty() || out.ends_with("\n\n"))) continue;
        cut_just_ended = false;
        out += line + "\n";
    }
    if (cutting)
        throw std::runtime_error(fmt::format("README.md: '{}' is never closed", teachers_begin));
    return out;
}

std::string classroom_workflow(const Manifest& manifest) {
    std::string steps, runners, env;
    for (const Lesson& l : manifest.lessons) {
        const std::string id = "lesson-" + l.number();
        steps += fmt::format(
            "      - name: {0}\n"
            "        id: {1}\n"
            "        uses: classroom-resources/autograding-command-grader@v1\n"
            "        with:\n"
            "          test-name: \"{0}\"\n"
            "          setup-command: \"sudo ./workbook setup\"\n"
            "          command: \"./workbook --no-color test {2}\"\n"
            "          timeout: {3}\n"
            "          max-score: {4}\n",
            l.slug, id, l.number(), std::max(1, (l.timeout + 59) / 60 + 5), l.points);
        runners += (runners.empty() ? "" : ",") + id;
        std::string upper = id;
        std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
        env +=
            fmt::format("          {}_RESULTS: \"${{{{steps.{}.outputs.result}}}}\"\n", upper, id);
    }
    return "# Made by ./workbook classroom from lessons/manifest.json.\n"
           "name: Autograding\n"
           "on: [push, workflow_dispatch]\n"
           "permissions:\n"
           "  checks: write\n"
           "  actions: read\n"
           "  contents: read\n"
           "jobs:\n"
           "  grade:\n"
           "    runs-on: ubuntu-latest\n"
           "    container: debian:12\n"
           "    steps:\n"
           "      - name: Tools the checkout needs\n"
           "        run: apt-get update && apt-get install -y git sudo\n"
           "      - uses: actions/checkout@v4\n" +
           steps +
           "      - name: Report\n"
           "        uses: classroom-resources/autograding-grading-reporter@v1\n"
           "        env:\n" +
           env +
           "        with:\n"
           "          runners: " +
           runners + "\n";
}

// A fresh repository with one commit, so that `./workbook reset` finds the pristine starter files.
std::size_t export_student_edition(const fs::path& root, const Manifest& manifest,
                                   const fs::path& to) {
    if (fs::exists(to))
        throw std::runtime_error(fmt::format("{} exists already: name a new folder", to.string()));
    const CommandResult files = git(root, {"ls-files", "-z"});
    if (!files.ok())
        throw std::runtime_error("export-student needs the workbook's git repository: " +
                                 files.err);
    std::size_t written = 0;
    std::stringstream names(files.out);
    for (std::string name; std::getline(names, name, '\0');) {
        if (name.empty() || !in_student_edition(name) ||
            !fs::exists(fs::symlink_status(root / name)))
            continue;
        const fs::path target = to / name;
        fs::create_directories(target.parent_path());
        if (name == "README.md")
            write_file(target, student_readme(read_file(root / name)));
        else
            fs::copy(root / name, target, fs::copy_options::copy_symlinks);
        ++written;
    }
    write_file(to / edition_marker,
               "This is the workbook's student edition, written by ./workbook export-student.\n"
               "The teachers' commands (verify, grade, export-student, classroom, doctor, index) "
               "belong to\n"
               "the teacher's edition, the workbook's own repository, and refuse to run here.\n");
    write_file(to / ".github" / "workflows" / "classroom.yml", classroom_workflow(manifest));
    written += 2;
    git_or_throw(to, {"init", "-q", "-b", "main"});
    git_or_throw(to, {"add", "-A"});
    git_or_throw(to, {"-c", "user.name=workbook", "-c", "user.email=workbook@localhost", "commit",
                      "-q", "-m", "The workbook, student edition"});
    return written;
}

// --- The leak check -----------------------------------------------------------------------------

namespace {

// One line, normalised: comments out, whitespace runs as one space, trimmed. Only what is on the
// line itself is known: a `/*` that is not closed on its line ends the line, and a line that starts
// with
// `* ` or `*/` is taken for the inside of a block comment.
std::string normalise(std::string_view raw) {
    std::string out;
    bool space = false;
    const auto put = [&](char c) {
        if (space && !out.empty()) out += ' ';
        space = false;
        out += c;
    };
    for (std::size_t i = 0; i < raw.size(); ++i) {
        const char c = raw[i];
        const char next = i + 1 < raw.size() ? raw[i + 1] : '\0';
        if (c == '/' && next == '/') break;
        if (c == '/' && next == '*') {
            const auto close = raw.find("*/", i + 2);
            if (close == std::string_view::npos) break;
            i = close + 1;
            space = true;
        } else if (c == '"' || c == '\'') {  // a literal, copied as it is, up to its closing quote
            put(c);
            for (++i; i < raw.size() && raw[i] != c; ++i) {
                out += raw[i];
                if (raw[i] == '\\' && i + 1 < raw.size()) out += raw[++i];
            }
            if (i < raw.size()) out += c;
        } else if (std::isspace(static_cast<unsigned char>(c))) {
            space = true;
        } else {
            put(c);
        }
    }
    if (out == "*" || out.starts_with("* ") || out.starts_with("*/")) return "";
    return out;
}

constexpr std::array<std::string_view, 22> keyword_lines = {"return 0;",
                                                            "return 1;",
                                                            "return;",
                                                            "return true;",
                                                            "return false;",
                                                            "return {};",
                                                            "return nullptr;",
                                                            "break;",
                                                            "continue;",
                                                            "else",
                                                            "else {",
                                                            "} else {",
                                                            "default:",
                                                            "public:",
                                                            "private:",
                                                            "protected:",
                                                            "namespace {",
                                                            "try {",
                                                            "do {",
                                                            "} catch (...) {",
                                                            "int main() {",
                                                            "using namespace std;"};

constexpr std::array<std::string_view, 8> trivial_directives = {
    "include", "pragma", "if", "ifdef", "ifndef", "elif", "else", "endif"};

std::uint64_t line_hash(const std::string& line) {
    return std::hash<std::string>{}(line);
}

// The hash of lines[first, first + leak_window), made of the lines' own hashes.
std::uint64_t window_hash(const std::vector<std::uint64_t>& hashes, std::size_t first) {
    std::uint64_t h = 14695981039346656037ull;
    for (std::size_t i = first; i < first + leak_window; ++i)
        h = (h ^ hashes[i]) * 1099511628211ull;
    return h;
}

std::vector<std::uint64_t> hashes_of(const std::vector<SignificantLine>& lines) {
    std::vector<std::uint64_t> out;
    out.reserve(lines.size());
    for (const SignificantLine& l : lines) out.push_back(line_hash(l.text));
    return out;
}

std::string joined(const std::vector<SignificantLine>& lines, std::size_t first) {
    std::string out;
    for (std::size_t i = first; i < first + leak_window; ++i) out += lines[i].text + "\n";
    return out;
}

// Regular files under `dir`, by their path relative to `base`, skipping any .git folder.
std::map<std::string, fs::path> files_under(const fs::path& dir, const fs::path& base) {
    std::map<std::string, fs::path> out;
    if (!fs::is_directory(dir)) return out;
    for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
         ++it) {
        if (it->is_directory() && it->path().filename() == ".git") {
            it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file()) out[it->path().lexically_relative(base).string()] = it->path();
    }
    return out;
}

}  // namespace

bool is_trivial_line(std::string_view line) {
    if (std::none_of(line.begin(), line.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)); }))
        return true;
    if (line.starts_with('#')) {
        std::string_view directive = line.substr(1);
        directive.remove_prefix(std::min(directive.find_first_not_of(' '), directive.size()));
        directive = directive.substr(0, directive.find_first_of(" <\"("));
        return std::find(trivial_directives.begin(), trivial_directives.end(), directive) !=
               trivial_directives.end();
    }
    return std::find(keyword_lines.begin(), keyword_lines.end(), line) != keyword_lines.end();
}

std::vector<SignificantLine> significant_lines(std::string_view text) {
    std::vector<SignificantLine> out;
    int number = 0;
    while (!text.empty()) {
        const auto end = text.find('\n');
        std::string line = normalise(text.substr(0, end));
        ++number;
        if (!line.empty() && !is_trivial_line(line)) out.push_back({std::move(line), number});
        if (end == std::string_view::npos) break;
        text.remove_prefix(end + 1);
    }
    return out;
}

void SecretWindows::add_secret(const std::string& name, std::string_view text) {
    Secret secret{name, significant_lines(text)};
    const auto hashes = hashes_of(secret.lines);
    for (std::size_t first = 0; first + leak_window <= hashes.size(); ++first)
        windows_.emplace(window_hash(hashes, first), std::make_pair(secrets_.size(), first));
    secrets_.push_back(std::move(secret));
}

void SecretWindows::add_public(std::string_view text) {
    const auto lines = significant_lines(text);
    for (std::size_t first = 0; first + leak_window <= lines.size(); ++first)
        public_.insert(joined(lines, first));
}

std::vector<Leak> SecretWindows::find(const std::string& where, std::string_view text) const {
    std::vector<Leak> leaks;
    const auto lines = significant_lines(text);
    const auto hashes = hashes_of(lines);
    bool in_run = false;
    for (std::size_t first = 0; first + leak_window <= lines.size(); ++first) {
        const Secret* secret = nullptr;
        std::size_t secret_first = 0;
        for (auto [it, end] = windows_.equal_range(window_hash(hashes, first));
             it != end && !secret; ++it) {
            const auto& [index, at] = it->second;
            const auto& candidate = secrets_[index].lines;
            if (std::equal(lines.begin() + first, lines.begin() + first + leak_window,
                           candidate.begin() + at,
                           [](const SignificantLine& a, const SignificantLine& b) {
                               return a.text == b.text;
                           })) {
                secret = &secrets_[index];
                secret_first = at;
            }
        }
        const bool leaking = secret && !public_.contains(joined(lines, first));
        if (leaking && !in_run) {
            Leak leak{
                secret->name, secret->lines[secret_first].number, where, lines[first].number, {}};
            for (std::size_t i = first; i < first + leak_window; ++i)
                leak.lines.push_back(lines[i].text);
            leaks.push_back(std::move(leak));
        }
        in_run = leaking;
    }
    return leaks;
}

std::vector<Leak> find_leaks(const fs::path& root, const fs::path& edition) {
    SecretWindows secrets;
    for (const auto& [name, path] : files_under(root / "solutions", root))
        secrets.add_secret(name, read_file(path));
    for (const auto& [name, path] : files_under(root / "starter", root))
        secrets.add_public(read_file(path));

    std::vector<Leak> leaks;
    const auto add = [&](std::vector<Leak> found) {
        leaks.insert(leaks.end(), found.begin(), found.end());
    };
    std::unordered_set<std::string> seen;  // contents already checked as files of the edition
    for (const auto& [name, path] : files_under(edition, edition)) {
        std::string text = read_file(path);
        add(secrets.find(name, text));
        seen.insert(std::move(text));
    }

    // Every object in the repository, reachable or not: "<name> <type> <size>\n<content>\n" each.
    const CommandResult objects = git(edition, {"cat-file", "--batch-all-objects", "--batch"});
    if (!objects.ok())
        throw std::runtime_error("could not read the edition's git objects: " + objects.err);
    std::map<std::string, std::string> paths;  // blob -> a path it has in some commit
    std::istringstream listing(git_or_throw(edition, {"rev-list", "--objects", "--all"}).out);
    for (std::string line; std::getline(listing, line);)
        if (const auto space = line.find(' '); space != std::string::npos)
            paths.emplace(line.substr(0, space), line.substr(space + 1));
    std::string_view rest = objects.out;
    while (!rest.empty()) {
        const auto header_end = rest.find('\n');
        if (header_end == std::string_view::npos) break;
        std::istringstream header{std::string(rest.substr(0, header_end))};
        std::string name, type;
        std::size_t size = 0;
        header >> name >> type >> size;
        if (header_end + 1 + size > rest.size())
            throw std::runtime_error("git cat-file's output is cut short");
        const std::string_view content = rest.substr(header_end + 1, size);
        rest.remove_prefix(std::min(rest.size(), header_end + 1 + size + 1));
        if (type != "blob" || seen.contains(std::string(content))) continue;
        const auto path = paths.find(name);
        add(secrets.find(fmt::format("git object {} ({})", name.substr(0, 12),
                                     path != paths.end() ? path->second : "in no commit"),
                         content));
    }
    return leaks;
}

std::string describe_leaks(const std::vector<Leak>& leaks) {
    std::string out;
    for (auto leak = leaks.begin(); leak != leaks.end();) {
        const auto next =
            std::find_if(leak, leaks.end(), [&](const Leak& l) { return l.where != leak->where; });
        const auto more = std::distance(leak, next) - 1;
        out += fmt::format(
            "{}:{} copies {}:{}, {} lines in a row or more{}; the first:\n", leak->where,
            leak->where_line, leak->secret, leak->secret_line, leak_window,
            more > 0 ? fmt::format(" (and {} more such run{} in it)", more, more > 1 ? "s" : "")
                     : "");
        for (const std::string& line : leak->lines) out += "    " + line + "\n";
        leak = next;
    }
    return out;
}

std::vector<std::string> broken_links(const fs::path& edition, const fs::path& source) {
    static const std::regex link(R"(\]\(([^)\s]+)\))");
    std::vector<std::string> broken;
    for (const auto& [name, path] : files_under(edition, edition)) {
        if (path.extension() != ".md") continue;
        const std::string text = read_file(path);
        for (auto m = std::sregex_iterator(text.begin(), text.end(), link);
             m != std::sregex_iterator(); ++m) {
            const std::string target = (*m)[1].str().substr(0, (*m)[1].str().find('#'));
            if (target.empty() || target.find("://") != std::string::npos ||
                target.starts_with("mailto:"))
                continue;
            if (fs::exists(path.parent_path() / target)) continue;
            const fs::path here =
                source.empty() ? fs::path() : (source / name).parent_path() / target;
            broken.push_back(
                !here.empty() && fs::exists(here)
                    ? fmt::format("{} links to {}, which is in the checkout but not tracked by "
                                  "git: the student edition takes only what git tracks (git add "
                                  "it)",
                                  name, target)
                    : fmt::format("{} links to {}", name, target));
        }
    }
    return broken;
}

}  // namespace workbook
