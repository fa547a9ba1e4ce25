#!/usr/bin/env bash
# A clean clone -> the first verdict (packages already installed): `git clone` then `./workbook`.
# ./workbook exits 1 on a fresh clone (lessons remain), which is the expected verdict.
# Target: <= 60 s.
set -euo pipefail
source "$(dirname "$0")/common.sh"
clone="$out/clone"
hyperfine --runs "${RUNS:-3}" --ignore-failure \
    --prepare "rm -rf '$clone' && git clone -q '$root' '$clone'" \
    --export-json "$out/clean-clone.json" \
    "'$clone/workbook' --no-color"
