// Lesson 05, locks. Your Counter and Bank never run inside this program: each test case starts the
// lesson's driver (your bank.cpp with tests/05-locks/driver/, built with ThreadSanitizer), tells
// it what to run, reads the facts it prints ("transfer 0 1 30 -> true", "balances -> 70 80 0")
// and compares them with what it computed itself. A ThreadSanitizer report fails a test case even
// when the numbers come out right, and a driver that does not finish in time is looked at from
// outside (/proc) to say which threads are stuck and where. The lesson's README has the contract.
#include <catch2/catch.hpp>

#include <sys/syscall.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "checks.hpp"
#include "probe.hpp"

namespace {

using namespace std::chrono_literals;

// ---- the driver, and what to say when it never finishes ---------------------------------------

probe::Program start_driver(std::vector<std::string> args, std::string input = "") {
    probe::Program::Options options;
    options.label = "driver";
    options.stdin_data = std::move(input);
    return probe::Program(probe::program_under_test(), std::move(args), std::move(options));
}

std::string read_first_line(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

// What each thread of a running program is doing, one line each, as /proc shows it. Sets
// `waiting` to how many of them sleep in futex() (a lock, or a condition variable) and `running`
// to how many are on a CPU.
std::string threads_of(const probe::Program& program, int& waiting, int& running) {
    namespace fs = std::filesystem;
    waiting = running = 0;
    std::string out;
    std::error_code error;
    for (const auto& task : fs::directory_iterator(
             fs::path("/proc") / std::to_string(program.pid()) / "task", error)) {
        const std::string name = read_first_line(task.path() / "comm");
        const std::string wchan = read_first_line(task.path() / "wchan");
        const std::string stat = read_first_line(task.path() / "stat");
        const std::string syscall = read_first_line(task.path() / "syscall");
        const std::size_t paren = stat.rfind(')');
        const char state = paren + 2 < stat.size() ? stat[paren + 2] : '?';
        const bool futex = wchan.find("futex") != std::string::npos ||
                           syscall.starts_with(std::to_string(SYS_futex) + " ");
        if (futex) ++waiting;
        if (state == 'R') ++running;
        out += "  thread '" + name + "': " +
               (futex ? "asleep in futex(): waiting for a lock, a join or a condition variable"
                : state == 'R' ? "running"
                               : "state " + std::string(1, state) + " in " + wchan) +
               "\n";
    }
    return out;
}

// What the threads of a driver that did not finish were doing.
struct Stuck {
    int waiting = 0;  // asleep in futex(): a lock (or a join, a condition variable)
    int running = 0;  // on a CPU
};

// Waits for the driver to end. If your code threw (a starter's "TODO: ... is not written yet"),
// fails with that alone: nothing else about the run means anything then. Call it before any INFO,
// so that no hint about another mistake is shown beside a TODO. If the driver is still running
// at the deadline, fails with what `stuck(threads)` says that means for this scenario, what each
// thread is doing, and any ThreadSanitizer report printed so far (it names the lines of
// bank.cpp); the driver is then killed.
void finish(probe::Program& driver, const std::function<std::string(const Stuck&)>& stuck) {
    try {
        driver.wait_exit(probe::scaled(3s));
        for (const std::string& line : driver.out_lines()) {
            if (line.starts_with("threw: ")) FAIL("your code threw: " << line.substr(7));
        }
        return;
    } catch (const probe::Failure&) {
    }
    Stuck threads;
    const std::string listing = threads_of(driver, threads.waiting, threads.running);
    const std::string why =
        threads.running > 0 && threads.waiting == 0
            ? "a thread is still running: a loop that never ends? (std::scoped_lock given the same "
              "mutex twice loops for ever)"
            : "threads are asleep waiting for locks that nobody will unlock (a deadlock)";
    const std::vector<probe::SanitizerReport> reports = probe::sanitizer_reports(driver.err());
    FAIL(stuck(threads) << "\nThe driver had not finished after 3 s; " << why << ":\n"
                        << listing
                        << (reports.empty() ? ""
                                            : "Before that, ThreadSanitizer reported:\n" +
                                                  probe::describe(reports) + "\n")
                        << "The last lines it printed:\n"
                        << driver.last_lines(5));
}

void finish(probe::Program& driver, const std::string& stuck) {
    finish(driver, [&](const Stuck&) { return stuck; });
}

// For finish(): `deadlock` when at least three threads sleep in futex() (the main thread joining,
// and two waiting for each other's locks), else `otherwise`.
std::function<std::string(const Stuck&)> deadlock_or(std::string deadlock, std::string otherwise) {
    return [deadlock, otherwise](const Stuck& threads) {
        return threads.waiting >= 3 ? deadlock : otherwise;
    };
}

// Whether the driver's stderr holds a ThreadSanitizer report of this kind ("data race",
// "lock-order-inversion").
bool reported(const probe::Program& driver, const std::string& kind) {
    const std::vector<probe::SanitizerReport> reports = probe::sanitizer_reports(driver.err());
    return std::any_of(reports.begin(), reports.end(),
                       [&](const auto& report) { return report.kind.starts_with(kind); });
}

// After finish(): no sanitizer report, then exit status 0.
void ended_cleanly(probe::Program& driver) {
    checks::no_sanitizer_report(driver);
    checks::exits_with(driver, 0);
}

// ---- scripts: one call at a time --------------------------------------------------------------

// The driver's replies to a script, read in order: "CALL -> RESULT" for each call, and
// "  inside CALL, holding no lock: CALL2 -> RESULT" for a call slipped into another.
class Replies {
  public:
    explicit Replies(std::vector<std::string> lines) : lines_(std::move(lines)) {}

    // The result of the next line "CALL -> RESULT" (at the start of a line).
    std::string next(const std::string& call) { return find(call + " -> ", false); }
    // The result of the next call slipped in "inside OUTER: CALL -> RESULT", or "" if it never
    // ran (the driver then printed "CALL never ran: ...": OUTER never unlocked a mutex).
    std::string inside(const std::string& outer, const std::string& call) {
        return find("  inside " + outer + ", holding no lock: " + call + " -> ", true);
    }

  private:
    std::string find(const std::string& prefix, bool optional) {
        for (std::size_t i = cursor_; i < lines_.size(); ++i) {
            if (lines_[i].starts_with(prefix)) {
                cursor_ = i + 1;
                return lines_[i].substr(prefix.size());
            }
        }
        if (!optional) FAIL("the driver printed no line \"" << prefix << "...\"");
        return "";
    }
    std::vector<std::string> lines_;
    std::size_t cursor_ = 0;
};

// "transfer F T A" as the tests write it: "transfer(F, T, A)".
std::string as_call(const std::string& line) {
    std::istringstream in(line);
    std::string verb, from, to, amount;
    in >> verb >> from >> to >> amount;
    return verb + "(" + from + ", " + to + ", " + amount + ")";
}

// The transfers of a script (slipped-in ones too) between the same two accounts in opposite
// directions, each pair as "transfer(0, 1, 30), then transfer(1, 0, 5)"; "; " between pairs.
std::string opposite_transfers(const std::string& script) {
    std::vector<std::string> transfers;
    std::istringstream lines(script);
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with("during ")) {
            const auto colon = line.find(':');
            transfers.push_back(line.substr(7, colon - 7));
            line = line.substr(colon + 1);
            line.erase(0, line.find_first_not_of(' '));
        }
        transfers.push_back(line);
    }
    std::erase_if(transfers, [](const std::string& t) { return !t.starts_with("transfer "); });
    const auto accounts = [](const std::string& t) {
        std::istringstream in(t.substr(9));
        long from = 0, to = 0;
        in >> from >> to;
        return std::pair{from, to};
    };
    std::string out;
    for (std::size_t i = 0; i < transfers.size(); ++i) {
        const auto [from, to] = accounts(transfers[i]);
        for (std::size_t j = i + 1; j < transfers.size(); ++j) {
            if (from != to && accounts(transfers[j]) == std::pair{to, from}) {
                out += (out.empty() ? "" : "; ") + as_call(transfers[i]) + ", then " +
                       as_call(transfers[j]);
                break;
            }
        }
    }
    return out;
}

// Runs a script; fails if your code threw, if the script never ends (naming the call that did not
// return, then `never_returned` if given), on a ThreadSanitizer report, or if a call returned with
// a lock still locked.
Replies run_script(const std::string& script, const std::string& never_returned = "") {
    probe::log("script:\n" + script);
    auto driver = start_driver({"script"}, script);
    finish(driver, [&](const Stuck&) {
        // The first call of the script without its "CALL -> RESULT" line.
        const std::vector<std::string> out = driver.out_lines();
        std::size_t cursor = 0;
        std::istringstream lines(script);
        for (std::string line; std::getline(lines, line);) {
            if (line.empty() || line.starts_with("bank") || line == "counter") continue;
            if (line.starts_with("during ")) line = line.substr(7, line.find(':') - 7);
            const auto reply =
                std::find_if(out.begin() + static_cast<long>(cursor), out.end(),
                             [&](const std::string& l) { return l.starts_with(line + " -> "); });
            if (reply == out.end())
                return line + " never returned" +
                       (never_returned.empty() ? "" : ": " + never_returned);
            cursor = static_cast<std::size_t>(reply - out.begin()) + 1;
        }
        return std::string("the driver never finished");
    });
    // One thread made the calls, one after another: a lock-order inversion cannot deadlock here,
    // and the balances may be right, so say what ThreadSanitizer saw in this case's own calls.
    if (reported(driver, "lock-order-inversion")) {
        const std::string pairs = opposite_transfers(script);
        INFO((pairs.empty()
                  ? std::string(
                        "this case made its calls one after another, in one thread, and the "
                        "results may well be right: the lock-order inversion is that two of its "
                        "calls took the same two mutexes in opposite orders, which deadlocks when "
                        "two threads make them at the same time. Take the accounts' mutexes in one "
                        "order everywhere (the smaller account number first), or together "
                        "(std::scoped_lock)")
                  : "this case made its transfers one after another, in one thread, and the "
                    "balances may well be right: the lock-order inversion comes from transfers "
                    "between the same two accounts in opposite directions (" +
                        pairs +
                        "), whose two mutexes your transfer() took in opposite orders. Two threads "
                        "making such transfers at the same time would each hold one mutex and wait "
                        "for ever for the other (see the case \"bank: transfers in opposite "
                        "directions never deadlock\"). Lock both with std::scoped_lock(a, b), or "
                        "always the account with the smaller number first"));
        checks::no_sanitizer_report(driver);
    }
    ended_cleanly(driver);
    for (const std::string& line : driver.out_lines()) {
        if (line.starts_with("  still holding")) {
            FAIL(
                "a call returned with a mutex still locked (\""
                << line.substr(2)
                << "\"): every path out of a function must unlock, the early return too; a "
                   "std::lock_guard or std::scoped_lock unlocks for you when it goes out of scope");
        }
    }
    return Replies(driver.out_lines());
}

std::string list(const std::vector<long>& values) {
    std::string out;
    for (const long v : values) out += (out.empty() ? "" : " ") + std::to_string(v);
    return out;
}

// The rest of the first line of `lines` that starts with `prefix`, or "(no such line)".
std::string after(const std::vector<std::string>& lines, const std::string& prefix) {
    for (const std::string& line : lines) {
        if (line.starts_with(prefix)) return line.substr(prefix.size());
    }
    return "(no such line)";
}

std::mt19937_64 seeded_generator() {
    const auto seed = std::random_device{}();
    probe::log("random inputs from seed " + std::to_string(seed));
    return std::mt19937_64(seed);
}

long between(std::mt19937_64& rng, long low, long high) {
    return std::uniform_int_distribution<long>(low, high)(rng);
}

// ---- many threads ------------------------------------------------------------------------------

// The facts of a `transfers` run.
struct Outcome {
    std::vector<long> accepted;  // per thread
    std::string auditor;         // the totals the auditor saw
    long lowest = 0;             // the lowest balance the auditor saw
    std::string balances;
    long total = 0;
};

Outcome run_transfers(const std::vector<long>& opening,
                      const std::vector<std::vector<long>>& plans) {
    std::string input = "bank " + list(opening) + "\n";
    for (const auto& plan : plans) input += "thread " + list(plan) + "\n";
    input += "audit\n";
    auto driver = start_driver({"transfers"}, input);
    finish(driver,
           deadlock_or(
               "the transfers never all returned: threads waited for locks that the others held. "
               "The likely cause is a deadlock of two transfers that lock the same two accounts "
               "in opposite orders: transfer(a, b) holds account a's mutex and waits for b's "
               "while transfer(b, a) holds b's and waits for a's (see the case \"bank: transfers "
               "in opposite directions never deadlock\"); or total() takes the accounts' mutexes "
               "in another order than transfer() does. Lock two accounts with "
               "std::scoped_lock(a, b), or the smaller account number first, and in total() from "
               "account 0 up",
               "the transfers never all returned"));
    ended_cleanly(driver);
    Outcome outcome;
    for (const std::string& line : driver.out_lines()) {
        if (line.starts_with("thread ")) {
            outcome.accepted.push_back(std::stol(line.substr(line.find(", ") + 2)));
        } else if (line.starts_with("auditor: lowest balance seen ")) {
            outcome.lowest = std::stol(line.substr(29));
        } else if (line.starts_with("auditor: ")) {
            outcome.auditor = line.substr(line.find(" saw") + 4);
            if (!outcome.auditor.empty()) outcome.auditor.erase(0, 1);
        } else if (line.starts_with("balances -> ")) {
            outcome.balances = line.substr(12);
        } else if (line.starts_with("total -> ")) {
            outcome.total = std::stol(line.substr(9));
        }
    }
    REQUIRE(outcome.accepted.size() == plans.size());
    return outcome;
}

}  // namespace

// ---- part 1: the counter ----------------------------------------------------------------------

TEST_CASE("counter: 6 threads increment 500 times each: exactly 3000, and no data race",
          "[pts=2][id=counter-6-threads-increment-500]") {
    auto driver = start_driver({"counter", "6", "500"});
    finish(driver, "the increments never all returned");
    INFO(
        "a data race fails this test even when the count comes out right: lock mutex_ in "
        "increment() and in value()");
    ended_cleanly(driver);
    const auto lines = driver.out_lines();
    {
        INFO(
            "below 3000, increments were lost: two threads read the same value, and both wrote "
            "it back + 1");
        CHECK(after(lines, "value -> ") == "3000");
    }
    INFO("value() was read by another thread all along: it must never go down");
    CHECK(after(lines, "reader: ").ends_with("went down 0 times"));
}

TEST_CASE("counter: an increment is one step: none slips in between its read and its write",
          "[pts=1][id=counter-increment-step-none-slips]") {
    // Each increment() is given another increment() at the moment its thread holds no lock, as
    // another thread could at any time.
    auto replies = run_script(
        "counter\nduring increment: increment\nduring increment: increment\n"
        "during increment: increment\nvalue\n");
    int slipped = 0;
    for (int i = 0; i < 3; ++i) {
        if (!replies.inside("increment", "increment").empty()) ++slipped;
    }
    if (slipped < 3) {
        FAIL(
            "increment() took no lock: the test slips a second increment() in at the moment the "
            "first unlocks mutex_, and it never did. Lock mutex_ around ++value_");
    }
    INFO(
        "6 increments ran, 3 of them while another increment held no lock: if the count is "
        "short, an increment read value_, let go of the lock, and wrote back an old value + 1. "
        "Read, add and write under one lock");
    CHECK(replies.next("value") == "6");
}

// ---- part 2: the bank, one call at a time -----------------------------------------------------

TEST_CASE("bank: balance() and total() give back the opening balances",
          "[pts=1][id=bank-balance-total-give-back]") {
    auto rng = seeded_generator();
    std::vector<long> opening;
    for (int i = 0; i < 5; ++i) opening.push_back(between(rng, 0, 1000));
    auto replies = run_script("bank " + list(opening) + "\nbalances\ntotal\n");
    CHECK(replies.next("balances") == list(opening));
    CHECK(replies.next("total") ==
          std::to_string(std::accumulate(opening.begin(), opening.end(), 0L)));
}

TEST_CASE("bank: transfer() moves the amount and returns true, even when it empties the account",
          "[pts=1][id=bank-transfer-moves-amount-returns]") {
    auto rng = seeded_generator();
    std::vector<long> balances{between(rng, 50, 500), between(rng, 0, 500), between(rng, 0, 500)};
    std::string script = "bank " + list(balances) + "\n";
    std::vector<std::pair<std::string, std::string>> expected;
    for (const auto& [from, to] : {std::pair{0, 1}, {1, 2}, {2, 0}, {0, 2}}) {
        const long amount = between(rng, 1, balances[from]);
        const std::string call = "transfer " + std::to_string(from) + " " + std::to_string(to) +
                                 " " + std::to_string(amount);
        balances[from] -= amount;
        balances[to] += amount;
        script += call + "\nbalances\n";
        expected.emplace_back(call, list(balances));
    }
    // All that is left in account 1: it may go down to 0. (When the transfer to account 2 took
    // all of it already, that one did; a transfer of 0 would be refused.)
    if (balances[1] > 0) {
        const std::string all = "transfer 1 0 " + std::to_string(balances[1]);
        balances[0] += balances[1];
        balances[1] = 0;
        script += all + "\nbalances\n";
        expected.emplace_back(all, list(balances));
    }

    auto replies = run_script(script);
    for (const auto& [call, after] : expected) {
        INFO(call);
        CHECK(replies.next(call) == "true");
        CHECK(replies.next("balances") == after);
    }
}

TEST_CASE("bank: a transfer that would overdraw is refused and changes nothing",
          "[pts=1][id=bank-transfer-would-overdraw-refused]") {
    auto rng = seeded_generator();
    const std::vector<long> opening{between(rng, 0, 100), between(rng, 0, 100)};
    const std::string over = "transfer 0 1 " + std::to_string(opening[0] + 1);
    // Then a transfer the other way, which must still work: a refusal must leave no lock behind.
    const std::string back = "transfer 1 0 " + std::to_string(opening[1]);
    auto replies = run_script("bank " + list(opening) + "\n" + over + "\nbalances\n" + back + "\n");
    CHECK(replies.next(over) == "false");
    CHECK(replies.next("balances") == list(opening));
    CHECK(replies.next(back) == (opening[1] > 0 ? "true" : "false"));
}

TEST_CASE("bank: a transfer of 0 or less is refused and changes nothing",
          "[pts=1][id=bank-transfer-0-less-refused]") {
    auto replies =
        run_script("bank 100 100\ntransfer 0 1 0\ntransfer 0 1 -50\ntransfer 1 0 -100\nbalances\n");
    CHECK(replies.next("transfer 0 1 0") == "false");
    INFO("a negative amount would move money the other way, and could overdraw account `to`");
    CHECK(replies.next("transfer 0 1 -50") == "false");
    CHECK(replies.next("transfer 1 0 -100") == "false");
    CHECK(replies.next("balances") == "100 100");
}

TEST_CASE("bank: a transfer from an account to itself is refused, and returns",
          "[pts=2][id=bank-transfer-account-itself-refused]") {
    auto replies =
        run_script("bank 70 30\ntransfer 1 1 10\ntransfer 0 0 70\nbalances\n",
                   "locking the same mutex twice waits for ever (std::scoped_lock(m, m) too, and "
                   "ThreadSanitizer says nothing): check from == to before locking");
    INFO("from == to must be refused: return false, and change nothing");
    CHECK(replies.next("transfer 1 1 10") == "false");
    CHECK(replies.next("transfer 0 0 70") == "false");
    CHECK(replies.next("balances") == "70 30");
}

TEST_CASE("bank: the check and the move are one step: no transfer slips in between to overdraw",
          "[pts=2][id=bank-check-move-step-transfer]") {
    // Account 0 holds 100. transfer(0, 1, 100) gets transfer(0, 2, 100) slipped in at the first
    // moment its thread holds no lock, as another thread could: only one of the two can succeed.
    auto replies =
        run_script("bank 100 0 0\nduring transfer 0 1 100: transfer 0 2 100\nbalances\n");
    const std::string inner = replies.inside("transfer 0 1 100", "transfer 0 2 100");
    const std::string outer = replies.next("transfer 0 1 100");
    const std::string after = replies.next("balances");
    if (inner.empty()) {
        FAIL("transfer(0, 1, 100) took no lock (it returned "
             << outer << ", balances after: " << after
             << "): the test slips transfer(0, 2, 100) in at the moment it unlocks its last "
                "mutex, and it never did. Lock both accounts, then check and move");
    }
    INFO("transfer(0, 1, 100) -> " << outer << ", and slipped in while it held no lock, "
                                   << "transfer(0, 2, 100) -> " << inner
                                   << "; balances after: " << after);
    INFO(
        "if account 0 went below 0: your transfer checked the balance, let go of the lock, and "
        "moved the money later. Check and move under the same lock, the lock of both accounts");
    CHECK(outer == "true");
    CHECK(after == "0 100 0");
}

TEST_CASE("bank: total() never counts a transfer half done",
          "[pts=2][id=bank-total-never-counts-transfer]") {
    // total() gets a transfer slipped in at the first moment its thread holds no lock; then a
    // transfer gets total() slipped in the same way. Either way, 100 is all there is.
    auto replies = run_script(
        "bank 100 0\nduring total: transfer 0 1 100\n"
        "bank 60 40\nduring transfer 0 1 60: total\n");
    const std::string moved = replies.inside("total", "transfer 0 1 100");
    const std::string sum = replies.next("total");
    if (moved.empty()) {
        FAIL_CHECK(
            "total() took no lock (it returned "
            << sum
            << "): the test slips transfer(0, 1, 100) in at the moment total() unlocks its last "
               "mutex, and it never did. Without locks, total() reads balances while other "
               "threads' transfers write them. Lock every account, then add, then unlock");
    } else {
        INFO(
            "total() let go of a lock before it had read every account, and transfer(0, 1, "
            "100) ran then (it returned "
            << moved
            << "): the 100 was counted twice or not at all. Lock every account, then add, then "
               "unlock");
        CHECK(sum == "100");
    }
    {
        INFO(
            "total() ran while transfer(0, 1, 60) held no lock, between taking the money out of "
            "account 0 and putting it into account 1: move the money under one lock of both "
            "accounts");
        const std::string seen = replies.inside("transfer 0 1 60", "total");
        if (!seen.empty()) CHECK(seen == "100");
    }
}

// ---- part 2: many threads at once -------------------------------------------------------------

TEST_CASE("bank: 6 threads transfer at once: exact balances, no money made or lost, no data race",
          "[pts=3][id=bank-6-threads-transfer-exact]") {
    // Every account opens with more than it can ever send, so every transfer succeeds whatever the
    // order, and the test knows the final balances. An auditor calls total() all along.
    auto rng = seeded_generator();
    constexpr std::size_t accounts = 5;
    std::vector<long> opening(accounts, 10'000);
    std::vector<long> expected = opening;
    std::vector<std::vector<long>> plans(6);
    for (auto& plan : plans) {
        for (int i = 0; i < 40; ++i) {
            const long from = between(rng, 0, accounts - 1);
            const long to = (from + between(rng, 1, accounts - 1)) % accounts;
            const long amount = between(rng, 1, 20);
            plan.insert(plan.end(), {from, to, amount});
            expected[from] -= amount;
            expected[to] += amount;
        }
    }
    const Outcome outcome = run_transfers(opening, plans);
    for (std::size_t t = 0; t < plans.size(); ++t) {
        INFO("thread " << t + 1 << ": every one of its 40 transfers was possible");
        CHECK(outcome.accepted[t] == 40);
    }
    INFO("the balances the test computed: " << list(expected));
    CHECK(outcome.balances == list(expected));
    CHECK(outcome.total == 50'000);
    INFO(
        "an auditor called total() while the transfers ran: it must always see 50000, never a "
        "sum with a transfer half counted");
    CHECK(outcome.auditor == "50000");
    INFO("it also read every balance() all along: none may ever be below 0");
    CHECK(outcome.lowest >= 0);
}

TEST_CASE("bank: threads that compete for the same money never overdraw",
          "[pts=2][id=bank-threads-compete-money-never]") {
    // Account 0 holds 100; 6 threads each try 4 times to take 10 of it into their own account.
    // Exactly 10 of the 24 transfers can succeed, whatever the order.
    std::vector<long> opening(7, 0);
    opening[0] = 100;
    std::vector<std::vector<long>> plans;
    for (long t = 1; t <= 6; ++t) {
        std::vector<long> plan;
        for (int i = 0; i < 4; ++i) plan.insert(plan.end(), {0, t, 10});
        plans.push_back(plan);
    }
    const Outcome outcome = run_transfers(opening, plans);
    std::vector<long> expected(7, 0);
    for (std::size_t t = 0; t < plans.size(); ++t) expected[t + 1] = 10 * outcome.accepted[t];
    INFO("accepted per thread: " << list(outcome.accepted)
                                 << "; balances after: " << outcome.balances);
    INFO(
        "more than 10 accepted, or account 0 below 0: two transfers both saw 10 or more in "
        "account 0 before either took it. Check and move under the same lock");
    CHECK(std::accumulate(outcome.accepted.begin(), outcome.accepted.end(), 0L) == 10);
    CHECK(outcome.balances == list(expected));
    CHECK(outcome.total == 100);
    CHECK(outcome.auditor == "100");
    CHECK(outcome.lowest >= 0);
}

TEST_CASE("bank: transfers in opposite directions never deadlock",
          "[pts=3][id=bank-transfers-opposite-directions-never]") {
    // transfer(0, 1, 1) and transfer(1, 0, 1) start at once, and the driver makes them meet: the
    // first to hold one lock waits until the other holds one too (or waits for the first's). Then
    // 100 more each way, in two threads.
    auto driver = start_driver({"opposite", "100"});
    // Deadlocked: both transfer threads, and the main thread that joins them, asleep in futex().
    finish(
        driver,
        deadlock_or("deadlock: these two transfers waited for each other: transfer(0, 1, 1) held "
                    "account 0's mutex and waited for account 1's, while transfer(1, 0, 1) "
                    "held account 1's and waited for account 0's. Lock both at once with "
                    "std::scoped_lock(a, b), or always lock the account with the smaller "
                    "number first",
                    "the transfers never returned"));
    if (reported(driver, "lock-order-inversion")) {
        INFO(
            "ThreadSanitizer's lock-order-inversion means the same deadlock, seen before it "
            "happened: two mutexes taken in one order here and in the other order there");
        checks::no_sanitizer_report(driver);
    }
    ended_cleanly(driver);
    CHECK(after(driver.out_lines(), "balances -> ") == "1000 1000");
}

TEST_CASE("bank: transfers between four different accounts run at the same time",
          "[pts=1][id=bank-transfers-between-four-different]") {
    // transfer(0, 1, 10) is held at its first unlock (it holds all its locks); meanwhile
    // transfer(2, 3, 10) must be able to run.
    auto driver = start_driver({"disjoint"});
    finish(driver, "the transfers never returned");
    ended_cleanly(driver);
    const auto lines = driver.out_lines();
    INFO(
        "transfer(2, 3, 10) had to wait for transfer(0, 1, 10), which shares no account with it: "
        "lock the two accounts' own mutexes, and no other (not one lock for the whole bank, not "
        "every account)");
    CHECK(after(lines, "meanwhile transfer 2 3 10 -> ") == "true");
    CHECK(after(lines, "balances -> ") == "90 110 90 110");
}

TEST_CASE("bank: balance() and total() wait for the lock of an account a transfer is changing",
          "[pts=1][id=bank-balance-total-wait-lock]") {
    // transfer(0, 1, 10) is held at its first unlock (it holds all its locks); meanwhile
    // balance(0), then total(), each in a thread of its own, must ask for one of those locks and
    // wait. Reading a balance without its lock is a data race even when the number comes out
    // right; here it is seen every time, not only when the timing happens to be bad.
    auto driver = start_driver({"peek"});
    finish(driver, "the driver never finished");
    ended_cleanly(driver);
    const auto lines = driver.out_lines();
    {
        INFO(
            "balance(0) returned while transfer(0, 1, 10) held account 0's mutex: it read the "
            "balance without that lock, a data race with the transfer writing it. Read it "
            "while holding the account's mutex");
        CHECK(after(lines, "meanwhile balance 0 ") == "waits for a lock the transfer holds");
    }
    {
        INFO(
            "total() returned while transfer(0, 1, 10) held the mutexes of accounts 0 and 1: it "
            "read their balances without their locks, a data race with the transfer writing "
            "them. Lock every account, then add");
        CHECK(after(lines, "meanwhile total ") == "waits for a lock the transfer holds");
    }
    CHECK(after(lines, "balance 0 -> ") == "90");
    CHECK(after(lines, "total -> ") == "200");
}
