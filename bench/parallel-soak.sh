#!/usr/bin/env bash
# 20 consecutive parallel runs (ctest -j4) of the solutions' tests while two busy loops keep both
# cores loaded. Target: zero failures. Bounded: 20 runs, each under ctest's per-test timeouts.
set -euo pipefail
source "$(dirname "$0")/common.sh"
runs=${RUNS:-20}
cmake -S "$root" --preset solutions >/dev/null
cmake --build "$root/build/solutions" >/dev/null
load=()
for _ in 1 2; do (while :; do :; done) & load+=($!); done
trap 'kill "${load[@]}" 2>/dev/null' EXIT
failures=0
for i in $(seq "$runs"); do
    if ctest --test-dir "$root/build/solutions" -j4 >"$out/soak-$i.log" 2>&1; then
        echo "run $i: ok"
    else
        echo "run $i: FAILED (log: ${out#"$root"/}/soak-$i.log)"
        failures=$((failures + 1))
    fi
done
echo "$((runs - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]
