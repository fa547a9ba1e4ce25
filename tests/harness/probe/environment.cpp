// The program's environment (see Program::Options in process.hpp): the test's own variables with
// the options' changes, and what makes faults and hosts happen in the program, the preloaded
// libraries (LD_PRELOAD) and their settings. Everything is prepared before fork(); process.cpp
// starts the program with it, and removes the files written for it once the program is gone.
#include <link.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <fmt/format.h>

#include "probe/internal.hpp"
#include "probe/process.hpp"

extern char** environ;

namespace probe {

using namespace detail;

// The preloaded libraries, found by CMake (tests/harness/CMakeLists.txt): "" if not installed.
#ifndef WORKBOOK_FAULTS_LIBRARY
#define WORKBOOK_FAULTS_LIBRARY ""
#endif
#ifndef WORKBOOK_FIU_RUN_PRELOAD
#define WORKBOOK_FIU_RUN_PRELOAD ""
#endif
#ifndef WORKBOOK_FIU_POSIX_PRELOAD
#define WORKBOOK_FIU_POSIX_PRELOAD ""
#endif
#ifndef WORKBOOK_NSS_WRAPPER
#define WORKBOOK_NSS_WRAPPER ""
#endif

namespace {

// Sets NAME=value in `variables`, replacing any NAME already there.
void set_variable(std::vector<std::string>& variables, std::string_view assignment) {
    const std::string_view name = assignment.substr(0, assignment.find('=') + 1);  // "NAME="
    std::erase_if(variables, [&](const std::string& v) { return v.starts_with(name); });
    variables.emplace_back(assignment);
}

// A file of its own in $TMPDIR (else /tmp) holding `content`; removed with the program.
std::string temporary_file(Environment& e, std::string_view stem, std::string_view content) {
    const char* tmp = std::getenv("TMPDIR");
    std::string path = fmt::format("{}/workbook-{}-XXXXXX", tmp && *tmp ? tmp : "/tmp", stem);
    const int fd = ::mkstemp(path.data());
    if (fd < 0) throw Failure(fmt::format("could not create {}: {}", path, error_text(errno)));
    e.files.push_back(path);
    const bool written =
        ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
    ::close(fd);
    if (!written) throw Failure(fmt::format("could not write {}", path));
    return path;
}

std::string variable(const std::vector<std::string>& variables, std::string_view name) {
    for (const std::string& v : variables) {
        if (v.size() > name.size() && v.starts_with(name) && v[name.size()] == '=') {
            return v.substr(name.size() + 1);
        }
    }
    return "";
}

// `path` if it exists, else Failure saying how to get it.
std::string library(const char* path, std::string_view what, std::string_view fix) {
    if (*path == '\0' || !std::filesystem::exists(path)) {
        throw Failure(
            fmt::format("This test needs {}, which is missing{}: {}, then configure and "
                        "build the workbook again.",
                        what, *path == '\0' ? "" : fmt::format(" ({})", path), fix));
    }
    return path;
}

// The variables that load the preloaded libraries and configure them; the faults' description.
void add_faults(const Faults& faults, std::vector<std::string>& preload, Environment& e) {
    const auto [seed, replayed] = seed_from("WORKBOOK_FAULT_SEED", faults.seed);
    std::vector<std::string> ours, what;
    const auto add = [&](bool on, const char* token, const char* text) {
        if (!on) return;
        ours.emplace_back(token);
        what.emplace_back(text);
    };
    add(faults.short_writes, "short_writes", "short writes");
    add(faults.short_reads, "short_reads", "short reads");
    add(faults.poison_reads, "poison_reads", "poisoned reads ('~' past the count)");
    add(faults.stop_before_listen, "stop_before_listen", "a stop (SIGSTOP) before listen()");
    add(faults.broken_pipe, "broken_pipe", "a broken pipe (EPIPE, SIGPIPE) on the first send()");
    if (!faults.failing.empty()) {
        std::string enable;
        for (const Faults::Failing& f : faults.failing) {
            const bool valid_name =
                !f.call.empty() && std::all_of(f.call.begin(), f.call.end(), [](char c) {
                    return std::islower(static_cast<unsigned char>(c)) || c == '_';
                });
            if (!valid_name || f.error <= 0 || !(f.probability > 0 && f.probability <= 1)) {
                throw std::invalid_argument(fmt::format(
                    "Faults::failing: call \"{}\" (a name such as \"send\"), error {} (an errno "
                    "value such as ECONNRESET), probability {} (in (0, 1])",
                    f.call, f.error, f.probability));
            }
            // A program may use any of the equivalent calls: they all fail. recvfrom(),
            // recvmsg(), sendto() and sendmsg() through libfiu; accept4(), and read() and write()
            // on the socket, through our library (libfiu does not reach them).
            std::vector<std::string> names{f.call};
            if (f.call == "recv") names.insert(names.end(), {"recvfrom", "recvmsg"});
            if (f.call == "send") names.insert(names.end(), {"sendto", "sendmsg"});
            for (const std::string& name : names) {
                enable +=
                    fmt::format("enable_random name=posix/io/net/{},probability={},failinfo={}\n",
                                name, f.probability, f.error);
            }
            const char* variant = f.call == "accept" ? "accept4"
                                  : f.call == "recv" ? "read"
                                  : f.call == "send" ? "write"
                                                     : nullptr;
            if (variant)
                ours.push_back(fmt::format("fail_{}={}:{}", variant, f.error, f.probability));
            const char* name = strerrorname_np(f.error);
            what.push_back(fmt::format("{}() fails with {} (probability {})", f.call,
                                       name ? name : std::to_string(f.error), f.probability));
        }
        const std::string_view fix =
            "install the Debian packages libfiu0 and fiu-utils (sudo apt-get install -y libfiu0 "
            "fiu-utils)";
        preload.push_back(library(WORKBOOK_FIU_RUN_PRELOAD, "libfiu's fiu_run_preload.so", fix));
        preload.push_back(
            library(WORKBOOK_FIU_POSIX_PRELOAD, "libfiu's fiu_posix_preload.so", fix));
        set_variable(e.variables, "FIU_ENABLE=" + enable);
        // libfiu reads its seed with atoi(): keep it within an int.
        set_variable(e.variables, fmt::format("FIU_PRNG_SEED={}", seed % 2147483648U));
    }
    if (!ours.empty()) {
        preload.push_back(library(WORKBOOK_FAULTS_LIBRARY, "the workbook's fault library",
                                  "build the target workbook_faults"));
        set_variable(e.variables,
                     fmt::format("WORKBOOK_FAULTS=seed={},{}", seed, fmt::join(ours, ",")));
    }
    if (!what.empty()) {
        e.described.push_back(
            fmt::format("faults: {} (seed {}{}; set WORKBOOK_FAULT_SEED to replay with another)",
                        fmt::join(what, ", "), seed, replayed ? ", from WORKBOOK_FAULT_SEED" : ""));
    }
}

// Options::hosts in a file of its own, read by libnss_wrapper.
void add_hosts(const std::string& hosts, std::vector<std::string>& preload, Environment& e) {
    preload.push_back(library(WORKBOOK_NSS_WRAPPER, "nss_wrapper (libnss_wrapper.so)",
                              "install the Debian package libnss-wrapper (sudo apt-get install -y "
                              "libnss-wrapper)"));
    set_variable(e.variables, "NSS_WRAPPER_HOSTS=" + temporary_file(e, "hosts", hosts));
    std::string lines;
    for (std::size_t start = 0; start < hosts.size();) {
        const std::size_t end = std::min(hosts.find('\n', start), hosts.size());
        if (end > start) lines += (lines.empty() ? "" : "; ") + hosts.substr(start, end - start);
        start = end + 1;
    }
    e.described.push_back(
        fmt::format("hosts: names listed here resolve from these lines, in this order: {}", lines));
}

// Adds `option` to a list of options such as ASAN_OPTIONS ("a=1:b=2"), keeping those there.
void add_option(std::vector<std::string>& variables, std::string_view name,
                std::string_view option) {
    const std::string before = variable(variables, name);
    set_variable(variables,
                 fmt::format("{}={}{}{}", name, before, before.empty() ? "" : ":", option));
}

// The sanitizer runtime this process runs with, AddressSanitizer's or ThreadSanitizer's ("" if
// none): the one a program of the same build needs.
std::string sanitizer_runtime() {
    std::string found;
    dl_iterate_phdr(
        [](dl_phdr_info* info, std::size_t, void* data) {
            const std::string_view name = info->dlpi_name != nullptr ? info->dlpi_name : "";
            if (name.find("/libasan.so") == std::string_view::npos &&
                name.find("/libtsan.so") == std::string_view::npos) {
                return 0;
            }
            *static_cast<std::string*>(data) = name;
            return 1;
        },
        &found);
    return found;
}

// True if the executable names the library `runtime` ("/usr/lib/.../libasan.so.8") among the
// libraries it needs.
bool links(const std::filesystem::path& program, const std::filesystem::path& runtime) {
    const std::string name = runtime.filename().string();
    std::ifstream in(program, std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    return bytes.find(name.substr(0, name.find(".so") + 3)) != std::string::npos;
}

// The AddressSanitizer runtime `program` needs ("libasan.so.8"), when the tests themselves run
// without it (verify runs a plain build's tests on ASan builds of the programs, bin/S/asan/): a
// name without a '/', which the dynamic loader looks up as it looks up the program's own libraries.
std::string address_sanitizer_needed(const std::filesystem::path& program) {
    std::ifstream in(program, std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    constexpr std::string_view name = "libasan.so.";
    const std::size_t at = bytes.find(name);
    if (at == std::string::npos) return "";
    std::size_t end = at + name.size();
    while (end < bytes.size() && std::isdigit(static_cast<unsigned char>(bytes[end]))) ++end;
    return end == at + name.size() ? "" : bytes.substr(at, end - at);
}

}  // namespace

namespace detail {

void remove_files(const std::vector<std::string>& files) noexcept {
    for (const std::string& file : files) ::unlink(file.c_str());
}

// The test's environment with the options' changes.
Environment program_environment(const std::filesystem::path& program,
                                const Program::Options& options) {
    Environment e;
    for (char** v = environ; *v != nullptr; ++v) e.variables.emplace_back(*v);
    for (const std::string& assignment : options.env) {
        if (assignment.find('=') == std::string::npos || assignment.front() == '=') {
            throw std::invalid_argument(
                fmt::format("Program::Options::env: \"{}\" is not NAME=value", assignment));
        }
        set_variable(e.variables, assignment);
    }
    // For a program built with ThreadSanitizer (the thread lessons'): report every race rather than
    // stop at the first, exit 66 after a report, exit at once rather than a second later when
    // threads are still running, and show where both mutexes of a lock-order inversion were taken.
    // First, so that the test's own TSAN_OPTIONS win.
    {
        const std::string before = variable(e.variables, "TSAN_OPTIONS");
        set_variable(e.variables,
                     fmt::format("TSAN_OPTIONS=halt_on_error=0:exitcode=66:atexit_sleep_ms=0:"
                                 "second_deadlock_stack=1{}{}",
                                 before.empty() ? "" : ":", before));
    }
    std::vector<std::string> preload;
    try {
        if (options.faults) add_faults(*options.faults, preload, e);
        if (options.hosts) add_hosts(*options.hosts, preload, e);
        if (!preload.empty()) {
            if (const std::string before = variable(e.variables, "LD_PRELOAD"); !before.empty()) {
                preload.push_back(before);
            }
            // AddressSanitizer refuses to start when a library is loaded before its runtime.
            add_option(e.variables, "ASAN_OPTIONS", "verify_asan_link_order=0");
            // The tests' own runtime, if the program needs it too; else the ASan runtime the
            // program names (found in its bytes already: no second read).
            std::string runtime = sanitizer_runtime();
            if (!runtime.empty() && !links(program, runtime)) runtime.clear();
            if (runtime.empty()) runtime = address_sanitizer_needed(program);
            if (!runtime.empty()) {
                // A sanitized program gets its runtime first all the same, so that its malloc()
                // is the one every library sees: libfiu's preload wraps malloc() and crashes when
                // the runtime calls it before libfiu has initialised.
                preload.insert(preload.begin(), runtime);
                // Not the program's faults but the libraries': fiu_run_preload.so keeps its copy
                // of FIU_ENABLE (a leak), nss_wrapper unlocks mutexes that ThreadSanitizer did not
                // see it lock.
                // Quietly: a summary of the suppressions used would be a line on stderr.
                const bool asan = runtime.find("libasan.so") != std::string::npos;
                if (asan && options.faults && !options.faults->failing.empty()) {
                    add_option(e.variables, "LSAN_OPTIONS",
                               "print_suppressions=0:suppressions=" +
                                   temporary_file(e, "lsan", "leak:fiu_run_preload.so\n"));
                } else if (!asan && options.hosts) {
                    add_option(
                        e.variables, "TSAN_OPTIONS",
                        "print_suppressions=0:suppressions=" +
                            temporary_file(e, "tsan",
                                           "mutex:libnss_wrapper.so\nmutex:_dl_call_fini\n"));
                }
            }
            set_variable(e.variables, fmt::format("LD_PRELOAD={}", fmt::join(preload, " ")));
        }
    } catch (...) {
        remove_files(e.files);
        throw;
    }
    return e;
}

}  // namespace detail

}  // namespace probe
