"""Grade one submission: read the notebook, run the student's cells in the sandbox, judge the
collected steps outside it, and say what happened in plain words.

Only the student's solution cells and cells they added run, after the instructor's own setup
cell; every test cell comes from the source notebook, so a deleted, edited or duplicated test
cell changes nothing. The grade cells' hidden tests name what they check
(``checks.check("rprop", "growth", Rprop)``); the judge scores exactly that behaviour.
"""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import checks, rules, sandbox

CHECK = re.compile(r'checks\.check\(\s*"(\w+)"\s*,\s*"(\w+)"\s*,\s*(\w+)\s*\)')


@dataclass
class Spec:
    """What the source notebook says: cells, grade cells and the behaviour each one checks."""

    notebook: str
    setup: list  # [(id, source)] of instructor code cells that run before the student's
    solutions: list  # solution cell ids in order
    grades: dict  # grade_id -> (part, behaviour, class name, points)

    @classmethod
    def read(cls, path: Path) -> "Spec":
        nb = json.loads(Path(path).read_text())
        setup, solutions, grades = [], [], {}
        for cell in nb["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            source = "".join(cell.get("source", ""))
            if cell["cell_type"] != "code" or not meta:
                continue
            if meta.get("solution"):
                solutions.append(meta["grade_id"])
            elif meta.get("grade"):
                m = CHECK.search(source)
                if m:
                    grades[meta["grade_id"]] = (m.group(1), m.group(2), m.group(3), float(meta.get("points", 0)))
            elif not solutions and not grades:  # read-only cells before any part: the setup
                setup.append((meta["grade_id"], source))
        return cls(Path(path).name, setup, solutions, grades)


@dataclass
class Result:
    student: str
    scores: dict = field(default_factory=dict)  # grade_id -> points earned
    messages: dict = field(default_factory=dict)  # grade_id -> why points were lost
    checked: dict = field(default_factory=dict)  # grade_id -> how often its rule was exercised
    notes: list = field(default_factory=list)  # what happened to the run, in plain words
    failed: str = ""  # set when nothing could be graded


def job_for(spec: Spec, submitted: dict):
    """The cells to run and the notes about the submission's shape."""
    notes, cells, seen = [], [{"id": gid, "source": src} for gid, src in spec.setup], {}
    kernel = submitted.get("metadata", {}).get("kernelspec", {}).get("name", "python3")
    if kernel not in ("python3", "python"):
        notes.append(f"kernelspec {kernel!r} ignored: graded with Python 3")
    for i, cell in enumerate(submitted.get("cells", [])):
        meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
        gid, source = meta.get("grade_id"), "".join(cell.get("source", ""))
        seen[gid] = seen.get(gid, 0) + 1
        if cell.get("cell_type") != "code":
            continue
        if gid in spec.solutions and seen[gid] == 1:
            cells.append({"id": gid, "source": source})
        elif not meta:
            cells.append({"id": f"cell {i + 1}", "source": source})  # a cell the student added
    for gid in spec.solutions:
        if gid not in seen:
            notes.append(f"solution cell {gid!r} is missing")
    for gid in spec.grades:
        if gid not in seen:
            notes.append(f"test cell {gid!r} was deleted (graded from the original)")
        elif seen[gid] > 1:
            notes.append(f"test cell {gid!r} was duplicated (copies ignored)")
    for gid in spec.solutions:
        if seen.get(gid, 0) > 1:
            notes.append(f"solution cell {gid!r} was duplicated (the first copy was graded)")
    return cells, notes


def grade(spec: Spec, student: str, path: Path, uid: int, limits: sandbox.Limits) -> Result:
    result = Result(student, scores={gid: 0.0 for gid in spec.grades})
    try:
        submitted = json.loads(Path(path).read_text())
        if not isinstance(submitted, dict) or not isinstance(submitted.get("cells"), list):
            raise ValueError("no cells")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        result.failed = f"notebook is not valid JSON ({exc.__class__.__name__})"
        return result
    cells, result.notes = job_for(spec, submitted)
    parts = {p: name for p, _, name, _ in spec.grades.values()}
    verdicts, skip = {}, []
    for _ in range(4):  # a cell that hangs or kills the run is skipped, and the rest is graded
        with sandbox.Session({"cells": cells, "parts": parts, "skip": skip}, uid, limits) as session:
            stopped_at, why = session.run_cells()
            if stopped_at:
                result.notes.append(f"{why} in {stopped_at}")
                if stopped_at in skip or stopped_at in ("start", "collect"):
                    result.failed = f"{why} before any cell ran" if stopped_at == "start" else result.notes[-1]
                    return result
                skip.append(stopped_at)
                continue
            _cell_notes(result, session.cells)
            for part in parts:
                if part not in verdicts and session.alive:
                    verdicts[part] = _judge(part, session)
                    stop = verdicts[part].pop(None, "")
                    if stop:
                        result.notes.append(f"{stop} in checking {part}")
        if len(verdicts) == len(parts):
            break
    for gid, (part, behaviour, _, points) in spec.grades.items():
        count = verdicts.get(part, {}).get(behaviour)
        message = checks.message(part, behaviour, count) if count else "the grader could not check this part"
        result.scores[gid] = 0.0 if message else points
        result.checked[gid] = count.checked if count else 0
        if message:
            result.messages[gid] = message
    return result


def _judge(part, session):
    """{behaviour: Count} of one part over the session's channel; a stop is noted under None."""
    classes = session.classes if isinstance(session.classes, dict) else {}
    missing = classes.get(part, "the grader found no results for this part")
    missing = missing if isinstance(missing, str) else "the grader could not read which classes were defined"
    if missing:
        return {b: rules.Count(failed=1, first=missing) for b in checks.BEHAVIOURS[part]}
    session.begin(part)
    stops = []

    def call(request):
        try:
            return session.call(request)
        except checks.Stopped as exc:
            stops.append(str(exc))
            raise

    counts = checks.judge(part, call)
    return {**counts, None: stops[0]} if stops else counts


def _cell_notes(result, cells):
    # the result files live where the student's code could write: trust only their shape
    for c in cells if isinstance(cells, list) else []:
        if isinstance(c, dict) and isinstance(c.get("error"), str) and c["error"]:
            kind = "out of memory" if c["error"].startswith("MemoryError") else c["error"].splitlines()[0][:200]
            result.notes.append(f"{c.get('id')}: {kind}")


def feedback_html(spec: Spec, result: Result, assignment: str) -> str:
    """A self-contained page: the score and, per graded behaviour, what it means, how often it was
    checked, and ✔ only when earned; otherwise the first step, weight and rule that failed."""
    total, out_of = sum(result.scores.values()), sum(p for *_, p in spec.grades.values())
    rows = []
    for gid, (part, behaviour, _, pts) in spec.grades.items():
        earned = gid not in result.messages and not result.failed
        n = result.checked.get(gid, 0)
        mark = "✔" if earned else "✘ " + html.escape(result.messages.get(gid, result.failed or "not graded"))
        rows.append(f"<tr><td>{html.escape(gid)}</td><td>{html.escape(checks.BEHAVIOURS[part][behaviour])}</td>"
                    f"<td>{result.scores[gid]:g} / {pts:g}</td><td>checked {n} time{'s' if n != 1 else ''}</td>"
                    f"<td>{mark}</td></tr>")
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in result.notes) or "<li>none</li>"
    failed = f"<p><strong>Not graded: {html.escape(result.failed)}</strong></p>" if result.failed else ""
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(assignment)}: "
            f"{html.escape(result.student)}</title></head><body><h1>{html.escape(assignment)}: feedback for "
            f"{html.escape(result.student)}</h1>{failed}<p>Score: <strong>{total:g} / {out_of:g}</strong></p>"
            f"<table border='1' cellpadding='4'><tr><th>test</th><th>behaviour</th><th>points</th><th>checks</th>"
            f"<th>result</th></tr>{''.join(rows)}</table>"
            f"<h2>About the run</h2><ul>{notes}</ul></body></html>")
