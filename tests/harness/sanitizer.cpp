#include "sanitizer.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include <fmt/format.h>

namespace probe {
namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const std::size_t end = text.find('\n');
        lines.push_back(text.substr(0, end));
        if (end == std::string_view::npos) break;
        text.remove_prefix(end + 1);
    }
    return lines;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

struct Frame {
    std::string function;
    std::string file;  // with ":line" (and ":column" for ASan)
};

// "#4 ab() /tmp/race.cpp:7 (race+0x1384)" (TSan) or "#1 0x55d1 in ab() /tmp/race.cpp:7:3" (ASan).
std::optional<Frame> frame_of(std::string_view line) {
    line = trim(line);
    if (line.size() < 2 || line[0] != '#' || !std::isdigit(static_cast<unsigned char>(line[1])))
        return {};
    line.remove_prefix(std::min(line.find(' '), line.size()));
    line = trim(line);
    if (line.starts_with("0x")) {  // ASan: the address, then "in"
        line.remove_prefix(std::min(line.find(' '), line.size()));
        line = trim(line);
        if (line.starts_with("in ")) line.remove_prefix(3);
    }
    if (line.ends_with(')')) {  // TSan: " (module+0xoffset)"
        const std::size_t open = line.rfind(" (");
        if (open != std::string_view::npos && line.find('+', open) != std::string_view::npos)
            line = trim(line.substr(0, open));
    }
    const std::size_t space = line.rfind(' ');
    if (space == std::string_view::npos) return Frame{std::string(line), ""};
    return Frame{std::string(trim(line.substr(0, space))), std::string(line.substr(space + 1))};
}

bool students(const std::string& file) {
    static const std::regex driver(R"(/tests/[^/]+/driver/)");
    if (file.empty() || file.starts_with("<") || file.starts_with("/usr/")) return false;
    if (file.find("libsanitizer") != std::string::npos) return false;
    if (file.find("/include/c++/") != std::string::npos) return false;
    return !std::regex_search(file, driver);
}

// "/home/ana/workbook/starter/05-locks/bank.cpp:42" -> "05-locks/bank.cpp:42"; an ASan column
// (":42:7") is dropped.
std::string short_location(std::string file) {
    static const std::regex column(R"(^(.*:\d+):\d+$)");
    std::smatch m;
    if (std::regex_match(file, m, column)) file = m[1];
    const std::size_t last = file.rfind('/');
    if (last == std::string::npos || last == 0) return file;
    const std::size_t before = file.rfind('/', last - 1);
    return before == std::string::npos ? file : file.substr(before + 1);
}

// TSan's section line without its addresses: "Write of size 8 at 0x7b04... by thread T2:" ->
// "Write of size 8 by thread T2".
std::string without_addresses(std::string_view header) {
    static const std::regex address(R"( at 0x[0-9a-f]+| \(0x[0-9a-f]+\)| on address 0x[0-9a-f]+)");
    std::string text = std::regex_replace(std::string(trim(header)), address, "");
    if (text.ends_with(':')) text.pop_back();
    return text;
}

// The header of a report: "WARNING: ThreadSanitizer: data race (pid=12)", or
// "==12==ERROR: AddressSanitizer: heap-use-after-free on address 0x... at pc ...".
bool header_of(std::string_view line, std::string& tool, std::string& kind) {
    static const std::regex tsan(R"(WARNING: ThreadSanitizer: (.*?)(?: \(pid=\d+\))?\s*$)");
    static const std::regex asan(R"(ERROR: (AddressSanitizer|LeakSanitizer): ([A-Za-z-]+))");
    std::cmatch m;
    if (std::regex_search(line.begin(), line.end(), m, tsan)) {
        tool = "ThreadSanitizer";
        kind = m[1];
        return true;
    }
    if (std::regex_search(line.begin(), line.end(), m, asan)) {
        tool = m[1];
        kind = m[2];
        return true;
    }
    return false;
}

// TSan's "Location is ..." in a student's words: "stack of main thread" -> "a local variable of the
// main thread", "heap block of size 40" -> "memory from new, 40 bytes", "global 'total' of size 8"
// -> "the global variable 'total'".
std::string location_words(const std::string& location) {
    static const std::regex stack(R"(^stack of (.*)$)"), heap(R"(^heap block of size (\d+).*$)"),
        global(R"(^global '([^']*)'.*$)");
    std::smatch m;
    if (std::regex_match(location, m, stack))
        return fmt::format("a local variable of the {}", m[1].str());
    if (std::regex_match(location, m, heap))
        return fmt::format("memory from new, {} bytes", m[1].str());
    if (std::regex_match(location, m, global)) {
        std::string name = m[1];
        if (name.starts_with("(anonymous namespace)::"))
            name.erase(0, std::string_view("(anonymous namespace)::").size());
        return fmt::format("the global variable '{}'", name);
    }
    return location;
}

std::string meaning(const std::string& kind) {
    if (kind == "data race")
        return "two threads used the same variable at the same time, at least one of them writing, "
               "with "
               "nothing ordering them. Guard every use of it with the same mutex (or make it a "
               "std::atomic), or hand it over by join(). If one side is a thread still running "
               "after "
               "the function that started it returned, that thread was detach()ed or never joined: "
               "join it before its results are used. A std::lock_guard with no name "
               "(std::lock_guard<std::mutex>{m};) unlocks at the end of its own line and guards "
               "nothing. It is a bug even when the results come out right: the next run, or the "
               "next "
               "compiler, may lose an update.";
    if (kind.starts_with("lock-order-inversion"))
        return "your code takes the same two mutexes in opposite orders at different times (one "
               "thread "
               "is enough to show it): two threads doing so at once can each hold one and wait "
               "forever "
               "for the other, a deadlock, even if this run was lucky. Lock them together with "
               "std::scoped_lock, or always in one fixed order.";
    if (kind == "thread leak")
        return "a thread was still running, never joined, when the program ended: join() every "
               "thread "
               "you start.";
    if (kind.starts_with("unlock of an unlocked mutex") || kind.starts_with("double lock"))
        return "a mutex was unlocked when it was not locked, or locked twice by the same thread: "
               "let "
               "std::lock_guard or std::scoped_lock lock and unlock it.";
    if (kind.starts_with("destroy of a locked mutex"))
        return "a mutex was destroyed while locked: unlock it (let a lock_guard do it) before it "
               "goes.";
    if (kind.starts_with("signal-unsafe"))
        return "a signal handler called a function that is not async-signal-safe (e.g. one that "
               "allocates).";
    if (kind == "heap-use-after-free" || kind == "stack-use-after-return" ||
        kind == "stack-use-after-scope")
        return "memory was used after its lifetime ended: a thread that outlives a variable it "
               "refers to "
               "is the usual cause in these lessons (a detached thread, or a lambda capturing a "
               "local by "
               "reference).";
    return "";
}

}  // namespace

bool starts_sanitizer_report(std::string_view line) {
    std::string tool, kind;
    return line.find("Sanitizer: ") != std::string_view::npos && header_of(line, tool, kind);
}

bool is_library_frame(std::string_view line) {
    const auto frame = frame_of(line);
    return frame && !students(frame->file);
}

std::vector<SanitizerReport> sanitizer_reports(std::string_view text) {
    std::vector<SanitizerReport> reports;
    const auto lines = lines_of(text);
    static const std::regex thread_line(R"(^\s*Thread (T\d+) ('[^']*')? ?\(tid=)");
    for (std::size_t i = 0; i < lines.size(); ++i) {
        SanitizerReport report;
        if (!header_of(lines[i], report.tool, report.kind)) continue;
        std::size_t end = i + 1;
        std::string next_tool, next_kind;
        while (end < lines.size() && !lines[end].starts_with("SUMMARY:") &&
               !lines[end].starts_with("==================") &&
               !header_of(lines[end], next_tool, next_kind))
            ++end;
        if (end < lines.size() && lines[end].starts_with("SUMMARY:")) ++end;
        std::ostringstream whole;
        for (std::size_t j = i; j < end; ++j) whole << lines[j] << '\n';
        report.text = whole.str();

        // Thread names, from "Thread T2 'teller-2' (tid=..., running) created by ...".
        std::map<std::string, std::string> names;
        for (std::size_t j = i; j < end; ++j) {
            std::cmatch m;
            if (std::regex_search(lines[j].begin(), lines[j].end(), m, thread_line) && m[2].matched)
                names[m[1]] = m[2];
        }
        // Sections: a line that is not a frame, followed by frames.
        for (std::size_t j = i + 1; j < end; ++j) {
            const std::string_view line = trim(lines[j]);
            if (line.starts_with("Location is ")) {
                // TSan may say it twice, the second time as "global '<null>'": keep what it knows.
                std::string v(line.substr(std::string_view("Location is ").size()));
                static const std::regex tail(R"( at 0x[0-9a-f]+.*$|\.$)");
                v = std::regex_replace(v, tail, "");
                if (report.variable.empty() && v.find("<null>") == std::string::npos)
                    report.variable = v;
                continue;
            }
            // Not places in the code: where a thread or a mutex was first seen ("Mutex M25 created
            // at:" is where it was first locked, for a mutex TSan did not see constructed).
            if (line.empty() || frame_of(line) || line.starts_with("Thread T") ||
                line.starts_with("Cycle in") || line.starts_with("SUMMARY:") ||
                (line.starts_with("Mutex ") && line.ends_with("created at:")))
                continue;
            std::vector<Frame> frames;
            for (std::size_t k = j + 1; k < end; ++k) {
                auto f = frame_of(lines[k]);
                if (!f) break;
                frames.push_back(std::move(*f));
            }
            if (frames.empty()) continue;
            SanitizerReport::Place place;
            place.what = without_addresses(line);
            for (const auto& [id, name] : names) {
                const std::string word = "thread " + id;
                const std::size_t at = place.what.find(word);
                if (at != std::string::npos &&
                    (at + word.size() == place.what.size() ||
                     !std::isdigit(static_cast<unsigned char>(place.what[at + word.size()]))))
                    place.what.insert(at + word.size(), " " + name);
            }
            const auto mine = std::find_if(frames.begin(), frames.end(),
                                           [](const Frame& f) { return students(f.file); });
            if (mine != frames.end()) {
                place.location = short_location(mine->file);
                place.function = mine->function;
            }
            report.places.push_back(std::move(place));
        }
        reports.push_back(std::move(report));
        i = end - 1;
    }
    return reports;
}

std::string describe(const std::vector<SanitizerReport>& reports) {
    std::string out;
    std::set<std::string> seen;
    std::size_t shown = 0;
    for (const SanitizerReport& r : reports) {
        std::string key = r.kind;
        for (const auto& p : r.places) key += "|" + p.location;
        if (!seen.insert(key).second) continue;
        if (++shown > 3) {
            out += fmt::format("... and more reports: the program's stderr has them all.\n");
            break;
        }
        out += fmt::format("{}: {}", r.tool, r.kind);
        if (!r.variable.empty()) out += fmt::format(" ({})", location_words(r.variable));
        out += "\n";
        for (const auto& p : r.places) {
            if (p.location.empty())
                out += fmt::format("  {} (not in your code)\n", p.what);
            else
                out += fmt::format("  {}: at {} in {}\n", p.what, p.location, p.function);
        }
        if (const std::string m = meaning(r.kind); !m.empty())
            out += "  What it means: " + m + "\n";
    }
    return out;
}

}  // namespace probe
