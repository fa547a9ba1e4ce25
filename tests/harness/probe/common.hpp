// The common layer: what every other layer of the probe harness builds on, and what a test needs
// whatever it probes.
//
// It promises: one exception type for a step that could not complete (Failure, whose what() is a
// sentence a student can act on), deadlines that scale with WORKBOOK_TIME_SCALE, and the escaping
// that shows any bytes on one readable line. Implemented in common.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace probe {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A step that could not complete. what() says what the test was doing, what it saw, and the likely
// cause in one sentence.
class Failure : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Deadlines are multiplied by WORKBOOK_TIME_SCALE (default 1) so that sanitizer builds and loaded
// machines get more time without touching the tests. Throws Failure if the variable is set to
// something other than a positive number. A deadline passed to a function below is used as given:
// write probe::scaled(2s), not 2s, for a deadline of your own.
milliseconds scaled(milliseconds base);

// Default deadline for one step (a line, a connection, an exit): 5 s, scaled.
milliseconds step_deadline();

// ---- escaping --------------------------------------------------------------------------------

// Escapes bytes for display: printable ASCII as is, \r \n \t \\ \" as escapes, and every other byte
// as \xNN (lowercase hex). So "reçu" shows as "re\xc3\xa7u".
std::string escape(std::string_view bytes);
// The same, except that '"' and '\\' stay as they are: for text not shown inside quotes (a line
// the program printed, a value in Catch2's "with values").
std::string printable(std::string_view bytes);
// Text for a person to read: a run of more than 16 times the same character (other than a space)
// keeps its first 8 and says how many more there were, "~~~~~~~~[... 1006 more '~' ...]", so that
// a buffer printed past its end does not fill the screen. Used by log() and the reporter.
std::string shorten_runs(std::string_view text);

}  // namespace probe
