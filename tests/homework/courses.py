"""Course folders for the grading tests: the homework's source, and submissions made from the
release by filling the solution cells with the correct answer or one wrong variant."""
import csv
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from autograder import uids
from homework.variants import CORRECT, WRONG

ROOT = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "autograde"


def course(where: Path, *cli_args) -> Path:
    """A course folder with the homework's source and its release (written by ``autograde
    COURSE *cli_args``). Without ``cli_args``, a copy of one such folder, written once per process:
    the release takes seconds to write, and the copy keeps the files' times, so autograde finds it
    up to date as it would the folder itself."""
    if cli_args:
        return _released(where, *cli_args)
    if not _RELEASED:
        _RELEASED.append(tempfile.TemporaryDirectory())
        _released(Path(_RELEASED[0].name) / "course")
    shutil.copytree(Path(_RELEASED[0].name) / "course", where, symlinks=True)
    return where


_RELEASED = []  # the TemporaryDirectory (removed at exit) that holds the folder course() copies


def _released(where: Path, *cli_args) -> Path:
    where.mkdir(parents=True)
    shutil.copy(ROOT / "assignments" / "nbgrader_config.py", where)
    shutil.copytree(ROOT / "assignments" / "source", where / "source")
    autograde(where, *cli_args)
    return where


def submit(course: Path, student: str, kind: str):
    """``student``'s submission: every part correct, or one part as the WRONG variant ``kind``."""
    nb = nbformat.read(course / "release" / "optimizers" / "optimizers.ipynb", as_version=4)
    sources = {**CORRECT, **({WRONG[kind][0]: WRONG[kind][1]} if kind in WRONG else {})}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if gid.endswith("_solution"):
            cell.source = "import numpy as np\n" + sources[gid[: -len("_solution")]]
    folder = course / "submitted" / student / "optimizers"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / "optimizers.ipynb")


def report(course: Path) -> dict:
    """Each student's score and per-part points from ``autograde-report.csv``."""
    with open(course / "autograde-report.csv") as f:
        return {r["student"]: {k: v for k, v in r.items() if k == "score" or k.startswith("part ")}
                for r in csv.DictReader(f)}


def points() -> dict:
    """Each grade cell's points, from the source notebook."""
    nb = nbformat.read(ROOT / "assignments" / "source" / "optimizers" / "optimizers.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"]
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}


def expected_score(kind: str) -> float:
    """Full marks less the points of the behaviours the WRONG variant ``kind`` loses."""
    pts = points()
    part, _, lost = WRONG[kind] if kind in WRONG else ("", "", ())
    return sum(pts.values()) - sum(pts[f"{part}_{b}"] for b in lost)


def sandbox_processes() -> list:
    """``ps`` lines of the processes running as a throwaway uid (read by ps, not by the grader)."""
    out = subprocess.run(["ps", "-eo", "uid=,pid=,args="], capture_output=True, text=True).stdout.splitlines()
    return [ln for ln in out if uids.FIRST_UID <= int(ln.split()[0]) < uids.FIRST_UID + uids.COUNT]


def autograde(course: Path, *args) -> str:
    """Run ``autograde COURSE *args``; it must exit 0; its stdout."""
    done = subprocess.run([str(CLI), str(course), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def gradebook_fault_mid_submission(where: Path, url: str, inject, remove, *cli_args):
    """One transaction per submission, on any gradebook: alice's correct submission is graded,
    then replaced by a wrong one while ``inject()`` makes the gradebook fail the comments nbgrader
    writes after it committed the new scores. The run must leave the first grading whole (not new
    scores beside old comments), say so and exit 1; after ``remove()`` the next run grades the
    new submission."""
    from nbgrader.api import Gradebook

    def alice():
        with Gradebook(url) as gb:
            nb = gb.find_submission_notebook("optimizers", "optimizers", "alice")
            return sorted((g.name, g.auto_score) for g in nb.grades), sorted((c.name, c.auto_comment) for c in nb.comments)

    kind = "rprop_swapped_etas"
    submit(where, "alice", "correct")
    autograde(where, *cli_args)
    before = alice()
    assert sum(score for _, score in before[0]) == 32
    submit(where, "alice", kind)
    inject()
    failed = subprocess.run([str(CLI), str(where), *cli_args], capture_output=True, text=True)
    assert failed.returncode == 1, failed.stdout[-2000:] + failed.stderr[-2000:]
    assert "internal grading error" in failed.stdout and "injected fault" in failed.stdout, failed.stdout[-2000:]
    assert alice() == before
    remove()
    autograde(where, *cli_args)
    assert float(report(where)["alice"]["score"]) == expected_score(kind) < 32
    assert alice() != before
