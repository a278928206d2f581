"""nbgrader's side of one graded submission, done in the worker process that graded it (so that
nbgrader's conversions run in parallel, like the sandboxes): its Autograde converter with the
result (``nbgrader_plugin.PRECOMPUTED``), 0 points where nothing could be graded, a timestamp
where the submission had none, and its feedback page when asked for (else the old page, which
shows the old score, is removed). Everything nbgrader writes about the submission is one
gradebook transaction (``transaction.one``): it lands whole, or not at all (nothing when nbgrader
fails on a submission the sandbox graded, which is the grader's failure, not the student's).
"""
from __future__ import annotations

import datetime
import os
import re
import shutil
import sys
import time
from pathlib import Path

from . import nbgrader_plugin, transaction

_APIS: dict = {}


def api(course: Path, db_url: str, timeout: int):
    """nbgrader's API on the course's own configuration, set to grade in the sandbox (one per process)."""
    key = (str(course), db_url, timeout)
    if key not in _APIS:
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config.loader import PyFileConfigLoader

        alembic_on_path()
        config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
        config.CourseDirectory.root = str(course)
        config.CourseDirectory.db_url = db_url
        config.ExecutePreprocessor.timeout = timeout
        nbgrader_plugin.configure(config)
        _APIS[key] = NbGraderAPI(CourseDirectory(config=config), config=config)
    return _APIS[key]


def alembic_on_path():
    """nbgrader runs `alembic` (from PATH) when it creates a gradebook: this environment's."""
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")


def hand_over(course: Path, db_url: str, timeout: int, assignment: str, student: str, results,
              feedback: bool) -> list:
    """Run nbgrader's autograde (and generate_feedback) for the student; what failed, in plain words."""
    nb = api(course, db_url, timeout)
    for result in results:
        nbgrader_plugin.PRECOMPUTED[(student, assignment, Path(result.notebook).stem)] = result
    shutil.rmtree(course / "feedback" / student / assignment, ignore_errors=True)  # it shows the old score
    try:
        with transaction.one(db_url) as writes:
            done = nb.autograde(assignment, student, force=True, create=True)
            if done["success"] or any(r.failed for r in results):  # (a notebook nbgrader cannot convert fails it)
                zero_missing(db_url, assignment, student, [r for r in results if r.failed])
            else:  # nbgrader failed on a submission that was graded: none of what it wrote lands
                writes.rollback()
    finally:
        for result in results:  # a notebook nbgrader did not convert (missing) leaves its result here
            nbgrader_plugin.PRECOMPUTED.pop((student, assignment, Path(result.notebook).stem), None)
    stamp(course, assignment, student)
    if not done["success"]:
        return ["internal grading error: nbgrader autograde failed: " + why(done)]
    if not feedback:
        return []
    page = nb.generate_feedback(assignment, student, force=True)
    if not page["success"]:
        return ["internal grading error: nbgrader generate_feedback failed: "
                + why(page)]
    return []


def stamp(course: Path, assignment: str, student: str):
    """A submission copied in by hand has no timestamp.txt (``nbgrader collect`` writes one);
    nbgrader's release_feedback needs it: the newest submitted file's time stands in."""
    autograded = course / "autograded" / student / assignment
    submitted = course / "submitted" / student / assignment
    if autograded.is_dir() and not (autograded / "timestamp.txt").exists():
        newest = max((p.stat().st_mtime for p in submitted.rglob("*") if p.is_file()), default=time.time())
        when = datetime.datetime.fromtimestamp(newest, datetime.timezone.utc)
        (autograded / "timestamp.txt").write_text(when.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))


def zero_missing(db_url: str, assignment: str, student: str, results):
    """0 points for the grades of notebooks that could not be graded and that nbgrader left
    without a score (it zeroes a missing notebook only when another one was submitted)."""
    from nbgrader.api import Gradebook, MissingEntry

    if not results:
        return
    with Gradebook(db_url) as gb:
        for result in results:
            try:
                grades = gb.find_submission_notebook(Path(result.notebook).stem, assignment, student).grades
            except MissingEntry:
                continue
            for grade in grades:
                if grade.auto_score is None:
                    grade.auto_score, grade.needs_manual_grade = 0.0, False
        gb.db.commit()


def why(done: dict) -> str:
    """Why an nbgrader call failed, on one line: the last exception its log shows (its own
    closing error only says "see the above traceback"), else the end of what it reported."""
    for text in (done.get("log") or "", done.get("error") or ""):
        found = re.findall(r"^\s*((?:\w+\.)*\w+(?:Error|Exception): .*)$", text, re.M)
        if found:
            return " ".join(found[-1].split())[:300]
    return " ".join((done.get("error") or done.get("log") or "").split()[-50:])[:300]
