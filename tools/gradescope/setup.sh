#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder's image. The autograder's zip is the whole
# workbook (solutions included); the image must be Debian 12 based (see docs/teachers.md).
set -euo pipefail
cd /autograder/source
./workbook setup
# Build the tests and the sandbox now, so that grading a submission compiles only the student's files.
./workbook grade --lessons 01 "$(mktemp -d)" --out "$(mktemp -d)" >/dev/null || true
