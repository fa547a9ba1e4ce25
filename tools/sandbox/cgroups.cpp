#include "cgroups.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <sstream>

#include <fmt/core.h>

#include "system.hpp"

namespace sandbox {

namespace fs = std::filesystem;

std::string to_string(CgroupVersion version) {
    switch (version) {
        case CgroupVersion::none:
            return "none";
        case CgroupVersion::v1:
            return "v1";
        case CgroupVersion::v2:
            return "v2";
    }
    return "?";
}

namespace {

constexpr const char* base_name = "workbook-sandbox";

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(text);
    while (std::getline(in, part, separator)) parts.push_back(part);
    return parts;
}

// mountinfo escapes spaces and a few other characters as \ooo.
std::string unescape_mount_path(const std::string& field) {
    std::string out;
    for (std::size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '\\' && i + 3 < field.size()) {
            const std::string octal = field.substr(i + 1, 3);
            if (octal.size() == 3 && std::all_of(octal.begin(), octal.end(),
                                                 [](char c) { return c >= '0' && c <= '7'; })) {
                out += static_cast<char>(std::stoi(octal, nullptr, 8));
                i += 3;
                continue;
            }
        }
        out += field[i];
    }
    return out;
}

// "usage_usec 1234" in a "key value" per line file.
std::optional<std::uint64_t> field_value(const std::string& text, std::string_view key) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 &&
            line[key.size()] == ' ') {
            std::uint64_t value = 0;
            const char* begin = line.data() + key.size() + 1;
            const auto [end, error] = std::from_chars(begin, line.data() + line.size(), value);
            if (error == std::errc()) return value;
        }
    }
    return std::nullopt;
}

std::uint64_t file_field(const fs::path& file, std::string_view key) {
    try {
        if (const auto text = read_small_file(file)) return field_value(*text, key).value_or(0);
    } catch (const std::exception&) {
    }
    return 0;
}

// The controller's name in v1, where CPU accounting is its own controller.
std::string v1_name(const std::string& controller) {
    if (controller == "cpu") return "cpuacct";
    if (controller == "cpu-weight") return "cpu";
    return controller;
}

// The v2 controller to enable for it; "" for CPU accounting, which every v2 cgroup has.
std::string v2_name(const std::string& controller) {
    if (controller == "cpu") return "";
    if (controller == "cpu-weight") return "cpu";
    return controller;
}

void make_directory(const fs::path& dir, bool exist_ok) {
    if (::mkdir(dir.c_str(), 0755) == 0) return;
    if (errno == EEXIST && exist_ok) return;
    throw_error(errno, "mkdir " + dir.string());
}

// v2: a controller must be enabled in a parent's cgroup.subtree_control to be usable in its
// children. The root usually has them all (systemd enables them); workbook-sandbox/ gets them here.
void enable_v2_controller(const fs::path& dir, const std::string& controller) {
    const auto enabled = read_small_file(dir / "cgroup.subtree_control").value_or("");
    for (const std::string& name : split(enabled.substr(0, enabled.find('\n')), ' ')) {
        if (name == controller) return;
    }
    write_control_file(dir / "cgroup.subtree_control", "+" + controller);
}

std::vector<pid_t> processes_in(const fs::path& dir) {
    std::vector<pid_t> pids;
    for (const std::string& line :
         split(read_small_file(dir / "cgroup.procs").value_or(""), '\n')) {
        if (!line.empty()) pids.push_back(static_cast<pid_t>(std::stol(line)));
    }
    return pids;
}

}  // namespace

// ---- layout ----------------------------------------------------------------------------------

CgroupLayout CgroupLayout::parse(const std::string& mountinfo, const std::string& own_cgroups) {
    CgroupLayout layout;
    for (const std::string& line : split(mountinfo, '\n')) {
        const auto dash = line.find(" - ");
        if (dash == std::string::npos) continue;
        const auto before = split(line.substr(0, dash), ' ');
        const auto after = split(line.substr(dash + 3), ' ');
        if (before.size() < 5 || after.size() < 3) continue;
        const fs::path mount_point = unescape_mount_path(before[4]);
        if (after[0] == "cgroup2" && !layout.v2_mount) {
            layout.v2_mount = mount_point;
        } else if (after[0] == "cgroup") {
            for (const std::string& option : split(after[2], ',')) {
                if (option == "memory" || option == "pids" || option == "cpuacct" ||
                    option == "cpu") {
                    layout.v1_mounts.emplace(option, mount_point);
                }
            }
        }
    }
    // /proc/self/cgroup: "4:memory:/path", "2:cpu,cpuacct:/path", "0::/path" (v2).
    for (const std::string& line : split(own_cgroups, '\n')) {
        const auto first = line.find(':');
        const auto second = line.find(':', first + 1);
        if (first == std::string::npos || second == std::string::npos) continue;
        const std::string controllers = line.substr(first + 1, second - first - 1);
        const std::string path = line.substr(second + 1);
        if (controllers.empty()) {
            layout.v2_own = path;
            continue;
        }
        for (const std::string& controller : split(controllers, ','))
            layout.v1_own[controller] = path;
    }
    return layout;
}

CgroupLayout CgroupLayout::read() {
    CgroupLayout layout = parse(read_small_file("/proc/self/mountinfo").value_or(""),
                                read_small_file("/proc/self/cgroup").value_or(""));
    if (layout.v2_mount) {
        const auto controllers = read_small_file(*layout.v2_mount / "cgroup.controllers");
        for (const std::string& name :
             split(controllers.value_or("").substr(0, controllers.value_or("").find('\n')), ' ')) {
            if (!name.empty()) layout.v2_controllers.insert(name);
        }
    }
    return layout;
}

CgroupVersion CgroupLayout::version_for(const std::string& controller) const {
    if (controller == "cpu") {
        // cpu.stat (usage_usec) exists in every v2 cgroup, controller or not; but where v1 cpuacct
        // is mounted (a hybrid machine) it is the one in use.
        if (v1_mounts.count("cpuacct")) return CgroupVersion::v1;
        return v2_mount ? CgroupVersion::v2 : CgroupVersion::none;
    }
    if (v2_mount && v2_controllers.count(v2_name(controller))) return CgroupVersion::v2;
    if (v1_mounts.count(v1_name(controller))) return CgroupVersion::v1;
    return CgroupVersion::none;
}

std::optional<fs::path> CgroupLayout::base_for(const std::string& controller) const {
    switch (version_for(controller)) {
        case CgroupVersion::none:
            return std::nullopt;
        case CgroupVersion::v2:
            return *v2_mount / base_name;
        case CgroupVersion::v1:
            break;
    }
    const std::string name = v1_name(controller);
    const fs::path mount = v1_mounts.at(name);
    const auto own = v1_own.find(name);
    if (own != v1_own.end() && own->second != "/") {
        const fs::path nested = mount / fs::path(own->second).relative_path();
        std::error_code error;
        if (fs::is_directory(nested, error)) return nested / base_name;
    }
    return mount / base_name;
}

std::string CgroupLayout::summary() const {
    const bool v1 = !v1_mounts.empty();
    const bool v2_in_use =
        v2_mount && (v2_controllers.count("memory") || v2_controllers.count("pids"));
    std::string list;
    for (const std::string& c : v2_controllers) list += (list.empty() ? "" : " ") + c;
    if (v2_in_use) {
        return fmt::format("v2 at {} (controllers: {}){}", v2_mount->string(), list,
                           v1 ? "; some v1 hierarchies are mounted too" : "");
    }
    if (v1 && v2_mount) {
        return fmt::format("v1 (hybrid: the cgroup2 hierarchy at {} has {})", v2_mount->string(),
                           list.empty() ? "no controllers" : "only " + list);
    }
    if (v1) return "v1";
    if (v2_mount)
        return fmt::format("v2 at {}, without the memory and pids controllers", v2_mount->string());
    return "none mounted";
}

// ---- one run ---------------------------------------------------------------------------------

RunCgroups::RunCgroups(const CgroupLayout& layout, const CgroupRequest& request,
                       std::vector<std::string>& problems)
    : name_(fmt::format("run-{}", ::getpid())) {
    // Each controller is set up on its own: a failure leaves it out (the caller falls back to an
    // rlimit) but does not stop the others.
    const auto set_up = [&](const std::string& controller, ControllerDir& slot, auto&& limit) {
        try {
            slot = make(layout, controller, problems);
            if (slot.active()) limit(slot);
        } catch (const std::exception& e) {
            problems.push_back(
                fmt::format("the {} cgroup could not be set up: {}", controller, e.what()));
            slot = {};
        }
    };
    if (request.memory_bytes) {
        set_up("memory", memory_, [&](const ControllerDir& d) {
            const std::string bytes = std::to_string(*request.memory_bytes);
            if (d.version == CgroupVersion::v2) {
                write_control_file(d.dir / "memory.max", bytes);
                if (fs::exists(d.dir / "memory.swap.max"))
                    write_control_file(d.dir / "memory.swap.max", "0");
            } else {
                write_control_file(d.dir / "memory.limit_in_bytes", bytes);
                // memsw (memory + swap) exists only when the kernel accounts swap; it must not be
                // below the memory limit, so it is written second.
                if (fs::exists(d.dir / "memory.memsw.limit_in_bytes")) {
                    write_control_file(d.dir / "memory.memsw.limit_in_bytes", bytes);
                }
            }
        });
    }
    if (request.max_tasks) {
        set_up("pids", pids_, [&](const ControllerDir& d) {
            write_control_file(d.dir / "pids.max", std::to_string(*request.max_tasks));
        });
    }
    if (request.cpu_accounting) {
        set_up("cpu", cpu_, [&](const ControllerDir& d) {
            if (!cpu_usage()) throw std::runtime_error("no CPU usage file in " + d.dir.string());
        });
    }
    if (request.cpu_weight) {
        // The default weight, written all the same: a folder that refuses it (or has no such
        // file) would leave the run without the equal share the report claims.
        set_up("cpu-weight", cpu_weight_, [&](const ControllerDir& d) {
            if (d.version == CgroupVersion::v2)
                write_control_file(d.dir / "cpu.weight", "100");
            else
                write_control_file(d.dir / "cpu.shares", "1024");
        });
    }
}

ControllerDir RunCgroups::make(const CgroupLayout& layout, const std::string& controller,
                               std::vector<std::string>& problems) {
    const CgroupVersion version = layout.version_for(controller);
    const auto base = layout.base_for(controller);
    if (version == CgroupVersion::none || !base) {
        problems.push_back(
            controller == "cpu-weight"
                ? "no cgroup hierarchy offers the cpu controller (for the run's CPU weight)"
                : fmt::format("no cgroup hierarchy offers the {} controller", controller));
        return {};
    }
    // v2: the run's folder has the controller's files once the root and workbook-sandbox/ enable
    // it for their children; that holds for a folder shared with another controller too.
    const std::string v2_controller = v2_name(controller);
    const auto enable_v2 = [&] {
        if (version != CgroupVersion::v2 || v2_controller.empty()) return;
        enable_v2_controller(*layout.v2_mount, v2_controller);
        enable_v2_controller(*base, v2_controller);
    };
    const fs::path dir = *base / name_;
    const bool shared = std::find(created_.begin(), created_.end(), dir) != created_.end();
    if (!shared) {
        // Two runs may race: one removing an empty workbook-sandbox/ while the other creates its
        // run inside. Creating both again a few times settles it.
        for (int attempt = 0;; ++attempt) {
            try {
                make_directory(*base, true);
                enable_v2();
                // A folder left by an earlier sandbox that had our pid would confuse this run
                // with its counters: remove it (if it is empty) and make it anew.
                ::rmdir(dir.c_str());
                make_directory(dir, false);
                break;
            } catch (const std::system_error& e) {
                if (e.code().value() != ENOENT || attempt == 3) throw;
            }
        }
        created_.push_back(dir);
    } else {
        enable_v2();
    }
    return ControllerDir{version, dir};
}

void RunCgroups::attach(pid_t pid) const {
    for (const fs::path& dir : created_) {
        const auto uses = [&](const ControllerDir& d) { return d.active() && d.dir == dir; };
        if (uses(memory_) || uses(pids_) || uses(cpu_) || uses(cpu_weight_))
            write_control_file(dir / "cgroup.procs", std::to_string(pid));
    }
}

std::optional<std::chrono::microseconds> RunCgroups::cpu_usage() const {
    if (!cpu_.active()) return std::nullopt;
    try {
        if (cpu_.version == CgroupVersion::v2) {
            const auto text = read_small_file(cpu_.dir / "cpu.stat");
            if (!text) return std::nullopt;
            const auto usec = field_value(*text, "usage_usec");
            if (!usec) return std::nullopt;
            return std::chrono::microseconds(*usec);
        }
        const auto text = read_small_file(cpu_.dir / "cpuacct.usage");
        if (!text) return std::nullopt;
        return std::chrono::microseconds(std::stoull(*text) / 1000);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::uint64_t RunCgroups::oom_kills() const {
    if (!memory_.active()) return 0;
    return memory_.version == CgroupVersion::v2
               ? file_field(memory_.dir / "memory.events", "oom_kill")
               : file_field(memory_.dir / "memory.oom_control", "oom_kill");
}

std::uint64_t RunCgroups::pids_limit_hits() const {
    return pids_.active() ? file_field(pids_.dir / "pids.events", "max") : 0;
}

RunCgroups::~RunCgroups() {
    for (auto it = created_.rbegin(); it != created_.rend(); ++it) destroy(*it);
}

void RunCgroups::destroy(const fs::path& dir) noexcept {
    try {
        // In namespace mode nothing is left by now: the pid namespace died with its init. This
        // is for the rare leftovers (and for the doctor's probes).
        if (fs::exists(dir / "cgroup.kill")) write_control_file(dir / "cgroup.kill", "1");
        for (const pid_t pid : processes_in(dir)) ::kill(pid, SIGKILL);
    } catch (const std::exception&) {
    }
    // A cgroup can be removed once its last task has exited. That is immediate when nothing was
    // left in it; after a kill the tasks take a moment to exit, and cgroup v1 has no event to wait
    // for, hence the short bounded retries (at most one second in all).
    for (int attempt = 0; attempt < 100; ++attempt) {
        if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) break;
        if (errno != EBUSY) break;
        ::poll(nullptr, 0, 10);
    }
    // workbook-sandbox/ itself goes too when no other run uses it (best effort: another run may
    // have just created its folder in it, and then this fails, as it should).
    ::rmdir(dir.parent_path().c_str());
}

void remove_stale_runs(const CgroupLayout& layout) noexcept {
    for (const char* controller : {"memory", "pids", "cpu", "cpu-weight"}) {
        try {
            const auto base = layout.base_for(controller);
            std::error_code error;
            if (!base || !fs::is_directory(*base, error)) continue;
            for (const auto& entry : fs::directory_iterator(*base, error)) {
                const std::string name = entry.path().filename().string();
                if (name.rfind("run-", 0) != 0) continue;
                pid_t owner = 0;
                const auto [end, bad] =
                    std::from_chars(name.data() + 4, name.data() + name.size(), owner);
                if (bad != std::errc() || end != name.data() + name.size()) continue;
                if (::kill(owner, 0) == 0 || errno != ESRCH) continue;  // its sandbox still runs
                if (processes_in(entry.path()).empty()) ::rmdir(entry.path().c_str());
            }
        } catch (const std::exception&) {
        }
    }
}

}  // namespace sandbox
