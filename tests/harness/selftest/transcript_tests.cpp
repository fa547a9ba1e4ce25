// Escaping, the transcript, deadlines, exit statuses and finding the program under test.
#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "probe.hpp"
#include "support.hpp"

using namespace selftest;

TEST_CASE("escape shows printable ASCII as is and every other byte as \\xNN") {
    CHECK(probe::escape("") == "");
    CHECK(probe::escape("GET / HTTP/1.1") == "GET / HTTP/1.1");
    CHECK(probe::escape("Message reçu") == "Message re\\xc3\\xa7u");
    CHECK(probe::escape("a\r\n\tb") == "a\\r\\n\\tb");
    CHECK(probe::escape("say \"hi\" \\ bye") == "say \\\"hi\\\" \\\\ bye");
    CHECK(probe::escape(std::string("\0\x01\x7f\x80\xff", 5)) == "\\x00\\x01\\x7f\\x80\\xff");
}

TEST_CASE("shorten_runs says how many times a character repeats instead of repeating it") {
    CHECK(probe::shorten_runs("") == "");
    CHECK(probe::shorten_runs("Salut le serveur !") == "Salut le serveur !");
    CHECK(probe::shorten_runs(std::string(16, '~')) == std::string(16, '~'));  // short runs stay
    CHECK(probe::shorten_runs("ok" + std::string(1000, '~') + "!") ==
          "ok~~~~~~~~[... 992 more '~' ...]!");
    CHECK(probe::shorten_runs(std::string(40, ' ')) == std::string(40, ' '));  // layout stays
    probe::clear_transcript();
    probe::log("[your_program] Message received: hi" + std::string(1022, '~'));
    CHECK(probe::transcript() == "[your_program] Message received: hi~~~~~~~~[... 1014 more '~' ...]\n");
    probe::clear_transcript();
}

TEST_CASE("the transcript keeps steps in order and starts again on clear_transcript") {
    probe::clear_transcript();
    CHECK(probe::transcript() == "");
    probe::log("first");
    probe::log("second");
    CHECK(probe::transcript() == "first\nsecond\n");
    probe::clear_transcript();
    CHECK(probe::transcript() == "");
}

TEST_CASE("a very long line is cut, and a very long transcript keeps its first and last steps") {
    std::string line;
    while (line.size() < 5000) line += "0123456789";
    probe::log(line);
    CHECK(contains(probe::transcript(), "... (3000 more characters)"));

    probe::clear_transcript();
    for (int i = 0; i < 3000; ++i) probe::log("step " + std::to_string(i));
    const std::string all = probe::transcript();
    CHECK(contains(all, "step 0\n"));
    CHECK(contains(all, "step 2999\n"));
    CHECK(contains(all, "steps left out"));
    CHECK(all.size() < 30000);
}

TEST_CASE("scaled multiplies deadlines by WORKBOOK_TIME_SCALE") {
    {
        ScopedEnv unset("WORKBOOK_TIME_SCALE", nullptr);
        CHECK(probe::scaled(1500ms) == 1500ms);
        CHECK(probe::step_deadline() == 5000ms);
    }
    {
        ScopedEnv twice("WORKBOOK_TIME_SCALE", "2");
        CHECK(probe::scaled(1500ms) == 3000ms);
        CHECK(probe::step_deadline() == 10000ms);
    }
    {
        ScopedEnv half("WORKBOOK_TIME_SCALE", "0.5");
        CHECK(probe::scaled(1500ms) == 750ms);
    }
    for (const char* bad : {"abc", "0", "-1", "2x"}) {
        ScopedEnv wrong("WORKBOOK_TIME_SCALE", bad);
        const std::string message = failure_of([] { probe::scaled(1s); });
        CHECK(contains(message, "WORKBOOK_TIME_SCALE must be a positive number"));
        CHECK(contains(message, bad));
    }
}

TEST_CASE("ExitStatus describes an exit status and a signal") {
    const probe::ExitStatus three{false, 3, 0};
    CHECK(three.describe() == "exited with status 3");
    CHECK_FALSE(three.ok());
    CHECK(three.shell_code() == 3);

    const probe::ExitStatus segv{true, 0, SIGSEGV};
    CHECK(segv.describe() == "was killed by signal SIGSEGV (segmentation fault)");
    CHECK(segv.shell_code() == 128 + SIGSEGV);
    CHECK_FALSE(segv.ok());

    CHECK(probe::ExitStatus{}.ok());
    CHECK(probe::ExitStatus{}.describe() == "exited with status 0");
    CHECK(probe::ExitStatus{true, 0, SIGKILL}.describe() ==
          "was killed by signal SIGKILL (killed)");
}

TEST_CASE("program_under_test: $WORKBOOK_PROGRAM, else the compiled-in path, else a Failure") {
    {
        ScopedEnv unset("WORKBOOK_PROGRAM", nullptr);
        // This file is not a lesson's test: WORKBOOK_PROGRAM is not defined, so no default.
        CHECK(contains(failure_of([] { probe::program_under_test(); }), "set WORKBOOK_PROGRAM"));
        CHECK(probe::program_under_test(FIXTURE_ECHO_LINE) == FIXTURE_ECHO_LINE);
        CHECK(contains(failure_of([] { probe::program_under_test("/no/such/program"); }),
                       "/no/such/program, does not exist"));
    }
    {
        ScopedEnv chosen("WORKBOOK_PROGRAM", FIXTURE_SILENT_HANG);
        CHECK(probe::program_under_test(FIXTURE_ECHO_LINE) == FIXTURE_SILENT_HANG);
        CHECK(probe::program_under_test() == FIXTURE_SILENT_HANG);
    }
    {
        ScopedEnv missing("WORKBOOK_PROGRAM", "/no/such/server");
        CHECK(contains(failure_of([] { probe::program_under_test(FIXTURE_ECHO_LINE); }),
                       "/no/such/server, does not exist"));
    }
}

TEST_CASE("Random: the same purpose draws the same values on every run; WORKBOOK_SEED draws others") {
    ScopedEnv no_seed("WORKBOOK_SEED", nullptr);
    probe::clear_transcript();
    probe::Random a("payloads");
    probe::Random b("payloads");
    const std::string bytes = a.bytes(64);
    CHECK(bytes == b.bytes(64));
    CHECK(probe::Random("sizes").seed() != a.seed());
    CHECK(contains(probe::transcript(), fmt::format("random values for payloads: seed {} (the same on every run", a.seed())));
    {
        ScopedEnv other("WORKBOOK_SEED", "7");
        probe::Random c("payloads");
        CHECK(c.seed() != a.seed());
        CHECK(c.bytes(64) != bytes);
        CHECK(contains(probe::transcript(), "WORKBOOK_SEED=7 replays them"));
    }
    {
        ScopedEnv bad("WORKBOOK_SEED", "seven");
        CHECK_THROWS_AS(probe::Random("payloads"), probe::Failure);
    }
    probe::Random d("ranges");
    for (int i = 0; i < 1000; ++i) {
        const std::uint64_t n = d.number(3, 5);
        CHECK((n >= 3 && n <= 5));
    }
    const std::string text = d.text(200);
    CHECK(std::all_of(text.begin(), text.end(), [](char c) { return c >= ' ' && c <= '~'; }));
    std::vector<int> order{1, 2, 3, 4, 5, 6, 7, 8};
    probe::Random("order").shuffle(order);
    std::vector<int> again{1, 2, 3, 4, 5, 6, 7, 8};
    probe::Random("order").shuffle(again);
    CHECK(order == again);
    CHECK(std::is_permutation(order.begin(), order.end(), again.begin()));
    CHECK(order != std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8});
}
