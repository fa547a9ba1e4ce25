// The command line of workbook-sandbox, parsed and checked.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sandbox {

// A mistake in the command line: the sandbox exits with status 2.
class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

enum class Isolation {
    automatic,  // root if running as root, else user namespaces
    root,       // namespaces created by root; the program runs as nobody (65534)
    user,       // the same inside a new user namespace (no root needed)
    none,       // no namespaces: rlimits, wall clock, process group kill, output caps (--unsafe)
};

std::string to_string(Isolation isolation);

struct Options {
    std::filesystem::path scratch;
    // The scratch shown read-only (still the working directory): the program may then write only
    // in /tmp and /dev/shm, tmpfs of the namespace whose pages count against its memory.
    bool scratch_read_only = false;
    std::vector<std::filesystem::path> read_only;
    double wall_seconds = 10;
    std::optional<double> cpu_seconds;
    std::optional<std::uint64_t> memory_mib;
    // Where no cgroup can limit memory: leave it unlimited instead of limiting the address space
    // (RLIMIT_AS), which a ThreadSanitizer program cannot start under (it reserves terabytes).
    bool no_address_space_limit = false;
    std::optional<std::uint64_t> pids;
    std::optional<std::uint64_t> files;
    std::optional<std::uint64_t> fsize_mib;
    std::uint64_t output_cap = 1024 * 1024;
    bool output_kill = false;
    std::optional<std::filesystem::path> stdout_file, stderr_file, stdin_file;
    std::optional<std::filesystem::path> records_file, report_file;
    std::vector<std::string> env;  // K=V
    Isolation isolation = Isolation::automatic;
    bool unsafe = false;
    std::vector<std::string> command;  // PROGRAM ARGS...

    bool doctor = false;
    bool json = false;
};

// What main() should do after parsing.
struct Parsed {
    Options options;
    bool exit_now = false;  // --help was shown
};

// Parses argv. Throws UsageError with a message for the user.
Parsed parse_options(int argc, char** argv);

// Bytes kept from the --records pipe.
constexpr std::uint64_t records_cap = 16 * 1024 * 1024;

}  // namespace sandbox
