"""Grade one submission's notebook: run its cells in the sandbox, judge the collected steps
outside it, and say what happened in plain words (``Result``).

Cells run in the submission's order, as ``nbgrader autograde`` runs them: the student's
solution cells and the cells they added as written, every instructor cell (setup, visible tests,
plain grade cells) as the source notebook has it, so an edited instructor cell changes nothing
and a deleted one runs where it stood. Of a duplicated cell id the last copy is the cell (nbgrader's
``DeduplicateIds``); earlier copies run as the student's own code. Grade cells with checks do not run in the sandbox: the judge checks the classes
they name over the sandbox's channel (``judge``). Writing the result into nbgrader's autograded
notebook and gradebook is ``nbgrader_plugin``'s work.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from . import judge, privilege, rules, sandbox
from .spec import Spec


@dataclass
class Result:
    student: str
    notebook: str
    scores: dict = field(default_factory=dict)  # grade_id -> points earned
    messages: dict = field(default_factory=dict)  # grade_id -> why points were lost
    checked: dict = field(default_factory=dict)  # grade_id -> how often its rules were exercised
    outputs: dict = field(default_factory=dict)  # cell id -> {"output", "error"} of the sandbox run
    notes: list = field(default_factory=list)  # what happened to the run, in plain words
    failed: str = ""  # set when nothing could be graded


def job_for(spec: Spec, submitted: dict):
    """The cells to run, in order, and the notes about the submission's shape."""
    notes, cells, seen = [], [], {}
    kernel = submitted.get("metadata", {}).get("kernelspec", {}).get("name", "python3")
    if kernel not in ("python3", "python"):
        notes.append(f"kernelspec {kernel!r} ignored: graded with Python 3")
    order = {gid: j for j, (gid, _, _) in enumerate(spec.cells)}
    done = set()

    def instructor_cells_before(j):  # source cells the submission deleted, run where they stood
        for gid, kind, source in spec.cells[:j]:
            if gid not in done and kind != "solution":
                done.add(gid)
                if not (kind == "grade" and not spec.grades[gid].plain):
                    cells.append({"id": gid, "source": source})

    raw = submitted.get("cells", [])
    ids = [(c.get("metadata", {}).get("nbgrader", {}) or {}).get("grade_id") for c in raw]
    last = {gid: i for i, gid in enumerate(ids)}  # nbgrader keeps the last copy of a cell id
    for i, cell in enumerate(raw):
        gid, source = ids[i], "".join(cell.get("source", ""))
        seen[gid] = seen.get(gid, 0) + 1
        if cell.get("cell_type") != "code":
            continue
        if gid not in order or last[gid] != i:  # a cell the student added, or an earlier copy
            cells.append({"id": f"cell {i + 1}", "source": source})
            continue
        if gid in done:  # an instructor cell moved down: it already ran where it stood
            continue
        instructor_cells_before(order[gid])
        done.add(gid)
        kind = spec.cells[order[gid]][1]
        if kind == "solution":
            cells.append({"id": gid, "source": source})
        elif not (kind == "grade" and not spec.grades[gid].plain):
            cells.append({"id": gid, "source": spec.cells[order[gid]][2]})
    instructor_cells_before(len(spec.cells))
    for gid, kind, _ in spec.cells:
        what = {"solution": "solution cell", "grade": "test cell"}.get(kind, "read-only cell")
        if gid not in seen:
            notes.append(f"{what} {gid!r} is missing" + ("" if kind == "solution" else " (run from the original)"))
        elif seen[gid] > 1:
            notes.append(f"{what} {gid!r} was duplicated (as under nbgrader, the last copy is the "
                         + ("graded one; every copy ran)" if kind == "solution" else "original; earlier copies ran as your code)"))
    return cells, notes


def read_notebook(path) -> dict:
    """{"notebook": the parsed JSON} or {"unreadable": why} (run as the course's owner: ``privilege``;
    its reply is checked by ``grade``, as it comes from a process that parsed a student's file)."""
    try:
        return {"notebook": json.loads(Path(path).read_text())}
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        return {"unreadable": exc.__class__.__name__}


def grade(spec: Spec, material, student: str, path: Path, uid: int, limits: sandbox.Limits, user=None) -> Result:
    result = Result(student, spec.notebook, scores={gid: 0.0 for gid in spec.grades})
    read = privilege.run_as(user, read_notebook, path)
    submitted = read.get("notebook")
    if not isinstance(submitted, dict) or not isinstance(submitted.get("cells"), list):
        result.failed = f"{spec.notebook} is not a readable notebook ({read.get('unreadable', 'ValueError')})"
        return result
    cells, result.notes = job_for(spec, submitted)
    parts = spec.parts
    problems = {p: material.parts[p].problems for p in parts}
    hide = sorted({m for p in parts for m in material.parts[p].hide})
    job = {"cells": cells, "parts": parts, "problems": problems, "skip": []}
    verdicts, timed_out = {}, {}
    for _ in range(4):  # a cell that hangs or kills the run is skipped, and the rest is graded
        scenarios = material.scenarios_file if parts else None
        with sandbox.Session(job, uid, limits, hide=hide, scenarios=scenarios) as session:
            stopped_at, why = session.run_cells()
            if stopped_at:
                result.notes.append(f"{why} in {stopped_at}")
                if stopped_at in job["skip"] or stopped_at in ("start", "collect"):
                    # no student code runs before "start": a run that stops there is the grader's failure
                    result.failed = (f"internal grading error: the sandbox {why} before any cell ran"
                                     if stopped_at == "start" else result.notes[-1])
                    return result
                timed_out[stopped_at] = why
                job["skip"].append(stopped_at)
                continue
            _cell_notes(result, session.cells)
            for part in parts:
                if part not in verdicts and session.alive:
                    verdicts[part] = _judge(material, part, session)
                    stop = verdicts[part].pop(None, "")
                    if stop:
                        result.notes.append(f"{stop} in checking {part}")
        if len(verdicts) == len(parts):
            break
    _score(spec, material, result, verdicts, timed_out)
    return result


def _score(spec, material, result, verdicts, timed_out):
    for gid, g in spec.grades.items():
        if g.plain:
            out = result.outputs.get(gid)
            why = (f"not run: {timed_out[gid]}" if gid in timed_out else "not run" if out is None
                   else out["error"])
            result.checked[gid] = int(out is not None and not out.get("skipped"))
        else:
            counts = [verdicts.get(p, {}).get(b) for p, b, _ in g.checks]
            whys = [judge.message(material.parts[p], b, c) if c else "the grader could not check this part"
                    for (p, b, _), c in zip(g.checks, counts)]
            why = next((f"{b}: {w}" if len(g.checks) > 1 else w for (_, b, _), w in zip(g.checks, whys) if w), "")
            result.checked[gid] = sum(c.checked for c in counts if c)
        result.scores[gid] = 0.0 if why else g.points
        if why:
            result.messages[gid] = why


def _judge(material, part, session):
    """{behaviour: Count} of one part over the session's channel; a stop is noted under None."""
    classes = session.classes if isinstance(session.classes, dict) else {}
    missing = classes.get(part, "the grader found no results for this part")
    missing = missing if isinstance(missing, str) else "the grader could not read which classes were defined"
    if missing:
        return {b: rules.Count(failed=1, first=missing) for b in material.parts[part].behaviours}
    session.begin(part)
    stops = []

    def call(request):
        try:
            return session.call(request)
        except judge.Stopped as exc:
            stops.append(str(exc))
            raise

    counts = judge.judge(material, part, call)
    return {**counts, None: stops[0]} if stops else counts


def _cell_notes(result, cells):
    # the result files live where the student's code could write: trust only their shape
    for c in cells if isinstance(cells, list) else []:
        if not (isinstance(c, dict) and isinstance(c.get("id"), str)):
            continue
        error = c["error"] if isinstance(c.get("error"), str) else ""
        output = c["output"] if isinstance(c.get("output"), str) else ""
        result.outputs[c["id"]] = {"output": output, "error": error, "skipped": bool(c.get("skipped"))}
        if error:
            kind = "out of memory" if error.startswith("MemoryError") else error.splitlines()[0][:200]
            result.notes.append(f"{c['id']}: {kind}")
