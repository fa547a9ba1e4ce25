#!/usr/bin/env python3
"""The mutation corpus: every known mistake must lose the test cases it names.

Each lesson's tests/NN-slug/mutants.json lists known-wrong variants of its reference solution
("mutants"): a file of solutions/NN-slug/ with a few exact replacements, and the test cases the
mistake must lose. This builds every mutant from the solution as it is today, grades them all, with
the reference beside them, in one `workbook-cli grade` run, and prints one line per mutant:

    ✓ caught by "..."                  every test case it names failed
    ✗ KEPT FULL MARKS                  no test checks this mistake
    ✗ no longer applies                a `find` is not exactly once in the solution: update the corpus
    ✗ does not compile                 a corpus bug, not a catch
    ✗ not caught by "..."              it lost points, but not in the test cases it names

A corpus may also list, under "correct", programs written differently from the reference that are
right by the contract (another call, another way to flush): each must keep full marks.

The exit status is 0 only when every mutant is caught. docs/how-it-works.md ("Known mistakes")
describes the format.

    mutants.py --workbook-cli build/solutions/tools/workbook/workbook-cli --root .

Python's standard library only.
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIELDS = {"name", "mistake", "file", "replace", "loses"}
CORRECT_FIELDS = {"name", "about", "file", "replace"}
# Optional in a mutant: "message", words each lost case's failure must show (e.g. "data race").


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workbook-cli", type=Path, help="the workbook's program (workbook-cli); needed to grade")
    p.add_argument("--root", required=True, type=Path, help="the workbook's folder")
    p.add_argument("--build", type=Path, help="grade's build folder (default: grade's own, build/grade)")
    p.add_argument("--lessons", default="", help="only these lessons (numbers or slugs), comma-separated")
    p.add_argument("--only", default="", help="only these mutants, comma-separated")
    p.add_argument("--jobs", type=int, default=2, help="submissions graded at once (default 2)")
    p.add_argument("--case-timeout", type=int, default=10, help="seconds for one test case (default 10)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    p.add_argument("--write-submissions", type=Path, metavar="DIR",
                   help="only write the submissions (reference and mutants) into DIR, and grade nothing")
    return p.parse_args()


def text_of(value):
    """A `find` or `with`: a string, or a list of lines joined with newlines."""
    return "\n".join(value) if isinstance(value, list) else value


def mutate(solution, mutant):
    """The solution with the mutant's replacements, or (None, why it no longer applies)."""
    text = solution
    for r in mutant["replace"]:
        find, with_ = text_of(r["find"]), text_of(r["with"])
        n = text.count(find) if find else 0
        if n != 1:
            return None, f"\"{find}\" is {n} times in the solution, not once"
        text = text.replace(find, with_)
    if text == solution:
        return None, "its replacements change nothing"
    return text, ""


def load_corpora(root, wanted, only):
    """[(lesson, [mutant])] for the lessons that have a corpus; problems found on the way."""
    manifest = json.loads((root / "lessons" / "manifest.json").read_text())
    corpora, problems = [], []
    for lesson in manifest["lessons"]:
        if wanted and lesson["slug"] not in wanted and lesson["slug"][:2] not in wanted:
            continue
        path = root / "tests" / lesson["slug"] / "mutants.json"
        if not path.exists():
            print(f"- {lesson['slug']}: no mutants.json yet (./workbook verify reports it)")
            continue
        corpus = json.loads(path.read_text())
        mutants = corpus["mutants"]
        seen = set()
        for m in mutants:
            missing = FIELDS - set(m)
            if missing or not m["loses"] or m["name"] in seen:
                problems.append(f"{lesson['slug']} {m.get('name', '?')}: a malformed entry in {path.name} "
                                f"({'missing ' + ', '.join(sorted(missing)) if missing else 'a name used twice or nothing in loses'})")
            seen.add(m.get("name"))
        mutants = [m for m in mutants if not FIELDS - set(m) and (not only or m["name"] in only)]
        # Correct programs written differently from the reference: they must keep full marks.
        for c in corpus.get("correct", []):
            missing = CORRECT_FIELDS - set(c)
            if missing or c["name"] in seen:
                problems.append(f"{lesson['slug']} {c.get('name', '?')}: a malformed entry of \"correct\" in "
                                f"{path.name} ({'missing ' + ', '.join(sorted(missing)) if missing else 'a name used twice'})")
                continue
            seen.add(c["name"])
            if not only or c["name"] in only:
                mutants.append(dict(c, correct=True, mistake=c["about"], loses=[]))
        corpora.append((lesson, mutants))
    return corpora, problems


def write_submissions(root, corpora, folder):
    """reference/ and one folder per mutant that applies; returns {student: (lesson, mutant, why not)}."""
    students = {}
    for lesson, mutants in corpora:
        slug = lesson["slug"]
        shutil.copytree(root / "solutions" / slug, folder / "reference" / slug)
        for m in mutants:
            student = f"{slug}.{m['name']}"
            text, why = mutate((root / "solutions" / slug / m["file"]).read_text(), m)
            students[student] = (lesson, m, why)
            if text is not None:
                shutil.copytree(root / "solutions" / slug, folder / student / slug)
                (folder / student / slug / m["file"]).write_text(text)
    return students


def grade(args, root, subs, out, slugs, unsafe, only_cases):
    cmd = [str(args.workbook_cli.resolve()), "--root", str(root), "--no-color"]
    if args.build:
        cmd += ["--build", str(args.build.resolve())]
    cmd += ["grade", str(subs), "--out", str(out), "--lessons", ",".join(slugs), "--only-cases", str(only_cases),
            "--jobs", str(args.jobs),
            "--case-timeout", str(args.case_timeout)]
    if unsafe:
        cmd.append("--unsafe")
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")


def verdict(student, lesson, mutant, why, graded, reference_ok):
    """(ok, line) for one mutant."""
    where = f"{lesson['slug']} {mutant['name']}"
    if why:
        return False, f"✗ {where}: no longer applies: {why} (solutions/{lesson['slug']}/{mutant['file']})"
    l = next((l for l in graded.get(student, {}).get("lessons", []) if l["slug"] == lesson["slug"]), None)
    if l is None:
        return False, f"✗ {where}: not in the gradebook"
    if l["status"] == "compile-error":
        first = next((s for s in l["message"].splitlines() if "error" in s), l["message"][:200])
        return False, f"✗ {where}: does not compile (a corpus bug, not a catch): {first.strip()}"
    if l["status"] != "graded":
        return False, f"✗ {where}: {l['status']}: {l['message'][:300]}"
    # A mutant runs only the test cases it names (--only-cases), the others are "not-run" by choice:
    # what it lost is among those it names.
    named = mutant.get("loses", [])
    lost = [t for t in l["tests"] if t["status"] != "passed"
            and (mutant.get("correct") or any(t["name"].startswith(p) for p in named))]
    if mutant.get("correct"):
        if lost:
            return False, (f"✗ {where}: a correct program lost " + ", ".join(f"\"{t['name']}\"" for t in lost)
                           + f" — {mutant['about']}: the tests check the reference's way, not the contract")
        return True, f"✓ {where}: correct, full marks ({mutant['about']})"
    if not lost:
        return False, f"✗ {where}: KEPT FULL MARKS: {mutant['mistake']} — no test checks this"
    if not reference_ok:
        return False, f"✗ {where}: cannot tell: the reference does not get full marks"
    problems, caught = [], []
    for prefix in mutant["loses"]:
        named = [t for t in l["tests"] if t["name"].startswith(prefix)]
        if not named:
            problems.append(f"\"{prefix}\" names no test case of {lesson['slug']}")
        for t in named:
            (problems if t["status"] == "passed" else caught).append(
                f"not caught by \"{t['name']}\" (it passed)" if t["status"] == "passed"
                else t["name"] + ("" if t["status"] == "failed" else f" ({t['status']})"))
    # "message": words the failure of every case it loses must show (a racy variant's
    # "data race"): the mistake is caught for the right reason, and the student is told so.
    if mutant.get("message"):
        for t in l["tests"]:
            if any(t["name"].startswith(p) for p in mutant["loses"]) and t["status"] != "passed" \
                    and mutant["message"] not in t.get("message", ""):
                problems.append(f"\"{t['name']}\" failed without saying \"{mutant['message']}\"")
    if problems:
        return False, (f"✗ {where}: " + "; ".join(problems) + "; it lost "
                       + ", ".join(f"\"{t['name']}\"" for t in lost) + f" — {mutant['mistake']}")
    more = len(lost) - len(caught)
    return True, (f"✓ {where}: caught by \"{caught[0]}\"" + "".join(f", \"{c}\"" for c in caught[1:])
                  + (f" (and {more} more)" if more > 0 else ""))


def main():
    args = parse_args()
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(encoding="utf-8", errors="replace")
    root = args.root.resolve()
    wanted = {k for k in args.lessons.split(",") if k}
    corpora, problems = load_corpora(root, wanted, {n for n in args.only.split(",") if n})
    for p in problems:
        print(f"✗ {p}")
    if args.write_submissions:
        students = write_submissions(root, corpora, args.write_submissions)
        stale = [s for s, (_, _, why) in students.items() if why]
        print(f"Wrote {1 + len(students) - len(stale)} submissions to {args.write_submissions}"
              + (f"; left out (no longer apply): {', '.join(stale)}" if stale else ""))
        return 1 if problems or stale else 0
    if not corpora:
        print("No lesson has a mutation corpus.")
        return 1 if problems else 0
    if not args.workbook_cli:
        raise SystemExit("mutants.py: --workbook-cli is needed to grade")

    parent = root / "build"  # inside the workbook, like grade's own folders
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="mutants-", dir=parent)).resolve()
    tmp.chmod(0o755)  # a sandbox without namespaces runs the code as nobody, at these real paths
    subs, out = tmp / "submissions", tmp / "out"  # a fresh --out: no cached grade is reused
    students = write_submissions(root, corpora, subs)
    slugs = [lesson["slug"] for lesson, _ in corpora]
    count = len(students)
    print(f"Grading {count} mutants of {len(slugs)} lesson(s) and the reference in one grade run ...", flush=True)
    started = time.monotonic()
    # Each mutant runs only the test cases it names: that they all fail is the whole claim, and a
    # mutant that hangs no longer waits out the deadlines of every other case. The reference and
    # the correct variants run every case.
    only_cases = tmp / "only-cases.json"
    only_cases.write_text(json.dumps({student: mutant["loses"] for student, (_, mutant, why) in students.items()
                                      if not why and not mutant.get("correct")}, indent=1))
    run = grade(args, root, subs, out, slugs, unsafe=False, only_cases=only_cases)
    if run.returncode == 2 and "offers no isolation" in run.stdout:
        # The mutants are the maintainers' own code, not a student's: running them unconfined is safe.
        print("- this machine offers no isolation: grading with --unsafe (the mutants are our own code)", flush=True)
        run = grade(args, root, subs, out, slugs, unsafe=True, only_cases=only_cases)
    seconds = time.monotonic() - started
    (tmp / "grade-output.txt").write_text(run.stdout)
    try:
        book = json.loads((out / "gradebook.json").read_text())
    except (OSError, ValueError):
        print(f"✗ grade failed (status {run.returncode}); its last lines:\n    "
              + "\n    ".join(run.stdout.splitlines()[-20:]))
        print(f"The temporary folder is kept: {tmp}")
        return 1
    graded = {s["student"]: s for s in book["students"]}

    failed = len(problems)
    reference = {l["slug"]: l for l in graded.get("reference", {}).get("lessons", [])}
    reference_ok = all(reference.get(s, {}).get("status") == "graded"
                       and reference[s]["points"] == reference[s]["max"] for s in slugs)
    if not reference_ok:
        failed += 1
        print("✗ the reference does not get full marks: "
              + ", ".join(f"{s} {reference.get(s, {}).get('status')} {reference.get(s, {}).get('points')}"
                          f"/{reference.get(s, {}).get('max')}" for s in slugs))
    caught = kept = 0
    misses = []
    for student, (lesson, mutant, why) in students.items():
        ok, line = verdict(student, lesson, mutant, why, graded, reference_ok)
        caught += ok
        kept += "KEPT FULL MARKS" in line
        if not ok:
            misses.append(line)
        print(line, flush=True)
    failed += count - caught
    if misses:
        # Said again at the end: a long run's log is often cut to its last lines.
        print(f"\nNot as expected ({len(misses)}):")
        for line in misses:
            print("  " + line)

    print(f"\n{count} mutants and correct variants: {caught} as expected, {count - caught} not"
          + (f" ({kept} kept full marks)" if kept else "")
          + f"; graded in {seconds:.0f} s, {'unconfined' if book.get('unsafe') else 'sandboxed'}")
    if failed or args.keep:
        print(f"The temporary folder is kept: {tmp} (grade's output: {tmp / 'grade-output.txt'})")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
