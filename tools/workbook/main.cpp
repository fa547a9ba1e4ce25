// ./workbook: the one entry point for students and maintainers. The shell script of that name sets
// the machine up and builds this program; this program builds the lessons, runs their tests and
// says what to do next. See docs/how-it-works.md.
#include "export.hpp"
#include "files.hpp"
#include "grade.hpp"
#include "manifest.hpp"
#include "results.hpp"
#include "scaffold.hpp"
#include "state.hpp"
#include "ui.hpp"
#include "verify.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

namespace fs = std::filesystem;
using namespace workbook;

namespace {

struct Context {
    fs::path root;
    BuildTree student;
    Manifest manifest;
    State state;
    fs::path state_file;
    Ui ui;

    // A path as the student should type it: relative to the checkout when inside it.
    std::string shown(const fs::path& p) const {
        const fs::path rel = p.lexically_relative(root);
        return !rel.empty() && *rel.begin() != ".." ? rel.string() : p.string();
    }
    // The file the first failure names ("... TODO 4 in starter/07-framing/frames.cpp", a
    // program's "not written yet" line), else the lesson's first file.
    fs::path file_to_edit(const Lesson& lesson, const LessonResult* result = nullptr) const {
        if (result)
            for (const CaseResult& c : result->cases)
                for (const CaseFailure& f : c.failures)
                    for (const std::string& text : {f.message + f.expanded, c.transcript})
                        for (const std::string& file : lesson.files)
                            if (text.find(lesson.slug + "/" + file) != std::string::npos)
                                return student.tree / lesson.slug / file;
        return student.tree / lesson.slug / lesson.files.front();
    }
    const Lesson* current() const {
        for (const Lesson& lesson : manifest.lessons)
            if (!state.passed.contains(lesson.slug)) return &lesson;
        return nullptr;
    }
    void save() const { state.save(state_file); }
};

const Lesson& lesson_or_exit(const Context& ctx, const std::string& key) {
    if (const Lesson* lesson = ctx.manifest.find(key)) return *lesson;
    std::cerr << fmt::format("There is no lesson '{}'. The lessons are:\n", key);
    for (const Lesson& lesson : ctx.manifest.lessons)
        std::cerr << fmt::format("  {}  {}\n", lesson.slug, lesson.title);
    std::exit(2);
}

bool configured(const Context& ctx) {
    if (auto failure = configure(ctx.student)) {
        std::cerr << ctx.ui.red("CMake could not configure the build:") << "\n"
                  << indent(failure->out + failure->err, 2);
        return false;
    }
    return true;
}

// What to do after a lesson did not pass.
std::string next_step(const Context& ctx, const Lesson& lesson, const LessonResult& result) {
    const std::string file = ctx.shown(ctx.file_to_edit(lesson, &result));
    const int seen =
        ctx.state.hints_shown.contains(lesson.slug) ? ctx.state.hints_shown.at(lesson.slug) : 0;
    std::string out;
    if (result.verdict == Verdict::build_failed && result.workbook_fault)
        out +=
            "These errors are not in your files: the workbook's own code did not build. "
            "Please report it, with the output above.\n";
    else if (result.verdict == Verdict::build_failed)
        out += fmt::format("Next: fix the compile errors in {}, then run ./workbook again.\n",
                           ctx.ui.bold(file));
    else
        out += fmt::format(
            "Next: edit {}, then run ./workbook again (./workbook watch re-runs on every save).\n",
            ctx.ui.bold(file));
    out += fmt::format(
        "The lesson: lessons/{}/README.md.  Stuck? ./workbook hint {} ({} of {} hints seen).\n",
        lesson.slug, lesson.number(), std::min<int>(seen, lesson.hints.size()),
        lesson.hints.size());
    return out;
}

LessonResult test_one(Context& ctx, const Lesson& lesson) {
    LessonResult result = run_lesson(ctx.student, lesson);
    if (result.verdict == Verdict::passed)
        ctx.state.passed.insert(lesson.slug);
    else
        ctx.state.passed.erase(lesson.slug);
    ctx.save();
    return result;
}

// ./workbook: every lesson in order until the first that does not pass.
int cmd_progress(Context& ctx) {
    if (!configured(ctx)) return 2;
    for (const Lesson& lesson : ctx.manifest.lessons) {
        const LessonResult result = test_one(ctx, lesson);
        std::cout << ctx.ui.lesson_line(lesson, result) << std::flush;
        if (result.verdict == Verdict::passed) continue;
        std::cout << "\n" << ctx.ui.lesson_details(result, /*all_failures=*/false) << "\n";
        std::cout << ctx.ui.progress(ctx.state.passed.size(), ctx.manifest.lessons.size())
                  << next_step(ctx, lesson, result);
        return 1;
    }
    std::cout << "\n"
              << ctx.ui.progress(ctx.manifest.lessons.size(), ctx.manifest.lessons.size())
              << "Every lesson passes. Well done!\n";
    return 0;
}

int cmd_test(Context& ctx, const std::string& key) {
    const Lesson& lesson = lesson_or_exit(ctx, key);
    if (!configured(ctx)) return 2;
    const LessonResult result = test_one(ctx, lesson);
    std::cout << ctx.ui.lesson_line(lesson, result) << "\n"
              << ctx.ui.lesson_details(result, /*all_failures=*/true);
    if (result.verdict == Verdict::passed) {
        std::cout << fmt::format("\nLesson {} passes ({} points).\n", lesson.slug, result.points);
        return 0;
    }
    std::cout << "\n" << next_step(ctx, lesson, result);
    return 1;
}

int cmd_list(Context& ctx) {
    const Lesson* current = ctx.current();
    for (const Lesson& lesson : ctx.manifest.lessons) {
        const bool passed = ctx.state.passed.contains(lesson.slug);
        const std::string mark = passed               ? ctx.ui.ok()
                                 : &lesson == current ? ctx.ui.yellow("▶")
                                                      : " ";
        std::cout << fmt::format("{} {:<20} {:<7} {:>3} pts  {}\n", mark, lesson.slug, lesson.kind,
                                 lesson.points, lesson.title);
    }
    std::cout << "\n" << ctx.ui.progress(ctx.state.passed.size(), ctx.manifest.lessons.size());
    std::cout << ctx.ui.dim("(as of the last run: ./workbook checks them again)") << "\n";
    return 0;
}

int cmd_hint(Context& ctx, const std::string& key) {
    const Lesson* lesson = key.empty() ? ctx.current() : &lesson_or_exit(ctx, key);
    if (!lesson) {
        std::cout << "Every lesson passes: no hint needed. Name one to see its hints: ./workbook "
                     "hint 02\n";
        return 0;
    }
    if (lesson->hints.empty()) {
        std::cout << fmt::format("Lesson {} has no hints; its README is lessons/{}/README.md.\n",
                                 lesson->slug, lesson->slug);
        return 0;
    }
    int& seen = ctx.state.hints_shown[lesson->slug];
    const int total = static_cast<int>(lesson->hints.size());
    const int index = std::min(seen, total - 1);
    const Hint& hint = lesson->hints[index];
    std::cout << ctx.ui.bold(fmt::format("Hint {} of {} for {}: {}", index + 1, total, lesson->slug,
                                         hint.title))
              << "\n"
              << indent(hint.text, 2);
    if (index + 1 < total)
        std::cout << ctx.ui.dim(fmt::format("Run ./workbook hint {} again for a more specific one.",
                                            lesson->number()))
                  << "\n";
    else
        std::cout << ctx.ui.dim(fmt::format("That was the last hint. The pitfalls in "
                                            "lessons/{}/README.md cover the usual traps.",
                                            lesson->slug))
                  << "\n";
    seen = std::min(seen + 1, total);
    ctx.save();
    return 0;
}

// The pristine starter comes from the workbook as cloned: the upstream branch if there is one.
std::optional<std::string> pristine_ref(const fs::path& root) {
    for (const char* ref : {"origin/HEAD", "origin/main", "HEAD"}) {
        const CommandResult r =
            run_command({"git", "-C", root.string(), "rev-parse", "--verify", "-q", ref},
                        std::chrono::seconds(10));
        if (r.ok()) return std::string(ref);
    }
    return std::nullopt;
}

int cmd_reset(Context& ctx, const std::string& key) {
    const Lesson& lesson = lesson_or_exit(ctx, key);
    if (ctx.student.tree != ctx.root / "starter") {
        std::cerr << "reset restores files of starter/ only.\n";
        return 2;
    }
    const auto ref = pristine_ref(ctx.root);
    if (!ref) {
        std::cerr
            << "reset needs the git history of the workbook (this folder is not a git clone).\n";
        return 2;
    }
    const std::string stamp = fmt::format("{:%Y%m%d-%H%M%S}", fmt::localtime(std::time(nullptr)));
    for (const std::string& name : lesson.files) {
        const std::string path = fmt::format("starter/{}/{}", lesson.slug, name);
        const CommandResult pristine =
            run_command({"git", "-C", ctx.root.string(), "show", fmt::format("{}:{}", *ref, path)},
                        std::chrono::seconds(10));
        if (!pristine.ok()) {
            std::cerr << fmt::format("Could not read {} from git ({}): {}", path, *ref,
                                     pristine.err);
            return 1;
        }
        const fs::path file = ctx.root / path;
        if (fs::exists(file)) {
            const fs::path backup =
                ctx.root / ".workbook" / "backup" / lesson.slug / (name + "." + stamp);
            fs::create_directories(backup.parent_path());
            fs::copy_file(file, backup, fs::copy_options::overwrite_existing);
            std::cout << fmt::format("Your version is saved as {}\n", ctx.shown(backup));
        }
        write_file(file, pristine.out);
        std::cout << fmt::format("Restored {} as the workbook ships it ({}).\n", path, *ref);
    }
    ctx.state.passed.erase(lesson.slug);
    ctx.save();
    return 0;
}

int cmd_run(Context& ctx, const std::string& key, const std::vector<std::string>& args) {
    const Lesson& lesson = lesson_or_exit(ctx, key);
    // A lesson with several programs is told which first: run 09 client -- --port 5000.
    std::vector<std::string> rest = args;
    const Program* chosen = lesson.programs.size() == 1 ? &lesson.programs.front() : nullptr;
    if (chosen == nullptr && !rest.empty() && (chosen = lesson.program(rest.front())))
        rest.erase(rest.begin());
    if (chosen == nullptr) {
        std::vector<std::string> names;
        for (const Program& p : lesson.programs) names.push_back(p.name);
        std::cerr << fmt::format(
            "Lesson {} has {} programs: {}. Say which one to run, as in\n  ./workbook run {} {} -- "
            "--help\n",
            lesson.number(), names.size(), fmt::join(names, ", "), lesson.number(), names.front());
        return 2;
    }
    const Program& program = *chosen;
    if (!configured(ctx)) return 2;
    const CommandResult build = run_command({"cmake", "--build", ctx.student.build.string(),
                                             "--target", lesson.slug + "-" + program.name},
                                            std::chrono::seconds(300));
    if (!build.ok()) {
        std::cout << ctx.ui.bold("The compiler says:") << "\n"
                  << indent(trim_build_log(build.out + build.err, ctx.root), 2);
        return 1;
    }
    const fs::path path = lesson.program_binary(ctx.student.build, program.name);
    std::vector<char*> argv{const_cast<char*>(path.c_str())};
    for (const std::string& arg : rest) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    if (lesson.kind == "unit")
        std::cerr << ctx.ui.dim(fmt::format(
                         "(lesson {}'s driver: the workbook's main() around your code, the "
                         "program its tests run; --help says what it does)",
                         lesson.number()))
                  << "\n";
    else if (!program.options.empty())
        std::cerr << ctx.ui.dim(fmt::format("(usage: {} {})", program.name,
                                            fmt::join(program.options, " ")))
                  << "\n";
    std::cerr << ctx.ui.dim(fmt::format("$ {} {}", ctx.shown(path), fmt::join(rest, " "))) << "\n";
    ::execv(path.c_str(), argv.data());
    std::cerr << fmt::format("Could not start {}: {}\n", path.string(), std::strerror(errno));
    return 1;
}

// Waits until a file in `dir` changes, or a command line arrives on stdin. Uses inotify, or checks
// the files' modification times once a second where inotify is not available (some network and
// WSL-mounted folders), or when WORKBOOK_WATCH_POLL is set.
struct Watcher {
    fs::path dir;
    int inotify = -1;
    bool stdin_open = true;

    explicit Watcher(fs::path d) : dir(std::move(d)) {
        if (!std::getenv("WORKBOOK_WATCH_POLL")) {
            inotify = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
            if (inotify >= 0 &&
                ::inotify_add_watch(inotify, dir.c_str(),
                                    IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE) < 0) {
                ::close(inotify);
                inotify = -1;
            }
        }
    }
    ~Watcher() {
        if (inotify >= 0) ::close(inotify);
    }
    Watcher(const Watcher&) = delete;
    Watcher& operator=(const Watcher&) = delete;

    std::map<fs::path, fs::file_time_type> stamps() const {
        std::map<fs::path, fs::file_time_type> out;
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(dir, ec))
            out[entry.path()] = entry.last_write_time(ec);
        return out;
    }

    // Returns the command typed ("" for a change of file).
    std::string wait() {
        const auto before = stamps();
        for (;;) {
            std::array<pollfd, 2> fds{
                {{stdin_open ? STDIN_FILENO : -1, POLLIN, 0}, {inotify, POLLIN, 0}}};
            const int ready = ::poll(fds.data(), fds.size(), inotify >= 0 ? -1 : 1000);
            if (ready < 0 && errno != EINTR) return "q";
            if (fds[0].revents) {
                std::string line;
                if (!std::getline(std::cin, line)) {
                    stdin_open = false;
                } else if (!line.empty()) {
                    return line.substr(0, 1);
                }
            }
            if (inotify >= 0 && fds[1].revents) {
                // Editors save in bursts (write, rename, chmod): let the burst end, then drain it.
                std::array<char, 4096> buffer;
                while (::poll(&fds[1], 1, 100) > 0 &&
                       ::read(inotify, buffer.data(), buffer.size()) > 0) {
                }
                return "";
            }
            if (inotify < 0 && stamps() != before) return "";
        }
    }
};

int cmd_watch(Context& ctx) {
    if (!configured(ctx)) return 2;
    const auto clear = [&] {
        if (ctx.ui.color) std::cout << "\033[2J\033[H";
    };
    for (;;) {
        clear();
        if (cmd_progress(ctx) == 0) return 0;
        const Lesson* lesson = ctx.current();
        if (!lesson) return 0;
        std::cout << ctx.ui.dim(fmt::format("\nWatching {} — save to re-run.  Type h + Enter for a "
                                            "hint, r to re-run, q to quit.",
                                            ctx.shown(ctx.student.tree / lesson->slug)))
                  << std::endl;
        Watcher watcher(ctx.student.tree / lesson->slug);
        for (;;) {
            const std::string command = watcher.wait();
            if (command == "q") return 1;
            if (command == "h") {
                cmd_hint(ctx, lesson->slug);
                continue;
            }
            if (command == "l") {
                cmd_list(ctx);
                continue;
            }
            break;  // a change, or r
        }
    }
}

// The student edition (see export.hpp): written, then checked for any of solutions/ in it.
int cmd_export_student(const Context& ctx, const std::string& folder) {
    const fs::path to = fs::absolute(folder);
    try {
        const std::size_t written = export_student_edition(ctx.root, ctx.manifest, to);
        const std::vector<Leak> leaks = find_leaks(ctx.root, to);
        if (!leaks.empty()) {
            std::cerr << ctx.ui.red(fmt::format("Do not publish {}: it gives solutions away.",
                                                to.string()))
                      << "\n"
                      << describe_leaks(leaks);
            return 1;
        }
        std::cout << fmt::format(
            "Wrote the student edition to {} ({} files, as a git repository with one commit\n"
            "and the GitHub Classroom workflow in .github/workflows/). No {} lines in a row of\n"
            "solutions/ are in it.\n",
            to.string(), written, leak_window);
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "export-student: " << e.what() << "\n";
        return 2;
    }
}

// The sandbox is part of the workbook's build; its --doctor does the looking.
int cmd_doctor(const Context& ctx) {
    if (!configured(ctx)) return 2;
    const CommandResult build = run_command(
        {"cmake", "--build", ctx.student.build.string(), "--target", "workbook-sandbox"},
        std::chrono::seconds(300));
    if (!build.ok()) {
        std::cerr << trim_build_log(build.out + build.err, ctx.root);
        return 2;
    }
    const fs::path sandbox = ctx.student.build / "bin" / "workbook-sandbox";
    ::execl(sandbox.c_str(), sandbox.c_str(), "--doctor", static_cast<char*>(nullptr));
    std::cerr << fmt::format("Could not start {}: {}\n", sandbox.string(), std::strerror(errno));
    return 2;
}

int cmd_index(const Context& ctx, bool write) {
    if (!write) {
        std::cout << lesson_index(ctx.root, ctx.manifest);
        return 0;
    }
    const fs::path file = ctx.root / "README.md";
    std::string readme = read_file(file);
    if (!replace_index(readme, ctx.root, ctx.manifest)) {
        std::cerr << fmt::format(
            "README.md has no lessons table: put these two lines where it goes:\n{}\n{}\n",
            index_begin, index_end);
        return 1;
    }
    write_file(file, readme);
    std::cout << "README.md: lessons table refreshed.\n";
    return 0;
}

int cmd_new(const Context& ctx, const NewLesson& lesson) {
    std::vector<fs::path> written;
    try {
        written = scaffold_lesson(ctx.root, lesson);
    } catch (const std::runtime_error& e) {
        std::cerr << "workbook new: " << e.what() << "\n";
        return 2;
    }
    std::cout << fmt::format("Lesson {} is laid out; these files are yours to fill in:\n",
                             lesson.slug);
    for (const fs::path& file : written) std::cout << "  " << file.string() << "\n";
    std::cout << fmt::format(
        "Its one test case fails until you write the tests. Next: ./workbook verify --quick says "
        "what\n"
        "is missing; docs/how-it-works.md (\"Adding a lesson\") has every step. ./workbook index "
        "--write\n"
        "adds it to README.md's table.\n");
    return 0;
}

// Which edition this is decides which commands there are, so --root is read before the rest.
fs::path root_before_parsing(int argc, char** argv) {
    CLI::App first;
    first.set_help_flag();
    first.allow_extras();
    std::string root;
    first.add_option("--root", root);
    try {
        first.parse(argc, argv);
    } catch (const CLI::ParseError&) {
    }
    return root.empty() ? fs::current_path() : fs::path(root);
}

}  // namespace

static int workbook_main(int argc, char** argv) {
    CLI::App app{
        "The workbook: sockets, bytes and threads in C++, one graded lesson at a time.\n"
        "Run it with no command to test the lessons in order and see what to do next."};
    app.set_help_all_flag("--help-all", "All commands and their options");
    std::string root_option, tree_option, build_option;
    bool no_color = false;
    app.add_option("--root", root_option, "The workbook's folder (the script passes it)")
        ->group("");
    app.add_option("--tree", tree_option, "Grade this folder instead of starter/")
        ->group("Advanced");
    app.add_option("--build", build_option,
                   "Build folder for --tree, or for grade (default build/grade)")
        ->group("Advanced");
    app.add_flag("--no-color", no_color, "No colours (also: NO_COLOR=1)");

    std::string key;
    std::vector<std::string> run_args;
    VerifyOptions verify_options;
    auto* list = app.add_subcommand("list", "The lessons and where you are");
    auto* test =
        app.add_subcommand("test", "Build and test one lesson, with every failure in full");
    test->add_option("lesson", key, "Number or slug, as in 02 or 02-first-server")->required();
    auto* hint =
        app.add_subcommand("hint", "The next hint for a lesson (default: the current one)");
    hint->add_option("lesson", key, "Number or slug");
    auto* watch = app.add_subcommand("watch", "Re-run the current lesson every time you save");
    auto* reset =
        app.add_subcommand("reset", "Restore a lesson's starter file (yours is backed up)");
    reset->add_option("lesson", key, "Number or slug")->required();
    auto* run = app.add_subcommand("run",
                                   "Build your program for a lesson and run it: run 02 -- --port 0 "
                                   "(a lesson with several: run 09 client -- --port 5000)");
    run->add_option("lesson", key, "Number or slug")->required();
    run->add_option("args", run_args,
                    "The program's name if the lesson has several, then its arguments, after --");
    auto* verify = app.add_subcommand(
        "verify",
        "Maintainers and CI: every solution passes, every starter fails, sanitizers, self-tests");
    verify->add_flag("--quick", verify_options.quick,
                     "Only the layout, the format, the solutions passing and the starters failing "
                     "(no machinery, mutants, sanitizer build or student journey)");
    GradeOptions grade_options;
    std::string grade_lessons;
    auto* grade = app.add_subcommand(
        "grade", "Teachers: grade a folder of submissions, sandboxed, into a gradebook");
    grade
        ->add_option("submissions", grade_options.submissions,
                     "A folder with one folder per student")
        ->required();
    grade->add_option(
        "--out", grade_options.out,
        "Where the gradebook and feedback go (default: grades/ beside the submissions)");
    grade->add_option("--jobs", grade_options.jobs, "Students graded at once")
        ->check(CLI::Range(1, 256))
        ->capture_default_str();
    grade->add_option("--lessons", grade_lessons, "Only these lessons, comma-separated: 01,02");
    grade->add_option("--extra-tests", grade_options.extra_tests,
                      "Your own tests: a folder with NN-slug/*.cpp (Catch2, [pts=N], [hidden])");
    grade->add_flag("--unsafe", grade_options.unsafe,
                    "Grade without isolation (results marked unconfined)");
    grade
        ->add_option("--case-timeout", grade_options.case_timeout,
                     "Seconds of wall and CPU time for one test case, at most (the lesson's own "
                     "limit still applies)")
        ->check(CLI::Range(1, 3600))
        ->capture_default_str();
    grade
        ->add_option("--lesson-budget", grade_options.lesson_budget,
                     "Seconds for all the test cases of one lesson; the cases left then are not "
                     "run (0: no budget)")
        ->check(CLI::Range(0, 86400))
        ->capture_default_str();
    grade
        ->add_option("--only-cases", grade_options.only_cases,
                     "Maintainers: a JSON file {\"submission\": [\"test case name or its start\", "
                     "...]}; only those cases of those submissions run (the mutation corpus)")
        ->check(CLI::ExistingFile);
    auto* doctor = app.add_subcommand(
        "doctor", "Which isolation this machine offers for grading untrusted code");
    std::string export_dir;
    auto* export_student = app.add_subcommand(
        "export-student", "Teachers: write the student edition (no solutions/) to a new folder");
    export_student->add_option("folder", export_dir, "A folder that does not exist yet")
        ->required();
    auto* classroom = app.add_subcommand(
        "classroom", "Teachers: the GitHub Classroom workflow, one graded step per lesson");
    bool write_index = false;
    auto* index = app.add_subcommand(
        "index", "Maintainers: the lessons table for README.md, from the manifest");
    index->add_flag("--write", write_index, "Replace the table in README.md");
    NewLesson new_lesson;
    auto* scaffold = app.add_subcommand(
        "new", "Maintainers: a new lesson in the right shape: new 06-echo-stream --kind server");
    scaffold->add_option("slug", new_lesson.slug, "NN-name, as in 06-echo-stream")->required();
    scaffold->add_option("--kind", new_lesson.kind, "unit, server or client")
        ->required()
        ->check(CLI::IsMember({"unit", "server", "client"}));
    scaffold->add_option("--title", new_lesson.title, "The lesson's title (default: its name)");
    app.require_subcommand(0, 1);
    // The student edition lists none of the teachers' commands, and they only say whose they are.
    const std::vector<CLI::App*> teachers{verify,    grade, doctor,  export_student,
                                          classroom, index, scaffold};
    const bool student_edition = is_student_edition(root_before_parsing(argc, argv));
    if (student_edition)
        for (CLI::App* command : teachers) {
            command->group("");
            command->allow_extras();
            for (CLI::Option* option : command->get_options()) option->required(false);
        }
    // What follows "--" is the program's own command line (run 09 client -- --port 5000 --help):
    // CLI11 never sees it, so that nothing of it is taken for the workbook's options.
    int parsed = argc;
    std::vector<std::string> passthrough;
    for (int i = 1; i < argc; ++i)
        if (std::string_view(argv[i]) == "--") {
            parsed = i;
            passthrough.assign(argv + i + 1, argv + argc);
            break;
        }
    try {
        app.parse(parsed, argv);
        if (parsed < argc && !*run)
            throw CLI::ExtrasError("'--' is for `run`: ./workbook run 02 -- --port 0",
                                   CLI::ExitCodes::ExtrasError);
    } catch (const CLI::ParseError& e) {
        // --help is exit 0; every usage error is 2, as the docs say (CLI11's own codes vary).
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }
    if (student_edition)
        for (const CLI::App* command : teachers)
            if (*command) {
                std::cerr << fmt::format(
                    "`./workbook {}` belongs to the teacher's edition of the workbook. This is "
                    "the\n"
                    "student edition: no solutions, no grading, no teachers' tools. Your commands\n"
                    "are in ./workbook --help.\n",
                    command->get_name());
                return 2;
            }

    Context ctx;
    try {
        ctx.root = fs::canonical(root_option.empty() ? fs::current_path() : fs::path(root_option));
        ctx.manifest = Manifest::load(ctx.root / "lessons" / "manifest.json");
    } catch (const std::exception& e) {
        std::cerr << "workbook: " << e.what() << "\n";
        return 2;
    }
    ctx.ui = Ui::for_stdout(!no_color);
    if (tree_option.empty()) {
        ctx.student = {ctx.root, ctx.root / "starter", ctx.root / "build" / "student", "student"};
    } else {
        const fs::path tree = fs::absolute(tree_option);
        if (!fs::is_directory(tree)) {
            std::cerr << fmt::format(
                "workbook: --tree {}: not a folder (it should hold the lesson folders, like "
                "starter/)\n",
                tree_option);
            return 2;
        }
        // Not inside the tree (a submission, solutions/): in the workbook's build/, one folder per
        // tree, named after it and its full path.
        fs::path named = tree.lexically_normal();
        if (named.filename().empty()) named = named.parent_path();  // "solutions/"
        const fs::path build =
            build_option.empty()
                ? ctx.root / "build" /
                      fmt::format(
                          "tree-{}-{:08x}", named.filename().string(),
                          static_cast<std::uint32_t>(std::hash<std::string>{}(named.string())))
                : fs::absolute(build_option);
        ctx.student = {ctx.root, tree, build, ""};
    }
    ctx.state_file = tree_option.empty() ? ctx.root / ".workbook" / "state.json"
                                         : ctx.student.build / "workbook-state.json";
    ctx.state = State::load(ctx.state_file);

    if (*list) return cmd_list(ctx);
    if (*test) return cmd_test(ctx, key);
    if (*hint) return cmd_hint(ctx, key);
    if (*watch) return cmd_watch(ctx);
    if (*reset) return cmd_reset(ctx, key);
    if (*run) {
        // What follows "--" (the program's own options) comes as extras, after the program's name
        // if one was given before it: run 09 client -- --port 5000.
        run_args.insert(run_args.end(), passthrough.begin(), passthrough.end());
        return cmd_run(ctx, key, run_args);
    }
    if (*index) return cmd_index(ctx, write_index);
    if (*scaffold) return cmd_new(ctx, new_lesson);
    if (*doctor) return cmd_doctor(ctx);
    if (*classroom) {
        std::cout << classroom_workflow(ctx.manifest);
        return 0;
    }
    if (*export_student) return cmd_export_student(ctx, export_dir);
    if (*grade) {
        std::stringstream keys(grade_lessons);
        for (std::string k; std::getline(keys, k, ',');)
            if (!k.empty()) grade_options.lessons.push_back(k);
        grade_options.submissions = fs::absolute(grade_options.submissions);
        if (!grade_options.extra_tests.empty())
            grade_options.extra_tests = fs::absolute(grade_options.extra_tests);
        if (!build_option.empty()) grade_options.build = fs::absolute(build_option);
        grade_options.out = grade_options.out.empty()
                                ? grade_options.submissions.parent_path() / "grades"
                                : fs::absolute(grade_options.out);
        return cmd_grade(ctx.root, ctx.manifest, ctx.ui, grade_options);
    }
    if (*verify) return cmd_verify(ctx.root, ctx.manifest, ctx.ui, verify_options);
    return cmd_progress(ctx);
}

// One handler for what no command caught (a file that could not be written, a folder that cannot
// be read): it says what failed and exits 3, never aborts without a word (std::terminate, 134).
int main(int argc, char** argv) {
    try {
        return workbook_main(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "workbook: " << e.what() << "\n";
        return 3;
    }
}
