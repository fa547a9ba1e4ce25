// The student edition: what `./workbook export-student` writes (an allow-list of the workbook's
// files, as a fresh git repository), how a checkout knows it is one, and the check that it gives
// none of solutions/ away. See docs/teachers.md.
#pragma once

#include "manifest.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace workbook {

// One entry of the student edition's lists: a path pattern and the reason for it. A pattern ending
// in '/' is a whole folder; any other is matched with fnmatch(3), where '*' stays inside a folder
// (and a pattern that names a folder takes what is inside it).
struct EditionEntry {
    std::string_view pattern;
    std::string_view why;
};

// What goes into the student edition (every file git tracks that an entry matches), and what never
// does, whatever the first list says.
extern const std::vector<EditionEntry> student_edition_files;
extern const std::vector<EditionEntry> never_in_student_edition;
bool in_student_edition(std::string_view path);

// The file export-student writes at the top of the student edition. Where it is, the teachers'
// commands (verify, grade, export-student, classroom, doctor, index) refuse to run.
inline constexpr const char* edition_marker = ".workbook-edition";
bool is_student_edition(const std::filesystem::path& root);

// README.md without its teachers' sections: the lines from a line holding `teachers_begin` to the
// line holding `teachers_end`, both included. Throws std::runtime_error if the markers do not pair
// up.
inline constexpr const char* teachers_begin = "<!-- teachers' edition -->";
inline constexpr const char* teachers_end = "<!-- end of teachers' edition -->";
std::string student_readme(std::string_view readme);

// A GitHub Actions workflow for GitHub Classroom's command grader: one step per lesson, worth the
// lesson's points, passing when `./workbook test NN` exits 0.
std::string classroom_workflow(const Manifest& manifest);

// Writes the student edition of the workbook at `root` into `to`, a folder that must not exist yet.
// Returns the number of files written; throws std::runtime_error saying what went wrong.
std::size_t export_student_edition(const std::filesystem::path& root, const Manifest& manifest,
                                   const std::filesystem::path& to);

// --- The leak check -----------------------------------------------------------------------------
//
// A text is compared line by line after normalising each line: comments are removed (`//` to the
// end of the line, `/* … */`, outside string and character literals), runs of spaces and tabs
// become one space, and the ends are trimmed. Lines left empty (blank or comment-only) and trivial
// lines (see is_trivial_line) are dropped. A leak is `leak_window` consecutive remaining lines of a
// solution that appear, consecutive and in order, in the text checked: reformatting, re-indenting,
// blank lines or comments in between hide nothing.
inline constexpr std::size_t leak_window = 5;

// Lines any C++ file may hold, which say nothing about a solution: lines without a letter or digit
// (`{`, `});`), the preprocessor's #include, #pragma and conditionals (#define is not trivial), and
// a few keyword-only statements (`return 0;`, `break;`, `} else {`, `public:`, …). Takes a
// normalised line.
bool is_trivial_line(std::string_view line);

struct SignificantLine {
    std::string text;  // normalised
    int number = 0;    // 1-based line number in the original text
};
std::vector<SignificantLine> significant_lines(std::string_view text);

struct Leak {
    std::string secret;  // the solution file ("solutions/02-first-server/server.cpp")
    int secret_line = 0;
    std::string where;  // the file (or git object) it was found in
    int where_line = 0;
    std::vector<std::string> lines;  // the first leaking window, normalised
};

// The windows of the secret texts, less those the public texts (the starters, published on purpose)
// also contain. Each window is looked up by a hash of its lines' hashes, then compared line by
// line.
class SecretWindows {
  public:
    void add_secret(const std::string& name, std::string_view text);
    void add_public(std::string_view text);
    // One Leak per run of consecutive leaking windows in `text`, which is named `where`.
    std::vector<Leak> find(const std::string& where, std::string_view text) const;
    std::size_t size() const { return windows_.size(); }

  private:
    struct Secret {
        std::string name;
        std::vector<SignificantLine> lines;
    };
    std::vector<Secret> secrets_;
    // A window's hash -> (index in secrets_, index of its first line there).
    std::unordered_multimap<std::uint64_t, std::pair<std::size_t, std::size_t>> windows_;
    std::unordered_set<std::string> public_;  // the public texts' windows, lines joined by '\n'
};

// Every leak of `root`/solutions/ into the student edition at `edition`: into its files, and into
// every object of its git repository (so every blob of every commit). Lines the starters share with
// their solutions are no secret: the starters are published.
std::vector<Leak> find_leaks(const std::filesystem::path& root,
                             const std::filesystem::path& edition);
std::string describe_leaks(const std::vector<Leak>& leaks);

// The links of the edition's Markdown files to files it does not have ("README.md links to x.md").
// With `source`, the checkout it was made from: a target that is there says that git does not
// track it (the edition takes only what git tracks).
std::vector<std::string> broken_links(const std::filesystem::path& edition,
                                      const std::filesystem::path& source = {});

}  // namespace workbook
