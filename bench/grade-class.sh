#!/usr/bin/env bash
# Grading a class: 30 submissions of the full workbook (all lessons), the hostile set of
# tests/grading/ mixed in (the rest: reference solutions, untouched starters, and half-done work),
# graded with --jobs 2 and --case-timeout 10. Measures the whole `./workbook grade` once (the
# tests are built before, as a teacher's second run would find them).
# Target: <= 15 s per submission on average.
set -euo pipefail
source "$(dirname "$0")/common.sh"
class="$out/class"
rm -rf "$class" && mkdir -p "$class/submissions"
python3 - "$root" "$class" <<'PY'
import shutil, sys, uuid
from pathlib import Path
root, class_dir = Path(sys.argv[1]), Path(sys.argv[2])
sys.path.insert(0, str(root / "tests" / "grading"))
import selftest
subs = class_dir / "submissions"
values = {"@WORKBOOK_ROOT@": str(root), "@TOKEN@": uuid.uuid4().hex[:12], "@SUBMISSIONS@": str(subs),
          "@OUT@": str(class_dir / "grades")}
hostiles = selftest.load_hostiles(set())
for name, (folder, _) in hostiles.items():
    selftest.copy_submission(folder, subs / f"h-{name}", values)
n = len(hostiles)
kinds = ["reference", "untouched", "half"]
for i in range(30 - n):
    kind = kinds[i % 3]
    target = subs / f"{kind}-{i:02d}"
    if kind == "reference":
        shutil.copytree(root / "solutions", target)
    elif kind == "untouched":
        shutil.copytree(root / "starter", target)
    else:  # lessons 01 and 03 done, 02 untouched
        shutil.copytree(root / "solutions", target)
        shutil.rmtree(target / "02-first-server")
        shutil.copytree(root / "starter" / "02-first-server", target / "02-first-server")
print(f"{len(list(subs.iterdir()))} submissions ({n} hostile)")
PY
chmod -R a+rX "$class"
mkdir -p "$class/empty"
"$root/workbook" --no-color grade "$class/empty" --out "$class/warm" >/dev/null
start=$(date +%s.%N)
"$root/workbook" --no-color grade "$class/submissions" --out "$class/grades" --jobs 2 --case-timeout 10 | tail -n 3
end=$(date +%s.%N)
python3 -c "import sys; t=float(sys.argv[2])-float(sys.argv[1]); print(f'{t:.1f} s for 30 submissions: {t/30:.2f} s per submission')" "$start" "$end"
