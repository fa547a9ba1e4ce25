#!/usr/bin/env bash
# Edit one starter file -> verdict for that lesson, as a student sees it: `./workbook test 01` after
# a save. The tree is a copy of solutions/ so the verdict is a pass; each run first "saves" the
# lesson's file (a new modification time), so the build really recompiles it.
# Target: <= 1 s median on a 2-core machine; <= 1.5 s for the thread lessons (04, 05, 08-10),
# whose program is built and run with ThreadSanitizer. LESSONS="01 04" measures only those.
set -euo pipefail
source "$(dirname "$0")/common.sh"
tree="$out/edit-tree"
rm -rf "$tree" && cp -r "$root/solutions" "$tree"
wb=("$root/workbook" --no-color --tree "$tree" --build "$out/edit-build")
"${wb[@]}" test 01 >/dev/null  # the first build, not measured
for lesson in ${LESSONS:-01 02 04 05 06 07 08 09 10}; do
    # The file ./workbook sends a student to first: the first file of the lesson's first program.
    file=$(python3 -c 'import json, sys
for l in json.load(open(sys.argv[1]))["lessons"]:
    if l["slug"].startswith(sys.argv[2] + "-"): print(l["slug"] + "/" + l["programs"][0]["files"][0])' \
        "$root/lessons/manifest.json" "$lesson")
    file="$tree/$file"
    hyperfine --warmup 1 --runs "${RUNS:-10}" --prepare "touch '$file'" \
        --export-json "$out/edit-verdict-$lesson.json" \
        "${wb[*]} test $lesson"
done
