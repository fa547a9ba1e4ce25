// Lesson 04, threads. Each test starts the lesson's driver (driver/driver.cpp, built with your
// workers.cpp and ThreadSanitizer) in one scenario, reads the facts it prints, and looks at its
// threads from outside, in /proc/PID/task: how many there are and what they are named. Read each
// TEST_CASE as a second specification; the lesson's README has the contract, sentence by sentence.
//
// Inputs are random (names, sizes, texts), from a seed the transcript shows: WORKBOOK_SEED=N
// replays a run. Nothing sleeps to synchronise: the driver's threads meet at a gate that opens when
// all of them are there at once, or gives up after a deadline and says how many ever were.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checks.hpp"
#include "driver/printed_name.hpp"
#include "probe.hpp"

using namespace std::chrono_literals;

namespace {

// ---- Bytes and characters, the tests' own (never your functions) ------------------------------

bool is_continuation(char byte) {
    return (static_cast<unsigned char>(byte) & 0xC0) == 0x80;
}

// Length of the UTF-8 sequence a lead byte starts (the texts here are valid UTF-8).
std::size_t sequence_length(char lead) {
    const auto byte = static_cast<unsigned char>(lead);
    return byte < 0x80 ? 1 : byte < 0xE0 ? 2 : byte < 0xF0 ? 3 : 4;
}

// "63 c3 a9": the bytes in hex, for the transcript; "(empty)" for none.
std::string hex(std::string_view bytes) {
    if (bytes.empty()) return "(empty)";
    std::string out;
    for (const char c : bytes) {
        static constexpr char digits[] = "0123456789abcdef";
        const auto byte = static_cast<unsigned char>(c);
        if (!out.empty()) out += ' ';
        out += digits[byte >> 4];
        out += digits[byte & 0xF];
    }
    return out;
}

using printed_name::in_quotes;

// The bytes of a name the driver printed with in_quotes(). Throws if it is not in that form.
std::string unquoted(std::string_view text) {
    if (text.size() < 2 || text.front() != '"' || text.back() != '"') {
        throw std::invalid_argument("not a name in double quotes: " + std::string(text));
    }
    std::string out;
    for (std::size_t i = 1; i + 1 < text.size(); ++i) {
        if (text[i] != '\\') {
            out += text[i];
        } else if (text[i + 1] == 'x' && i + 4 < text.size()) {
            out += static_cast<char>(std::stoi(std::string(text.substr(i + 2, 2)), nullptr, 16));
            i += 3;
        } else {
            out += text[++i];
        }
    }
    return out;
}

// "compteurs-éé" (14 bytes): for messages.
std::string show(std::string_view bytes) {
    return in_quotes(bytes) + " (" + std::to_string(bytes.size()) + " bytes)";
}

// Whole characters from the start, while they fit in 15 bytes.
std::string expected_cut(std::string_view name) {
    std::size_t end = 0;
    while (end < name.size() && end + sequence_length(name[end]) <= 15) {
        end += sequence_length(name[end]);
    }
    return std::string(name.substr(0, end));
}

bool valid_utf8(std::string_view bytes) {
    for (std::size_t i = 0; i < bytes.size();) {
        if (is_continuation(bytes[i])) return false;
        const std::size_t n = sequence_length(bytes[i]);
        if (i + n > bytes.size()) return false;
        for (std::size_t k = 1; k < n; ++k) {
            if (!is_continuation(bytes[i + k])) return false;
        }
        i += n;
    }
    return true;
}

std::size_t characters(std::string_view text) {
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return !is_continuation(c); }));
}

// ---- Random inputs, from a seed the transcript shows -------------------------------------------

std::mt19937_64 seeded_generator() {
    const char* fixed = std::getenv("WORKBOOK_SEED");
    const std::uint64_t seed = fixed && *fixed ? std::stoull(fixed) : std::random_device{}();
    probe::log("random inputs from seed " + std::to_string(seed) +
               " (WORKBOOK_SEED=" + std::to_string(seed) + " replays them)");
    return std::mt19937_64(seed);
}

std::size_t pick(std::mt19937_64& rng, std::size_t low, std::size_t high) {
    return std::uniform_int_distribution<std::size_t>(low, high)(rng);
}

// Characters of 1, 2, 3 and 4 bytes.
constexpr std::string_view alphabet[] = {"a",
                                         "Z",
                                         "-",
                                         " ",
                                         "7",
                                         "\xc3\xa9",
                                         "\xc3\xa7",
                                         "\xd0\xb6",
                                         "\xe2\x82\xac",
                                         "\xe7\xba\xbf",
                                         "\xf0\x9f\x98\x80",
                                         "\xf0\x9f\x91\x8b"};

std::string random_text(std::mt19937_64& rng, std::size_t characters) {
    std::string text;
    for (std::size_t i = 0; i < characters; ++i) text += alphabet[pick(rng, 0, 11)];
    return text;
}

// `n` different sizes from 1 to 99 (different, so that results out of order show).
std::vector<std::size_t> random_sizes(std::mt19937_64& rng, std::size_t n) {
    std::vector<std::size_t> sizes;
    while (sizes.size() < n) {
        const std::size_t size = pick(rng, 1, 99);
        if (std::find(sizes.begin(), sizes.end(), size) == sizes.end()) sizes.push_back(size);
    }
    return sizes;
}

// "3,1,4" (with separator ','), "3 1 4" (with ' ').
std::string joined(const std::vector<std::size_t>& numbers, char separator) {
    std::string out;
    for (const std::size_t n : numbers) {
        if (!out.empty()) out += separator;
        out += std::to_string(n);
    }
    return out;
}

// ---- The driver --------------------------------------------------------------------------------

// How long the driver's threads wait for each other at its gate before giving up.
std::chrono::milliseconds gate_deadline() {
    return probe::scaled(2s);
}

probe::Program start_driver(std::vector<std::string> args, probe::Program::Options options = {}) {
    args.insert(args.begin(), {"--deadline-ms", std::to_string(gate_deadline().count())});
    options.label = "driver";
    // This lesson has no locks to order: ThreadSanitizer's lock-order checks would only cost each
    // start of the driver 7 ms. Races and threads left running are still reported.
    options.env.insert(options.env.begin(), "TSAN_OPTIONS=detect_deadlocks=0");
    return probe::Program(probe::program_under_test(), std::move(args), std::move(options));
}

// What usually makes the driver stop early, in the student's words.
std::string likely_cause(const probe::Program& driver) {
    const std::string err = driver.err();
    if (err.find("TODO:") != std::string::npos) {
        return "a function of workers.cpp is still a TODO (see the driver's last line)";
    }
    if (err.find("terminate called without an active exception") != std::string::npos) {
        return "a std::thread was destroyed while it could still be joined, and that calls "
               "std::terminate: join every thread you start (or use std::jthread, which joins in "
               "its destructor), and in ~Worker() join a thread that was started and not joined";
    }
    if (err.find("terminate called after throwing") != std::string::npos) {
        return "an exception left a thread's function, and that calls std::terminate: catch it "
               "inside the thread (catch (...) { error = std::current_exception(); }) and rethrow "
               "it in the caller after join() (std::rethrow_exception)";
    }
    if (err.find("driver: ") != std::string::npos) {
        return "a function of workers.cpp threw an exception the contract does not ask for (the "
               "driver's line \"driver: TYPE: MESSAGE\" below says which)";
    }
    return "see the driver's last lines";
}

// The driver's line "still running: ...", if it printed one: a function that should have joined
// its threads returned while one still ran (the driver then ends at once, status 4).
std::string still_running(const probe::Program& driver) {
    for (const std::string& line : driver.out_lines()) {
        if (line.starts_with("still running: ")) return line.substr(15);
    }
    return "";
}

void fail_if_still_running(const probe::Program& driver) {
    if (const std::string what = still_running(driver); !what.empty()) {
        FAIL(what << ". A thread that is detach()ed (or never joined) goes on after the function "
                     "returns, and uses variables that are gone: join() every thread you start "
                     "(thread.join(), never detach()), or keep them in a std::vector<std::jthread> "
                     "that goes out of scope before you return");
    }
}

// Waits for the driver to end; fails first if a function returned while its threads still ran,
// then on a ThreadSanitizer report (a data race is a failure even when the results are right),
// then unless it exited with status 0.
void finish(probe::Program& driver) {
    const probe::ExitStatus status = driver.wait_exit();
    fail_if_still_running(driver);
    checks::no_sanitizer_report(driver);
    if (!status.ok()) {
        FAIL("the driver " << status.describe() << ": " << likely_cause(driver) << "\n"
                           << driver.last_lines(6));
    }
}

// The rest of the driver's line "KEY: ...". Fails if there is none.
std::string fact(const probe::Program& driver, std::string_view key) {
    const std::string prefix = std::string(key) + ": ";
    for (const std::string& line : driver.out_lines()) {
        if (line.starts_with(prefix)) return line.substr(prefix.size());
    }
    FAIL("the driver printed no line \"" << key << ": ...\"\n" << driver.last_lines(6));
    return "";
}

std::size_t number(const std::string& text) {
    return std::stoul(text);
}

// The message for threads that did not all run at once; `at_once` is the driver's "2 of 4".
std::string not_at_once(const std::string& at_once) {
    const std::string seen = "your threads did not run at the same time: only " + at_once +
                             " ran at once (they waited " +
                             std::to_string(gate_deadline().count()) +
                             " ms at the gate for the others). ";
    if (at_once.starts_with("1 of ")) {
        return seen +
               "One at a time: start every thread first, then join them all. A join() inside the "
               "loop that starts them waits for each thread before the next one starts (and "
               "without threads, the caller counts one chunk after the other)";
    }
    return seen +
           "Each chunk's count must run once, in a thread of its own, and every thread must be "
           "started before any is joined: see which chunks were counted, and how often, in the "
           "driver's lines \"chunk I: calls N\" below";
}

// The driver waits at its gate, all threads there: waits for its line "holding: N of N at once".
// Fails, saying how many ran at once, if the gate gave up instead.
void wait_until_holding(probe::Program& driver, std::size_t n) {
    const std::string line = driver.wait_for_line(
        [](std::string_view l) {
            return l.starts_with("holding: ") || l.starts_with("at once: ") ||
                   l.starts_with("still running: ");
        },
        "the line saying that every thread waits at the gate");
    if (line.starts_with("still running: ")) {
        driver.wait_exit();
        fail_if_still_running(driver);
    }
    if (line.starts_with("at once: ")) FAIL(not_at_once(line.substr(9)));
    REQUIRE(line == "holding: " + std::to_string(n) + " of " + std::to_string(n) + " at once");
}

// "Your threads did not run at the same time" unless the fact "at once" is N of N.
void check_all_at_once(const probe::Program& driver, std::size_t n) {
    const std::string at_once = fact(driver, "at once");
    INFO(not_at_once(at_once));
    CHECK(at_once == std::to_string(n) + " of " + std::to_string(n));
}

// The names of the program's threads, as Linux shows them in /proc/PID/task/TID/comm: read by the
// test, from outside, so that they are what `ps -L` and `top -H` show.
std::vector<std::string> thread_names(const probe::Program& driver) {
    std::vector<std::string> names;
    const std::filesystem::path tasks = "/proc/" + std::to_string(driver.pid()) + "/task";
    std::error_code error;
    for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
        std::ifstream comm(task.path() / "comm", std::ios::binary);
        std::string name;
        if (std::getline(comm, name)) names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    probe::log("/proc/" + std::to_string(driver.pid()) +
               "/task/*/comm: " + std::to_string(names.size()) + " threads");
    for (const std::string& name : names) probe::log("  " + show(name));
    return names;
}

// Every name of `expected` is among `seen` (as many times as it is expected).
void check_names_seen(std::vector<std::string> seen, const std::vector<std::string>& expected) {
    for (const std::string& name : seen) {
        INFO("a thread's name is " << show(name)
                                   << ": not valid UTF-8, a character was cut in half. Cut only "
                                      "before a byte that is not 10xxxxxx");
        CHECK(valid_utf8(name));
    }
    for (const std::string& name : expected) {
        const auto it = std::find(seen.begin(), seen.end(), name);
        INFO("no thread of the driver is named " << show(name) << " in /proc/PID/task/*/comm");
        CHECK(it != seen.end());
        if (it != seen.end()) seen.erase(it);
    }
}

// The thread that started the others kept its name: each thread names itself.
void check_caller_not_renamed(const probe::Program& driver, std::string_view after) {
    const std::string before = unquoted(fact(driver, "caller's name before"));
    const std::string now = unquoted(fact(driver, after));
    INFO("the thread that started the others was named "
         << show(before) << " and is now " << show(now)
         << ": set_current_thread_name names the thread that calls it, so call it inside the new "
            "thread, not before starting it");
    CHECK(in_quotes(now) == in_quotes(before));
}

// The driver holds its threads at the gate: checks from outside that they are all there, named
// `expected` (`naming` says how, for the messages), then lets them go and waits for the driver to
// end.
void check_held_threads(probe::Program& driver, const std::vector<std::string>& expected,
                        std::string_view naming) {
    wait_until_holding(driver, expected.size());
    const std::vector<std::string> names = thread_names(driver);
    const std::size_t while_held = driver.threads();
    // A function that does not wait for its threads has returned by now: the driver said so and
    // ended, and finish() fails with that first.
    try {
        driver.write_input("open\n");
        driver.close_input();
    } catch (const probe::Failure&) {
        if (driver.running()) throw;
    }
    finish(driver);
    {
        INFO(naming);
        check_names_seen(names, expected);
    }

    const std::size_t before = number(fact(driver, "threads before"));
    INFO("while its " << expected.size() << " threads ran, /proc/PID/task listed " << while_held
                      << " threads; the driver had " << before << " before starting them");
    CHECK(while_held == before + expected.size());
}

}  // namespace

// ---- Names -------------------------------------------------------------------------------------

TEST_CASE("cut_thread_name: keeps a name of at most 15 bytes, cuts a longer one between characters",
          "[pts=3][id=cut-thread-name-keeps-name]") {
    auto rng = seeded_generator();
    std::vector<std::string> names = {
        "",
        "caissier-1",
        "abcdefghijklmno",   // 15 bytes: kept
        "abcdefghijklmnop",  // 16: the 16th byte goes
        "compteur-de-caract\xc3\xa8res",
        "compteurs-\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",     // byte 15 is inside the 3rd é
        "compteur-\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac",  // 9 + 3 + 3 = 15: two € fit exactly
        "compteurs-\xe2\x82\xac\xe2\x82\xac",             // 10 + 3 = 13, the next € ends at 16
        "caisses-\xf0\x9f\x98\x80\xf0\x9f\x98\x80",       // 8 + 4 = 12, the next 😀 ends at 16
        "caisse-\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80",  // 7 + 4 + 4 = 15 exactly
    };
    for (int i = 0; i < 6; ++i) names.push_back(random_text(rng, pick(rng, 6, 14)));

    std::vector<std::string> args = {"cut", "--"};  // "--": a name may start with '-'
    args.insert(args.end(), names.begin(), names.end());
    auto driver = start_driver(args);
    finish(driver);

    const std::vector<std::string> lines = driver.out_lines();
    REQUIRE(lines.size() == names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        const std::string got = unquoted(lines[i].substr(std::string_view("cut: ").size()));
        const std::string expected = expected_cut(names[i]);
        const bool halved = got.size() <= 15 && !valid_utf8(got);
        INFO("cut_thread_name(" << show(names[i]) << ") should be " << show(expected)
                                << ", the longest start of at most 15 bytes that ends between two "
                                   "characters; it returned "
                                << show(got)
                                << (halved ? ", which cuts a character in half: step back while "
                                             "the byte at the cut is 10xxxxxx"
                                           : ""));
        CHECK(in_quotes(got) == in_quotes(expected));
    }
}

// ---- Worker ------------------------------------------------------------------------------------

TEST_CASE("Worker: start() runs the target in a new thread and returns at once; join() waits",
          "[pts=2][id=worker-start-runs-target-new]") {
    auto rng = seeded_generator();
    const std::string value = std::to_string(pick(rng, 1, 1'000'000));
    auto driver = start_driver({"worker-runs", "--value", value});
    finish(driver);

    {
        INFO(
            "the target ran in the thread that called start(): start() must create a new thread "
            "(std::thread) that calls the target, not call the target itself");
        CHECK(fact(driver, "target ran in the caller's thread") == "no");
    }
    {
        INFO("start() returned only after the target had ended (the target waited "
             << gate_deadline().count()
             << " ms for start() to return): start() must not wait for the thread");
        CHECK(fact(driver, "start() returned while the target ran") == "yes");
    }
    {
        INFO(
            "join() returned before the target had ended: join() must wait for the thread "
            "(thread_.join()), never detach() it");
        CHECK(fact(driver, "target had ended when join() returned") == "yes");
        CHECK(fact(driver, "value seen after join()") == value);
    }
}

TEST_CASE(
    "Worker: each thread is named after its Worker, cut to 15 bytes, in /proc/PID/task/*/comm",
    "[pts=3][id=worker-thread-named-worker-cut]") {
    auto rng = seeded_generator();
    const std::vector<std::string> names = {
        "caissier-" + std::to_string(pick(rng, 1, 99)),
        "compteur-de-caract\xc3\xa8res-" + std::to_string(pick(rng, 1, 99)),
        "compteurs-\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" + random_text(rng, 2),
        random_text(rng, pick(rng, 8, 12)),
    };
    std::vector<std::string> expected;
    for (const std::string& name : names) expected.push_back(expected_cut(name));

    probe::Program::Options options;
    options.interactive_stdin = true;
    std::vector<std::string> args = {"worker-names", "--"};
    args.insert(args.end(), names.begin(), names.end());
    auto driver = start_driver(args, std::move(options));

    check_held_threads(driver, expected,
                       "the new thread sets its own name first thing: "
                       "set_current_thread_name(name_), in the thread, before the target");
    check_caller_not_renamed(driver, "caller's name after start()");

    for (std::size_t i = 0; i < names.size(); ++i) {
        const std::string key = "worker " + std::to_string(i);
        const std::string inside = unquoted(fact(driver, key + " current_thread_name()"));
        INFO("in Worker " << show(names[i]) << "'s target, current_thread_name() returned "
                          << show(inside) << "; the OS name is set first thing in the new thread");
        CHECK(in_quotes(inside) == in_quotes(expected[i]));
        INFO("name() must return the whole name given to the constructor");
        CHECK(in_quotes(unquoted(fact(driver, key + " name()"))) == in_quotes(names[i]));
    }
    INFO("after join(), the driver still has threads that were not there before");
    CHECK(fact(driver, "threads after") == fact(driver, "threads before"));
}

TEST_CASE("Worker: is_alive() is true from start() until the target returns, not until join()",
          "[pts=2][id=worker-alive-true-start-until]") {
    auto driver = start_driver({"worker-alive"});
    finish(driver);

    CHECK(fact(driver, "is_alive() before start()") == "false");
    {
        INFO(
            "is_alive() must be true as soon as start() has returned: set the flag in start(), "
            "before creating the thread");
        CHECK(fact(driver, "is_alive() after start(), while the target waits") == "true");
    }
    {
        INFO("is_alive() was still true " << gate_deadline().count()
                                          << " ms after the target returned. joinable() is not "
                                             "is_alive(): it stays true until join(). Clear a flag "
                                             "at the end of the thread's function");
        CHECK(fact(driver, "is_alive() once the target has returned, before join()") == "false");
    }
    CHECK(fact(driver, "is_alive() after join()") == "false");
}

TEST_CASE("Worker: join() rethrows the exception that ended the target, once",
          "[pts=2][id=worker-join-rethrows-exception-ended]") {
    auto rng = seeded_generator();
    const std::string message =
        "the till of caissier-" + std::to_string(pick(rng, 1, 999)) + " is empty";
    auto driver = start_driver({"worker-throws", "--message", message});
    finish(driver);

    {
        INFO(
            "join() must rethrow the target's exception itself (same type, same message): keep "
            "std::current_exception() in the thread, std::rethrow_exception() in join()");
        CHECK(fact(driver, "join() of the target that threw") ==
              "threw the target's exception: " + message);
    }
    {
        INFO("a second join() returns at once, without throwing the exception again");
        CHECK(fact(driver, "join() again") == "returned");
    }
    CHECK(fact(driver, "join() of the target that returned") == "returned");
}

TEST_CASE("Worker: start() twice or join() before start() throws; ~Worker() joins",
          "[pts=2][id=worker-start-twice-join-start]") {
    auto driver = start_driver({"worker-misuse"});
    finish(driver);

    CHECK(fact(driver, "join() before start()") == "threw std::logic_error");
    CHECK(fact(driver, "start() again") == "threw std::logic_error");
    {
        INFO("the target must run once, whatever start() was asked again");
        CHECK(fact(driver, "target runs") == "1");
    }
    INFO(
        "~Worker() returned before the target had ended: join the thread there if it is "
        "joinable()");
    CHECK(fact(driver, "target had ended when ~Worker() returned") == "yes");
}

// ---- Counting with threads ---------------------------------------------------------------------

TEST_CASE("split_utf8: n pieces in order, cut only between characters, even more pieces than bytes",
          "[pts=3][id=split-utf8-n-pieces-order]") {
    auto rng = seeded_generator();
    const std::string text = random_text(rng, pick(rng, 20, 40));
    const std::vector<std::size_t> counts = {1, 2, 3, 4, 5, 7, 13, 16, text.size(), text.size() + 9,
                                             0};
    probe::Program::Options options;
    options.stdin_data = text;
    probe::log("the text: " + show(text) + ", " + std::to_string(characters(text)) +
               " characters; bytes " + hex(text));
    auto driver = start_driver({"split", "--pieces", joined(counts, ',')}, std::move(options));
    finish(driver);

    for (const std::size_t n : counts) {
        const std::string pieces = fact(driver, "pieces " + std::to_string(n));
        if (n == 0) {
            INFO("split_utf8(text, 0) must throw std::invalid_argument");
            CHECK(pieces == "threw std::invalid_argument");
            continue;
        }
        if (pieces.starts_with("threw ")) {
            FAIL("split_utf8(text, " << n << ") " << pieces << "; it must return " << n
                                     << " pieces of the text");
        }
        INFO("split_utf8(text, " << n << ") gave, as OFFSET+SIZE in the text: " << pieces);
        std::vector<std::string> parts;
        std::istringstream words(pieces);
        for (std::string word; words >> word;) parts.push_back(word);
        CHECK(parts.size() == n);
        const std::size_t limit = (text.size() + n - 1) / n + 3;
        std::size_t at = 0;
        for (std::size_t i = 0; i < parts.size(); ++i) {
            const std::size_t plus = parts[i].find('+');
            const std::size_t size = std::stoul(parts[i].substr(plus + 1));
            if (size == 0) continue;
            INFO("piece " << i
                          << " is not a view of the text itself right after the piece before "
                             "(offset "
                          << at << "): use text.substr(start, size), not a copy");
            REQUIRE(parts[i].substr(0, plus) == std::to_string(at));
            INFO("piece " << i << " starts with the byte " << hex(text.substr(at, 1))
                          << ", which is 10xxxxxx: the cut is inside a character. Move the cut "
                             "forward while text[cut] is 10xxxxxx");
            CHECK(!is_continuation(text[at]));
            INFO("piece " << i << " has " << size << " bytes; each may have at most ceil("
                          << text.size() << " / " << n << ") + 3 = " << limit);
            CHECK(size <= limit);
            at += size;
        }
        INFO("the pieces end at byte " << at << ", the text at " << text.size());
        CHECK(at == text.size());
    }
}

TEST_CASE("count_in_threads: each chunk in a thread of its own, all running at the same time",
          "[pts=3][id=count-threads-chunk-thread-own]") {
    auto rng = seeded_generator();
    const std::size_t n = pick(rng, 3, 4);
    auto driver = start_driver({"in-threads", "--sizes", joined(random_sizes(rng, n), ',')});
    finish(driver);

    // Each chunk once, none in the caller's thread (which lives on, so its id is never reused).
    // That each had a thread of its own shows at the gate: N threads there at once are N threads.
    for (std::size_t i = 0; i < n; ++i) {
        const std::string line = fact(driver, "chunk " + std::to_string(i));
        INFO("chunk " << i << ": " << line);
        {
            INFO("count(chunks[" << i << "]) must be called exactly once");
            CHECK(line.starts_with("calls 1, "));
        }
        if (line.find(", thread 0,") != std::string::npos) {
            FAIL("count(chunks[" << i
                                 << "]) ran in the thread that called count_in_threads "
                                    "(thread 0): each chunk's count must run in a new thread "
                                    "(std::thread or std::jthread), never in the caller's");
        }
    }
    check_all_at_once(driver, n);
}

TEST_CASE("count_in_threads: threads named chunk-0, chunk-1..., all ended when it returns",
          "[pts=3][id=count-threads-threads-named-chunk]") {
    auto rng = seeded_generator();
    const std::size_t n = pick(rng, 3, 4);
    std::vector<std::string> expected;
    for (std::size_t i = 0; i < n; ++i) expected.push_back("chunk-" + std::to_string(i));
    probe::Program::Options options;
    options.interactive_stdin = true;
    auto driver = start_driver(
        {"in-threads", "--hold", "--sizes", joined(random_sizes(rng, n), ',')}, std::move(options));

    check_held_threads(driver, expected,
                       "name each thread first thing: set_current_thread_name(\"chunk-\" + "
                       "std::to_string(i))");
    check_caller_not_renamed(driver, "caller's name after");

    {
        INFO(
            "count_in_threads returned before every thread had ended: join them all (never "
            "detach())");
        CHECK(fact(driver, "returned, with the threads ended") ==
              std::to_string(n) + " of " + std::to_string(n));
    }
    INFO(
        "after count_in_threads returned, the driver still had threads that were not there "
        "before: join every thread you start");
    CHECK(fact(driver, "threads after") == fact(driver, "threads before"));
}

TEST_CASE("count_in_threads: results in the order of the chunks, whatever order the threads end in",
          "[pts=2][id=count-threads-results-order-chunks]") {
    auto rng = seeded_generator();
    const std::size_t n = pick(rng, 3, 4);
    const std::vector<std::size_t> sizes = random_sizes(rng, n);
    const std::string list = joined(sizes, ',');
    const std::string expected = joined(sizes, ' ');
    // --reverse: the thread of the last chunk ends first, that of the first chunk last.
    auto driver = start_driver({"in-threads", "--reverse", "--sizes", list});
    finish(driver);

    check_all_at_once(driver, n);
    INFO("the counts of chunks " << list << " (each count is the chunk's size) came back as "
                                 << fact(driver, "results")
                                 << ". The threads ended last chunk first: results[i] must be "
                                    "count(chunks[i]), written at index i, not in the order the "
                                    "threads end");
    CHECK(fact(driver, "results") == expected);
}

TEST_CASE("count_in_threads: once every thread has ended, rethrows the lowest chunk's exception",
          "[pts=2][id=count-threads-thread-has-ended]") {
    auto rng = seeded_generator();
    const std::size_t n = 4;
    const std::size_t first = pick(rng, 0, n - 2);
    const std::size_t second = pick(rng, first + 1, n - 1);
    // The later chunk throws first: --reverse ends the threads last chunk first.
    auto driver = start_driver({"in-threads", "--reverse", "--sizes", "5,6,7,8", "--throw",
                                std::to_string(first) + "," + std::to_string(second)});
    finish(driver);
    // The later chunk throws first only if the threads run at the same time.
    check_all_at_once(driver, n);

    {
        INFO("chunks " << first << " and " << second
                       << " threw: count_in_threads must rethrow the exception of chunk " << first
                       << ", the lowest, once every thread has ended. Keep each thread's "
                          "std::current_exception() at its index, join all, then rethrow");
        CHECK(fact(driver, "rethrown") == "chunk " + std::to_string(first) + " failed");
    }
    INFO("the exception came back before every thread had ended: join them all first");
    CHECK(fact(driver, "threw, with the threads ended") == "4 of 4");
    CHECK(fact(driver, "threads after") == fact(driver, "threads before"));
}

TEST_CASE("count_characters: counts the characters of a large text with several threads",
          "[pts=2][id=count-characters-counts-characters-large]") {
    auto rng = seeded_generator();
    const std::string text = random_text(rng, pick(rng, 8'000, 12'000));
    const std::size_t threads = pick(rng, 2, 4);
    probe::Program::Options options;
    options.stdin_data = text;
    probe::log("the text: " + std::to_string(text.size()) + " bytes, " +
               std::to_string(characters(text)) + " characters, counted with " +
               std::to_string(threads) + " threads");
    auto driver = start_driver({"count", "--threads", std::to_string(threads)}, std::move(options));
    finish(driver);

    INFO("a text of " << text.size() << " bytes and " << characters(text)
                      << " characters, counted with " << threads << " threads");
    CHECK(fact(driver, "characters") == std::to_string(characters(text)));
}
