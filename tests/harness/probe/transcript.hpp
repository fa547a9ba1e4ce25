// The transcript: every step a test takes, in plain words, in order (connected, sent, received,
// what the program printed). When a test case fails, the runner prints it after the failure, so
// the student can read the whole conversation.
//
// It promises: log() is thread-safe (the drain threads of programs log their lines while the test
// logs its own steps), a line or a transcript too long to read is cut and says so, and
// clear_transcript() starts the numbering of connections again. Implemented in transcript.cpp.
#pragma once

#include <string>
#include <string_view>

namespace probe {

// Appends one line to the transcript of the running test case. Thread-safe. A very long line is
// cut; a very long transcript keeps its first and last steps and says how many it left out.
void log(std::string_view line);

// The transcript so far, one step per line, each line ending in '\n' ("" if nothing happened).
std::string transcript();

// Starts a new transcript and numbers the test's sockets from 1 again (client-1, server-1, udp-1).
// The test runner calls this before each test case.
void clear_transcript();

}  // namespace probe
