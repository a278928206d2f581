"""``lectures-lib grade COURSE_DIR``: the instructor's one command for a round of homework.

For every assignment (or ``--assignment``): generate the student version into ``release/``
when it is missing or older than ``source/``; autograde every submission under
``submitted/<student>/<assignment>/`` that is new or changed since it was last graded (with
``--jobs`` at a time); write each student's feedback HTML under ``feedback/``; write
``grades.csv``; print a line per student. Grades live in nbgrader's gradebook (``gradebook.db``
in the course directory, or ``--db-url``): a re-run re-grades only changed submissions and
never touches a manual adjustment an instructor made there.
"""
from __future__ import annotations

import argparse
import csv
import fcntl
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from . import pipeline, sandbox

FIRST_UID = 61000  # throwaway uids for the sandboxes: one per worker, never shared


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="lectures-lib", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    grade = sub.add_parser("grade", help="autograde every submission of a course directory")
    grade.add_argument("course_dir", type=Path)
    grade.add_argument("--assignment", help="grade only this assignment (default: all in source/)")
    grade.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="submissions graded at once")
    grade.add_argument("--timeout", type=int, default=60, help="seconds a cell may run (a notebook: 5x, at least 300)")
    grade.add_argument("--db-url", help="gradebook (any SQLAlchemy URL; default sqlite in the course directory)")
    args = parser.parse_args(argv)
    try:
        return Grader(args.course_dir, args.jobs, args.timeout, args.db_url).run(args.assignment)
    except ValueError as exc:
        parser.error(str(exc))


class Grader:
    def __init__(self, course_dir: Path, jobs: int, timeout: int, db_url: str | None):
        self.course = Path(course_dir).resolve()
        if not (self.course / "nbgrader_config.py").exists() or not (self.course / "source").is_dir():
            raise ValueError(f"{course_dir} is not an nbgrader course directory (needs nbgrader_config.py and source/)")
        if jobs < 1 or timeout < 1:
            raise ValueError(f"--jobs and --timeout must be >= 1, got {jobs} and {timeout}")
        if not sandbox.available():
            raise ValueError("grading needs bubblewrap, setpriv and prlimit, run as root "
                             "(Debian: apt-get install bubblewrap util-linux)")
        self.jobs, self.timeout = jobs, timeout
        self.limits = sandbox.Limits(cell_seconds=timeout, notebook_seconds=max(5 * timeout, 300))
        self.db_url = db_url or f"sqlite:///{self.course / 'gradebook.db'}"
        bin_dir = str(Path(sys.executable).parent)  # nbgrader runs alembic from the same environment
        self.env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}

    def nbgrader(self, *args, timeout=None):
        cmd = [str(Path(sys.executable).parent / "nbgrader"), *args, f"--CourseDirectory.db_url={self.db_url}",
               f"--ExecutePreprocessor.timeout={self.timeout}", "--log-level=ERROR"]
        return subprocess.run(cmd, cwd=self.course, env=self.env, capture_output=True, text=True, timeout=timeout)

    def run(self, only=None) -> int:
        assignments = [only] if only else sorted(p.name for p in (self.course / "source").iterdir() if p.is_dir())
        if only and not (self.course / "source" / only).is_dir():
            raise ValueError(f"no assignment {only!r} in {self.course / 'source'}")
        rows, failed = [], 0
        for assignment in assignments:
            self.release(assignment)
            students = sorted(p.parent.name for p in (self.course / "submitted").glob(f"*/{assignment}") if p.is_dir())
            todo = [s for s in students if self.changed(s, assignment)]
            print(f"{assignment}: {len(students)} submissions, {len(todo)} to grade with {self.jobs} job(s)", flush=True)
            statuses = self.grade_all(assignment, todo)
            failed += sum(s.startswith("failed") for s in statuses.values())
            rows += [self.summary(student, assignment) for student in students]
        self.write_csv(rows)
        for row in rows:
            print(f"{row['student']:<20} {row['assignment']:<12} {row['score']:>6}/{row['max_score']:<6} "
                  + "  ".join(f"{k} {v}" for k, v in row.items() if k.startswith("part ")) + f"  {row['status']}")
        print(f"grades: {self.course / 'grades.csv'}\nfeedback: {self.course / 'feedback'}/<student>/<assignment>/")
        if failed:
            print(f"{failed} submission(s) could not be graded: see the status column")
        return 0

    def release(self, assignment):
        source = self.course / "source" / assignment
        release = self.course / "release" / assignment
        newest = max((p.stat().st_mtime for p in source.rglob("*") if p.is_file()), default=0)
        built = min((p.stat().st_mtime for p in release.rglob("*.ipynb")), default=0) if release.exists() else 0
        if built < newest:
            done = self.nbgrader("generate_assignment", assignment, "--force")
            if done.returncode:
                raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n{done.stderr[-3000:]}")
            print(f"{assignment}: student version written to {release}")

    def changed(self, student, assignment):
        submitted = self.course / "submitted" / student / assignment
        record = self.course / "autograded" / student / assignment / "grading.json"
        if not record.exists():
            return True
        newest = max((p.stat().st_mtime for p in submitted.rglob("*") if p.is_file()), default=0)
        return newest > record.stat().st_mtime

    def grade_all(self, assignment, students):
        """Grade in parallel sandboxes; this thread alone writes the gradebook."""
        from nbgrader.api import Gradebook, MissingEntry

        specs = [pipeline.Spec.read(p) for p in sorted((self.course / "source" / assignment).glob("*.ipynb"))]
        folder = self.course / "submitted"
        start, statuses = time.monotonic(), {}
        # Worker processes run the sandboxes and judge (no shared interpreter lock between
        # them); this process alone writes the gradebook.
        with Gradebook(self.db_url) as gb, ProcessPoolExecutor(
                self.jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_take_uid) as pool:
            futures = {pool.submit(_grade_one, specs, s, folder / s / assignment, self.limits): s for s in students}
            for done, future in enumerate(as_completed(futures), 1):
                student = futures[future]
                try:
                    results = future.result()[1]
                except Exception as exc:  # noqa: BLE001 - never let one submission stop the batch
                    results = [pipeline.Result(student, {gid: 0.0 for gid in spec.grades},
                                               failed=f"internal grading error: {type(exc).__name__}: {exc}")
                               for spec in specs]
                try:
                    gb.find_student(student)
                except MissingEntry:
                    gb.add_student(student)
                gb.update_or_create_submission(assignment, student)
                for spec, result in zip(specs, results):
                    for gid, score in result.scores.items():
                        grade = gb.find_grade(gid, Path(spec.notebook).stem, assignment, student)
                        grade.auto_score = score
                        grade.needs_manual_grade = grade.manual_score is not None
                gb.db.commit()
                statuses[student] = self.save(assignment, specs, results)
                self.progress(done, len(students), start, student, statuses[student])
        return statuses

    def save(self, assignment, specs, results):
        """Feedback pages and the grading record; returns the student's status line."""
        student = results[0].student
        folder = self.course / "feedback" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        for spec, result in zip(specs, results):
            (folder / (Path(spec.notebook).stem + ".html")).write_text(pipeline.feedback_html(spec, result, assignment))
        failed = [r.failed for r in results if r.failed]
        notes = [n for r in results for n in r.notes]
        status = f"failed: {failed[0]}" if failed else ("graded; " + "; ".join(notes) if notes else "graded")
        record = self.course / "autograded" / student / assignment
        record.mkdir(parents=True, exist_ok=True)
        (record / "grading.json").write_text(json.dumps({"status": status, "results": [vars(r) for r in results]}))
        return status

    @staticmethod
    def progress(done, total, start, student, status):
        elapsed = time.monotonic() - start
        eta = elapsed / done * (total - done)
        bar = "#" * int(30 * done / total)
        line = f"[{bar:<30}] {done}/{total}  {elapsed:.0f} s, about {eta:.0f} s left  {student}: {status[:60]}"
        print("\r" + line if sys.stdout.isatty() else line, end="" if sys.stdout.isatty() and done < total else "\n",
              flush=True)

    def summary(self, student, assignment):
        from nbgrader.api import Gradebook, MissingEntry

        row = {"student": student, "assignment": assignment, "score": "", "max_score": ""}
        record = self.course / "autograded" / student / assignment / "grading.json"
        row["status"] = json.loads(record.read_text())["status"] if record.exists() else "not graded"
        with Gradebook(self.db_url) as gb:
            try:
                sub = gb.find_submission(assignment, student)
            except MissingEntry:
                return row
            failed = row["status"].startswith("failed")
            row["score"] = "FAILED" if failed else f"{sub.score:g}"
            row["max_score"] = f"{sub.max_score:g}"
            parts = {}
            for nb in sub.notebooks:
                for grade in nb.grades:
                    got, out_of = parts.get(grade.name.split("_")[0], (0.0, 0.0))
                    parts[grade.name.split("_")[0]] = (got + (grade.score or 0.0), out_of + grade.max_score)
            row.update({f"part {p}": f"{g:g}/{m:g}" for p, (g, m) in sorted(parts.items())})
        feedback = sorted((self.course / "feedback" / student / assignment).glob("*.html"))
        row["feedback"] = str(feedback[0]) if feedback else ""
        return row

    def write_csv(self, rows):
        fields = ["student", "assignment", "score", "max_score"]
        fields += sorted({k for r in rows for k in r if k.startswith("part ")}) + ["status", "feedback"]
        with open(self.course / "grades.csv", "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields, restval="")
            writer.writeheader()
            writer.writerows(rows)


_UID = None  # this worker process's throwaway uid
_UID_LOCK = None


def _take_uid():
    """Claim a throwaway uid no other grading process on this machine is using (an exclusive
    lock held for the worker's life): the sandbox kills every process of its uid afterwards, so
    two concurrent runs must never share one."""
    global _UID, _UID_LOCK
    locks = Path(tempfile.gettempdir()) / "lectures-lib-uids"
    locks.mkdir(exist_ok=True)
    for uid in range(FIRST_UID, FIRST_UID + 1000):
        fd = os.open(locks / f"{uid}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        _UID, _UID_LOCK = uid, fd
        return
    raise RuntimeError("no free throwaway uid for the grading sandbox")


def _grade_one(specs, student, folder, limits):
    return student, [pipeline.grade(spec, student, folder / spec.notebook, _UID, limits) for spec in specs]


if __name__ == "__main__":
    sys.exit(main())
