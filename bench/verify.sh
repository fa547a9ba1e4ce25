#!/usr/bin/env bash
# ./workbook verify, the maintainers' check. Two measurements:
#   - `verify --quick` (layout, format, solutions pass, starters fail) with the solutions' build
#     already there, as a contributor runs it before a commit. Target: <= 90 s.
#   - the whole `verify` on a fresh clone of this checkout (every build from nothing), once: it
#     takes many minutes, so hyperfine runs it a single time (RUNS=N for more). Target: <= 10 min.
# FULL=0 skips the second.
set -euo pipefail
source "$(dirname "$0")/common.sh"
"$root/workbook" verify --quick >/dev/null 2>&1 || true  # builds what --quick needs, once
hyperfine --warmup 1 --runs "${RUNS:-5}" --export-json "$out/verify-quick.json" \
    "'$root/workbook' verify --quick"
if [[ ${FULL:-1} != 0 ]]; then
    clone=$(mktemp -d)
    trap 'rm -rf "$clone"' EXIT
    git clone -q "$root" "$clone/workbook"
    hyperfine --runs "${FULL_RUNS:-1}" --export-json "$out/verify-full.json" \
        --prepare "rm -rf '$clone/workbook/build'" "'$clone/workbook/workbook' verify"
fi
