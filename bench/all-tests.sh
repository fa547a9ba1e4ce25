#!/usr/bin/env bash
# The whole test run of the solutions, already built: every lesson's tests and the self-tests.
# Target: <= 15 s wall.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cmake -S "$root" --preset solutions >/dev/null
cmake --build "$root/build/solutions" >/dev/null
hyperfine --warmup 1 --runs "${RUNS:-5}" --export-json "$out/all-tests.json" \
    "ctest --test-dir '$root/build/solutions' -j2 --output-on-failure"
