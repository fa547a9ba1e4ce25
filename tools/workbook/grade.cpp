#include "grade.hpp"
#include "sandbox_report.hpp"

#include "files.hpp"
#include "results.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

namespace workbook {
namespace fs = std::filesystem;
using nlohmann::json;

// Bump when the grading rules change, so that cached grades are recomputed.
constexpr const char* grader_format = "1";

std::string without_titles(std::string_view source) {
    // The string literal that starts at `at` (a '"'): where it ends, one past its closing '"'.
    const auto literal_end = [&](std::size_t at) {
        for (std::size_t i = at + 1; i < source.size(); ++i) {
            if (source[i] == '\\')
                ++i;
            else if (source[i] == '"')
                return i + 1;
        }
        return std::string_view::npos;
    };
    const auto skip_space = [&](std::size_t i) {
        while (i < source.size() && std::isspace(static_cast<unsigned char>(source[i]))) ++i;
        return i;
    };
    std::string out;
    std::size_t copied = 0;
    constexpr std::string_view macro = "TEST_CASE(";
    for (std::size_t at = source.find(macro); at != std::string_view::npos;
         at = source.find(macro, at + 1)) {
        const std::size_t title = skip_space(at + macro.size());
        if (title >= source.size() || source[title] != '"') continue;
        const std::size_t title_end = literal_end(title);
        if (title_end == std::string_view::npos) break;
        const std::size_t comma = skip_space(title_end);
        if (comma >= source.size() || source[comma] != ',') continue;
        const std::size_t tags = skip_space(comma + 1);
        if (tags >= source.size() || source[tags] != '"') continue;
        const std::size_t tags_end = literal_end(tags);
        if (tags_end == std::string_view::npos) break;
        if (source.substr(tags, tags_end - tags).find("[id=") == std::string_view::npos) continue;
        out.append(source.substr(copied, title - copied));
        out += "\"\"";
        copied = title_end;
    }
    out.append(source.substr(copied));
    return out;
}

std::string relative_paths(std::string_view text, std::vector<PathName> names) {
    // The longest first, so that a folder inside another is matched as itself.
    std::sort(names.begin(), names.end(),
              [](const PathName& a, const PathName& b) { return a.path.size() > b.path.size(); });
    // A path is replaced only where it is a whole name: no character of a name (or '/') just before
    // it ("-I/path" is left alone too), none just after it but a sentence's full stop.
    const auto in_name = [&](std::size_t at) {
        const auto c = static_cast<unsigned char>(text[at]);
        if (c == '.' &&
            (at + 1 == text.size() || std::isspace(static_cast<unsigned char>(text[at + 1]))))
            return false;
        return std::isalnum(c) ||
               std::string_view("._-+~@%").find(static_cast<char>(c)) != std::string_view::npos;
    };
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        const PathName* found = nullptr;
        if (text[i] == '/' && (i == 0 || (!in_name(i - 1) && text[i - 1] != '/'))) {
            for (const PathName& n : names) {
                const std::size_t end = i + n.path.size();
                if (text.substr(i).starts_with(n.path) && (end == text.size() || !in_name(end))) {
                    found = &n;
                    break;
                }
            }
        }
        if (!found) {
            out += text[i++];
            continue;
        }
        i += found->path.size();
        if (!found->shown.empty()) {
            out += found->shown;
        } else if (i < text.size() && text[i] == '/') {
            ++i;  // ROOT/tests/x.cpp: tests/x.cpp
        } else {
            out += '.';
        }
    }
    return out;
}

RecipeLines parse_recipe(std::string_view text) {
    RecipeLines lines;
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t end = text.find('\n', at);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view line = text.substr(at, end - at);
        at = end + 1;
        if (line.empty()) continue;
        const std::size_t tab = line.find('\t');
        if (tab == std::string_view::npos || tab == 0)
            throw std::runtime_error(
                fmt::format("grading recipe: a line without a key and a tab: \"{}\"", line));
        // An empty value is an empty CMake list ($<JOIN> of nothing): no item.
        std::vector<std::string>& values = lines[std::string(line.substr(0, tab))];
        if (tab + 1 < line.size()) values.emplace_back(line.substr(tab + 1));
    }
    const auto format = lines.find("format");
    if (format == lines.end() || format->second != std::vector<std::string>{"2"})
        throw std::runtime_error(
            "grading recipe: not format 2 (rebuild the workbook: cmake --build)");
    return lines;
}

namespace {

// ---- small utilities ----------------------------------------------------------------------------

// MiB free for the grader on the file system of `dir`.
std::uint64_t free_mib(const fs::path& dir) {
    struct statvfs s {};
    if (::statvfs(dir.c_str(), &s) < 0) return 0;
    return static_cast<std::uint64_t>(s.f_bavail) * s.f_frsize >> 20;
}

// FNV-1a, 64 bits: enough to notice that a submission or the grader changed.
struct Hash {
    std::uint64_t value = 0xcbf29ce484222325ull;
    void add(std::string_view bytes) {
        for (unsigned char c : bytes) value = (value ^ c) * 0x100000001b3ull;
        value = (value ^ 0xff) * 0x100000001b3ull;  // a separator, so that "ab"+"c" != "a"+"bc"
    }
    std::string hex() const { return fmt::format("{:016x}", value); }
};

// Reads a student's file, `relative` to their folder (students/NAME), one component at a time and
// without following any link: a submission may not point the grader at the solutions, at a
// classmate's folder or at anything else on the machine, whether the link is the file, its lesson
// folder or a clone's starter/ (a link to /proc/self/cwd/... needs no path known beforehand).
// Returns nullopt with `why` set when refused.
std::optional<std::string> read_submitted(const fs::path& base, const fs::path& relative,
                                          std::string& why) {
    int dir = ::open(base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0) {
        why = fmt::format("the submission's folder cannot be opened: {}", std::strerror(errno));
        return std::nullopt;
    }
    fs::path walked;
    std::vector<fs::path> parts(relative.begin(), relative.end());
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        walked /= parts[i];
        struct stat st {};
        const bool is_link =
            ::fstatat(dir, parts[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
        const int next = is_link ? -1
                                 : ::openat(dir, parts[i].c_str(),
                                            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        const int error = errno;
        ::close(dir);
        if (next < 0) {
            why = is_link || error == ELOOP
                      ? fmt::format("{}/ is a symbolic link (not accepted)", walked.string())
                  : error == ENOENT ? "missing"
                                    : fmt::format("{}/: {}", walked.string(), std::strerror(error));
            return std::nullopt;
        }
        dir = next;
    }
    const int fd =
        ::openat(dir, parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    const int error = errno;
    ::close(dir);
    if (fd < 0) {
        why = error == ENOENT  ? "missing"
              : error == ELOOP ? "a symbolic link (not accepted)"
                               : std::strerror(error);
        return std::nullopt;
    }
    struct stat st {};
    std::optional<std::string> content;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        why = "not a regular file";
    } else if (st.st_size > 1024 * 1024) {
        why = "larger than 1 MiB";
    } else {
        std::string data(static_cast<std::size_t>(st.st_size), '\0');
        std::size_t done = 0;
        while (done < data.size()) {
            const ssize_t n = ::read(fd, data.data() + done, data.size() - done);
            if (n <= 0) break;
            done += static_cast<std::size_t>(n);
        }
        data.resize(done);
        content = std::move(data);
    }
    ::close(fd);
    return content;
}

std::string xml_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                // Control characters other than tab and newline are not allowed in XML 1.0.
                if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t')
                    out += ' ';
                else
                    out += c;
        }
    }
    return out;
}

// Adds `path` as it was given, normalised and with its links resolved (the sandbox shows the
// scratch at its real path), each shown as `shown`.
void add_path_name(std::vector<PathName>& names, const fs::path& path, const std::string& shown) {
    std::error_code error;
    for (const fs::path& p : {path, path.lexically_normal(), fs::weakly_canonical(path, error)}) {
        std::string text = p.string();
        while (text.size() > 1 && text.back() == '/') text.pop_back();
        if (text.starts_with('/') && text.size() > 1 &&
            std::none_of(names.begin(), names.end(),
                         [&](const PathName& n) { return n.path == text; }))
            names.push_back({text, shown});
    }
}

std::string csv_field(std::string_view s) {
    if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

// Text from a submission as the grader writes it: valid UTF-8 as it is, every other byte and every
// control character as \xNN (newlines and tabs kept when `lines`). A folder named in Latin-1 or
// with a carriage return in its name then makes no invalid JSON, no extra CSV row and no terminal
// escape, and two different names stay different; a message cannot clear a teacher's terminal.
std::string escape_bytes(std::string_view raw, bool lines) {
    std::string out;
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(raw[i]); };
    for (std::size_t i = 0; i < raw.size();) {
        const unsigned char lead = byte(i);
        std::size_t length = lead < 0x80           ? 1
                             : (lead >> 5) == 0x6  ? 2
                             : (lead >> 4) == 0xE  ? 3
                             : (lead >> 3) == 0x1E ? 4
                                                   : 0;
        bool valid = length > 0 && i + length <= raw.size();
        std::uint32_t cp = length == 1   ? lead
                           : length == 2 ? lead & 0x1F
                           : length == 3 ? lead & 0x0F
                                         : lead & 0x07;
        for (std::size_t k = 1; valid && k < length; ++k) {
            valid = (byte(i + k) & 0xC0) == 0x80;
            cp = (cp << 6) | (byte(i + k) & 0x3F);
        }
        // No overlong form, no surrogate, nothing past U+10FFFF.
        if (valid && length > 1)
            valid = cp >= (length == 2   ? 0x80u
                           : length == 3 ? 0x800u
                                         : 0x10000u) &&
                    (cp < 0xD800 || cp > 0xDFFF) && cp <= 0x10FFFF;
        const bool kept_control = lines && (cp == '\n' || cp == '\t');
        if (!valid || ((cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) && !kept_control)) {
            if (valid && length == 2) {  // a C1 control character: both bytes
                out += fmt::format("\\x{:02x}\\x{:02x}", byte(i), byte(i + 1));
                i += 2;
            } else {
                out += fmt::format("\\x{:02x}", lead);
                i += 1;
            }
            continue;
        }
        out.append(raw.substr(i, length));
        i += length;
    }
    return out;
}

// What a student's code may have left in its scratch folders besides files and folders: symbolic
// links (to /etc, to the solutions...) and special files (FIFOs, sockets, devices) go, so that a
// teacher who zips --out ships none of them. Never follows a link.
void remove_planted(const fs::path& dir) {
    std::error_code error;
    std::vector<fs::path> planted;
    for (auto it = fs::recursive_directory_iterator(
             dir, fs::directory_options::skip_permission_denied, error);
         !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
        const fs::file_status st = it->symlink_status(error);
        if (!error && st.type() != fs::file_type::regular && st.type() != fs::file_type::directory)
            planted.push_back(it->path());
    }
    for (const fs::path& p : planted) fs::remove(p, error);
}

// What a lesson's compile and link left in its scratch: the objects and the program, which the
// grade no longer needs (a cached grade is never rebuilt from them).
void remove_built(const fs::path& dir, const Lesson& lesson) {
    std::error_code error;
    std::vector<fs::path> built;
    for (auto it = fs::directory_iterator(dir, error); !error && it != fs::directory_iterator();
         it.increment(error))
        if (it->path().extension() == ".o" || lesson.program(it->path().filename().string()))
            built.push_back(it->path());
    for (const fs::path& p : built) fs::remove(p, error);
}

// A submission's folder name as the gradebook, the output folders and the terminal show it.
std::string shown_name(std::string_view raw) {
    return escape_bytes(raw, false);
}

// A Markdown code block that `text` cannot close: its fence is longer than any run of backticks
// in it (a student's message with ``` in it would otherwise end the block and write its own
// "32 / 32" section into the feedback).
std::string code_block(const std::string& text) {
    std::size_t longest = 0;
    for (std::size_t i = 0, run = 0; i < text.size(); ++i) {
        run = text[i] == '`' ? run + 1 : 0;
        longest = std::max(longest, run);
    }
    const std::string fence(std::max<std::size_t>(3, longest + 1), '`');
    return fence + "\n" + (text.empty() || text.back() != '\n' ? text + "\n" : text) + fence + "\n";
}

// JSON as the grader writes it: a byte that is not UTF-8 (a message, a name) becomes U+FFFD
// instead of an exception that would lose the whole file.
std::string json_text(const json& j) {
    return j.dump(2, ' ', false, json::error_handler_t::replace);
}

// ---- what the grader built once ----------------------------------------------------------------

struct Recipe {
    std::string compiler;
    std::vector<std::string> flags, include, test_objects, main_objects, test_libraries,
        program_libraries;
    // What a unit lesson's driver adds to the student's code: its objects, and its flags for the
    // compile and the link (ThreadSanitizer for the thread lessons).
    std::vector<std::string> program_objects, program_flags;
    std::string tests_binary;  // server, client and driver lessons: the tests, built once
    std::string harness_include, lesson_include;  // for the teacher's extra tests
    std::string reference_programs;               // the folder of the reference solution's programs
    std::vector<std::string> preload_libraries;   // what the tests may preload into a program
};

Recipe load_recipe(const fs::path& file) {
    const std::string text = read_file(file);
    if (text.empty())
        throw std::runtime_error(
            fmt::format("no grading recipe at {}: build the workbook", file.string()));
    const RecipeLines lines = parse_recipe(text);
    const auto list = [&](const char* key) {
        const auto found = lines.find(key);
        return found == lines.end() ? std::vector<std::string>{} : found->second;
    };
    const auto one = [&](const char* key) {
        const std::vector<std::string> values = list(key);
        if (values.size() != 1)
            throw std::runtime_error(fmt::format("{}: \"{}\" should appear once, not {} times",
                                                 file.string(), key, values.size()));
        return values.front();
    };
    Recipe r;
    r.compiler = one("compiler");
    r.flags = list("flags");
    r.include = list("include");
    r.test_objects = list("test_objects");
    r.main_objects = list("main_objects");
    r.test_libraries = list("test_libraries");
    r.program_libraries = list("program_libraries");
    r.program_objects = list("program_objects");
    r.program_flags = list("program_flags");
    r.tests_binary = one("tests_binary");
    r.harness_include = one("harness_include");
    r.lesson_include = one("lesson_include");
    r.reference_programs = one("reference_programs");
    r.preload_libraries = list("preload_libraries");
    return r;
}

struct CaseSpec {
    std::string name;
    int points = 0;
    bool hidden = false;  // a teacher's test tagged [hidden]: the student sees only that it failed
    std::string
        binary;      // the teacher's extra tests of a server or client lesson; else the lesson's
    std::string id;  // its [id=...] tag, or ""
};

struct LessonPlan {
    const Lesson* lesson = nullptr;
    Recipe recipe;
    std::vector<CaseSpec> cases;             // from a run of the reference solution: trusted
    std::vector<std::string> extra_objects;  // the teacher's extra tests, compiled once
    fs::path extra_dir;                      // where they were built, with the reference's results
    // The extra tests' program, the only file of them a sandbox shows: executable and not readable
    // (a program the kernel cannot let read itself is not dumpable either, so the student's
    // program, its child, cannot read it through /proc/PPID/exe, mem, environ or fd).
    fs::path extra_binary;
};

// ---- confinement -------------------------------------------------------------------------------

struct Limits {
    double wall = 20;
    double cpu = 20;
    int memory_mib = 1024;
    // Without cgroups the sandbox falls back on RLIMIT_AS, which ThreadSanitizer programs cannot
    // start under: for the thread lessons memory is then not limited (the report says so).
    bool address_space_limit = true;
    int pids = 256;
    int files = 1024;
    int fsize_mib = 64;
    long output = 256 * 1024;
    // Compiles write their objects in the scratch; a test case's program may write only in its own
    // /tmp, a tmpfs of --fsize MiB that goes with the run, so no run can fill the grader's disk.
    bool scratch_writable = true;
};

// A run in workbook-sandbox: its report (the one definition both programs share), and what it
// printed.
struct Confined {
    sandbox::Report report;  // outcome internal if the sandbox itself failed
    std::string out, err, records;
    bool ok() const { return report.outcome == sandbox::Outcome::ok; }
    bool internal() const { return report.outcome == sandbox::Outcome::internal; }
};

class Sandbox {
  public:
    Sandbox(fs::path binary, bool unsafe) : binary_(std::move(binary)), unsafe_(unsafe) {}

    Confined run(const fs::path& scratch, const fs::path& run_dir,
                 const std::vector<fs::path>& read_only, const Limits& limits,
                 const std::vector<std::string>& env, const std::vector<std::string>& argv,
                 bool with_records, const std::string& input = {}) const {
        fs::remove_all(run_dir);
        fs::create_directories(run_dir);
        // What the program reads on its standard input: how a test case is named to the test
        // program, since its command line is readable by every process of the run.
        if (!input.empty()) write_file(run_dir / "stdin", input);
        std::vector<std::string> cmd{binary_.string(),
                                     "--scratch",
                                     scratch.string(),
                                     "--wall",
                                     fmt::format("{}", limits.wall),
                                     "--cpu",
                                     fmt::format("{}", limits.cpu),
                                     "--memory",
                                     std::to_string(limits.memory_mib),
                                     "--pids",
                                     std::to_string(limits.pids),
                                     "--files",
                                     std::to_string(limits.files),
                                     "--fsize",
                                     std::to_string(limits.fsize_mib),
                                     "--output",
                                     std::to_string(limits.output),
                                     "--output-kill",
                                     "--stdout",
                                     (run_dir / "stdout").string(),
                                     "--stderr",
                                     (run_dir / "stderr").string(),
                                     "--report",
                                     (run_dir / "report.json").string()};
        if (with_records)
            cmd.insert(cmd.end(), {"--records", (run_dir / "records.jsonl").string()});
        if (!input.empty()) cmd.insert(cmd.end(), {"--stdin", (run_dir / "stdin").string()});
        if (!limits.scratch_writable) cmd.push_back("--scratch-read-only");
        if (!limits.address_space_limit) cmd.push_back("--no-address-space-limit");
        if (unsafe_) cmd.insert(cmd.end(), {"--isolation", "none", "--unsafe"});
        for (const fs::path& p : read_only) cmd.insert(cmd.end(), {"--ro", p.string()});
        for (const std::string& e : env) cmd.insert(cmd.end(), {"--env", e});
        cmd.push_back("--");
        cmd.insert(cmd.end(), argv.begin(), argv.end());

        // The sandbox enforces the limits; this outer limit only guards against the sandbox itself.
        const auto outer = std::chrono::seconds(static_cast<int>(limits.wall) + 60);
        const CommandResult r = run_command(cmd, outer);
        Confined c;
        const json report = json::parse(read_file(run_dir / "report.json"), nullptr, false);
        try {
            c.report = report.get<sandbox::Report>();
            // Status 3 is the sandbox's own failure, which its report explains (the reason is
            // there, not on its stderr); any other failure of its process leaves no report to
            // trust.
            if (!r.ok() && !(r.code == 3 && !r.signaled && c.internal()))
                throw std::runtime_error(r.describe());
        } catch (const std::exception&) {
            c.report = {};
            c.report.message =
                fmt::format("the sandbox {}: {}{}",
                            r.ok() ? "wrote no report grade can read" : r.describe(), r.out, r.err);
            return c;
        }
        c.out = read_file(run_dir / "stdout");
        c.err = read_file(run_dir / "stderr");
        c.records = read_file(run_dir / "records.jsonl");
        return c;
    }

  private:
    fs::path binary_;
    bool unsafe_;
};

// ---- grades ------------------------------------------------------------------------------------

struct TestGrade {
    std::string name;
    int points = 0;
    int max = 0;
    std::string status;   // passed, failed, time-out, crash, ... (see docs/teachers.md)
    std::string message;  // what failed, the transcript (kept for the teacher even when hidden)
    bool hidden = false;
    double seconds = 0;  // the test case's run in the sandbox, wall-clock (0: not run)
    std::string id;      // its [id=...] tag: stays when the title is reworded

    // What the student may see of the message.
    std::string shown() const {
        return hidden ? "This test is hidden: only its result is shown.\n" : message;
    }
};

// The gradebook's and the cache's JSON, both ways, from one list of fields each.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TestGrade, name, id, points, max, status, message,
                                                hidden, seconds)

struct LessonGrade {
    std::string slug;
    int points = 0;
    int max = 0;
    std::string status;  // graded, missing, compile-error, internal-error
    std::string message;
    std::vector<TestGrade> tests;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LessonGrade, slug, points, max, status, message,
                                                tests)

struct StudentGrade {
    std::string name;
    std::string hash;
    std::string isolation;
    double seconds = 0;  // how long grading took (kept in the cache: a cached grade took no time)
    std::vector<LessonGrade> lessons;
    int total() const {
        int t = 0;
        for (const LessonGrade& l : lessons) t += l.points;
        return t;
    }
    int max() const {
        int t = 0;
        for (const LessonGrade& l : lessons) t += l.max;
        return t;
    }
};

json to_json(const StudentGrade& s) {
    return {{"student", s.name},   {"hash", s.hash}, {"isolation", s.isolation},
            {"total", s.total()},  {"max", s.max()}, {"seconds", s.seconds},
            {"lessons", s.lessons}};
}

StudentGrade from_json(const json& j) {
    StudentGrade s;
    s.name = j.at("student");
    s.hash = j.at("hash");
    s.isolation = j.at("isolation");
    s.seconds = j.value("seconds", 0.0);
    s.lessons = j.at("lessons").get<std::vector<LessonGrade>>();
    return s;
}

// What a test case's outcome means when it left no passing record.
std::string status_of(const Confined& c) {
    using sandbox::Outcome;
    switch (c.report.outcome) {
        case Outcome::time_out:
            return "time-out";
        case Outcome::cpu:
            return "cpu-limit";
        case Outcome::memory:
            return "memory-limit";
        case Outcome::pids:
            return "process-limit";
        case Outcome::output:
            return "output-limit";
        case Outcome::file_size:
            return "file-size-limit";
        case Outcome::signal:
            return "crash";
        case Outcome::internal:
            return "internal-error";
        case Outcome::ok:
        case Outcome::exit:
            break;
    }
    return "did-not-finish";  // exited (even with status 0) without its test case's record
}

// ---- the grader --------------------------------------------------------------------------------

class Grader {
  public:
    Grader(fs::path root, fs::path out, Sandbox sandbox, std::vector<LessonPlan> plans,
           std::string version, int case_timeout, double lesson_budget,
           std::vector<PathName> machine_paths,
           std::map<std::string, std::vector<std::string>> only_cases)
        : root_(std::move(root)),
          out_(std::move(out)),
          sandbox_(std::move(sandbox)),
          plans_(std::move(plans)),
          version_(std::move(version)),
          case_timeout_(case_timeout),
          lesson_budget_(lesson_budget),
          machine_paths_(std::move(machine_paths)),
          only_cases_(std::move(only_cases)) {}

    // The paths of this machine that a student's grade may name, and the names the student sees
    // instead: the student's files as in their own checkout, their program as "your program".
    std::vector<PathName> paths_for(const std::string& student, const fs::path& tree) const {
        std::vector<PathName> names = machine_paths_;
        add_path_name(names, tree, "starter");
        for (const LessonPlan& plan : plans_) {
            const Lesson& lesson = *plan.lesson;
            const fs::path scratch = scratch_of(student, lesson);
            add_path_name(names, scratch, "starter/" + lesson.slug);
            for (const Program& p : lesson.programs)
                add_path_name(names, scratch / p.name,
                              lesson.programs.size() == 1 ? "your program"
                                                          : fmt::format("your program {}", p.name));
            add_path_name(names, runs_of(student, lesson), "starter/" + lesson.slug);
            if (!plan.extra_dir.empty())
                add_path_name(names, plan.extra_dir, "extra-tests/" + lesson.slug);
        }
        return names;
    }

    // `folder` is the student's folder in the submissions, `tree` the lesson folders' parent in it
    // (the folder itself, or a clone's starter/).
    StudentGrade grade(const std::string& name, const fs::path& folder, const fs::path& tree) {
        const auto started = std::chrono::steady_clock::now();
        StudentGrade s;
        s.name = name;
        // The files a student is graded on, read once, without following links.
        std::map<std::string, std::map<std::string, std::optional<std::string>>> files;
        std::map<std::string, std::string> refused;
        Hash hash;
        hash.add(version_);
        for (const LessonPlan& plan : plans_) {
            for (const std::string& file : plan.lesson->files) {
                std::string why;
                auto content =
                    read_submitted(folder,
                                   (tree == folder ? fs::path() : tree.lexically_relative(folder)) /
                                       plan.lesson->slug / file,
                                   why);
                hash.add(plan.lesson->slug + "/" + file);
                hash.add(content ? *content : "\x01" + why);
                if (!content) refused[plan.lesson->slug] += fmt::format("{}: {}\n", file, why);
                files[plan.lesson->slug][file] = std::move(content);
            }
        }
        s.hash = hash.hex();

        // Not in students/NAME/, which a teacher may hand out whole: the cache names the grading
        // machine's folders.
        const fs::path cache = out_ / "cache" / (name + ".json");
        const json cached = json::parse(read_file(cache), nullptr, false);
        if (cached.is_object() && cached.value("hash", "") == s.hash) {
            try {
                StudentGrade again = from_json(cached);
                again.isolation += again.isolation.ends_with(" (cached)") ? "" : " (cached)";
                // A title reworded since: the result is the same test case's, under its id.
                for (LessonGrade& l : again.lessons)
                    for (const LessonPlan& plan : plans_)
                        if (plan.lesson->slug == l.slug)
                            for (TestGrade& t : l.tests)
                                for (const CaseSpec& spec : plan.cases)
                                    if (!t.id.empty() && spec.id == t.id) t.name = spec.name;
                return again;
            } catch (const json::exception&) {
                // an unreadable cache is only a cache: grade again
            }
        }

        for (const LessonPlan& plan : plans_) {
            LessonGrade lesson;
            lesson.slug = plan.lesson->slug;
            for (const CaseSpec& c : plan.cases) lesson.max += c.points;
            try {
                if (refused.contains(lesson.slug)) {
                    lesson.status = "missing";
                    lesson.message = refused[lesson.slug];
                } else {
                    grade_lesson(plan, files[lesson.slug], name, lesson, s.isolation);
                }
            } catch (const std::exception& e) {
                lesson.status = "internal-error";
                lesson.message = fmt::format("the grader failed on this lesson: {}", e.what());
            }
            // Also after a lesson the grader failed on: what the code planted goes all the same,
            // and what was built (the objects, the program: megabytes a student) is not kept.
            remove_planted(scratch_of(name, *plan.lesson));
            remove_planted(runs_of(name, *plan.lesson));
            remove_built(scratch_of(name, *plan.lesson), *plan.lesson);
            if (lesson.status != "graded") lesson.points = 0;
            s.lessons.push_back(std::move(lesson));
        }
        s.seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        // A grade the grader failed on is not the student's: it is graded again next time.
        const bool whole =
            std::none_of(s.lessons.begin(), s.lessons.end(),
                         [](const LessonGrade& l) { return l.status == "internal-error"; });
        if (whole)
            write_file(cache, json_text(to_json(s)));
        else
            fs::remove(cache);
        return s;
    }

    // The grade of a student the grader failed on as a whole: every lesson internal-error, each
    // with its maximum, so that the gradebook's row has every column.
    StudentGrade failed(const std::string& name, const std::string& why) const {
        StudentGrade s;
        s.name = name;
        s.isolation = "error";
        for (const LessonPlan& plan : plans_) {
            LessonGrade l{plan.lesson->slug,
                          0,
                          0,
                          "internal-error",
                          fmt::format("the grader failed: {}", why),
                          {}};
            for (const CaseSpec& c : plan.cases) l.max += c.points;
            s.lessons.push_back(std::move(l));
        }
        return s;
    }

  private:
    void grade_lesson(const LessonPlan& plan,
                      const std::map<std::string, std::optional<std::string>>& files,
                      const std::string& student, LessonGrade& grade, std::string& isolation) {
        const Lesson& lesson = *plan.lesson;
        const fs::path scratch = scratch_of(student, lesson);
        const fs::path runs = runs_of(student, lesson);
        fs::remove_all(scratch);
        fs::create_directories(scratch);
        // The workbook's own files of the lesson (headers), then the student's.
        for (const auto& entry : fs::directory_iterator(root_ / "starter" / lesson.slug))
            if (entry.is_regular_file())
                fs::copy_file(entry.path(), scratch / entry.path().filename());
        for (const auto& [file, content] : files) write_file(scratch / file, *content);

        // Compile: every .cpp of the lesson, then link.
        const Recipe& r = plan.recipe;
        // Only the files the compile, the link and the tests need: never the whole build, which
        // also holds the reference solutions' programs (a submission could run them instead).
        std::vector<fs::path> read_only(r.include.begin(), r.include.end());
        for (const auto* list : {&r.test_objects, &r.main_objects, &r.test_libraries,
                                 &r.program_libraries, &r.program_objects, &r.preload_libraries})
            for (const std::string& file : *list)
                if (file.starts_with('/') && !file.starts_with("/usr/"))
                    read_only.emplace_back(file);
        if (!r.tests_binary.empty()) read_only.emplace_back(r.tests_binary);
        // The teacher's extra tests are not among them: a compile must not #include or .incbin
        // them.
        Limits compile{.wall = 120,
                       .cpu = 120,
                       .memory_mib = 2048,
                       .pids = 64,
                       .files = 512,
                       .fsize_mib = 64,
                       .output = 64 * 1024};
        // Every .cpp file of the lesson's programs, compiled once (a file two programs share, too).
        // The scratch folder is written "starter/SLUG" in the objects (-ffile-prefix-map), so that
        // an object does not depend on where it was compiled: one compiled before from the same
        // inputs (the grader's version, the flags, the file, every header beside it) is reused,
        // as the mutation corpus's variants of one file, or a class's carried tools, have many.
        std::set<std::string> beside;  // every file of the scratch folder but the sources
        for (const auto& entry : fs::directory_iterator(scratch))
            if (entry.is_regular_file() && entry.path().extension() != ".cpp")
                beside.insert(entry.path().filename().string());
        std::string headers;  // their names and contents
        for (const std::string& name : beside)
            headers += name + '\0' + read_file(scratch / name) + '\0';
        std::map<std::string, std::string> objects;  // by source file name
        for (const std::string& file : lesson.files) {
            if (!file.ends_with(".cpp")) continue;
            const fs::path source = scratch / file;
            std::vector<std::string> argv{r.compiler};
            argv.insert(argv.end(), r.flags.begin(), r.flags.end());
            argv.insert(argv.end(), r.program_flags.begin(), r.program_flags.end());
            argv.push_back(
                fmt::format("-ffile-prefix-map={}=starter/{}", scratch.string(), lesson.slug));
            argv.push_back("-I" + scratch.string());
            for (const std::string& dir : r.include) argv.push_back("-I" + dir);
            const std::string object = (scratch / source.stem()).string() + ".o";
            argv.insert(argv.end(), {"-c", source.string(), "-o", object});
            std::string inputs = version_ + '\0';
            for (const std::string& arg : argv) {
                std::string a = arg;
                for (std::size_t at; (at = a.find(scratch.string())) != std::string::npos;)
                    a.replace(at, scratch.string().size(), "<scratch>");
                inputs += a + '\0';
            }
            inputs += read_file(source) + '\0' + headers;
            Hash key;
            key.add(inputs);
            const fs::path cached = out_ / "objects" / (key.hex() + ".o");
            const fs::path cached_inputs = out_ / "objects" / (key.hex() + ".inputs");
            std::error_code error;
            // The inputs are compared whole, not by their hash alone: no two sources share an
            // object by a collision.
            if (fs::is_regular_file(cached) && fs::is_regular_file(cached_inputs) &&
                read_file(cached_inputs) == inputs &&
                fs::copy_file(cached, object, fs::copy_options::overwrite_existing, error)) {
                objects[file] = object;
                continue;
            }
            need_space(compile);
            const Confined c = sandbox_.run(scratch, runs / ("compile-" + source.stem().string()),
                                            read_only, compile, {}, argv, false);
            isolation = c.report.isolation;
            if (!c.ok()) return compile_error(grade, c, compile);
            objects[file] = object;
            // Written aside, then renamed: another job may read the cache at the same moment.
            fs::create_directories(out_ / "objects", error);
            const std::string aside = fmt::format(
                ".{}.{}", ::getpid(), std::hash<std::thread::id>{}(std::this_thread::get_id()));
            write_file(cached_inputs.string() + aside, inputs);
            fs::rename(cached_inputs.string() + aside, cached_inputs, error);
            if (fs::copy_file(object, cached.string() + aside, fs::copy_options::overwrite_existing,
                              error))
                fs::rename(cached.string() + aside, cached, error);
        }
        // Each of the student's programs: the objects of its files, and for a unit lesson the
        // driver's, linked with the libraries it needs. The tests were built once, beforehand, and
        // never hold student code.
        std::vector<fs::path> linked;
        for (const Program& program : lesson.programs) {
            linked.push_back(scratch / program.name);
            std::vector<std::string> link{r.compiler};
            for (const std::string& file : program.files)
                if (objects.contains(file)) link.push_back(objects.at(file));
            link.insert(link.end(), r.program_objects.begin(), r.program_objects.end());
            link.insert(link.end(), r.program_flags.begin(), r.program_flags.end());
            link.insert(link.end(), r.program_libraries.begin(), r.program_libraries.end());
            link.insert(link.end(), {"-o", linked.back().string()});
            need_space(compile);
            const Confined c = sandbox_.run(
                scratch, runs / (lesson.programs.size() == 1 ? "link" : "link-" + program.name),
                read_only, compile, {}, link, false);
            isolation = c.report.isolation;  // also when every object came from the cache
            if (!c.ok()) return compile_error(grade, c, compile);
        }

        // Test: each test case on its own, in its own sandbox, with its own limits. The program
        // just linked is mounted read-only over itself for the runs: one test case could otherwise
        // replace it (unlink, rename a file over it) with one that fakes the facts every later case
        // checks. A file mounted over cannot be written, chmod-ed, unlinked, renamed over or
        // hard-linked (EROFS, EBUSY, EXDEV), even from a namespace of the program's own, where the
        // mount is locked (tests/grading/hostile/replace-test-binary tries). With --unsafe nothing
        // is mounted.
        grade.status = "graded";
        std::vector<fs::path> run_read_only = read_only;
        run_read_only.insert(run_read_only.end(), linked.begin(), linked.end());
        if (!plan.extra_binary.empty()) run_read_only.push_back(plan.extra_binary);
        const std::string tests = r.tests_binary;
        // The tests find each program by its variable (probe::program_path), a lesson's only
        // program also by WORKBOOK_PROGRAM (probe::program_under_test).
        std::vector<std::string> env = lesson.program_variables(scratch);
        env.push_back("WORKBOOK_RECORDS_FD=3");
        Limits limits;
        limits.wall = std::min(lesson.timeout, case_timeout_);
        limits.cpu = limits.wall;
        limits.address_space_limit = std::find(lesson.sanitizers.begin(), lesson.sanitizers.end(),
                                               "tsan") == lesson.sanitizers.end();
        limits.scratch_writable = false;
        // Every test case of the lesson, until their time in all passes the lesson's budget: a
        // submission that sleeps in every function then costs the budget, not every case's limit.
        double spent = 0;
        int n = 0;
        const auto only = only_cases_.find(student);
        for (const CaseSpec& spec : plan.cases) {
            TestGrade t{spec.name, 0, spec.points, "", "", spec.hidden, 0, spec.id};
            ++n;
            if (only != only_cases_.end() && std::none_of(only->second.begin(), only->second.end(),
                                                          [&](const std::string& start) {
                                                              return spec.name.starts_with(start);
                                                          })) {
                t.status = "not-run";
                t.message = "not run: --only-cases names other test cases of this submission\n";
                grade.tests.push_back(std::move(t));
                continue;
            }
            if (spent >= lesson_budget_) {
                t.status = "not-run";
                t.message = fmt::format(
                    "not run: time budget spent (the test cases before it took {:.0f} s in all; "
                    "a lesson's budget is {:.0f} s)\n",
                    spent, lesson_budget_);
                grade.tests.push_back(std::move(t));
                continue;
            }
            const std::string binary = spec.binary.empty() ? tests : spec.binary;
            // The test case's name on the program's stdin (Catch2's -f): not on its command line,
            // which the student's program could read in /proc/PPID/cmdline.
            const auto started = std::chrono::steady_clock::now();
            const Confined run =
                sandbox_.run(scratch, runs / fmt::format("case-{}", n), run_read_only, limits, env,
                             {binary, "-f", "/dev/stdin", "-r", "workbook"}, true,
                             "\"" + test_spec(spec.name) + "\"\n");
            spent +=
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            // The grader's own failure: the lesson is internal-error, not cached, and grade
            // exits 3.
            if (run.internal()) throw std::runtime_error(run.report.message);
            t.seconds = static_cast<double>(run.report.wall_ms) / 1000.0;
            std::string unfinished;
            const auto records = parse_records(run.records, &unfinished);
            const auto found =
                std::find_if(records.begin(), records.end(),
                             [&](const CaseResult& c) { return c.name == spec.name; });
            if (found != records.end() && found->passed && records.size() == 1) {
                t.status = "passed";
                t.points = spec.points;
            } else if (found != records.end()) {
                t.status = "failed";
                t.message = Ui{}.case_details(*found);
            } else {
                t.status = status_of(run);
                t.message = run.report.message.empty()
                                ? fmt::format("the test program ended: {}",
                                              json(run.report.outcome).get<std::string>())
                                : run.report.message;
                const std::string tail =
                    run.err.size() > 2000 ? run.err.substr(run.err.size() - 2000) : run.err;
                if (!tail.empty()) t.message += "\nIts last output on stderr:\n" + indent(tail, 2);
            }
            grade.points += t.points;
            grade.tests.push_back(std::move(t));
        }
    }

    // The paths stay whole here; the feedback names them as the student knows them (paths_for).
    void compile_error(LessonGrade& grade, const Confined& c, const Limits& compile) const {
        // The grader's own failures (a sandbox that failed, a compile stopped by a full disk) are
        // no fault of the student's: internal-error, not cached, and grade exits 3.
        if (c.internal()) throw std::runtime_error(c.report.message);
        if (const std::uint64_t free = free_mib(out_);
            free < static_cast<std::uint64_t>(compile.fsize_mib))
            throw std::runtime_error(
                fmt::format("the disk of {} is full ({} MiB free)", out_.string(), free));
        grade.status = "compile-error";
        std::string log = trim_build_log(c.out + c.err, {}, 30);
        if (c.report.outcome != sandbox::Outcome::exit && !c.ok()) log += c.report.message + "\n";
        grade.message = log;
    }

    // A compile or link may write up to compile.fsize_mib MiB: with less than twice that free,
    // the grader stops grading instead of blaming the student for a compile it could not finish.
    void need_space(const Limits& compile) const {
        const std::uint64_t free = free_mib(out_),
                            need = 2 * static_cast<std::uint64_t>(compile.fsize_mib);
        if (free < need)
            throw std::runtime_error(
                fmt::format("only {} MiB free on the disk of {}; grading needs {} MiB", free,
                            out_.string(), need));
    }

    // Where a student's lesson is compiled and run (the sandbox's scratch), and the sandbox's
    // files.
    fs::path scratch_of(const std::string& student, const Lesson& lesson) const {
        return out_ / "work" / student / lesson.slug;
    }
    fs::path runs_of(const std::string& student, const Lesson& lesson) const {
        return out_ / "work" / student / (lesson.slug + ".runs");
    }

    fs::path root_, out_;
    Sandbox sandbox_;
    std::vector<LessonPlan> plans_;
    std::string version_;
    int case_timeout_;
    double lesson_budget_;
    std::vector<PathName> machine_paths_;
    std::map<std::string, std::vector<std::string>> only_cases_;  // --only-cases
};

// ---- reports -----------------------------------------------------------------------------------

// What a student may read of a grade: every message without the paths of the grading machine.
StudentGrade for_student(StudentGrade s, const std::vector<PathName>& names) {
    for (LessonGrade& l : s.lessons) {
        l.message = escape_bytes(relative_paths(l.message, names), true);
        for (TestGrade& t : l.tests)
            t.message = escape_bytes(relative_paths(t.message, names), true);
    }
    return s;
}

std::string feedback_markdown(const StudentGrade& s) {
    std::string md =
        fmt::format("# Feedback for {}\n\nTotal: **{} / {}** points.", s.name, s.total(), s.max());
    if (s.isolation.starts_with("none")) md += " Graded **without isolation** (unconfined).";
    md += "\n\n| Lesson | Points | Status |\n| --- | --- | --- |\n";
    for (const LessonGrade& l : s.lessons)
        md += fmt::format("| {} | {} / {} | {} |\n", l.slug, l.points, l.max, l.status);
    for (const LessonGrade& l : s.lessons) {
        md += fmt::format("\n## {} — {} / {}\n\n", l.slug, l.points, l.max);
        if (l.status == "missing") md += "Not submitted:\n\n" + code_block(l.message);
        if (l.status == "compile-error")
            md += "Does not compile; the compiler says:\n\n" + code_block(l.message);
        if (l.status == "internal-error")
            md += "The grader failed here (not your fault):\n\n" + code_block(l.message);
        for (const TestGrade& t : l.tests) {
            md += fmt::format("- {} {} ({} / {}){}{}\n", t.status == "passed" ? "✓" : "✗", t.name,
                              t.points, t.max,
                              t.status == "passed" || t.status == "failed" ? "" : " — " + t.status,
                              t.hidden ? " (hidden test)" : "");
        }
        for (const TestGrade& t : l.tests) {
            if (t.status == "passed") continue;
            md += fmt::format("\n### ✗ {} ({})\n\n{}", t.name, t.status, code_block(t.shown()));
        }
    }
    return md;
}

json gradescope_results(const StudentGrade& s, double seconds) {
    json tests = json::array();
    int lesson_number = 0;
    for (const LessonGrade& l : s.lessons) {
        ++lesson_number;
        if (l.tests.empty()) {
            tests.push_back({{"name", fmt::format("{}: {}", l.slug, l.status)},
                             {"number", std::to_string(lesson_number)},
                             {"score", 0},
                             {"max_score", l.max},
                             {"status", "failed"},
                             {"output", l.message},
                             {"tags", {l.slug}},
                             {"visibility", "visible"}});
            continue;
        }
        int case_number = 0;
        for (const TestGrade& t : l.tests)
            tests.push_back({{"name", fmt::format("{}: {}", l.slug, t.name)},
                             {"number", fmt::format("{}.{}", lesson_number, ++case_number)},
                             {"score", t.points},
                             {"max_score", t.max},
                             {"status", t.status == "passed" ? "passed" : "failed"},
                             {"output", t.status == "passed" ? "" : t.status + "\n" + t.shown()},
                             {"tags", {l.slug}},
                             {"visibility", "visible"}});
    }
    return {{"score", s.total()},
            {"execution_time", static_cast<int>(seconds)},
            {"output", fmt::format("{} / {} points", s.total(), s.max())},
            {"visibility", "visible"},
            {"stdout_visibility", "hidden"},
            {"tests", tests}};
}

std::string junit_xml(const StudentGrade& s) {
    std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    xml += fmt::format("<testsuites name=\"{}\">\n", xml_escape(s.name));
    for (const LessonGrade& l : s.lessons) {
        const auto failed = std::count_if(l.tests.begin(), l.tests.end(),
                                          [](const TestGrade& t) { return t.status != "passed"; });
        xml += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n",
                           xml_escape(l.slug), std::max<std::size_t>(l.tests.size(), 1), failed,
                           l.tests.empty() ? 1 : 0);
        if (l.tests.empty())
            xml += fmt::format(
                "    <testcase classname=\"{0}\" name=\"{0}\"><error "
                "message=\"{1}\">{2}</error></testcase>\n",
                xml_escape(l.slug), xml_escape(l.status), xml_escape(l.message));
        for (const TestGrade& t : l.tests) {
            xml += fmt::format("    <testcase classname=\"{}\" name=\"{}\">", xml_escape(l.slug),
                               xml_escape(t.name));
            if (t.status != "passed")
                xml += fmt::format("<failure message=\"{}\">{}</failure>", xml_escape(t.status),
                                   xml_escape(t.shown()));
            xml += "</testcase>\n";
        }
        xml += "  </testsuite>\n";
    }
    return xml + "</testsuites>\n";
}

std::string summary_line(const StudentGrade& s) {
    std::vector<std::string> notes;
    for (const LessonGrade& l : s.lessons)
        if (l.status != "graded")
            notes.push_back(fmt::format("{} {}", l.slug.substr(0, l.slug.find('-')), l.status));
    return notes.empty() ? "graded" : fmt::format("{}", fmt::join(notes, "; "));
}

// ---- setting up ---------------------------------------------------------------------------------

// A hash of everything that decides a grade besides the student's files.
std::string grader_version(const fs::path& root) {
    std::error_code
        ignore_missing;  // a workbook without one of them (a fixture's) has nothing there
    Hash hash;
    hash.add(grader_format);
    std::vector<fs::path> files{root / "lessons" / "manifest.json"};
    for (const char* dir : {"tests", "support", "starter", "cmake", "tools"})
        for (const auto& e : fs::recursive_directory_iterator(
                 root / dir, fs::directory_options::none, ignore_missing))
            if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
        const fs::path relative = f.lexically_relative(root);
        hash.add(relative.string());
        const bool test_source = *relative.begin() == "tests" && f.extension() == ".cpp";
        hash.add(test_source ? without_titles(read_file(f)) : read_file(f));
    }
    return hash.hex();
}

// The teacher's extra tests, as part of what a cached grade must match.
std::string extra_version(const fs::path& extra) {
    if (extra.empty() || !fs::is_directory(extra)) return "none";
    Hash hash;
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(extra))
        if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
        hash.add(f.lexically_relative(extra).string());
        hash.add(read_file(f));
    }
    return hash.hex();
}

// A submission is a copy of starter/ or a whole clone of the workbook.
fs::path submitted_tree(const fs::path& dir) {
    if (fs::is_directory(dir / "starter") && fs::exists(dir / "lessons" / "manifest.json"))
        return dir / "starter";
    return dir;
}

// The teacher's own tests for a lesson (EXTRA/NN-slug/*.cpp, Catch2 test cases tagged [pts=N], and
// [hidden] for those whose details the student must not see): compiled once, run once against the
// reference solution to learn their names and points, then graded like the workbook's own.
bool add_extra_tests(LessonPlan& plan, const fs::path& extra, const fs::path& out) {
    const Lesson& lesson = *plan.lesson;
    const Recipe& r = plan.recipe;
    std::vector<fs::path> sources;
    if (fs::is_directory(extra / lesson.slug))
        for (const auto& e : fs::directory_iterator(extra / lesson.slug))
            if (e.path().extension() == ".cpp") sources.push_back(e.path());
    if (sources.empty()) return true;
    std::sort(sources.begin(), sources.end());
    plan.extra_dir = out / "extra" / lesson.slug;
    fs::remove_all(plan.extra_dir);
    fs::create_directories(plan.extra_dir);
    const auto fail = [&](const std::string& what, const CommandResult& result) {
        std::cerr << fmt::format("grade: the extra tests of {} {}:\n{}", lesson.slug, what,
                                 trim_build_log(result.out + result.err, extra));
        return false;
    };
    for (const fs::path& source : sources) {
        std::vector<std::string> argv{r.compiler};
        argv.insert(argv.end(), r.flags.begin(), r.flags.end());
        argv.insert(argv.end(), {"-I" + r.harness_include, "-I" + r.lesson_include});
        for (const std::string& dir : r.include) argv.push_back("-I" + dir);
        const std::string object = (plan.extra_dir / source.stem()).string() + ".o";
        argv.insert(argv.end(), {"-c", source.string(), "-o", object});
        const CommandResult built = run_command(argv, std::chrono::seconds(300));
        if (!built.ok()) return fail("do not compile", built);
        plan.extra_objects.push_back(object);
    }
    // One test program with the workbook's tests and the extra ones, run for every test case of the
    // lesson: a program under test that looks at its parent (/proc/PPID/cmdline) sees the same
    // program whichever case runs, so it cannot tell a teacher's test from the workbook's.
    const fs::path binary = plan.extra_dir / "tests";
    std::vector<std::string> link{r.compiler};
    link.insert(link.end(), plan.extra_objects.begin(), plan.extra_objects.end());
    link.insert(link.end(), r.test_objects.begin(), r.test_objects.end());
    link.insert(link.end(), r.main_objects.begin(), r.main_objects.end());
    link.insert(link.end(), r.test_libraries.begin(), r.test_libraries.end());
    link.insert(link.end(), {"-o", binary.string()});
    const CommandResult linked = run_command(link, std::chrono::seconds(300));
    if (!linked.ok()) return fail("do not link", linked);

    // Only the extra test cases are run against the reference: the workbook's were, already.
    std::set<std::string> known;
    for (const CaseSpec& c : plan.cases) known.insert(c.name);
    const CommandResult listing =
        run_command({binary.string(), "--list-test-names-only"}, std::chrono::seconds(60));
    std::string wanted;
    std::istringstream names(listing.out);
    for (std::string name; std::getline(names, name);)
        if (!name.empty() && !known.contains(name)) wanted += "\"" + test_spec(name) + "\"\n";
    // Catch2 2 exits with the number of test cases listed: only a crash or a time-out is a failure.
    if (!listing.started || listing.timed_out || listing.signaled || listing.out.empty())
        return fail("could not be listed (two test cases with the same name?)", listing);
    if (wanted.empty()) return fail("hold no test case of their own", listing);
    const fs::path spec = plan.extra_dir / "extra-cases.txt";
    write_file(spec, wanted);
    const fs::path records = plan.extra_dir / "reference.jsonl";
    const CommandResult run = [&] {
        const ScopedVariables programs(lesson.program_variables(r.reference_programs));
        return run_command(
            {binary.string(), "-f", spec.string(), "-r", "workbook", "--out", records.string()},
            std::chrono::seconds(lesson.timeout));
    }();
    std::string unfinished;
    const auto cases = parse_records(read_file(records), &unfinished);
    int hidden_cases = 0, points = 0;
    for (const CaseResult& c : cases) {
        if (known.contains(c.name)) continue;
        if (!c.passed)
            std::cerr << fmt::format(
                "grade: warning: the extra test \"{}\" of {} fails on the reference "
                "solution\n",
                c.name, lesson.slug);
        const bool hidden = std::find(c.tags.begin(), c.tags.end(), "hidden") != c.tags.end();
        hidden_cases += hidden;
        points += c.points;
        plan.cases.push_back({c.name, c.points, hidden, binary.string(), c.id});
    }
    if (cases.empty()) return fail("did not run", run);
    for (CaseSpec& c : plan.cases) c.binary = binary.string();
    std::cout << fmt::format("Extra tests of {}: {} test case{} ({} hidden), {} point{}.\n",
                             lesson.slug, cases.size(), cases.size() == 1 ? "" : "s", hidden_cases,
                             points, points == 1 ? "" : "s")
              << std::flush;
    // Executable, not readable: see LessonPlan::extra_binary.
    fs::permissions(binary, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec);
    plan.extra_binary = binary;
    return true;
}

}  // namespace

int cmd_grade(const fs::path& root, const Manifest& manifest, const Ui& ui,
              const GradeOptions& options) {
    const auto started = std::chrono::steady_clock::now();
    if (!fs::is_directory(options.submissions)) {
        std::cerr << fmt::format("grade: {} is not a folder of submissions\n",
                                 options.submissions.string());
        return 2;
    }
    std::vector<const Lesson*> lessons;
    for (const std::string& key : options.lessons) {
        const Lesson* lesson = manifest.find(key);
        if (!lesson) {
            std::cerr << fmt::format("grade: there is no lesson '{}'\n", key);
            return 2;
        }
        lessons.push_back(lesson);
    }
    if (lessons.empty())
        for (const Lesson& lesson : manifest.lessons) lessons.push_back(&lesson);

    // --only-cases: {"submission": ["test case name or its start", ...]}.
    std::map<std::string, std::vector<std::string>> only_cases;
    if (!options.only_cases.empty()) {
        try {
            only_cases = json::parse(read_file(options.only_cases))
                             .get<std::map<std::string, std::vector<std::string>>>();
        } catch (const json::exception& e) {
            std::cerr << fmt::format(
                "grade: --only-cases {}: expected a JSON object of submission names, each with a "
                "list of test case names ({})\n",
                options.only_cases.string(), e.what());
            return 2;
        }
    }

    // The teacher's extra tests: a folder of lesson folders. A mistyped path or folder name would
    // otherwise grade without them and say nothing.
    if (!options.extra_tests.empty()) {
        if (!fs::is_directory(options.extra_tests)) {
            std::cerr << fmt::format("grade: --extra-tests {}: not a folder\n",
                                     options.extra_tests.string());
            return 2;
        }
        for (const auto& entry : fs::directory_iterator(options.extra_tests)) {
            if (!entry.is_directory()) continue;
            const std::string name = entry.path().filename().string();
            const bool lesson_folder = std::any_of(manifest.lessons.begin(), manifest.lessons.end(),
                                                   [&](const Lesson& l) { return l.slug == name; });
            if (!lesson_folder) {
                std::cerr << fmt::format(
                    "grade: --extra-tests {}: the folder {}/ is named after no lesson (name it "
                    "after a lesson's folder, such as {}/)\n",
                    options.extra_tests.string(), name, manifest.lessons.front().slug);
                return 2;
            }
        }
    }

    // Build the tests, the harness and the reference solutions once (nothing, when they are built).
    std::cout << "Building the tests (once) ..." << std::endl;
    const fs::path build_dir = options.build.empty() ? root / "build" / "grade" : options.build;
    const BuildTree build{root, root / "solutions", build_dir, ""};
    if (auto failure = configure(build)) {
        std::cerr << "grade: CMake could not configure the grader's build:\n"
                  << failure->out << failure->err;
        return 2;
    }
    const CommandResult built =
        run_command({"cmake", "--build", build.build.string()}, std::chrono::seconds(1800));
    if (!built.ok()) {
        std::cerr << "grade: the workbook itself does not build:\n"
                  << trim_build_log(built.out + built.err, root);
        return 2;
    }
    const fs::path sandbox_binary = build.build / "bin" / "workbook-sandbox";
    if (!fs::exists(sandbox_binary)) {
        std::cerr << "grade: the sandbox was not built (" << sandbox_binary.string() << ")\n";
        return 2;
    }
    if (!options.unsafe) {
        const CommandResult doctor =
            run_command({sandbox_binary.string(), "--doctor", "--json"}, std::chrono::seconds(30));
        const json j = json::parse(doctor.out, nullptr, false);
        if (!doctor.ok() || !j.is_object() || j.value("isolation_available", "none") == "none") {
            std::cerr << "grade: this machine offers no isolation for untrusted code (./workbook "
                         "doctor says why).\n"
                         "Run as root, or enable user namespaces; or pass --unsafe to grade "
                         "without isolation\n"
                         "(every result is then marked unconfined).\n";
            return 2;
        }
    }

    // Without namespaces the sandbox still runs student code as the user nobody, in the real file
    // system: every folder on the way to the workbook and to --out must let others through, or
    // every compile would fail and be blamed on the students.
    if (options.unsafe && ::geteuid() == 0) {
        for (const fs::path& place : {root, options.out.parent_path()}) {
            for (fs::path p = place; !p.empty() && p != p.root_path(); p = p.parent_path()) {
                struct stat st {};
                if (::stat(p.c_str(), &st) == 0 && !(st.st_mode & S_IXOTH)) {
                    std::cerr << fmt::format(
                        "grade: with --unsafe, student code runs as the user nobody, which cannot "
                        "enter {}.\n"
                        "Let others through (chmod o+x {}) or move the workbook and --out "
                        "elsewhere.\n",
                        p.string(), p.string());
                    return 2;
                }
            }
        }
    }

    // The test cases and their points come from a run of the reference solutions: trusted code.
    std::vector<LessonPlan> plans;
    for (const Lesson* lesson : lessons) {
        LessonPlan plan{lesson, load_recipe(build.build / "grading" / (lesson->slug + ".recipe")),
                        {},     {},
                        {},     {}};
        const LessonResult reference = run_lesson(build, *lesson);
        if (reference.verdict != Verdict::passed) {
            std::cerr << fmt::format(
                "grade: the reference solution of {} does not pass its tests; "
                "run ./workbook verify.\n",
                lesson->slug);
            return 2;
        }
        for (const CaseResult& c : reference.cases)
            plan.cases.push_back({c.name, c.points, false, "", c.id});
        if (!options.extra_tests.empty() &&
            !add_extra_tests(plan, options.extra_tests, options.out))
            return 2;
        plans.push_back(std::move(plan));
    }

    struct Submission {
        std::string name;  // as shown (shown_name)
        fs::path folder;   // students/NAME as it is on disk
        fs::path tree;     // the folder, or a clone's starter/
    };
    std::vector<Submission> students;
    for (const auto& entry : fs::directory_iterator(options.submissions)) {
        if (entry.is_symlink() || !entry.is_directory()) continue;
        students.push_back({shown_name(entry.path().filename().string()), entry.path(),
                            submitted_tree(entry.path())});
    }
    std::sort(students.begin(), students.end(),
              [](const Submission& a, const Submission& b) { return a.name < b.name; });
    std::cout << fmt::format("Grading {} submission{}, {} at a time{}.", students.size(),
                             students.size() == 1 ? "" : "s", options.jobs,
                             options.unsafe ? ", WITHOUT isolation (--unsafe)" : "")
              << std::endl;

    // The feedback names no folder of this machine: the workbook's files relative to it, the others
    // by what they are (Grader::paths_for adds each student's own).
    std::vector<PathName> machine_paths;
    add_path_name(machine_paths, root, "");
    const std::string build_in_root = build.build.lexically_relative(root).string();
    add_path_name(
        machine_paths, build.build,
        build_in_root.empty() || build_in_root.starts_with("..") ? "build" : build_in_root);
    if (!options.extra_tests.empty())
        add_path_name(machine_paths, options.extra_tests, "extra-tests");
    add_path_name(machine_paths, options.submissions, "submissions");
    add_path_name(machine_paths, options.out, "grades");
    Grader grader(
        root, options.out, Sandbox(sandbox_binary, options.unsafe), std::move(plans),
        // Options that change a grade are part of what a cached grade must match.
        fmt::format("{}|unsafe={}|case-timeout={}|lesson-budget={}|extra={}|only={}",
                    grader_version(root), options.unsafe, options.case_timeout,
                    options.lesson_budget, extra_version(options.extra_tests),
                    json(only_cases).dump()),
        std::max(1, options.case_timeout),
        options.lesson_budget > 0 ? options.lesson_budget : std::numeric_limits<double>::infinity(),
        machine_paths, only_cases);
    std::vector<StudentGrade> grades(students.size());
    std::atomic<std::size_t> next{0};
    std::mutex print;
    std::vector<std::string>
        failures;  // the grader's own: files it could not write (under `print`)
    {
        std::vector<std::jthread> workers;
        for (int w = 0; w < std::max(1, options.jobs); ++w) {
            workers.emplace_back([&] {
                for (std::size_t i; (i = next++) < students.size();) {
                    const auto& [name, folder, tree] = students[i];
                    const auto t0 = std::chrono::steady_clock::now();
                    try {
                        grades[i] = grader.grade(name, folder, tree);
                    } catch (const std::exception& e) {
                        grades[i] = grader.failed(name, e.what());
                    }
                    const double seconds =
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
                            .count();
                    const StudentGrade s = for_student(grades[i], grader.paths_for(name, tree));
                    const fs::path dir = options.out / "students" / name;
                    std::string unwritten;
                    try {
                        write_file(dir / "feedback.md", feedback_markdown(s));
                        write_file(
                            dir / "results.json",
                            json_text(gradescope_results(s, s.seconds > 0 ? s.seconds : seconds)));
                        write_file(dir / "junit.xml", junit_xml(s));
                    } catch (const std::exception& e) {
                        unwritten = e.what();
                    }
                    std::lock_guard lock(print);
                    if (!unwritten.empty())
                        failures.push_back(fmt::format("{}: {}", name, unwritten));
                    std::cout << fmt::format("{} {:<24} {:>4} / {:<4} {} {}\n",
                                             s.total() == s.max() ? ui.ok() : ui.fail(), name,
                                             s.total(), s.max(), summary_line(s),
                                             ui.dim(fmt::format("({:.1f} s)", seconds)))
                              << std::flush;
                }
            });
        }
    }

    // The gradebook: one row per student, one column per lesson, in a stable order.
    std::string csv = "student";
    for (const Lesson* lesson : lessons) csv += "," + lesson->slug;
    csv += ",total,max,status,isolation\n";
    json book = json::array();
    for (const StudentGrade& s : grades) {
        csv += csv_field(s.name);
        for (const LessonGrade& l : s.lessons) csv += fmt::format(",{}", l.points);
        csv += fmt::format(",{},{},{},{}\n", s.total(), s.max(), csv_field(summary_line(s)),
                           csv_field(s.isolation));
        book.push_back(to_json(s));
    }
    try {
        write_file(options.out / "gradebook.csv", csv);
        write_file(options.out / "gradebook.json",
                   json_text(json{
                       {"grader", grader_format}, {"unsafe", options.unsafe}, {"students", book}}));
    } catch (const std::exception& e) {
        failures.push_back(fmt::format("the gradebook: {}", e.what()));
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::cout << fmt::format(
        "\nGradebook: {} ({} student{}, {:.0f} s). Feedback per student in {}.\n",
        (options.out / "gradebook.csv").string(), grades.size(), grades.size() == 1 ? "" : "s",
        seconds, (options.out / "students").string());
    // The grader's own failures: a grade it could not finish or a file it could not write. Those
    // grades are not cached; a run of grade after the cause is fixed grades them again.
    for (const StudentGrade& s : grades)
        for (const LessonGrade& l : s.lessons)
            if (l.status == "internal-error")
                failures.push_back(fmt::format("{}: {}: {}", s.name, l.slug, l.message));
    if (!failures.empty()) {
        std::cerr << fmt::format(
            "\ngrade: {} grade(s) or file(s) failed through the grader, not the students "
            "(not cached: run grade again once the cause is fixed):\n",
            failures.size());
        for (const std::string& f : failures)
            std::cerr << "  " << escape_bytes(f.substr(0, 500), false) << "\n";
        return 3;
    }
    return 0;
}

}  // namespace workbook
