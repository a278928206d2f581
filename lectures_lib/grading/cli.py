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
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="lectures-lib", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    grade = sub.add_parser("grade", help="autograde every submission of a course directory")
    grade.add_argument("course_dir", type=Path)
    grade.add_argument("--assignment", help="grade only this assignment (default: all in source/)")
    grade.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="submissions graded at once")
    grade.add_argument("--timeout", type=int, default=300, help="seconds a notebook cell may run")
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
        self.jobs, self.timeout = jobs, timeout
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
            errors = self.grade_all(assignment, todo)
            failed += len(errors)
            for student in students:
                rows.append(self.summary(student, assignment, errors.get(student)))
        self.write_csv(rows)
        for row in rows:
            print(f"{row['student']:<20} {row['assignment']:<12} {row['score']:>6}/{row['max_score']:<6} "
                  + "  ".join(f"{k} {v}" for k, v in row.items() if k.startswith("part ")) + f"  {row['status']}")
        print(f"grades: {self.course / 'grades.csv'}\nfeedback: {self.course / 'feedback'}/<student>/<assignment>/")
        return 1 if failed else 0

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
        graded = self.course / "autograded" / student / assignment
        if not graded.exists():
            return True
        newest = max((p.stat().st_mtime for p in submitted.rglob("*") if p.is_file()), default=0)
        return newest > graded.stat().st_mtime

    def grade_all(self, assignment, students):
        start, done, errors = time.monotonic(), 0, {}

        def one(student):
            result = self.nbgrader("autograde", assignment, "--student", student, "--create", "--force")
            if result.returncode == 0:
                result = self.nbgrader("generate_feedback", assignment, "--student", student, "--force")
            return student, result

        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            for student, result in pool.map(one, students):
                done += 1
                if result.returncode:
                    errors[student] = (result.stderr.strip().splitlines() or ["nbgrader failed"])[-1]
                elapsed = time.monotonic() - start
                eta = elapsed / done * (len(students) - done)
                print(f"  [{done}/{len(students)}] {student}: {'ERROR' if result.returncode else 'graded'}"
                      f"  ({elapsed:.0f} s, about {eta:.0f} s left)", flush=True)
        return errors

    def summary(self, student, assignment, error):
        from nbgrader.api import Gradebook, MissingEntry

        row = {"student": student, "assignment": assignment, "score": "", "max_score": ""}
        with Gradebook(self.db_url) as gb:
            try:
                sub = gb.find_submission(assignment, student)
            except MissingEntry:
                row["status"] = f"not graded: {error or 'no autograded submission'}"
                return row
            row["score"], row["max_score"] = f"{sub.score:g}", f"{sub.max_score:g}"
            parts = {}
            for nb in sub.notebooks:
                for grade in nb.grades:
                    part = grade.name.split("_")[0]
                    got, out_of = parts.get(part, (0.0, 0.0))
                    parts[part] = (got + (grade.score or 0.0), out_of + grade.max_score)
            row.update({f"part {p}": f"{g:g}/{m:g}" for p, (g, m) in sorted(parts.items())})
        feedback = sorted((self.course / "feedback" / student / assignment).glob("*.html"))
        row["status"] = f"error: {error}" if error else "graded"
        row["feedback"] = str(feedback[0]) if feedback else ""
        return row

    def write_csv(self, rows):
        fields = ["student", "assignment", "score", "max_score"]
        fields += sorted({k for r in rows for k in r if k.startswith("part ")}) + ["status", "feedback"]
        with open(self.course / "grades.csv", "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields, restval="")
            writer.writeheader()
            writer.writerows(rows)


if __name__ == "__main__":
    sys.exit(main())
