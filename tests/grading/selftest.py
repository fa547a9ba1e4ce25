#!/usr/bin/env python3
"""The grading self-test: `./workbook grade` against hostile submissions.

It makes a temporary folder of submissions -- `reference` (a copy of solutions/), `untouched` (a copy
of starter/) and every folder of tests/grading/hostile/ (its @...@ placeholders filled in) -- grades
it with `workbook-cli grade`, then checks the gradebook against each hostile folder's expect.json,
looks for processes left behind and for files written outside the submissions' folders, and checks
every student's feedback.md, results.json and junit.xml (their shape, and that they name no folder of
this machine). One line per check, then `N passed, M
failed`; the exit status is 0 only when nothing failed. README.md beside this file explains the set.

    selftest.py --workbook-cli build/tools/workbook/workbook-cli --root .

Python's standard library only.
"""

import argparse
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
HOSTILE = HERE / "hostile"
LESSONS = ["01", "02"]  # the lessons graded: the hostile set attacks these two
PLACEHOLDER = re.compile(r"@[A-Z_]+@")
GRADESCOPE_STATUSES = {"passed", "failed"}
SKIPPED = 77  # the exit status for "could not run here" (ctest's SKIP_RETURN_CODE)


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def __call__(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print(f"✓ {what}", flush=True)
        else:
            self.failed += 1
            print(f"✗ {what}" + (f"\n    {detail}" if detail else ""), flush=True)
        return ok


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workbook-cli", required=True, type=Path, help="the workbook's program (workbook-cli)")
    p.add_argument("--root", required=True, type=Path, help="the workbook's folder")
    p.add_argument("--jobs", type=int, default=2, help="students graded at once (default 2)")
    p.add_argument("--case-timeout", type=int, default=4,
                   help="seconds of wall and CPU time for one test case (default 4)")
    p.add_argument("--lesson-budget", type=int, default=30,
                   help="seconds for all the test cases of one lesson, passed on to grade (default 30; 0: grade's default)")
    p.add_argument("--timeout", type=int, default=780,
                   help="seconds for the whole `grade` run, its one-time build included (default 780)")
    p.add_argument("--max-average", type=float, default=15.0,
                   help="seconds per submission, on average, that grading may take after the build (0: no check)")
    p.add_argument("--tmp", type=Path, default=None,
                   help="where to make the temporary folder (default: the workbook's build/, so that "
                        "walking up from a submission reaches the repository)")
    p.add_argument("--only", default="", help="only these hostile submissions, comma-separated")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder even when every check passes")
    p.add_argument("--verbose", action="store_true", help="echo grade's output as it comes")
    p.add_argument("--build", type=Path, default=None,
                   help="grade's build folder (default: grade's own, build/grade)")
    p.add_argument("--unsafe", action="store_true",
                   help="grade with --unsafe (no isolation); the hostile submissions that only a sandbox "
                        "can contain are then left out")
    return p.parse_args()


def substitute(text, values):
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def load_hostiles(only):
    hostiles = {}
    for folder in sorted(p for p in HOSTILE.iterdir() if p.is_dir()):
        if only and folder.name not in only:
            continue
        expect = json.loads((folder / "expect.json").read_text())
        # "folder": the submission's folder name, when it is not this folder's (bytes that are not
        # UTF-8 come as lone surrogates, "\udce9" for the Latin-1 byte 0xe9).
        hostiles[expect.get("folder", folder.name)] = (folder, expect)
    return hostiles


def shown(name):
    """A submission's name as grade shows it: UTF-8 as it is, other bytes and control characters as \\xNN."""
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    return "".join("".join(f"\\x{b:02x}" for b in c.encode()) if ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 else c
                   for c in text)


# Lesson 01's hostile submissions are the reference solution with only its end replaced: their
# hex_dump.cpp holds the includes to add and, after this line, what replaces everything that follows
# count_code_points in solutions/01-bytes/utf8.cpp. So they never drift from the solution.
AFTER_COUNT = "// ---- after count_code_points ----\n"
END_OF_COUNT = "    return decode_utf8(data).size();\n}\n"
REFERENCE_HEX_DUMP = "std::string hex_dump(std::string_view data) {"
SERVER_MAIN = "int main(int argc, char** argv) {"


def from_solution(root, fragment):
    solution = (root / "solutions" / "01-bytes" / "utf8.cpp").read_text()
    head, body = fragment.split(AFTER_COUNT, 1)
    comment = "".join(l for l in head.splitlines(True) if l.startswith("//"))
    includes = "".join(l for l in head.splitlines(True) if l.startswith("#include"))
    after_includes = solution.index("\n", solution.rindex("#include")) + 1
    end = solution.index(END_OF_COUNT) + len(END_OF_COUNT)
    if "@REFERENCE_HEX_DUMP@" in body:  # the reference's hex_dump, as reference_hex_dump
        start = solution.index(REFERENCE_HEX_DUMP)
        reference = solution[start:solution.index("\n}\n", start) + 3]
        body = body.replace("@REFERENCE_HEX_DUMP@", reference.replace("hex_dump(", "reference_hex_dump(", 1))
    return comment + solution[:after_includes] + includes + solution[after_includes:end] + body


def copy_submission(source, target, values):
    """Copies the lesson folders of a hostile submission, placeholders filled in; expect.json stays."""
    for lesson in sorted(p for p in source.iterdir() if p.is_dir()):
        (target / lesson.name).mkdir(parents=True)
        for f in sorted(lesson.iterdir()):
            text = substitute(f.read_text(), values)
            if f.name == "hex_dump.cpp":
                text, f = from_solution(Path(values["@WORKBOOK_ROOT@"]), text), f.with_name("utf8.cpp")
            elif f.name == "server-main.cpp":  # lesson 02's reference server, started by this main
                server = (Path(values["@WORKBOOK_ROOT@"]) / "solutions" / lesson.name / "server.cpp").read_text()
                if server.count(SERVER_MAIN) != 1:
                    raise SystemExit(f"selftest: the reference server has no single \"{SERVER_MAIN}\"")
                text = server.replace(SERVER_MAIN, "int reference_main(int argc, char** argv) {") + "\n" + text
                f = f.with_name("server.cpp")
            left = PLACEHOLDER.findall(text)
            if left:
                raise SystemExit(f"selftest: {f} has placeholders nobody fills in: {sorted(set(left))}")
            (target / lesson.name / f.name).write_text(text)


def run_grade(cmd, log_path, timeout, verbose):
    """Runs grade in its own process group; returns (exit status or None on time-out, lines, times)."""
    started = time.monotonic()
    marks = {}
    lines = []
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                                text=True, encoding="utf-8", errors="replace")

        def drain():
            for line in proc.stdout:
                log.write(line)
                log.flush()
                lines.append(line.rstrip("\n"))
                if line.startswith("Grading ") and "grading" not in marks:
                    marks["grading"] = time.monotonic()
                if verbose:
                    print("  | " + line.rstrip("\n"), flush=True)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        try:
            status = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # grade and everything it started, by its group
            proc.wait()
            status = None
        reader.join(timeout=10)
    marks["end"] = time.monotonic()
    marks["start"] = started
    return status, lines, marks


def processes_matching(needles, names):
    """Processes whose command line, environment, executable or working folder mentions a needle, or
    whose name (comm) is one of `names`: [(pid, what)]."""
    found = []
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        base = f"/proc/{entry}"
        why = []
        for part in ("cmdline", "environ"):
            try:
                with open(f"{base}/{part}", "rb") as f:
                    data = f.read()
            except OSError:
                continue
            if any(n.encode() in data for n in needles):
                shown = data[:160].replace(bytes(1), b" ").decode(errors="replace")
                why.append(f"{part}: {shown}")
        for part in ("exe", "cwd"):
            try:
                target = os.readlink(f"{base}/{part}")
            except OSError:
                continue
            if any(n in target for n in needles):
                why.append(f"{part}: {target}")
        try:
            with open(f"{base}/comm") as f:
                comm = f.read().strip()
            if comm in names:
                why.append(f"comm: {comm}")
        except OSError:
            pass
        if why:
            found.append((int(entry), "; ".join(why)))
    return found


def tests_by_name(lesson):
    return {t["name"]: t for t in lesson.get("tests", [])}


def is_attacked(name, prefixes):
    return any(p == "*" or name.startswith(p) for p in prefixes)


def student_seconds(lines):
    """grade prints one line per student: `✓ NAME  38 / 38  ok (7.1 s)`."""
    seconds = {}
    for line in lines:
        m = re.match(r"^\S+\s+(\S+)\s+\d+ / \d+\s.*\((\d+(?:\.\d+)?) s\)\s*$", line)
        if m:
            seconds[m.group(1)] = float(m.group(2))
    return seconds


def check_hostile(check, name, expect, student, reference, case_timeout):
    lessons = {l["slug"]: l for l in student["lessons"]}
    target = expect["lesson"]
    lesson = lessons.get(target)
    if not check(lesson is not None, f"{name}: {target} was graded", f"lessons: {sorted(lessons)}"):
        return
    for slug, other in lessons.items():
        if slug != target:
            check(other["status"] == "missing" and other["points"] == 0,
                  f"{name}: {slug} is missing (not submitted) and scores 0",
                  f"status {other['status']}, {other['points']} points")

    if "lesson_status" in expect:
        wanted = expect["lesson_status"]
        text = expect.get("lesson_message", "")
        check(lesson["status"] == wanted and lesson["points"] == 0 and text in lesson["message"],
              f"{name}: {target} is a {wanted}, 0 / {lesson['max']}"
              + (f", saying \"{text}\"" if text else ""),
              f"status {lesson['status']}, {lesson['points']} points, message: {lesson['message'][:400]!r}")
        return

    if not check(lesson["status"] == "graded", f"{name}: {target} compiled and ran",
                 f"status {lesson['status']}: {lesson['message'][:400]!r}"):
        return
    ref_tests = tests_by_name(reference[target])
    attacked = [t for t in lesson["tests"] if is_attacked(t["name"], expect["attacked"])]
    others = [t for t in lesson["tests"] if not is_attacked(t["name"], expect["attacked"])]
    statuses = expect["statuses"]
    wrong = []
    for t in attacked:
        need = statuses.get(t["status"])
        points_ok = t["points"] == (t["max"] if t["status"] == "passed" else 0)
        if need is None or not points_ok or need not in t["message"]:
            wrong.append(f"\"{t['name']}\": {t['status']}, {t['points']} / {t['max']}, "
                         f"message: {t['message'][:300]!r}")
    seen = sorted({t["status"] for t in attacked})
    if list(statuses) == ["passed"]:
        what = f"{name}: its {len(attacked)} attacked test case(s) still pass: the attack changed nothing"
    else:
        what = (f"{name}: its {len(attacked)} attacked test case(s) score 0 as {' or '.join(statuses)} "
                f"(got {', '.join(seen) or 'none'})")
    check(attacked and not wrong, what,
          "; ".join(wrong) if attacked else f"no test case of {target} matches {expect['attacked']}")
    if others:
        differ = [f"\"{t['name']}\": {t['status']} {t['points']} / {t['max']}" for t in others
                  if t["name"] not in ref_tests or t["points"] != ref_tests[t["name"]]["points"]
                  or t["status"] != ref_tests[t["name"]]["status"]]
        check(not differ,
              f"{name}: the {len(others)} other test case(s) of {target} score as the reference's "
              f"({sum(t['points'] for t in others)} points)", "; ".join(differ))
    need = expect.get("requires_status")
    if need:
        check(any(t["status"] == need for t in attacked), f"{name}: at least one test case is {need}",
              f"statuses: {sorted({t['status'] for t in attacked})}")
    text = expect.get("unexpected_text")
    if text:
        hits = [t["name"] for t in others if text in t["message"]]
        check(not hits, f"{name}: no test case that should pass met \"{text}\"", f"in: {hits}")
    if expect.get("not_held_to_time_limit"):
        # Each attacked case's own run, as the sandbox timed it: a run held until its limit by what
        # the program left behind takes the whole limit, whatever the load of the machine, where
        # the time of the whole submission grows with the load.
        held = [f"\"{t['name']}\" took {t.get('seconds')} s" for t in attacked
                if t.get("seconds") is None or t["seconds"] >= case_timeout * 0.9]
        check(attacked and not held,
              f"{name}: its attacked test case(s) were not held until their time limit ({case_timeout} s)",
              "; ".join(held))


def outside_code(markdown):
    """The lines of a Markdown text that are not in a fenced code block (CommonMark's fences)."""
    lines, fence = [], None
    for line in markdown.split("\n"):
        m = re.match(r"^ {0,3}(`{3,}|~{3,})(.*)$", line)
        if fence is None:
            if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
                fence = m.group(1)
            else:
                lines.append(line)
        elif m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not m.group(2).strip():
            fence = None
    return lines


def check_outputs(check, out, student, machine_paths):
    name = student["student"]
    folder = out / "students" / name
    problems = []
    for file in ("feedback.md", "results.json", "junit.xml"):
        try:
            raw = (folder / file).read_bytes()
        except OSError:
            continue
        if len(raw) > 1 << 20:
            problems.append(f"{file} has {len(raw) >> 10} KiB: a student's output must be cut well before 1 MiB")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            problems.append(f"{file} is not UTF-8: {e}")
            text = raw.decode("utf-8", "replace")
        controls = sorted({f"{ord(c):#04x}" for c in text if (ord(c) < 0x20 and c not in "\n\t") or ord(c) == 0x7f})
        if controls:
            problems.append(f"{file} holds control characters: {', '.join(controls)}")
        named = sorted({p for p in machine_paths if p in text})
        if named:
            line = next(l for l in text.splitlines() if named[0] in l)
            problems.append(f"{file} names this machine's {', '.join(named)}: {line.strip()[:200]!r}")
    feedback = folder / "feedback.md"
    if not feedback.is_file() or f"{student['total']} / {student['max']}" not in feedback.read_text(errors="replace"):
        problems.append("feedback.md missing or without the total")
    else:
        # What the student's text may not do: end a code block and write sections of its own.
        headings = [l for l in outside_code(feedback.read_text(errors="replace")) if l.startswith("## ")]
        if len(headings) != len(student["lessons"]):
            problems.append(f"feedback.md has {len(headings)} lesson sections outside code blocks for "
                            f"{len(student['lessons'])} lessons: {headings[:6]}")
    try:
        results = json.loads((folder / "results.json").read_text())
        tests = results["tests"]
        if not isinstance(results["score"], (int, float)) or not isinstance(tests, list) or not tests:
            problems.append("results.json: score or tests[] of the wrong type")
        for t in tests:
            if not isinstance(t["score"], (int, float)) or not isinstance(t["max_score"], (int, float)) \
                    or t["status"] not in GRADESCOPE_STATUSES:
                problems.append(f"results.json: test {t.get('name')!r} has no valid score/max_score/status")
                break
        if sum(t["score"] for t in tests) != results["score"] or results["score"] != student["total"]:
            problems.append(f"results.json: score {results['score']} is not the sum of its tests "
                            f"or not the gradebook's total {student['total']}")
        if sum(t["max_score"] for t in tests) != student["max"]:
            problems.append("results.json: the tests' max_score do not add up to the gradebook's max")
    except (OSError, ValueError, KeyError, TypeError) as e:
        problems.append(f"results.json: {type(e).__name__}: {e}")
    try:
        suites = ET.parse(folder / "junit.xml").getroot()
        if suites.tag != "testsuites" or not suites.findall("testsuite"):
            problems.append("junit.xml: no <testsuites> with <testsuite>s")
    except (OSError, ET.ParseError) as e:
        problems.append(f"junit.xml: {e}")
    check(not problems, f"{name}: feedback.md, results.json (Gradescope shape) and junit.xml are sound, "
                        "and name no folder of this machine", "; ".join(problems))


def main():
    args = parse_args()
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(encoding="utf-8", errors="replace")
    check = Checks()
    root = args.root.resolve()
    cli = args.workbook_cli.resolve()
    only = {n for n in args.only.split(",") if n}
    hostiles = load_hostiles(only)
    if args.unsafe:
        left_out = [n for n, (_, e) in hostiles.items() if e.get("confined_only")]
        for n in left_out:
            print(f"- {n}: left out (--unsafe: only a sandbox can contain it)")
            del hostiles[n]

    parent = args.tmp or root / "build"
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="grading-selftest-", dir=parent)).resolve()
    # mkdtemp makes it 0700; without isolation a root sandbox runs the programs as nobody, at the
    # scratch folders' real paths, so every folder on the way must be searchable by others.
    tmp.chmod(0o755)
    subs, out = tmp / "submissions", tmp / "out"
    token = uuid.uuid4().hex[:12]
    values = {"@WORKBOOK_ROOT@": str(root), "@TOKEN@": token, "@SUBMISSIONS@": str(subs), "@OUT@": str(out)}
    shutil.copytree(root / "solutions", subs / "reference")
    shutil.copytree(root / "starter", subs / "untouched")
    for name, (folder, expect) in hostiles.items():
        copy_submission(folder, subs / name, values)
        # The reference's own files, when the attack is not in the code.
        if expect.get("solution"):
            shutil.copytree(root / "solutions" / expect["lesson"], subs / name / expect["lesson"])
        # Folders that are symbolic links (git keeps a link, and cp -r copies it as one).
        (subs / name).mkdir(parents=True, exist_ok=True)
        for link, target in expect.get("links", {}).items():
            (subs / name / link).symlink_to(substitute(target, values))
    expected_students = {"reference", "untouched", *(shown(n) for n in hostiles)}

    cmd = [str(cli), "--root", str(root), "--no-color", "grade", str(subs), "--out", str(out),
           "--jobs", str(args.jobs), "--lessons", ",".join(LESSONS), "--case-timeout", str(args.case_timeout),
           "--extra-tests", str(HERE / "extra")]
    if args.lesson_budget > 0:  # 0: grade's own default
        cmd += ["--lesson-budget", str(args.lesson_budget)]
    if args.unsafe:
        cmd.append("--unsafe")
    if args.build:  # an option of workbook-cli itself, before the command
        cmd[4:4] = ["--build", str(args.build.resolve())]
    print(f"Grading {len(expected_students)} submissions in {tmp} ...", flush=True)
    status, lines, marks = run_grade(cmd, tmp / "grade-output.txt", args.timeout, args.verbose)
    total = marks["end"] - marks["start"]
    if status == 2 and any("offers no isolation" in line for line in lines):
        print("Skipped: grade says this machine offers no isolation for untrusted code "
              "(./workbook doctor says why); the hostile submissions cannot be run here.")
        shutil.rmtree(tmp, ignore_errors=True)
        return SKIPPED
    check(status == 0, f"grade finished with status 0 in {total:.0f} s (bound: {args.timeout} s)",
          "it was stopped at the bound" if status is None else
          f"status {status}; its last lines:\n    " + "\n    ".join(lines[-25:]))

    # Leftovers first, before anything else has time to hide them.
    names = {substitute(e["marker"], values)[:15] for _, e in hostiles.values() if "marker" in e}
    needles = [str(tmp), token]
    deadline = time.monotonic() + 5  # the kernel may take a moment to reap what was killed
    left = processes_matching(needles, names)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = processes_matching(needles, names)
    check(not left, f"no process left behind (none mentions the temporary folder or the token {token}, "
                    f"none is named {', '.join(sorted(names)) or '-'})",
          "; ".join(f"pid {pid}: {why}" for pid, why in left))
    for pid, _ in left:  # ours: started by this run's grade
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass

    # Files written outside the submissions' own folders.
    escape_names = {substitute(e["escape_name"], values) for _, e in hostiles.values() if "escape_name" in e}
    if escape_names:
        places = set()
        for name, (folder, e) in hostiles.items():
            if "escape_name" not in e:
                continue
            for source in folder.rglob("*.cpp"):
                for literal in re.findall(r'"([^"]*)"', substitute(source.read_text(), values)):
                    if literal.startswith("/") and any(n in literal for n in escape_names):
                        places.add(Path(literal))
        for n in escape_names:
            places |= {Path("/") / n, root / n, root.parent / n, Path("/tmp") / n}
        found = [p for p in places if p.exists()]
        found += [p for p in tmp.rglob("*") if p.name in escape_names]
        check(not found, f"no file written outside a submission's folder ({len(places)} places and the "
                         f"temporary folder searched)", ", ".join(sorted({str(p) for p in found})))
        for p in set(found):
            try:
                p.unlink()
            except OSError:
                pass

    biggest, biggest_size = None, 0
    for p in tmp.rglob("*"):
        try:
            if p.is_file() and not p.is_symlink() and p.stat().st_size > biggest_size:
                biggest, biggest_size = p, p.stat().st_size
        except OSError:
            pass
    limit = max([e.get("largest_file_mib", 0) for _, e in hostiles.values()] + [0]) or 65
    check(biggest_size <= limit << 20,
          f"no file in the temporary folder is larger than {limit} MiB (largest: {biggest_size / 2**20:.1f} MiB)",
          str(biggest))

    planted = []
    for p in out.rglob("*"):
        try:
            mode = p.lstat().st_mode
        except OSError:
            continue
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            planted.append(str(p.relative_to(out)))
    check(not planted, "the grader's output holds only files and folders (no symbolic link, FIFO or socket left)",
          ", ".join(sorted(planted)[:20]))

    try:
        book = json.loads((out / "gradebook.json").read_text())
        students = {s["student"]: s for s in book["students"]}
    except (OSError, ValueError, KeyError, TypeError) as e:
        check(False, "gradebook.json is readable", f"{type(e).__name__}: {e}")
        return finish(check, tmp, args.keep)
    check(set(students) == expected_students, f"gradebook.json lists the {len(expected_students)} submissions",
          f"missing: {sorted(expected_students - set(students))}, extra: {sorted(set(students) - expected_students)}")
    check(book.get("unsafe") is args.unsafe, f"gradebook.json says unsafe: {str(args.unsafe).lower()}",
          f"it says {book.get('unsafe')!r}")
    if not args.unsafe:
        # A submission none of whose lessons was there to compile (every one "missing") ran nothing.
        ran = {n: s for n, s in students.items() if any(l["status"] != "missing" for l in s["lessons"])}
        unconfined = {n: s["isolation"] for n, s in ran.items()
                      if not s["isolation"] or s["isolation"].startswith(("none", "error"))}
        check(not unconfined, "every submission that ran was graded confined (isolation: "
              f"{', '.join(sorted({s['isolation'] for s in ran.values()}))})", str(unconfined))
    try:
        rows = (out / "gradebook.csv").read_text().splitlines()
        csv_ok = rows[0].startswith("student,") and len(rows) == 1 + len(students)
    except (OSError, IndexError):
        csv_ok = False
    check(csv_ok, "gradebook.csv has a header and one row per submission")

    manifest = json.loads((root / "lessons" / "manifest.json").read_text())
    points = {l["slug"]: l["points"] for l in manifest["lessons"] if l["slug"][:2] in LESSONS}
    for slug in points:  # plus the teacher's extra tests, by their [pts=N] tags
        for source in sorted((HERE / "extra" / slug).glob("*.cpp")):
            points[slug] += sum(int(n) for n in re.findall(r"\[pts=(\d+)\]", source.read_text()))
    reference = {l["slug"]: l for l in students.get("reference", {}).get("lessons", [])}
    for slug, full in points.items():
        l = reference.get(slug)
        check(l is not None and l["status"] == "graded" and l["points"] == l["max"] == full
              and all(t["status"] == "passed" for t in l["tests"]),
              f"reference: {slug} has full marks ({full} / {full})",
              f"{l and l['status']}, {l and l['points']} / {l and l['max']}: "
              + "; ".join(f"{t['name']}: {t['status']}" for t in (l or {}).get("tests", []) if t["status"] != "passed"))
    untouched = {l["slug"]: l for l in students.get("untouched", {}).get("lessons", [])}
    for slug, full in points.items():
        l = untouched.get(slug)
        check(l is not None and l["status"] == "graded" and l["points"] == 0 and l["max"] == full,
              f"untouched: {slug} compiles, runs and scores 0 / {full}",
              f"{l and l['status']}, {l and l['points']} points: {l and l['message'][:300]!r}")

    # The teacher's extra tests (tests/grading/extra) are graded with the rest; a [hidden] one shows
    # the student only its result.
    try:
        results = json.loads((out / "students" / "untouched" / "results.json").read_text())["tests"]
    except (OSError, ValueError, KeyError):
        results = []
    extra = [t for t in results if ": teacher: " in t.get("name", "")]
    check(len(extra) == 3 and all(t.get("score") == 0 for t in extra),
          "untouched: the teacher's 3 extra tests are graded, 0 points", repr(extra)[:300])
    hidden = [t for t in extra if "hidden" in t["name"]]
    check(len(hidden) == 2 and all("This test is hidden" in t.get("output", "") and "at /" not in t.get("output", "")
                                   for t in hidden),
          "untouched: a hidden extra test shows only its result", repr(hidden)[:300])

    if len(reference) == len(points):
        for name, (_, expect) in hostiles.items():
            name = shown(name)
            if name in students:
                check_hostile(check, name, expect, students[name], reference, args.case_timeout)
        for name, (_, expect) in hostiles.items():
            name = shown(name)
            twin = expect.get("same_as")
            if twin and name in students and twin in students:
                def scores(s):
                    return [(l["slug"], l["points"], l["status"], [(t["name"], t["points"], t["status"]) for t in l["tests"]])
                            for l in s["lessons"]]
                check(scores(students[name]) == scores(students[twin]),
                      f"{name} scores exactly as {twin} ({students[name]['total']} and {students[twin]['total']})",
                      f"{scores(students[name])} vs {scores(students[twin])}")

    # What a student's runs may leave on the grader's disk.
    for name, (_, expect) in hostiles.items():
        bound = expect.get("work_mib_max")
        if bound is None or shown(name) not in students:
            continue
        work = out / "work" / shown(name)
        used = sum(p.lstat().st_size for p in work.rglob("*") if p.is_file() and not p.is_symlink())
        check(used <= bound << 20, f"{shown(name)}: its folder in out/work/ holds {used / 2**20:.1f} MiB "
                                   f"(at most {bound} MiB)")

    # Runs with a CPU weight of their own: every report of the student's runs says so.
    for name, (_, expect) in hostiles.items():
        if not expect.get("cpu_weight") or shown(name) not in students:
            continue
        reports = sorted((out / "work" / shown(name)).glob("*.runs/*/report.json"))
        without = [str(r.relative_to(out)) for r in reports if not json.loads(r.read_text()).get("cpu_weight")]
        check(reports and not without, f"{shown(name)}: each of its {len(reports)} runs had a CPU weight of its own "
                                       "(cpu_weight in report.json)", ", ".join(without[:5]))

    # What a student reads names no folder of the grading machine: not the workbook, its build, the
    # submissions, the output (with the sandbox's scratch folders in it), nor the temporary folder.
    machine_paths = {str(p) for p in (root, root / "build", subs, out, tmp)}
    machine_paths |= {os.path.realpath(p) for p in machine_paths}
    for name in sorted(students):
        check_outputs(check, out, students[name], machine_paths)

    if "grading" in marks:
        grading = marks["end"] - marks["grading"]
        average = grading / max(1, len(students))
        slowest = sorted(student_seconds(lines).items(), key=lambda kv: -kv[1])[:3]
        what = (f"batch time: {total:.0f} s in all, {grading:.0f} s grading {len(students)} submissions after "
                f"the build, {average:.1f} s each on average with --jobs {args.jobs} (slowest: "
                + ", ".join(f"{n} {s:.1f} s" for n, s in slowest) + ")")
        if args.max_average > 0:
            check(average <= args.max_average, what + f"; target ≤ {args.max_average:g} s")
        else:
            print(f"- {what}")
    check_usage_errors(check, cli, root, tmp)
    check_two_programs(check, args, cli, tmp)
    check_full_disk(check, args, cli, root, tmp)
    check_unwritable_cache(check, args, cli, root, tmp)
    return finish(check, tmp, args.keep)


def grade_command(args, cli, root, subs, out, lessons):
    """The command that grades `subs` into `out`, for the self-test's small extra runs."""
    cmd = [str(cli), "--root", str(root), "--no-color"]
    if args.build:  # an option of workbook-cli itself, before the command
        cmd += ["--build", str(args.build.resolve())]
    return cmd + ["grade", str(subs), "--out", str(out), "--lessons", lessons]


def check_two_programs(check, args, cli, tmp):
    """A lesson with two programs that share a file and take an option of their own (the fixture in
    fixture/, built with the rest): each program is compiled and linked from its own files, and the
    tests find each by its name. The reference gets every point; a submission whose client is
    wrong loses the client's test case and keeps the server's."""
    fixture = HERE / "fixture"
    subs, out = tmp / "two-programs-submissions", tmp / "two-programs-out"
    shutil.copytree(fixture / "solutions", subs / "reference")
    shutil.copytree(fixture / "solutions", subs / "wrong-client")
    client = subs / "wrong-client" / "99-pair" / "client.cpp"
    client.write_text(client.read_text().replace('options.message + "\\n"', '"bye\\n"'))
    cmd = grade_command(args, cli, fixture, subs, out, "99")
    if args.unsafe:
        cmd.append("--unsafe")
    status, lines, _ = run_grade(cmd, tmp / "grade-two-programs.txt", args.timeout, args.verbose)
    try:
        students = {s["student"]: s for s in json.loads((out / "gradebook.json").read_text())["students"]}
    except (OSError, ValueError, KeyError, TypeError):
        students = {}

    def tests(name):
        lessons = students.get(name, {}).get("lessons", [])
        return {t["name"]: t["status"] for l in lessons for t in l["tests"]} if lessons else {}

    reference = students.get("reference", {})
    check(status == 0 and reference.get("total") == 3 and set(tests("reference").values()) == {"passed"},
          "two programs: the fixture's reference is built, run and graded with every point (3 / 3)",
          f"status {status}, {tests('reference')}; last lines:\n    " + "\n    ".join(lines[-8:]))
    check(tests("wrong-client") == {"the server answers with the number of its workers": "passed",
                                    "the client sends its message and prints the answer": "failed"},
          "two programs: a wrong client loses the client's test case, keeps the server's",
          repr(tests("wrong-client")))

    # A test case keeps its [id=...] when its title is reworded: a cached grade is read back under
    # the current titles. The cache is made to hold an older title, as if the title had changed.
    cache = out / "cache" / "reference.json"
    try:
        cached = json.loads(cache.read_text())
        for lesson in cached["lessons"]:
            for t in lesson["tests"]:
                t["name"] = "an older title of " + t["id"]
        cache.write_text(json.dumps(cached))
    except (OSError, ValueError, KeyError, TypeError) as e:
        check(False, "two programs: the reference's grade is cached, with each test case's id", repr(e))
        return
    status, lines, _ = run_grade(cmd, tmp / "grade-two-programs-again.txt", args.timeout, args.verbose)
    try:
        students = {s["student"]: s for s in json.loads((out / "gradebook.json").read_text())["students"]}
    except (OSError, ValueError, KeyError, TypeError):
        students = {}
    again = students.get("reference", {})
    check(status == 0 and again.get("isolation", "").endswith("(cached)")
          and tests("reference") == {"the server answers with the number of its workers": "passed",
                                     "the client sends its message and prints the answer": "passed"},
          "a title reworded: the cached grade is read back, under the current titles (matched by id)",
          f"status {status}, isolation {again.get('isolation')!r}, {tests('reference')}")


def check_unwritable_cache(check, args, cli, root, tmp):
    """A student whose grade fails as a whole (here: its cache file cannot be written, a folder is in
    the way) is the grader's failure: exit status 3, and a gradebook row with every column."""
    subs, out = tmp / "cache-submissions", tmp / "cache-out"
    shutil.copytree(root / "solutions", subs / "reference")
    (out / "cache" / "reference.json").mkdir(parents=True)
    cmd = grade_command(args, cli, root, subs, out, "01,02")
    if args.unsafe:
        cmd.append("--unsafe")
    status, lines, _ = run_grade(cmd, tmp / "grade-unwritable-cache.txt", args.timeout, args.verbose)
    check(status == 3 and any("could not write" in line for line in lines),
          "unwritable cache: grade exits with status 3 and names the file it could not write",
          f"status {status}; last lines:\n    " + "\n    ".join(lines[-8:]))
    try:
        rows = (out / "gradebook.csv").read_text().splitlines()
    except OSError:
        rows = []
    check(len(rows) == 2 and rows[0].count(",") == rows[1].count(",") and "internal-error" in rows[1],
          "unwritable cache: the student's gradebook row has every column, and says internal-error", repr(rows))


def check_usage_errors(check, cli, root, tmp):
    """What a teacher can mistype stops grade at once with status 2 and one sentence: a folder of
    extra tests named after no lesson (its tests would be left out without a word), a time limit of 0."""
    extra = tmp / "mistyped-extra"
    (extra / "02").mkdir(parents=True)
    empty = tmp / "no-submissions"
    empty.mkdir()
    malformed = tmp / "only-cases.json"
    malformed.write_text('{"ann": "not a list"}')
    for what, options, text in (("a folder of extra tests named after no lesson", ["--extra-tests", str(extra)],
                                 "named after no lesson"),
                                ("--extra-tests that is not a folder", ["--extra-tests", str(tmp / "nothing")],
                                 "not a folder"),
                                ("--case-timeout 0", ["--case-timeout", "0"], "not in range"),
                                ("--only-cases that is not an object of lists", ["--only-cases", str(malformed)],
                                 "expected a JSON object")):
        r = subprocess.run([str(cli), "--root", str(root), "--no-color", "grade", str(empty), "--out",
                            str(tmp / "usage-out")] + options, capture_output=True, text=True, timeout=60)
        check(r.returncode == 2 and text in r.stderr, f"usage: {what} stops grade with status 2",
              f"status {r.returncode}: {r.stderr[-300:]!r}")


def check_full_disk(check, args, cli, root, tmp):
    """grade with --out on a disk too full to compile on: that is the grader's failure, never the
    student's. grade must exit non-zero, mark the lesson internal-error and cache nothing."""
    small = tmp / "small-disk"
    small.mkdir()
    if args.unsafe or os.geteuid() != 0 or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=100m", "tmpfs", str(small)], capture_output=True).returncode:
        print("- skipped: grading onto a full disk (needs root to mount a small tmpfs, and isolation)")
        return
    try:
        # Nearly full: 4 MiB left, less than one compile may write.
        with open(small / "filler", "wb") as filler:
            for _ in range(96):
                filler.write(b"\0" * (1 << 20))
        subs = tmp / "full-disk-submissions"
        shutil.copytree(root / "solutions", subs / "reference")
        out = small / "out"
        cmd = grade_command(args, cli, root, subs, out, "01")
        status, lines, _ = run_grade(cmd, tmp / "grade-full-disk.txt", args.timeout, args.verbose)
        try:
            book = json.loads((out / "gradebook.json").read_text())["students"]
            lesson = book[0]["lessons"][0]
        except (OSError, ValueError, KeyError, IndexError):
            lesson = {}
        check(status == 3 and any("MiB free" in line for line in lines),
              "full disk: grade exits with status 3 and says how much space is free",
              f"status {status}; last lines:\n    " + "\n    ".join(lines[-8:]))
        check(lesson.get("status") == "internal-error" and "MiB free" in lesson.get("message", ""),
              "full disk: the lesson is an internal-error (the grader's), not a compile-error (the student's)",
              repr(lesson)[:300])
        check(not (out / "cache" / "reference.json").exists(), "full disk: the failed grade is not cached")
    finally:
        subprocess.run(["umount", "-l", str(small)], capture_output=True)


def finish(check, tmp, keep):
    if check.failed or keep:
        print(f"The temporary folder is kept: {tmp} (grade's output: {tmp / 'grade-output.txt'})")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{check.passed} passed, {check.failed} failed")
    return 0 if check.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
