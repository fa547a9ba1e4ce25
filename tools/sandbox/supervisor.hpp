// The parent side of a run: prepares, clones the init, feeds it, watches it, and gathers the facts.
#pragma once

#include "options.hpp"
#include "report.hpp"

namespace sandbox {

// Runs options.command confined as the options say and returns what happened. A failure of the
// sandbox itself is not thrown but reported (outcome "internal"). Throws UsageError for an
// argument found wrong while preparing (a --scratch that does not exist, --isolation root
// without root, ...).
Report run_confined(const Options& options);

}  // namespace sandbox
