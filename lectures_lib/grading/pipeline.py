"""Grade one submission: read the notebook, run the student's cells in the sandbox, judge the
collected steps outside it, and say what happened in plain words.

Only the student's solution cells and cells they added run, after the instructor's own setup
cell; every test cell comes from the source notebook, so a deleted, edited or duplicated test
cell changes nothing. The grade cells' hidden tests name what they check
(``checks.check("rprop", "growth", Rprop)``); the judge scores exactly that behaviour.
"""
from __future__ import annotations

import functools
import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import checks, sandbox

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
    run, skip = None, []
    for _ in range(4):  # a cell that hangs or kills the run is skipped, and the rest is graded
        run = sandbox.run({"cells": cells, "parts": parts, "skip": skip, "inputs": _inputs(tuple(parts))},
                          uid, limits)
        if not run.stopped_at:
            break
        place = run.stopped_at.replace("collect:", "checking ")
        result.notes.append(f"{run.why} in {place}")
        if run.stopped_at in skip or run.stopped_at == "start":
            result.failed = f"{run.why} before any cell ran" if run.stopped_at == "start" else result.notes[-1]
            return result
        skip.append(run.stopped_at)
    # the result files live where the student's code could write: trust only their shape
    cells_out = [c for c in run.cells if isinstance(c, dict)] if isinstance(run.cells, list) else []
    collected_all = run.collected if isinstance(run.collected, dict) else {}
    for c in cells_out:
        if isinstance(c.get("error"), str) and c["error"]:
            kind = "out of memory" if c["error"].startswith("MemoryError") else c["error"].splitlines()[0][:200]
            result.notes.append(f"{c['id']}: {kind}")
    verdicts = {}
    for part in parts:
        collected = collected_all.get(part)
        if isinstance(collected, list):
            try:
                verdicts[part] = checks.judge(part, collected)
            except Exception as exc:  # noqa: BLE001 - results a student's process may have mangled
                verdicts[part] = dict.fromkeys(checks.BEHAVIOURS[part], f"unreadable results ({type(exc).__name__})")
        else:
            why = collected if isinstance(collected, str) and collected else (
                f"checking {part} was skipped" if f"collect:{part}" in skip else "no results")
            verdicts[part] = dict.fromkeys(checks.BEHAVIOURS[part], why)
    for gid, (part, behaviour, _, points) in spec.grades.items():
        message = verdicts[part][behaviour]
        result.scores[gid] = 0.0 if message else points
        if message:
            result.messages[gid] = message
    return result


@functools.lru_cache(maxsize=4)
def _inputs(parts):
    """The reference's inputs for these parts, converted once per process."""
    return {p: checks.inputs(p) for p in parts}


def feedback_html(spec: Spec, result: Result, assignment: str) -> str:
    """A self-contained page: the score, every graded behaviour, and what happened to the run."""
    total, out_of = sum(result.scores.values()), sum(p for *_, p in spec.grades.values())
    rows = "".join(
        f"<tr><td>{html.escape(gid)}</td><td>{result.scores[gid]:g} / {pts:g}</td>"
        f"<td>{'✔' if gid not in result.messages else '✘ ' + html.escape(result.messages[gid])}</td></tr>"
        for gid, (*_, pts) in spec.grades.items())
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in result.notes) or "<li>none</li>"
    failed = f"<p><strong>Not graded: {html.escape(result.failed)}</strong></p>" if result.failed else ""
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(assignment)}: "
            f"{html.escape(result.student)}</title></head><body><h1>{html.escape(assignment)}: feedback for "
            f"{html.escape(result.student)}</h1>{failed}<p>Score: <strong>{total:g} / {out_of:g}</strong></p>"
            f"<table border='1' cellpadding='4'><tr><th>test</th><th>points</th><th>result</th></tr>{rows}</table>"
            f"<h2>About the run</h2><ul>{notes}</ul></body></html>")
