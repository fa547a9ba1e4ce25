// The common layer: escaping bytes for display, and deadlines scaled by WORKBOOK_TIME_SCALE.
#include <doctest/doctest.h>

#include <string>

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

TEST_CASE("printable escapes as escape does, but leaves quotes and backslashes as they are") {
    CHECK(probe::printable("say \"hi\" \\ bye") == "say \"hi\" \\ bye");
    CHECK(probe::printable("Message re\xc3\xa7u\r\n") == "Message re\\xc3\\xa7u\\r\\n");
    CHECK(probe::printable(std::string("\0\x7f", 2)) == "\\x00\\x7f");
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
    CHECK(probe::transcript() ==
          "[your_program] Message received: hi~~~~~~~~[... 1014 more '~' ...]\n");
    probe::clear_transcript();
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
