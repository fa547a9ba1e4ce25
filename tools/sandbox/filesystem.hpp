// The program's view of the files: a new root with the system read-only, a fresh /dev, /proc and
// /tmp, the --ro paths read-only and the scratch read-write. Nothing else of the machine is there.
#pragma once

#include <sys/types.h>

#include <filesystem>

#include "plan.hpp"

namespace sandbox {

// Builds the new root and enters it (pivot_root). Runs in the init, inside the new mount
// namespace, before the program is started. Throws std::system_error naming the failed step.
void build_root(const ChildPlan& plan);

// Checks and canonicalises the --scratch folder: it must exist, be a folder of its own (not /, not
// a top-level or system folder, not a shared sticky folder such as /tmp). Throws UsageError.
std::filesystem::path canonical_scratch(const std::filesystem::path& path);
// The same for a --ro path (a file or a folder). Returns an empty path for a path that is visible
// anyway (under /usr or /etc). Throws UsageError.
std::filesystem::path canonical_read_only(const std::filesystem::path& path);

// Gives `dir` and everything below it (same filesystem, symlinks not followed) to uid:gid, so
// that the program, running as nobody, can write its scratch. Errors below the top are ignored (a
// file the program cannot write is its own doing); an error on `dir` itself throws.
void give_tree_to(const std::filesystem::path& dir, uid_t uid, gid_t gid);

}  // namespace sandbox
