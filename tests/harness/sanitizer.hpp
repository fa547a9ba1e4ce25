// Sanitizer reports in a program's stderr, read so that a student can act on them.
//
// The thread lessons build the student's code with ThreadSanitizer: a data race is a failing test
// case even when the results come out right. TSan's report is long and mostly the standard
// library's frames; what a student needs is the kind of bug, the two places in *their* file, the
// threads, and what the kind means. probe::sanitizer_reports() finds the reports in stderr text;
// probe::describe() words them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace probe {

struct SanitizerReport {
    // "ThreadSanitizer" or "AddressSanitizer".
    std::string tool;
    // TSan's words: "data race", "lock-order-inversion (potential deadlock)", "thread leak",
    // "heap-use-after-free" ...
    std::string kind;
    // One per section of the report ("Write of size 8 at 0x... by thread T2:", "Mutex M10
    // acquired here while holding mutex M9 in thread T3:"): what happened, in TSan's words with
    // the addresses left out, and the first frame that is the student's code.
    struct Place {
        std::string what;      // "Write of size 8 by thread T2 'teller-2'"
        std::string location;  // "05-locks/bank.cpp:42", or "" when no frame is the student's
        std::string function;  // "Bank::transfer(unsigned long, unsigned long, long)"
    };
    std::vector<Place> places;
    // "global 'total'", "heap block of size 40": TSan's "Location is ..." line, if any.
    std::string variable;
    // The report as printed, for the full story.
    std::string text;
};

// Every report in `text` (a program's stderr), in order. A frame is the student's when its file is
// not the system's (/usr/...), not the sanitizer runtime's, and not a lesson driver's
// (tests/NN-slug/driver/); files are shown by their last two path components.
std::vector<SanitizerReport> sanitizer_reports(std::string_view text);

// A line of a report's stack ("    #3 std::mutex::lock() /usr/include/c++/12/...") whose code is
// not the student's: the transcript folds these away and counts them.
bool is_library_frame(std::string_view line);

// The first line of a report: "WARNING: ThreadSanitizer: data race (pid=12)", "==12==ERROR:
// AddressSanitizer: ...". The transcript shows a program's first reports in full, counts the rest.
bool starts_sanitizer_report(std::string_view line);

// What a student reads: per report, the kind, what it means and what usually fixes it, and each
// place at their file:line in their function. Reports of the same kind and places count once.
std::string describe(const std::vector<SanitizerReport>& reports);

}  // namespace probe
