#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "files.hpp"
#include "grade.hpp"
#include "manifest.hpp"
#include "results.hpp"
#include "state.hpp"
#include "ui.hpp"

#include <poll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>

using namespace workbook;
namespace fs = std::filesystem;

namespace {

fs::path temporary_file(const std::string& name, const std::string& content) {
    const fs::path dir =
        fs::temp_directory_path() / ("workbook-selftest-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / name) << content;
    return dir / name;
}

}  // namespace

TEST_CASE("the real manifest loads, and lessons are found by number, slug or name") {
    const Manifest m = Manifest::load(WORKBOOK_MANIFEST);
    REQUIRE(m.lessons.size() >= 3);
    const Lesson& first = m.lessons.front();
    CHECK(m.find(first.slug) == &first);
    CHECK(m.find(first.number()) == &first);
    CHECK(m.find(std::to_string(std::stoi(first.number()))) == &first);  // "1" for "01"
    CHECK(m.find(first.slug.substr(first.slug.find('-') + 1)) == &first);
    CHECK(m.find("99") == nullptr);
    CHECK(m.find("") == nullptr);
    for (const Lesson& lesson : m.lessons) {
        CHECK(lesson.hints.size() >= 3);
        CHECK(lesson.points > 0);
    }
}

TEST_CASE("a broken manifest is refused with the file and the field named") {
    const auto error_of = [](const std::string& text) {
        try {
            Manifest::load(temporary_file("manifest.json", text));
        } catch (const std::runtime_error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(error_of("{").find("not valid JSON") != std::string::npos);
    CHECK(error_of("{}").find("\"format_version\": 2") != std::string::npos);
    CHECK(error_of(R"({"format_version":1,"lessons":[]})")
              .find("format_version 1, and this workbook reads 2") != std::string::npos);
    CHECK(error_of(R"({"format_version":2})").find("\"lessons\"") != std::string::npos);
    // A manifest of one lesson with these fields.
    const auto lesson_error = [&](const std::string& fields) {
        return error_of(R"({"format_version":2,"lessons":[{)" + fields + "}]}");
    };
    const std::string server = R"("title":"t","kind":"server","points":1,"timeout":1,)"
                               R"("programs":[{"name":"server","files":["server.cpp"]}])";
    CHECK(lesson_error(R"("slug":"01-x",)" + server) == "no error");
    CHECK(lesson_error(R"("slug":"01-x","hints":["h"],)" + server)
              .find("lessons/01-x/hints.md, not in the manifest") != std::string::npos);
    CHECK(lesson_error(R"("slug":"01-x")").find("missing \"title\"") != std::string::npos);
    CHECK(lesson_error(R"("slug":"x",)" + server).find("the slug is its number") !=
          std::string::npos);
    CHECK(lesson_error(R"("slug":"01-X y",)" + server).find("the slug") != std::string::npos);
    CHECK(lesson_error(R"("slug":"01-x","title":"t","kind":"daemon","points":1,"timeout":1,)"
                       R"("programs":[{"name":"d","files":["d.cpp"]}])")
              .find("kind must be") != std::string::npos);
    // Format 1's "program" and "files" are named as such, not as unknown.
    CHECK(
        lesson_error(
            R"("slug":"01-x","title":"t","kind":"server","program":"s","files":["a.cpp"],"points":1,"timeout":1)")
            .find("was format 1") != std::string::npos);
    CHECK(lesson_error(R"("slug":"01-x","title":"t","kind":"server","points":1,"timeout":1)")
              .find("\"programs\"") != std::string::npos);
    const auto with_programs = [&](const std::string& programs,
                                   const std::string& kind = "server") {
        return lesson_error(R"("slug":"01-x","title":"t","kind":")" + kind +
                            R"(","points":1,"timeout":1,"programs":)" + programs);
    };
    CHECK(with_programs(R"([{"name":"Server","files":["s.cpp"]}])").find("program name") !=
          std::string::npos);
    CHECK(with_programs(R"([{"name":"tests","files":["s.cpp"]}])").find("program name") !=
          std::string::npos);
    CHECK(with_programs(R"([{"name":"s","files":["../s.cpp"]}])").find("file '../s.cpp'") !=
          std::string::npos);
    CHECK(with_programs(R"([{"name":"s","files":["s.hpp"]}])").find("no .cpp") !=
          std::string::npos);
    CHECK(with_programs(R"([{"name":"s","files":["s.cpp"]},{"name":"s","files":["t.cpp"]}])")
              .find("two programs are called s") != std::string::npos);
    CHECK(
        with_programs(R"([{"name":"a","files":["a.cpp"]},{"name":"b","files":["b.cpp"]}])", "unit")
            .find("a unit lesson has one program") != std::string::npos);
    CHECK(
        with_programs(R"([{"name":"s","files":["s.cpp"],"options":["--a\nb"]}])").find("option") !=
        std::string::npos);
}

TEST_CASE("a lesson with two programs: their files once each, options, names to the tests") {
    const fs::path file = temporary_file(
        "manifest.json",
        R"({"format_version":2,"lessons":[{"slug":"09-chat","title":"Chat","kind":"server",)"
        R"("points":4,"timeout":60,"sanitizers":["tsan"],"programs":[)"
        R"({"name":"server","files":["server.cpp","room.cpp"],"options":["--port P","--workers N"]},)"
        R"({"name":"chat_client","files":["client.cpp","room.cpp"]}]}]})");
    const Manifest m = Manifest::load(file);
    REQUIRE(m.lessons.size() == 1);
    const Lesson& l = m.lessons.front();
    CHECK(l.files == std::vector<std::string>{"server.cpp", "room.cpp", "client.cpp"});
    REQUIRE(l.programs.size() == 2);
    CHECK(l.program("server")->options == std::vector<std::string>{"--port P", "--workers N"});
    CHECK(l.program("chat_client")->environment_variable() == "WORKBOOK_PROGRAM_CHAT_CLIENT");
    CHECK(l.program("client") == nullptr);
    CHECK(l.program_binary("/b", "chat_client") == fs::path("/b/bin/09-chat/chat_client"));
    // What the build reads: the same lesson, as CMake variables.
    const std::string cmake = m.cmake();
    CHECK(cmake.find("set(WORKBOOK_LESSONS \"09-chat\")") != std::string::npos);
    CHECK(cmake.find("set(WORKBOOK_LESSON_09-chat_PROGRAMS \"server;chat_client\")") !=
          std::string::npos);
    CHECK(cmake.find("set(WORKBOOK_LESSON_09-chat_PROGRAM_server_FILES \"server.cpp;room.cpp\")") !=
          std::string::npos);
    CHECK(cmake.find("set(WORKBOOK_LESSON_09-chat_SANITIZERS \"tsan\")") != std::string::npos);
    CHECK(cmake.find("set(WORKBOOK_LESSON_09-chat_TIMEOUT \"60\")") != std::string::npos);
}

TEST_CASE("hints: one per \"## \" section of hints.md, its heading and its text") {
    const auto hints = parse_hints(
        "# Hints: a lesson\n\nAn introduction, not a hint.\n\n## First\n\nOne line.\nTwo "
        "lines.\n\n\n"
        "## Second, with code\n\n```cpp\n## not a heading inside a code block\n```\n## Empty\n");
    REQUIRE(hints.size() == 3);
    CHECK(hints[0].title == "First");
    CHECK(hints[0].text == "One line.\nTwo lines.\n");
    CHECK(hints[1].title == "Second, with code");
    CHECK(hints[1].text == "```cpp\n## not a heading inside a code block\n```\n");
    CHECK(hints[2].title == "Empty");
    CHECK(hints[2].text.empty());
    CHECK(parse_hints("no heading at all\n").empty());
}

TEST_CASE(
    "shards: in turn without times; with them, the longest first, and more shards for waits") {
    const std::vector<std::string> names{"a", "b", "c", "d", "e", "f"};
    using Shards = std::vector<std::vector<std::string>>;
    CHECK(deal_shards(names, {}, 4) == Shards{{"a", "e"}, {"b", "f"}, {"c"}, {"d"}});
    CHECK(deal_shards({"a", "b"}, {}, 4) == Shards{{"a"}, {"b"}});
    // A time missing (a case added since): in turn, as on a first run.
    CHECK(deal_shards(names, {{"a", 1.0}}, 4).size() == 4);
    // Lesson 10's shape: four long waits and short cases; a fifth and a sixth shard each shorten
    // the slowest by more than a tenth.
    const std::map<std::string, double> waits{{"a", 0.07}, {"b", 1.1}, {"c", 1.0},
                                              {"d", 1.0},  {"e", 0.8}, {"f", 0.5}};
    const Shards dealt = deal_shards(names, waits, 4);
    CHECK(dealt == Shards{{"b"}, {"c"}, {"d"}, {"e"}, {"f", "a"}});
    // Many short cases of about the same time (lesson 01's shape): no more shards than the base.
    std::map<std::string, double> even;
    for (const std::string& n : names) even[n] = 0.1;
    CHECK(deal_shards(names, even, 4).size() == 4);
}

TEST_CASE("records: only finished test cases count, and a cut-off line is ignored") {
    const std::string jsonl =
        R"({"event":"start","name":"one"})"
        "\n"
        R"({"event":"end","name":"one","tags":["pts=2","id=first-one"],"passed":true,"failures":[]})"
        "\n"
        R"({"event":"start","name":"two"})"
        "\n"
        R"({"event":"end","name":"two","tags":["pts=3"],"passed":false,"transcript":"client-1: connected\n",)"
        R"("failures":[{"kind":"assertion","file":"t.cpp","line":7,"macro":"REQUIRE","expression":"a == b","expanded":"1 == 2","message":"","info":["x := 1"]}]})"
        "\n"
        R"({"event":"start","name":"three"})"
        "\n"
        R"({"event":"end","name":"three","passed":tr)";
    std::string unfinished;
    const auto cases = parse_records(jsonl, &unfinished);
    REQUIRE(cases.size() == 2);
    CHECK(cases[0].passed);
    CHECK(cases[0].points == 2);
    CHECK(cases[0].id == "first-one");
    CHECK(cases[1].id.empty());
    CHECK_FALSE(cases[1].passed);
    CHECK(cases[1].points == 3);
    REQUIRE(cases[1].failures.size() == 1);
    CHECK(cases[1].failures[0].expanded == "1 == 2");
    CHECK(cases[1].failures[0].info == std::vector<std::string>{"x := 1"});
    CHECK(unfinished == "three");
}

TEST_CASE("a cached grade matches the tests with titles left out where a case has an id") {
    const std::string before =
        "TEST_CASE(\"sends the bytes\", \"[pts=1][id=sends]\") {}\n"
        "TEST_CASE(\"no id: \\\"quoted\\\"\",\n          \"[pts=2]\") {}\n";
    const std::string reworded =
        "TEST_CASE(\"sends every byte\", \"[pts=1][id=sends]\") {}\n"
        "TEST_CASE(\"no id: \\\"quoted\\\"\",\n          \"[pts=2]\") {}\n";
    CHECK(without_titles(before) == without_titles(reworded));
    CHECK(without_titles(before).find("TEST_CASE(\"\", \"[pts=1][id=sends]\")") !=
          std::string::npos);
    // A case without an id is known by its title: rewording it is a change.
    CHECK(without_titles(before).find("no id:") != std::string::npos);
    // What the case does is never left out.
    CHECK(without_titles(before) !=
          without_titles("TEST_CASE(\"sends the bytes\", \"[pts=2][id=sends]\") {}\n"
                         "TEST_CASE(\"no id: \\\"quoted\\\"\",\n          \"[pts=2]\") {}\n"));
    CHECK(without_titles("TEST_CASE(\"cut off") == "TEST_CASE(\"cut off");
}

TEST_CASE("records: invisible bytes in a check's values are escaped, Catch2's layout is kept") {
    const fs::path records = temporary_file("invisible.jsonl", "");
    const CommandResult run =
        run_command({REPORTER_FIXTURE, "--reporter", "workbook", "--out", records.string()},
                    std::chrono::seconds(30));
    CHECK(run.started);
    std::ifstream in(records);
    const std::string jsonl{std::istreambuf_iterator<char>(in), {}};
    std::string unfinished;
    const auto cases = parse_records(jsonl, &unfinished);
    REQUIRE(cases.size() == 1);
    const auto& f = cases[0].failures;
    REQUIRE(f.size() == 5);
    CHECK(f[0].expanded == R"("a\x00b" == "ab")");
    CHECK(f[1].expanded == R"("\x01 ok\r" == "ok")");
    CHECK(f[2].expanded == R"("tab\there\nnext" == "x")");
    // Quotes and backslashes stay as Catch2 shows them; bytes beyond ASCII are escaped, as in the
    // transcript.
    CHECK(f[3].expanded == R"("caf\xc3\xa9 "quoted" back\slash" == "x")");
    // A long value keeps Catch2's layout (one line each); runs of one character are shortened.
    CHECK(f[4].expanded == R"("aaaaaaaa[... 22 more 'a' ...]\x7f")"
                           "\n==\n"
                           R"("bbbbbbbb[... 22 more 'b' ...]")");
    CHECK(Ui{}.case_details(cases[0]).find(R"(with values: "a\x00b" == "ab")") !=
          std::string::npos);
}

TEST_CASE("records: a record claiming success in a malformed way does not pass") {
    std::string unfinished;
    // A field of the wrong type: no record at all, so the case did not finish.
    for (const char* record :
         {R"({"event":"end","name":"x","passed":"true"})",
          R"({"event":"end","name":"x","passed":true,"failures":[{"line":"7"}]})",
          R"({"event":"end","name":"x","passed":true,"tags":"pts=3"})"}) {
        const auto cases = parse_records(
            std::string(R"({"event":"start","name":"x"})") + "\n" + record + "\n", &unfinished);
        CHECK_MESSAGE(cases.empty(), record);
        CHECK(unfinished == "x");
    }
    // The records' format round-trips: what the reporter writes is what is read.
    workbook::records::End end;
    end.name = "y";
    end.tags = {"pts=2", "id=why"};
    end.passed = true;
    end.failures.push_back(
        {workbook::records::FailureKind::crash, "t.cpp", 3, "", "", "", "SIGSEGV", {}});
    end.out = "printed";
    const auto cases = parse_records(nlohmann::json(end).dump() + "\n", &unfinished);
    REQUIRE(cases.size() == 1);
    CHECK(cases[0].passed);
    CHECK(cases[0].id == "why");
    CHECK(cases[0].out == "printed");
    REQUIRE(cases[0].failures.size() == 1);
    CHECK(cases[0].failures[0].kind == workbook::records::FailureKind::crash);
    CHECK(nlohmann::json(end)["failures"][0]["kind"] == "crash");
}

TEST_CASE("build logs lose ninja's noise and the checkout's absolute paths") {
    const std::string log =
        "[1/3] Building CXX object x.o\n"
        "FAILED: x.o\n"
        "/usr/bin/c++ -Wall -c /repo/starter/02-first-server/server.cpp\n"
        "/repo/starter/02-first-server/server.cpp:12:5: error: 'sockt' was not declared\n"
        "ninja: build stopped: subcommand failed.\n";
    const std::string trimmed = trim_build_log(log, "/repo");
    CHECK(trimmed == "starter/02-first-server/server.cpp:12:5: error: 'sockt' was not declared\n");
    std::string many;
    for (int i = 0; i < 50; ++i) many += "error " + std::to_string(i) + "\n";
    CHECK(trim_build_log(many, "/repo", 5).find("(45 more lines)") != std::string::npos);
}

TEST_CASE("feedback names the grading machine's paths as a student knows them") {
    const std::vector<PathName> names{
        {"/srv/wb", ""},
        {"/srv/wb/build/grade", "build/grade"},
        {"/srv/out/work/ann/02-first-server", "starter/02-first-server"},
        {"/srv/out/work/ann/02-first-server/server", "your program"}};
    const auto shown = [&](std::string_view text) { return relative_paths(text, names); };
    CHECK(shown("at /srv/wb/tests/02-first-server/server_test.cpp:41") ==
          "at tests/02-first-server/server_test.cpp:41");
    CHECK(
        shown("your_program started as pid 7: /srv/out/work/ann/02-first-server/server --port 0") ==
        "your_program started as pid 7: your program --port 0");
    CHECK(shown("/srv/out/work/ann/02-first-server/server.cpp:3:1: error: x") ==
          "starter/02-first-server/server.cpp:3:1: error: x");
    CHECK(shown("could not start '/srv/out/work/ann/02-first-server/server'.") ==
          "could not start 'your program'.");
    CHECK(shown("/srv/wb/build/grade/tests/x.o: undefined") == "build/grade/tests/x.o: undefined");
    CHECK(shown("cwd /srv/out/work/ann/02-first-server.") == "cwd starter/02-first-server.");
    // Only whole names: other folders that begin alike, or that end alike, stay as they are.
    const std::string alike = "/srv/wb2/x /srv/wbx /data/srv/wb/x -I/srv/wb/x";
    CHECK(shown(alike) == alike);
}

TEST_CASE("commands: exit status, output and the time limit") {
    const CommandResult ok =
        run_command({"sh", "-c", "echo out; echo err >&2; exit 3"}, std::chrono::seconds(10));
    CHECK(ok.started);
    CHECK(ok.code == 3);
    CHECK(ok.out == "out\n");
    CHECK(ok.err == "err\n");
    const CommandResult missing =
        run_command({"no-such-command-anywhere"}, std::chrono::seconds(10));
    CHECK_FALSE(missing.started);
    CHECK(missing.out.find("not found") != std::string::npos);
    const CommandResult slow = run_command({"sh", "-c", "exec sleep 30"}, std::chrono::seconds(1));
    CHECK(slow.timed_out);
    CHECK_FALSE(slow.ok());
}

namespace {

// True once `pid` has ended (a zombie waiting for its new parent counts), waiting up to 5 s for
// a SIGKILL on its way: a pidfd becomes readable when its process exits.
bool gone(const std::string& pid) {
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, std::atoi(pid.c_str()), 0));
    if (fd < 0) return errno == ESRCH;
    pollfd ended{fd, POLLIN, 0};
    const bool exited = ::poll(&ended, 1, 5000) == 1;
    ::close(fd);
    return exited;
}

}  // namespace

TEST_CASE("commands: nothing a command started outlives it") {
    // A background process in the command's group is ended when the command ends...
    const CommandResult left =
        run_command({"sh", "-c", "sleep 30 & echo $!"}, std::chrono::seconds(20));
    REQUIRE(left.ok());
    const std::string pid = left.out.substr(0, left.out.find('\n'));
    CHECK_MESSAGE(gone(pid), "the background sleep " << pid << " is still running");
    // ... and at the time limit, the whole group goes, not only the command.
    const CommandResult late =
        run_command({"sh", "-c", "sleep 30 & echo $!; wait"}, std::chrono::seconds(1));
    CHECK(late.timed_out);
    const std::string late_pid = late.out.substr(0, late.out.find('\n'));
    CHECK_MESSAGE(gone(late_pid), "the background sleep " << late_pid << " is still running");
    // A process that left the group (setsid) and kept the output pipe open does not hold the
    // runner until it ends: its pipe is closed on it two seconds after the command ended.
    const auto started = std::chrono::steady_clock::now();
    const CommandResult daemon =
        run_command({"sh", "-c", "setsid sleep 30 & echo $!"}, std::chrono::seconds(60));
    CHECK(daemon.ok());
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(20));
    const int daemon_pid = std::atoi(daemon.out.c_str());
    REQUIRE(daemon_pid > 1);
    ::kill(daemon_pid, SIGKILL);
}

TEST_CASE("state survives a round trip; a corrupt file gives an empty state") {
    const fs::path file = temporary_file("state.json", "");
    State s;
    s.passed = {"01-bytes"};
    s.hints_shown["02-first-server"] = 2;
    s.save(file);
    const State back = State::load(file);
    CHECK(back.passed == s.passed);
    CHECK(back.hints_shown == s.hints_shown);
    std::ofstream(file) << "{ not json";
    CHECK(State::load(file).passed.empty());
}

TEST_CASE("the progress bar and indentation") {
    const Ui plain;
    CHECK(plain.progress(1, 3).starts_with("Progress: 1/3 lessons"));
    CHECK(indent("a\nb", 2) == "  a\n  b\n");
    CHECK(indent("a\n\nb\n", 2) == "  a\n\n  b\n");
}

// ---- failure paths: every write checked, no abort without a word
// ----------------------------------

TEST_CASE(
    "write_file: a write that fails throws, names the file, and leaves the old content whole") {
    const fs::path file = temporary_file("kept.txt", "the old content\n");
    // In a child: a file-size limit of 1 KiB (SIGXFSZ ignored, so write() fails with EFBIG), as
    // a full disk would fail it.
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        const rlimit small{1024, 1024};
        ::setrlimit(RLIMIT_FSIZE, &small);
        ::signal(SIGXFSZ, SIG_IGN);
        try {
            write_file(file, std::string(64 * 1024, 'x'));
        } catch (const FileError& e) {
            const std::string what = e.what();
            const bool named = what.find(file.string()) != std::string::npos &&
                               what.find(std::strerror(EFBIG)) != std::string::npos;
            ::_exit(named ? 0 : 2);
        }
        ::_exit(1);  // no error: the write was reported as done
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK_MESSAGE(WEXITSTATUS(status) != 1, "write_file did not throw");
    CHECK_MESSAGE(WEXITSTATUS(status) == 0, "the error does not name the file and the reason");
    CHECK(read_file(file) == "the old content\n");
    CHECK_FALSE(fs::exists(file.string() + ".part"));
}

TEST_CASE("write_file: a folder that cannot be made is an error that names the file") {
    const fs::path blocker = temporary_file("blocker", "a file, not a folder\n");
    std::string what;
    try {
        write_file(blocker / "state.json", "{}");
    } catch (const FileError& e) {
        what = e.what();
    }
    CHECK(what.find((blocker / "state.json").string()) != std::string::npos);
}

TEST_CASE("read_file: a folder or a missing file reads as empty, without throwing") {
    const fs::path dir = temporary_file("x", "").parent_path();
    CHECK(read_file(dir).empty());
    CHECK(read_file(dir / "no-such-file").empty());
    CHECK(read_file(temporary_file("y", "abc")) == "abc");
}

TEST_CASE(
    "workbook-cli: a state file it cannot write is one line naming it and exit 3, not an abort") {
    const fs::path tree = temporary_file("z", "").parent_path() / "tree";
    fs::create_directories(tree / "build" / "workbook-state.json");  // a folder where the file goes
    const CommandResult r =
        run_command({WORKBOOK_CLI, "--root", WORKBOOK_ROOT, "--tree", tree.string(), "--build",
                     (tree / "build").string(), "--no-color", "hint", "01"},
                    std::chrono::seconds(60));
    CHECK(r.code == 3);
    CHECK(r.err.find("could not write " + (tree / "build" / "workbook-state.json").string()) !=
          std::string::npos);
    CHECK(r.err.find("terminate") == std::string::npos);
    fs::remove_all(tree);
}

TEST_CASE("workbook-cli: --tree that is not a folder is refused before anything is built") {
    const fs::path missing = temporary_file("w", "").parent_path() / "no-such-tree";
    const CommandResult r = run_command(
        {WORKBOOK_CLI, "--root", WORKBOOK_ROOT, "--tree", missing.string(), "test", "01"},
        std::chrono::seconds(60));
    CHECK(r.code == 2);
    CHECK(r.err.find("not a folder") != std::string::npos);
    CHECK_FALSE(fs::exists(missing));
}

TEST_CASE("the grading recipe carries a path with quotes, backslashes and spaces whole") {
    const std::string odd = R"(/home/o"brien\builds/my build/tests)";
    const RecipeLines lines =
        parse_recipe("format\t2\ncompiler\t/usr/bin/g++\ntests_binary\t" + odd +
                     "\nflags\t-O0\nflags\t-DNAME=\"x y\"\nprogram_objects\t\n");
    CHECK(lines.at("tests_binary") == std::vector<std::string>{odd});
    CHECK(lines.at("flags") == std::vector<std::string>{"-O0", "-DNAME=\"x y\""});
    CHECK(lines.at("program_objects").empty());                      // an empty CMake list
    CHECK_THROWS(parse_recipe("compiler\t/usr/bin/g++\n"));          // no format line
    CHECK_THROWS(parse_recipe("format\t2\nno tab on this line\n"));  // not key<TAB>value
}
