// Building the new root, in this order (every step matters):
//
//   1. Make every mount private (MS_REC | MS_PRIVATE), so that nothing mounted here propagates
//      back to the machine, and nothing mounted there later appears here.
//   2. Open every source (system folders, devices, --ro paths, scratch) with O_PATH, one path
//      component at a time, refusing symlinks. Opening first matters: the next step mounts over
//      /tmp, which would hide a scratch under /tmp; and a descriptor cannot be redirected by a
//      symlink planted in the path afterwards.
//   3. Mount a small tmpfs at /tmp (in this namespace only): the "stage" where the new root is
//      assembled. Bind the sources onto it at their own paths, from the descriptors
//      (/proc/self/fd/N), then remount each bind with MS_RDONLY (except the scratch), MS_NOSUID and
//      MS_NODEV added to the flags the original mount had (in a user namespace the kernel refuses
//      a remount that would drop them).
//   4. pivot_root into the stage and detach the old root. Unlike chroot, this leaves nothing of
//      the machine's file tree reachable from the namespace: no open directory, no "..".
//   5. Remount the new / read-only: the program can create files only in the scratch, /tmp and
//      /dev/shm.
#include "filesystem.hpp"

#include <fcntl.h>
#include <ftw.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include <fmt/core.h>

#include "options.hpp"
#include "system.hpp"

namespace sandbox {

namespace fs = std::filesystem;

std::string to_string(Mode mode) {
    switch (mode) {
        case Mode::root:
            return "root";
        case Mode::user:
            return "user";
        case Mode::none:
            return "none";
    }
    return "?";
}

namespace {

constexpr const char* stage = "/tmp";

// Folders of the system shown read-only. The ones that are symlinks (the usr-merge: /bin ->
// usr/bin) are recreated as the same symlinks.
constexpr std::array system_paths{"/usr", "/etc",   "/bin",   "/sbin",
                                  "/lib", "/lib32", "/lib64", "/libx32"};
constexpr std::array devices{"null", "zero", "full", "random", "urandom"};

// Paths a --scratch or --ro may not be in (or, for the scratch, be).
constexpr std::array forbidden{"/proc", "/sys", "/dev"};
constexpr std::array system_trees{"/usr", "/etc",   "/boot",  "/bin",   "/sbin",
                                  "/lib", "/lib32", "/lib64", "/libx32"};

bool is_within(const fs::path& path, const fs::path& tree) {
    const auto [end, _] = std::mismatch(tree.begin(), tree.end(), path.begin(), path.end());
    return end == tree.end();
}

std::vector<std::string> components(const fs::path& relative) {
    std::vector<std::string> parts;
    for (const fs::path& part : relative) {
        const std::string name = part.string();
        if (name.empty() || name == "." || name == "/") continue;
        if (name == "..") throw_error(EINVAL, "a path with \"..\": " + relative.string());
        parts.push_back(name);
    }
    return parts;
}

enum class Create { nothing, directory, file };

void refuse_symlink(int fd, const std::string& shown) {
    struct stat st {};
    check_system_call("stat " + shown, ::fstat(fd, &st));
    if (S_ISLNK(st.st_mode)) throw_error(ELOOP, shown + " is a symbolic link");
}

// Opens `relative` under the folder `dir` (O_PATH), one component at a time and without ever
// following a symlink (a symlink anywhere in the path is an error); creates missing components as
// asked: folders on the way, and a folder or an empty file (a mount point for a file) at the end.
FileDescriptor open_beneath(int dir, const fs::path& relative, Create create) {
    const std::vector<std::string> parts = components(relative);
    FileDescriptor current(check_system_call("open " + relative.string(),
                                             ::openat(dir, ".", O_PATH | O_DIRECTORY | O_CLOEXEC)));
    std::string shown;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const std::string& name = parts[i];
        shown += "/" + name;
        const bool last = i + 1 == parts.size();
        const bool want_directory = !last || create == Create::directory;
        const int flags = O_PATH | O_NOFOLLOW | O_CLOEXEC | (want_directory ? O_DIRECTORY : 0);
        int fd = ::openat(current.get(), name.c_str(), flags);
        if (fd < 0 && errno == ENOENT && create != Create::nothing) {
            if (want_directory) {
                if (::mkdirat(current.get(), name.c_str(), 0755) < 0 && errno != EEXIST) {
                    throw_error(errno, "mkdir " + shown);
                }
            } else {
                const FileDescriptor made(check_system_call(
                    "create " + shown,
                    ::openat(current.get(), name.c_str(),
                             O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)));
            }
            fd = ::openat(current.get(), name.c_str(), flags);
        }
        current = FileDescriptor(check_system_call("open " + shown, fd));
        refuse_symlink(current.get(), shown);
    }
    return current;
}

// The flags of the mount `fd` is on, as mount(2) flags. A bind remount keeps them: in a user
// namespace the kernel locks them (a remount that drops nosuid or read-only is refused), and
// everywhere it would be wrong to grant more than the machine does (exec on a noexec mount).
unsigned long flags_of_mount(int fd) {
    struct statvfs s {};
    check_system_call("statvfs", ::fstatvfs(fd, &s));
    unsigned long flags = 0;
    if (s.f_flag & ST_RDONLY) flags |= MS_RDONLY;
    if (s.f_flag & ST_NOSUID) flags |= MS_NOSUID;
    if (s.f_flag & ST_NODEV) flags |= MS_NODEV;
    if (s.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
    if (s.f_flag & ST_NOATIME) flags |= MS_NOATIME;
    if (s.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
    if (s.f_flag & ST_RELATIME) flags |= MS_RELATIME;
    if (!(s.f_flag & (ST_NOATIME | ST_RELATIME))) flags |= MS_STRICTATIME;
    return flags;
}

void mount_on(const char* source, int target, const char* type, unsigned long flags,
              const std::string& data, const std::string& what) {
    check_system_call(what, ::mount(source, fd_path(target).c_str(), type, flags,
                                    data.empty() ? nullptr : data.c_str()));
}

void mount_tmpfs(int target, unsigned long flags, const std::string& options,
                 const std::string& what) {
    mount_on("tmpfs", target, "tmpfs", flags, options, "mount a tmpfs on " + what);
}

// Bind-mounts `source` at `path` under `root`, then remounts the bind with `flags` added.
void bind(int root, const fs::path& path, int source, unsigned long flags) {
    struct stat st {};
    check_system_call("stat " + path.string(), ::fstat(source, &st));
    const fs::path relative = path.relative_path();
    {
        const FileDescriptor target =
            open_beneath(root, relative, S_ISDIR(st.st_mode) ? Create::directory : Create::file);
        mount_on(fd_path(source).c_str(), target.get(), nullptr, MS_BIND, "",
                 "bind " + path.string());
    }
    // The descriptor above names the mount point underneath; the new mount is reached by opening
    // the path again.
    const FileDescriptor mounted = open_beneath(root, relative, Create::nothing);
    mount_on(nullptr, mounted.get(), nullptr, MS_REMOUNT | MS_BIND | flags | flags_of_mount(source),
             "", "remount " + path.string());
}

struct SystemEntry {
    fs::path path;
    std::optional<std::string> link;  // the symlink's target, for /bin -> usr/bin
    FileDescriptor source;            // the folder, otherwise
};

std::vector<SystemEntry> open_system(int host_root) {
    std::vector<SystemEntry> entries;
    for (const char* name : system_paths) {
        struct stat st {};
        if (::lstat(name, &st) < 0) {
            if (errno == ENOENT) continue;
            throw_error(errno, fmt::format("stat {}", name));
        }
        SystemEntry entry{name, std::nullopt, FileDescriptor()};
        if (S_ISLNK(st.st_mode)) {
            std::array<char, 4096> target{};
            const ssize_t n = check_system_call(fmt::format("readlink {}", name),
                                                ::readlink(name, target.data(), target.size() - 1));
            entry.link = std::string(target.data(), static_cast<std::size_t>(n));
        } else if (S_ISDIR(st.st_mode)) {
            entry.source = open_beneath(host_root, fs::path(name).relative_path(), Create::nothing);
        } else {
            continue;
        }
        entries.push_back(std::move(entry));
    }
    return entries;
}

void make_system(int root, const std::vector<SystemEntry>& entries) {
    for (const SystemEntry& entry : entries) {
        const std::string name = entry.path.relative_path().string();
        if (entry.link) {
            check_system_call("symlink " + entry.path.string(),
                              ::symlinkat(entry.link->c_str(), root, name.c_str()));
        } else {
            bind(root, entry.path, entry.source.get(), MS_RDONLY | MS_NOSUID | MS_NODEV);
        }
    }
}

// A minimal /dev: the harmless devices (bound from the machine's /dev, since creating device
// nodes is not allowed in a user namespace), the usual symlinks, and /dev/shm as a small tmpfs.
void make_dev(int root, const std::vector<FileDescriptor>& device_sources,
              std::uint64_t shm_bytes) {
    {
        const FileDescriptor dev = open_beneath(root, "dev", Create::directory);
        mount_tmpfs(dev.get(), MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k", "/dev");
    }
    const FileDescriptor dev = open_beneath(root, "dev", Create::nothing);
    for (std::size_t i = 0; i < devices.size(); ++i) {
        // Not MS_NODEV: these are the devices the program may use.
        bind(root, fs::path("/dev") / devices[i], device_sources[i].get(), MS_NOSUID | MS_NOEXEC);
    }
    for (const auto& [name, target] :
         std::array<std::pair<const char*, const char*>, 4>{{{"fd", "/proc/self/fd"},
                                                             {"stdin", "/proc/self/fd/0"},
                                                             {"stdout", "/proc/self/fd/1"},
                                                             {"stderr", "/proc/self/fd/2"}}}) {
        check_system_call(fmt::format("symlink /dev/{}", name),
                          ::symlinkat(target, dev.get(), name));
    }
    {
        const FileDescriptor shm = open_beneath(root, "dev/shm", Create::directory);
        mount_tmpfs(shm.get(), MS_NOSUID | MS_NODEV | MS_NOEXEC,
                    fmt::format("mode=1777,size={}", shm_bytes), "/dev/shm");
    }
    mount_on(nullptr, dev.get(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC,
             "", "remount /dev read-only");
}

// A fresh /proc: it shows the processes of the new pid namespace only. (It must be mounted
// before pivot_root: in a user namespace the kernel allows a new proc only where a complete proc
// is already visible.)
void make_proc(int root) {
    const FileDescriptor proc = open_beneath(root, "proc", Create::directory);
    mount_on("proc", proc.get(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "", "mount /proc");
}

void make_tmp(int root, std::uint64_t bytes) {
    const FileDescriptor tmp = open_beneath(root, "tmp", Create::directory);
    mount_tmpfs(tmp.get(), MS_NOSUID | MS_NODEV, fmt::format("mode=1777,size={}", bytes), "/tmp");
}

// pivot_root(".", ".") stacks the old root on top of the new one at "/"; unmounting "." then
// detaches the old root (MNT_DETACH: lazily, as files of it may still be open here).
void enter(int root) {
    check_system_call("chdir to the new root", ::fchdir(root));
    check_system_call("pivot_root", ::syscall(SYS_pivot_root, ".", "."));
    check_system_call("detach the old root", ::umount2(".", MNT_DETACH));
    check_system_call("chdir /", ::chdir("/"));
    check_system_call("remount / read-only",
                      ::mount(nullptr, "/", nullptr,
                              MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr));
}

}  // namespace

void build_root(const ChildPlan& plan) {
    check_system_call("make every mount private",
                      ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr));

    const FileDescriptor host_root(
        check_system_call("open /", ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)));
    const std::vector<SystemEntry> system = open_system(host_root.get());
    std::vector<FileDescriptor> device_sources;
    for (const char* name : devices) {
        device_sources.push_back(
            open_beneath(host_root.get(), fs::path("dev") / name, Create::nothing));
    }
    std::vector<FileDescriptor> bind_sources;
    for (const Bind& b : plan.binds) {
        bind_sources.push_back(
            open_beneath(host_root.get(), b.path.relative_path(), Create::nothing));
    }

    {
        const FileDescriptor stage_dir(check_system_call(
            "open the stage", ::open(stage, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)));
        mount_tmpfs(stage_dir.get(), MS_NOSUID | MS_NODEV, "mode=0755,size=1m", "the new root");
    }
    const FileDescriptor root(check_system_call(
        "open the new root", ::open(stage, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)));

    make_system(root.get(), system);
    make_dev(root.get(), device_sources, plan.tmp_bytes);
    make_proc(root.get());
    make_tmp(root.get(), plan.tmp_bytes);
    for (std::size_t i = 0; i < plan.binds.size(); ++i) {
        const Bind& b = plan.binds[i];
        bind(root.get(), b.path, bind_sources[i].get(),
             MS_NOSUID | MS_NODEV | (b.writable ? 0 : MS_RDONLY));
    }
    enter(root.get());
}

// ---- checking paths (in the parent) ------------------------------------------------------------

namespace {

fs::path canonical_existing(const fs::path& path, const std::string& option) {
    std::error_code error;
    fs::path canonical = fs::canonical(path, error);
    if (error) throw UsageError(fmt::format("{} {}: {}", option, path.string(), error.message()));
    for (const char* place : forbidden) {
        if (is_within(canonical, place)) {
            throw UsageError(fmt::format("{} {}: paths under {} cannot be shown in the sandbox",
                                         option, path.string(), place));
        }
    }
    return canonical;
}

}  // namespace

fs::path canonical_scratch(const fs::path& path) {
    const fs::path canonical = canonical_existing(path, "--scratch");
    struct stat st {};
    check_system_call("stat " + canonical.string(), ::stat(canonical.c_str(), &st));
    const auto refuse = [&](const std::string& why) {
        throw UsageError(fmt::format("--scratch {}: {}", path.string(), why));
    };
    if (!S_ISDIR(st.st_mode)) refuse("not a folder");
    if (std::distance(canonical.begin(), canonical.end()) < 3) {
        refuse(
            "must be a folder of its own, at least two levels below / (it is given to the "
            "program)");
    }
    if (st.st_mode & S_ISVTX) refuse("a shared sticky folder such as /tmp cannot be the scratch");
    for (const char* tree : system_trees) {
        if (is_within(canonical, tree))
            refuse(fmt::format("a folder under {} cannot be the scratch", tree));
    }
    return canonical;
}

fs::path canonical_read_only(const fs::path& path) {
    const fs::path canonical = canonical_existing(path, "--ro");
    if (canonical == "/") throw UsageError("--ro /: that would show every file of the machine");
    for (const char* tree : {"/usr", "/etc"}) {
        if (is_within(canonical, tree)) return {};  // shown read-only anyway
    }
    return canonical;
}

namespace {

uid_t chown_uid = 0;
gid_t chown_gid = 0;

int give_one(const char* path, const struct stat* st, int /*type*/, struct FTW* /*where*/) {
    // A file with several links may be a hard link to a file outside the scratch (placed there by
    // the caller: a program in the sandbox cannot make one, links across mounts fail): giving it
    // away would give away the outside file. Left alone.
    const bool hard_linked = !S_ISDIR(st->st_mode) && st->st_nlink > 1;
    if (!hard_linked && (st->st_uid != chown_uid || st->st_gid != chown_gid)) {
        ::lchown(path, chown_uid, chown_gid);  // errors ignored: see give_tree_to
    }
    return 0;  // go on
}

}  // namespace

void give_tree_to(const fs::path& dir, uid_t uid, gid_t gid) {
    check_system_call("chown " + dir.string(), ::lchown(dir.c_str(), uid, gid));
    chown_uid = uid;
    chown_gid = gid;
    // FTW_PHYS: symlinks are changed themselves, never followed. FTW_MOUNT: stay on one
    // filesystem. No process of the sandbox runs at this point, so nothing can swap a folder for a
    // symlink while the walk goes on.
    ::nftw(dir.c_str(), give_one, 16, FTW_PHYS | FTW_MOUNT);
}

}  // namespace sandbox
