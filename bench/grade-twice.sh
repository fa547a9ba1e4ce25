#!/usr/bin/env bash
# Deterministic grades: the same class graded twice, each time into a fresh --out (so that no cached
# grade is read back), must give every test case of every submission the same status and points.
# The class: the reference solutions, an untouched starter, every mutant of the lessons' corpora
# (tests/NN-slug/mutants.json, built from the solutions by tests/grading/mutants.py), and a
# submission with undefined behaviour: lesson 02's server printing its receive buffer as a C string
# (std::cout << buffer), so that whatever the stack holds after the bytes recv() wrote is printed too.
# Target: no difference.
#
#   bench/grade-twice.sh        (WORKBOOK_CLI=path/to/workbook-cli and GRADE_BUILD=DIR to use
#                                another program or build folder than ./workbook's and build/grade)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="$root/build/bench/grade-twice"
cli=${WORKBOOK_CLI:-"$root/workbook"}
build_option=()
if [[ -n ${GRADE_BUILD:-} ]]; then build_option=(--build "$GRADE_BUILD"); fi

rm -rf "$out" && mkdir -p "$out"
subs="$out/submissions"
python3 "$root/tests/grading/mutants.py" --root "$root" --write-submissions "$subs" || echo "(the mutants above that no longer apply are left out)"
rm -rf "$subs/reference"
cp -r "$root/solutions" "$subs/reference"
cp -r "$root/starter" "$subs/untouched"
python3 - "$root" "$subs" <<'PY'
import sys
from pathlib import Path
root, subs = Path(sys.argv[1]), Path(sys.argv[2])
solution = (root / "solutions" / "02-first-server" / "server.cpp").read_text()
find = "<< std::string_view(buffer, static_cast<std::size_t>(received))"
assert solution.count(find) == 1, "the solution of lesson 02 no longer prints the buffer this way"
(subs / "ub-cout-buffer" / "02-first-server").mkdir(parents=True)
(subs / "ub-cout-buffer" / "02-first-server" / "server.cpp").write_text(solution.replace(find, "<< buffer"))
PY
chmod -R a+rX "$out"
count=$(find "$subs" -mindepth 1 -maxdepth 1 -type d | wc -l)

for run in first second; do
    start=$(date +%s.%N)
    "$cli" --root "$root" --no-color "${build_option[@]}" grade "$subs" --out "$out/$run" --jobs 2 --case-timeout 10 \
        >"$out/$run.txt"
    end=$(date +%s.%N)
    echo "$run run: $count submissions graded in $(python3 -c "print(f'{$end - $start:.0f}')") s"
done

python3 - "$out" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
def results(run):
    book = json.loads((out / run / "gradebook.json").read_text())
    cases = {}
    for s in book["students"]:
        for l in s["lessons"]:
            cases[(s["student"], l["slug"], "(lesson)")] = (l["status"], l["points"])
            for t in l["tests"]:
                cases[(s["student"], l["slug"], t["name"])] = (t["status"], t["points"])
    return cases
first, second = results("first"), results("second")
differ = sorted(k for k in first.keys() | second.keys() if first.get(k) != second.get(k))
for student, slug, name in differ:
    print(f"✗ {student} {slug} \"{name}\": {first.get((student, slug, name))} then {second.get((student, slug, name))}")
graded = sum(1 for k, v in first.items() if k[2] != "(lesson)")
print(f"{len(differ)} difference(s) in {graded} test case results of {len({k[0] for k in first})} submissions")
sys.exit(1 if differ else 0)
PY
