#include "doctor.hpp"

#include <grp.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cgroups.hpp"
#include "plan.hpp"
#include "supervisor.hpp"
#include "system.hpp"

namespace sandbox {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

struct NamespaceKind {
    const char* name;
    int flag;
};
constexpr NamespaceKind namespace_kinds[] = {{"user", CLONE_NEWUSER},    {"pid", CLONE_NEWPID},
                                             {"network", CLONE_NEWNET},  {"mount", CLONE_NEWNS},
                                             {"IPC", CLONE_NEWIPC},      {"UTS", CLONE_NEWUTS},
                                             {"cgroup", CLONE_NEWCGROUP}};

// Runs `probe` in a forked child and returns its exit status (an errno, 0 for success).
template <typename Probe>
int in_child(Probe&& probe) {
    const pid_t pid = check_system_call("fork", ::fork());
    if (pid == 0) ::_exit(probe());
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

// unshare(flag), as this process is; with `in_user_namespace`, inside a new user namespace first
// (what an ordinary user must do).
int try_unshare(int flag, bool in_user_namespace) {
    return in_child([&] {
        if (in_user_namespace && flag != CLONE_NEWUSER && ::unshare(CLONE_NEWUSER) < 0)
            return errno;
        return ::unshare(flag) < 0 ? errno : 0;
    });
}

json check_namespaces(bool in_user_namespace) {
    json result = json::object();
    for (const NamespaceKind& kind : namespace_kinds) {
        const int error = try_unshare(kind.flag, in_user_namespace);
        result[kind.name] =
            error == 0 ? json("yes") : json(fmt::format("no ({})", errno_name(error)));
    }
    return result;
}

json check_cgroups() {
    const CgroupLayout layout = CgroupLayout::read();
    std::vector<std::string> problems;
    json result{{"layout", layout.summary()}};
    {
        const RunCgroups probe(layout, CgroupRequest{64 * 1024 * 1024, 64, true, true}, problems);
        const auto describe = [&](const std::string& controller, const ControllerDir& d) {
            return json{{"version", to_string(layout.version_for(controller))},
                        {"usable", d.active()},
                        {"where", d.active() ? d.dir.parent_path().string() : ""}};
        };
        result["memory"] = describe("memory", probe.memory());
        result["pids"] = describe("pids", probe.pids());
        result["cpu"] = describe("cpu", probe.cpu());
        result["cpu-weight"] = describe("cpu-weight", probe.cpu_weight());
    }
    result["problems"] = problems;
    return result;
}

// A real run of /bin/true with every limit set, in the given isolation.
json trial_run(Isolation isolation) {
    char name[] = "/tmp/workbook-sandbox-doctor-XXXXXX";
    if (::mkdtemp(name) == nullptr) {
        return json{{"ok", false},
                    {"outcome", "internal"},
                    {"message", "mkdtemp failed"},
                    {"limits", json::array()}};
    }
    Options o;
    o.scratch = name;
    o.isolation = isolation;
    o.wall_seconds = 5;
    o.cpu_seconds = 5;
    o.memory_mib = 64;
    o.pids = 16;
    o.files = 64;
    o.fsize_mib = 16;
    o.command = {"true"};
    json result;
    try {
        const Report report = run_confined(o);
        result = json{{"ok", report.outcome == Outcome::ok},
                      {"outcome", report.outcome},
                      {"message", report.message},
                      {"wall_ms", report.wall_ms},
                      {"limits", report.limits_enforced}};
    } catch (const std::exception& e) {
        result = json{{"ok", false},
                      {"outcome", "internal"},
                      {"message", e.what()},
                      {"limits", json::array()}};
    }
    std::error_code ignored;
    fs::remove_all(name, ignored);
    return result;
}

// What each limit relies on, in words, from the labels of a trial run's limits_enforced.
json limits_in_words(const json& labels, Isolation isolation) {
    const auto has = [&](const std::string& label) {
        return std::find(labels.begin(), labels.end(), label) != labels.end();
    };
    json words = json::object();
    words["wall"] =
        isolation == Isolation::none
            ? "a timer, then SIGKILL to the program's process group and to whatever it left behind"
            : "a timer, then SIGKILL to the init of the pid namespace: every process in it dies";
    std::string cpu = "RLIMIT_CPU, per process (whole seconds)";
    if (has("cpu:cgroup-v1"))
        cpu += ", plus the run's total in the cgroup v1 cpuacct, checked every 100 ms";
    if (has("cpu:cgroup-v2"))
        cpu += ", plus the run's total in cgroup v2 cpu.stat, checked every 100 ms";
    words["cpu"] = cpu;
    if (has("memory:cgroup-v1")) {
        words["memory"] =
            "cgroup v1 memory.limit_in_bytes (and memory.memsw.limit_in_bytes when swap is "
            "accounted); "
            "OOM kills counted in memory.oom_control";
    } else if (has("memory:cgroup-v2")) {
        words["memory"] =
            "cgroup v2 memory.max and memory.swap.max = 0; OOM kills counted in memory.events";
    } else {
        words["memory"] =
            "RLIMIT_AS only (address space, not memory: an allocation fails, and the program may "
            "crash instead of being reported \"memory\")";
    }
    if (has("pids:cgroup-v1") || has("pids:cgroup-v2")) {
        words["pids"] = fmt::format("cgroup {} pids.max; a refused fork is counted in pids.events",
                                    has("pids:cgroup-v1") ? "v1" : "v2");
    } else if (has("pids:rlimit-userns")) {
        words["pids"] =
            "RLIMIT_NPROC, counted in the run's own user namespace (a fork bomb is contained, but "
            "reported as a time-out)";
    } else {
        words["pids"] = "RLIMIT_NPROC, shared with every process of the same uid";
    }
    words["files"] = "RLIMIT_NOFILE";
    words["fsize"] =
        "RLIMIT_FSIZE (SIGXFSZ), and /tmp is a tmpfs of that size; the scratch's total size is not "
        "limited";
    words["output"] =
        "pipes read by the sandbox, kept up to the cap and drained past it (the program never "
        "blocks)";
    return words;
}

// Everything, for the identity this process has now.
json check_identity(Isolation isolation, bool in_user_namespace) {
    json result;
    result["namespaces"] = check_namespaces(in_user_namespace);
    result["cgroups"] = check_cgroups();
    result["trial"] = trial_run(isolation);
    result["limits"] = limits_in_words(result["trial"]["limits"], isolation);
    result["available"] = result["trial"]["ok"];
    result["full"] = result["trial"]["ok"].get<bool>() &&
                     result["cgroups"]["memory"]["usable"].get<bool>() &&
                     result["cgroups"]["pids"]["usable"].get<bool>();
    return result;
}

// The same, as nobody (65534), from a forked child that drops root first; the answer comes back
// as JSON through a pipe.
json check_as_nobody() {
    Pipe answer = make_pipe();
    const pid_t pid = check_system_call("fork", ::fork());
    if (pid == 0) {
        answer.read.reset();
        json result;
        if (::setgroups(0, nullptr) < 0 || ::setresgid(nobody_gid, nobody_gid, nobody_gid) < 0 ||
            ::setresuid(nobody_uid, nobody_uid, nobody_uid) < 0) {
            result = json{{"error", "could not become nobody"}};
        } else {
            // Changing uid made this process non-dumpable, which makes its /proc files root's:
            // the uid map of its children could not be written. A real user's process is dumpable.
            ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
            result = check_identity(Isolation::user, true);
        }
        try {
            write_all(answer.write.get(),
                      result.dump(-1, ' ', false, json::error_handler_t::replace), "write");
        } catch (const std::exception&) {
        }
        ::_exit(0);
    }
    answer.write.reset();
    const std::string text = read_all(answer.read.get(), "read the check as nobody");
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return json::parse(text, nullptr, false);
}

std::string verdict(const json& root, const json& user, bool as_root) {
    const auto gaps = [](const json& identity) {
        std::vector<std::string> missing;
        if (!identity["cgroups"]["memory"]["usable"].get<bool>())
            missing.push_back("memory relies on RLIMIT_AS");
        if (!identity["cgroups"]["pids"]["usable"].get<bool>())
            missing.push_back("processes rely on RLIMIT_NPROC");
        std::string text;
        for (const std::string& m : missing) text += (text.empty() ? "" : ", ") + m;
        return text;
    };
    if (as_root) {
        if (root["full"].get<bool>()) return "full isolation available as root";
        if (root["available"].get<bool>()) return "partial: namespaces as root, but " + gaps(root);
        if (user.is_object() && user.value("available", false)) {
            return "partial: user namespaces only (root cannot create namespaces here), " +
                   gaps(user);
        }
        return "none: grade needs --unsafe";
    }
    if (user["full"].get<bool>())
        return "full isolation available as this user (delegated cgroups)";
    if (user["available"].get<bool>()) {
        return "partial: user namespaces; " + gaps(user) + " (run as root for cgroup limits)";
    }
    return "none: grade needs --unsafe";
}

void print_identity(const std::string& title, const json& identity) {
    std::cout << title << ":\n";
    if (identity.contains("error")) {
        std::cout << "  not checked: " << identity["error"].get<std::string>() << "\n";
        return;
    }
    for (const auto& [name, answer] : identity["namespaces"].items()) {
        std::cout << fmt::format("  {} namespaces: {}\n", name, answer.get<std::string>());
    }
    const json& cg = identity["cgroups"];
    std::cout << fmt::format("  cgroups: {}\n", cg["layout"].get<std::string>());
    for (const auto& [key, label] :
         {std::pair{"memory", "memory controller"}, std::pair{"pids", "pids controller"},
          std::pair{"cpu", "cpu accounting"}, std::pair{"cpu-weight", "cpu weight"}}) {
        const json& c = cg[key];
        if (c["usable"].get<bool>()) {
            std::cout << fmt::format("  {}: cgroup {}, writable ({})\n", label,
                                     c["version"].get<std::string>(),
                                     c["where"].get<std::string>());
        } else {
            std::cout << fmt::format("  {}: not usable{}\n", label,
                                     c["version"] == "none" ? " (not mounted)" : " (not writable)");
        }
    }
    const json& trial = identity["trial"];
    std::cout << fmt::format("  trial run of true in a sandbox: {}\n",
                             trial["ok"].get<bool>()
                                 ? fmt::format("ok, {} ms", trial.value("wall_ms", 0))
                                 : "failed: " + trial["message"].get<std::string>());
    for (const auto& [limit, words] : identity["limits"].items()) {
        std::cout << fmt::format("  {} limit relies on: {}\n", limit, words.get<std::string>());
    }
}

}  // namespace

int run_doctor(bool as_json) {
    const bool as_root = ::geteuid() == 0;
    utsname system{};
    ::uname(&system);
    json root = nullptr;
    json user;
    if (as_root) {
        root = check_identity(Isolation::root, false);
        user = check_as_nobody();
    } else {
        user = check_identity(Isolation::user, true);
    }
    std::string available = "none";
    if (as_root && root["available"].get<bool>()) {
        available = "root";
    } else if (user.is_object() && user.value("available", false)) {
        available = "user";
    }
    const std::string conclusion = verdict(root, user, as_root);

    if (as_json) {
        std::cout << json{{"uid", ::geteuid()},
                          {"kernel", system.release},
                          {"root", root},
                          {"user", user},
                          {"isolation_available", available},
                          {"verdict", conclusion}}
                         .dump(2, ' ', false, json::error_handler_t::replace)
                  << "\n";
        return 0;
    }
    std::cout << fmt::format("workbook-sandbox --doctor: running as {} (uid {}), kernel {}\n",
                             as_root ? "root" : "an ordinary user", ::geteuid(), system.release);
    if (as_root) {
        print_identity("As root", root);
        print_identity(fmt::format("As an ordinary user (checked as nobody, uid {})", nobody_uid),
                       user);
    } else {
        std::cout << "As root: not checked (run workbook-sandbox --doctor as root to see)\n";
        print_identity(fmt::format("As an ordinary user (you, uid {})", ::geteuid()), user);
    }
    std::cout << "Verdict: " << conclusion << "\n";
    return 0;
}

}  // namespace sandbox
