#!/usr/bin/env bash
# A lesson's tests against its solution, RUNS times in a row (default 50), while two busy loops keep
# both cores loaded. Target: zero failures (no test may depend on an idle machine). Bounded: RUNS
# runs, each under `timeout`. Prints each run's wall time and the median.
# Usage: bench/lesson-soak.sh [LESSON...]   (default: 06 07)
set -euo pipefail
source "$(dirname "$0")/common.sh"
runs=${RUNS:-50}
lessons=("$@")
((${#lessons[@]})) || lessons=(06 07)
cmake -S "$root" --preset solutions >/dev/null
cmake --build "$root/build/solutions" >/dev/null

load=()
for _ in 1 2; do (while :; do :; done) & load+=($!); done
trap 'kill "${load[@]}" 2>/dev/null' EXIT

status=0
for lesson in "${lessons[@]}"; do
    tests=$(ls -d "$root"/build/solutions/bin/"$lesson"-*/tests)
    failures=0
    times=()
    for i in $(seq "$runs"); do
        start=$(date +%s%N)
        if timeout 300 "$tests" >"$out/soak-$lesson-$i.log" 2>&1; then
            rm -f "$out/soak-$lesson-$i.log"
        else
            echo "$lesson run $i: FAILED (log: ${out#"$root"/}/soak-$lesson-$i.log)"
            failures=$((failures + 1))
        fi
        times+=($(( ($(date +%s%N) - start) / 1000000 )))
    done
    median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
    echo "$lesson: $((runs - failures)) of $runs runs passed with both cores busy; median $median ms a run"
    ((failures == 0)) || status=1
done
exit $status
