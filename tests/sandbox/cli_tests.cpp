// The command line: usage errors, refusals, internal errors, --doctor, and --unsafe mode.
#include <doctest/doctest.h>

#include <unistd.h>

#include <fstream>

#include "support.hpp"

using namespace sandbox_test;

TEST_CASE("usage errors exit with status 2 and say what is wrong") {
    Workspace w;
    const auto usage = [&](std::vector<std::string> options, std::vector<std::string> command,
                           const std::string& says) {
        Call call;
        call.standard = false;
        call.options = std::move(options);
        call.command = std::move(command);
        const Result r = run(w, call);
        INFO(r.describe());
        CHECK(r.status == 2);
        CHECK(contains(r.sandbox_err, says));
    };
    const std::string scratch = w.scratch().string();
    usage({"--scratch", scratch}, {}, "no program to run");
    usage({}, {"true"}, "--scratch DIR is required");
    usage({"--scratch", scratch + "/missing"}, {"true"}, "No such file or directory");
    usage({"--scratch", "/"}, {"true"}, "folder of its own");
    usage({"--scratch", "/tmp"}, {"true"}, "folder of its own");
    usage({"--scratch", "/usr/share"}, {"true"}, "cannot be the scratch");
    usage({"--scratch", scratch, "--ro", "/"}, {"true"}, "every file of the machine");
    usage({"--scratch", scratch, "--isolation", "none"}, {"true"}, "--unsafe");
    usage({"--scratch", scratch, "--env", "NOEQUALS"}, {"true"}, "--env takes K=V");
    usage({"--scratch", scratch, "--wall", "-1"}, {"true"}, "--wall");
    usage({"--scratch", scratch, "--bogus"}, {"true"}, "unknown option --bogus");
    usage({"--scratch", scratch, "true"}, {}, "the program and its arguments go after --");
    usage({"--scratch", scratch, "--ro", "/usr/share", "/bin"}, {"true"}, "go after --");
    CHECK_FALSE(fs::exists(w.file("report.json")));

    // Once --report has been read, a usage error is also reported there (not the student's fault).
    Call call;
    call.standard = false;
    call.options = {"--scratch", scratch + "/missing", "--report", w.file("report.json").string()};
    call.command = {"true"};
    const Result r = run(w, call);
    INFO(r.describe());
    CHECK(r.status == 2);
    CHECK(r.outcome() == "internal");
    CHECK(r.report.value("message", std::string()).rfind("usage error: --scratch", 0) == 0);
}

TEST_CASE("an output file that is a symlink is refused, and its target is left alone") {
    REQUIRE_ISOLATION();
    Workspace w;
    std::ofstream(w.file("precious")) << "keep me\n";
    fs::create_symlink(w.file("precious"), w.file("out"));
    Call call;
    call.command = {fixture("exit_with"), "0"};
    const Result r = run(w, call);
    INFO(r.describe());
    CHECK(r.status == 3);
    CHECK(r.outcome() == "internal");
    CHECK(contains(r.report.value("message", std::string()), "Too many levels of symbolic links"));
    std::ifstream precious(w.file("precious"));
    std::string line;
    std::getline(precious, line);
    CHECK(line == "keep me");
}

TEST_CASE(
    "a program that cannot be started is the sandbox's failure (internal, status 3), not the "
    "student's") {
    REQUIRE_ISOLATION();
    Workspace w;
    Call call;
    call.command = {"/no/such/program"};
    const Result r = run(w, call);
    INFO(r.describe());
    CHECK(r.status == 3);
    CHECK(r.outcome() == "internal");
    CHECK(contains(r.report.value("message", std::string()), "could not start /no/such/program"));
    CHECK(leftovers(w, r) == "");
}

TEST_CASE("--doctor: one line per capability, and a verdict") {
    Workspace w;
    const fs::path out = w.file("doctor.txt");
    const std::string command = sandbox_program() + " --doctor > " + out.string() + " 2>&1";
    REQUIRE(std::system(command.c_str()) == 0);
    std::ifstream in(out);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const char* line : {"user namespaces: ", "pid namespaces: ", "network namespaces: ",
                             "mount namespaces: ", "cgroups: ", "memory controller: ",
                             "pids controller: ", "cpu weight: ", "memory limit relies on: ",
                             "pids limit relies on: ", "As an ordinary user", "\nVerdict: "}) {
        CHECK_MESSAGE(contains(text, line), line << " is missing from:\n" << text);
    }
    const json& d = doctor();
    CHECK(d.contains("verdict"));
    CHECK(d.contains("isolation_available"));
    const std::string verdict = d.value("verdict", std::string());
    CHECK((verdict.rfind("full isolation available", 0) == 0 ||
           verdict.rfind("partial: ", 0) == 0 || verdict.rfind("none: ", 0) == 0));
    if (::geteuid() == 0) {
        MESSAGE("doctor as root: " << verdict);
        // On the machines the workbook is graded on (root, namespaces allowed) it must all run.
        CHECK(isolation_available() != "none");
    }
}

TEST_CASE(
    "--unsafe: no namespaces, but exit codes, the wall clock, output caps and a daemon's end still "
    "hold") {
    const std::vector<std::string> unsafe{"--isolation", "none", "--unsafe"};
    const auto with = [&](std::vector<std::string> more) {
        std::vector<std::string> all = unsafe;
        all.insert(all.end(), more.begin(), more.end());
        return all;
    };
    {
        Workspace w;
        const Result r = run(w, Call{with({}), {fixture("exit_with"), "3"}});
        INFO(r.describe());
        CHECK(r.status == 0);
        CHECK(r.outcome() == "exit");
        CHECK(r.number("exit_code") == 3);
        CHECK(r.report.value("isolation", std::string()) == "none");
        CHECK(leftovers(w, r) == "");
    }
    {
        Workspace w;
        const Result r = run(w, Call{with({"--wall", "1"}), {fixture("sleep_forever")}});
        INFO(r.describe());
        CHECK(r.outcome() == "time-out");
        CHECK(leftovers(w, r) == "");
    }
    {
        Workspace w;
        const Result r = run(w, Call{with({"--output", "4096"}), {fixture("output_flood"), "20"}});
        INFO(r.describe());
        CHECK(r.outcome() == "ok");
        CHECK(r.out.size() == 4096);
        CHECK(r.report.value("output_truncated", false));
    }
    {
        // The daemon leaves the process group (setsid); the sandbox, a child subreaper, still
        // finds it and kills it.
        Workspace w;
        const Result r = run(w, Call{with({"--wall", "10"}), {fixture("daemon")}});
        INFO(r.describe());
        CHECK(r.outcome() == "ok");
        CHECK(r.number("wall_ms") < 5000);
        CHECK(leftovers(w, r) == "");
    }
    {
        Workspace w;
        const Result r = run(w, Call{with({"--cpu", "1", "--wall", "10"}), {fixture("spin")}});
        INFO(r.describe());
        CHECK(r.outcome() == "cpu");
        CHECK(leftovers(w, r) == "");
    }
}
