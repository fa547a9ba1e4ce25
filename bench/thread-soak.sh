#!/usr/bin/env bash
# The thread lessons' determinism, with both cores kept busy by two busy loops:
#   - the solution's tests pass in every one of RUNS runs (default 50);
#   - the untouched starter's tests fail in every run;
#   - every racy variant of the mutation corpus (a mutant whose "message" is "data race") fails in
#     every run, each time with that message, in the test cases it must lose;
#   - so does every detach() variant (a mutant named detach-...), which is caught by watching the
#     caller's thread wait in join(), not by ThreadSanitizer.
# One build folder: each variant's file is copied into its tree in turn and only the lesson's
# program is rebuilt. Bounded: RUNS runs of each, every one under `timeout`.
# Usage: bench/thread-soak.sh [LESSON...]   (default: 04 05)
set -euo pipefail
source "$(dirname "$0")/common.sh"
runs=${RUNS:-50}
lessons=("$@")
((${#lessons[@]})) || lessons=(04 05)
soak="$out/thread-soak"
rm -rf "$soak" && mkdir -p "$soak"

python3 "$root/tests/grading/mutants.py" --root "$root" --lessons "$(IFS=,; echo "${lessons[*]}")" \
    --write-submissions "$soak/variants" >/dev/null
cp -r "$root/solutions" "$soak/tree"
cmake -S "$root" -B "$soak/build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DWORKBOOK_TREE="$soak/tree" >/dev/null

load=()
for _ in 1 2; do (while :; do :; done) & load+=($!); done
trap 'kill "${load[@]}" 2>/dev/null' EXIT

status=0
# soak LABEL SLUG FROM EXPECT(pass|fail) [WORDS [SPEC]]: FROM's files of SLUG are built and its tests
# run RUNS times (only the cases SPEC selects, if given).
soak() {
    local label=$1 slug=$2 from=$3 expect=$4 words=${5:-} spec=${6:-} passed=0 failed=0 unexplained=0 i
    rm -rf "${soak:?}/tree/$slug" && cp -r "$from" "$soak/tree/$slug"
    cmake --build "$soak/build" --target "lesson-$slug" >/dev/null
    local tests=("$soak/build/bin/$slug/tests")
    [[ -n $spec ]] && tests+=("$spec")
    for i in $(seq "$runs"); do
        if timeout 120 "${tests[@]}" >"$soak/run.log" 2>&1; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
            if [[ -n $words ]] && ! grep -qF "$words" "$soak/run.log"; then unexplained=$((unexplained + 1)); fi
        fi
    done
    local verdict=ok
    if [[ $expect == pass && $failed -gt 0 ]] || [[ $expect == fail && ($passed -gt 0 || $unexplained -gt 0) ]]; then
        verdict=WRONG
        status=1
    fi
    printf '%-5s %-50s passed %2d, failed %2d of %d%s\n' "$verdict" "$label" "$passed" "$failed" "$runs" \
        "${words:+ (failed without \"$words\": $unexplained)}"
}

for lesson in "${lessons[@]}"; do
    slug=$(basename "$(ls -d "$root/lessons/$lesson"-*)")
    soak "$slug solution (must pass)" "$slug" "$root/solutions/$slug" pass
    soak "$slug untouched starter (must fail)" "$slug" "$root/starter/$slug" fail
    # The racy and detach() variants, each run on the test cases it must lose (Catch2: prefix*,
    # comma = or).
    while IFS=$'\t' read -r name spec words; do
        soak "$slug $name (must fail)" "$slug" "$soak/variants/$slug.$name/$slug" fail "$words" "$spec"
    done < <(python3 - "$root" "$slug" <<'PY'
import json, re, sys
from pathlib import Path
root, slug = Path(sys.argv[1]), sys.argv[2]
for m in json.loads((root / "tests" / slug / "mutants.json").read_text())["mutants"]:
    if m.get("message") == "data race" or m["name"].startswith("detach-"):
        spec = ",".join(re.sub(r'([\\,\[\]*~"])', r"\\\1", p) + "*" for p in m["loses"])
        print(m["name"] + "\t" + spec + "\t" + m.get("message", ""))
PY
)
done
exit $status
