#!/usr/bin/env bash
# The thread lessons' determinism, with both cores kept busy by two busy loops:
#   - the solution's tests pass in every one of RUNS runs (default 50);
#   - the untouched starter's tests fail in every run;
#   - every racy variant of the mutation corpus (a mutant with a "message", e.g. "data race") fails
#     in every run, with that message.
# Each run is the lesson's whole test program, as `./workbook test` runs it. Bounded: RUNS runs of
# each, every one under `timeout`.
# Usage: bench/thread-soak.sh [LESSON...]   (default: 04 05)
set -euo pipefail
source "$(dirname "$0")/common.sh"
runs=${RUNS:-50}
lessons=("$@")
((${#lessons[@]})) || lessons=(04 05)
soak="$out/thread-soak"
rm -rf "$soak" && mkdir -p "$soak"

# One tree per variant: the solution, the starter, and each racy mutant.
python3 "$root/tests/grading/mutants.py" --root "$root" --lessons "$(IFS=,; echo "${lessons[*]}")" \
    --write-submissions "$soak/trees" >/dev/null
declare -A message=()
while IFS=$'\t' read -r name words; do message[$name]=$words; done < <(python3 - "$root" "${lessons[@]}" <<'PY'
import json, sys
from pathlib import Path
root = Path(sys.argv[1])
for lesson in json.loads((root / "lessons/manifest.json").read_text())["lessons"]:
    if lesson["slug"][:2] not in sys.argv[2:]:
        continue
    corpus = json.loads((root / "tests" / lesson["slug"] / "mutants.json").read_text())
    for m in corpus["mutants"]:
        if m.get("message"):
            print(f"{lesson['slug']}.{m['name']}\t{m['message']}")
PY
)

build() {  # build TREE SLUG -> the lesson's tests binary, in its own build folder
    local tree=$1 slug=$2 dir="$soak/build-$(basename "$1")-$2"
    cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DWORKBOOK_TREE="$tree" >/dev/null
    cmake --build "$dir" --target "lesson-$slug" >/dev/null
    echo "$dir/bin/$slug/tests"
}

load=()
for _ in 1 2; do (while :; do :; done) & load+=($!); done
trap 'kill "${load[@]}" 2>/dev/null' EXIT

status=0
soak_one() {  # soak_one LABEL TESTS EXPECT(pass|fail) [MESSAGE]
    local label=$1 tests=$2 expect=$3 words=${4:-} passed=0 failed=0 wrong_reason=0 i
    for i in $(seq "$runs"); do
        if timeout 120 "$tests" >"$soak/run.log" 2>&1; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
            if [[ -n $words ]] && ! grep -qF "$words" "$soak/run.log"; then wrong_reason=$((wrong_reason + 1)); fi
        fi
    done
    local verdict=ok
    if [[ $expect == pass && $failed -gt 0 ]] || [[ $expect == fail && ($passed -gt 0 || $wrong_reason -gt 0) ]]; then
        verdict=WRONG
        status=1
    fi
    printf '%-6s %-55s passed %2d, failed %2d of %d%s\n' "$verdict" "$label" "$passed" "$failed" "$runs" \
        "${words:+ (failures without \"$words\": $wrong_reason)}"
}

for lesson in "${lessons[@]}"; do
    slug=$(basename "$(ls -d "$root/lessons/$lesson"-*)")
    soak_one "$slug solution (must pass)" "$(build "$root/solutions" "$slug")" pass
    soak_one "$slug untouched starter (must fail)" "$(build "$root/starter" "$slug")" fail
    for name in "${!message[@]}"; do
        [[ $name == "$slug".* ]] || continue
        soak_one "$name (must fail)" "$(build "$soak/trees/$name" "$slug")" fail "${message[$name]}"
    done
done
exit $status
