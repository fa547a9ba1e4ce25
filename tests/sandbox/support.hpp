// Helpers for the sandbox's self-tests: a temporary workspace per test, running workbook-sandbox
// as a child process (with a deadline of our own), and checks that nothing of a run is left.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sandbox_test {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;

// A folder of its own under the system's temporary folder, with scratch/ inside and a unique
// marker; removed (with everything in it) by the destructor.
class Workspace {
  public:
    Workspace();
    ~Workspace();
    Workspace(const Workspace&) = delete;
    Workspace& operator=(const Workspace&) = delete;

    const fs::path& dir() const { return dir_; }
    fs::path scratch() const { return dir_ / "scratch"; }
    fs::path file(const std::string& name) const { return dir_ / name; }
    // Put in the environment of the sandbox and of the program: a process that carries it belongs
    // to this test's runs.
    const std::string& marker() const { return marker_; }

  private:
    fs::path dir_;
    std::string marker_;
};

struct Call {
    std::vector<std::string> options;  // before "--", in addition to the standard ones below
    std::vector<std::string> command;  // after "--"
    bool standard = true;  // add --scratch, --ro <fixtures>, --stdout, --stderr, --report, --env
    std::chrono::seconds guard = 60s;  // our own deadline for the sandbox to finish
};

struct Result {
    pid_t sandbox_pid = 0;
    int status = -1;          // the sandbox's exit status (-1: killed by our guard or a signal)
    json report;              // the --report file, parsed (null if missing or not JSON)
    std::string out, err;     // the program's captured stdout and stderr
    std::string sandbox_err;  // the sandbox's own stderr

    std::string outcome() const;
    long long number(const std::string& key) const;  // report[key], or -1
    // For CHECK messages: the report and the first lines of what was printed.
    std::string describe() const;
};

// A sandbox started and not yet waited for (two can run at once).
struct Started {
    pid_t pid = 0;
    int pidfd = -1;
    const Workspace* workspace = nullptr;
    std::chrono::seconds guard{};
};

Started start(const Workspace& w, const Call& call);
Result finish(Started started);
Result run(const Workspace& w, const Call& call);

// The absolute path of a fixture program, and the folder they are in.
std::string fixture(const std::string& name);
std::string fixtures_dir();
std::string sandbox_program();

// Processes (by pid) whose environment or command line holds `marker`.
std::vector<pid_t> processes_marked(const std::string& marker);
// The children of `parent` (from /proc/PID/stat). Finds the sandbox's init even where its
// environment cannot be read (it is not dumpable).
std::vector<pid_t> children_of(pid_t parent);
// True if a cgroup folder of the sandbox run `sandbox_pid` is still there.
bool cgroups_left(pid_t sandbox_pid);
// Nothing of the run is left: no process with the workspace's marker, no cgroup folder.
std::string leftovers(const Workspace& w, const Result& r);

// What --doctor --json says for the identity the tests run as.
const json& doctor();
// "root", "user" or "none".
std::string isolation_available();
bool memory_cgroup_usable();
bool pids_cgroup_usable();
bool cpu_weight_cgroup_usable();

// Waits until the FIFO at `path` (created by the caller) yields a line, for up to `deadline`.
// Returns what it read ("" on time-out).
std::string read_fifo(const fs::path& path, std::chrono::milliseconds deadline);
// Opens the FIFO for writing (a reader must already have it open) and writes `text`.
bool write_fifo(const fs::path& path, const std::string& text);

bool contains(const std::string& text, const std::string& part);

// A test case that cannot run here records why; the suite then ends with status 77, which ctest
// shows as "Skipped" (SKIP_RETURN_CODE), never as passed.
void note_skipped(const std::string& why);
const std::vector<std::string>& skipped();

}  // namespace sandbox_test

// Stops the test case, said as a skip (see note_skipped).
#define SKIP_CASE(why)                               \
    do {                                             \
        std::ostringstream skip_why_;                \
        skip_why_ << why;                            \
        sandbox_test::note_skipped(skip_why_.str()); \
        MESSAGE("skipped: " << skip_why_.str());     \
        return;                                      \
    } while (false)

// Cases that need isolation say so and stop when --doctor says this machine has none (they do not
// pass silently).
#define REQUIRE_ISOLATION()                                                             \
    do {                                                                                \
        if (sandbox_test::isolation_available() == "none") {                            \
            SKIP_CASE("workbook-sandbox --doctor says no isolation is available here: " \
                      << sandbox_test::doctor().value("verdict", std::string("?")));    \
        }                                                                               \
    } while (false)
