"""``autograde COURSE_DIR``: grade every submission of an nbgrader course in sandboxes.

For every assignment (or ``--assignment``): generate the student version into ``release/`` when
it is missing, older than ``source/`` or unknown to the gradebook; grade every submission under
``submitted/<student>/<assignment>/`` that is new, changed (by content), or not graded in the
gradebook in use, ``--jobs`` at a time; hand each result to nbgrader's own ``autograde``
(``nbgrader_plugin``), which writes ``autograded/`` and the gradebook (late time and penalty
included); write ``autograde-report.csv``; print a line per student. Feedback pages are
nbgrader's ``generate_feedback``, as in nbgrader's own workflow a step after grading (and after
manual grading); ``--feedback`` renders them in the same run, in the workers. A re-graded
submission's old feedback page is removed, so no stale score can be released. A re-run never
touches a manual score an instructor gave in the formgrader; the feedback then shows it. One
run per course at a time (``courselock``; ``--wait`` waits for it); ``--similarity`` then writes
the similarity report.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import multiprocessing
import os
import select
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from . import courselock, handover, parts, pipeline, privilege, sandbox, uids
from .spec import Spec, SpecError

REPORT = "autograde-report.csv"
INTERNAL = "failed: internal grading error: "  # the status of a submission the grader itself failed on
RECORDS = "autograde-records"  # <course>/autograde-records/<assignment>/<student>.json: what was graded, where


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="autograde", description=__doc__.splitlines()[0])
    parser.add_argument("course_dir", type=Path)
    parser.add_argument("--assignment", help="grade only this assignment (default: all in source/)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="submissions graded at once")
    parser.add_argument("--timeout", type=int, default=60, help="seconds a cell may run (a notebook: 5x, at least 300)")
    parser.add_argument("--db-url", help="gradebook (an SQLAlchemy URL: sqlite:///..., postgresql+psycopg://...; "
                                         "default: gradebook.db in the course directory)")
    parser.add_argument("--feedback", action="store_true",
                        help="also render the feedback pages (nbgrader generate_feedback) of the students graded "
                             "now and of those with a manual score")
    parser.add_argument("--similarity", action="store_true",
                        help="then write each assignment's similarity report (autograde-similarity/; it never changes a score)")
    parser.add_argument("--wait", action="store_true",
                        help="wait while another grading run holds the course (default: exit at once, status 75)")
    args = parser.parse_args(argv)
    try:
        grader = Grader(args.course_dir, args.jobs, args.timeout, args.db_url, args.feedback)
        with courselock.hold(grader.course, args.wait):
            uids.clean()  # scratch folders that killed runs left behind
            return grader.run(args.assignment, args.similarity)
    except courselock.Busy as exc:
        print(f"autograde: {exc}", file=sys.stderr)
        return 75  # EX_TEMPFAIL: try again later
    except uids.StateError as exc:  # the machine, not the user's command
        print(f"autograde: {exc}", file=sys.stderr)
        return 1
    except (ValueError, SpecError) as exc:
        print(f"autograde: error: {exc}", file=sys.stderr)
        return 2


class Grader:
    def __init__(self, course_dir: Path, jobs: int, timeout: int, db_url: str | None, feedback: bool = False):
        self.course = Path(course_dir).resolve()
        if not (self.course / "nbgrader_config.py").exists() or not (self.course / "source").is_dir():
            raise ValueError(f"{course_dir} is not an nbgrader course directory (needs nbgrader_config.py and source/)")
        if jobs < 1 or timeout < 1:
            raise ValueError(f"--jobs and --timeout must be >= 1, got {jobs} and {timeout}")
        if not sandbox.available():
            raise ValueError("grading needs bubblewrap, setpriv and prlimit, run as root "
                             "(Debian: apt-get install bubblewrap util-linux)")
        self.jobs, self.timeout, self.with_feedback = jobs, timeout, feedback
        self.limits = sandbox.Limits(cell_seconds=timeout, notebook_seconds=max(5 * timeout, 300))
        self.db_url = _with_driver(db_url) if db_url else f"sqlite:///{self.course / 'gradebook.db'}"
        self.user = privilege.owner(self.course)  # nbgrader, records and reports run as the folder's owner
        privilege.check(self.user, self.course)

    def run(self, only=None, similar=False) -> int:
        """Grade (under the course lock, which ``main`` takes before this costly part)."""
        privilege.run_as(self.user, _open_gradebook, self.db_url)
        assignments = [only] if only else sorted(p.name for p in (self.course / "source").iterdir() if p.is_dir())
        if only and not (self.course / "source" / only).is_dir():
            raise ValueError(f"no assignment {only!r} in {self.course / 'source'}")
        rows, failed, internal = [], 0, 0
        for assignment in assignments:
            specs = [Spec.read(p) for p in sorted((self.course / "source" / assignment).glob("*.ipynb"))]
            material = parts.load(self.course / "source" / assignment)
            _check_parts(assignment, specs, material)
            privilege.run_as(self.user, self.release, assignment)
            students = sorted(p.parent.name for p in (self.course / "submitted").glob(f"*/{assignment}") if p.is_dir())
            todo = privilege.run_as(self.user, self.to_grade, assignment, students)
            print(f"{assignment}: {len(students)} submissions, {len(todo)} to grade with {self.jobs} job(s)", flush=True)
            statuses = self.grade_all(assignment, specs, material, todo)
            failed += sum(s.startswith("failed") for s in statuses.values())
            internal += sum(s.startswith(INTERNAL) for s in statuses.values())
            if self.with_feedback:
                privilege.run_as(self.user, self.feedback, assignment, students, statuses)
            rows += privilege.run_as(self.user, self.summary, assignment, students)
        privilege.run_as(self.user, self.write_report, rows)
        for row in rows:
            print(f"{row['student']:<20} {row['assignment']:<12} {row['score']:>6}/{row['max_score']:<6} "
                  + "  ".join(f"{k} {v}" for k, v in row.items() if k.startswith("part ")) + f"  {row['status']}")
        print(f"report: {self.course / REPORT}")
        print(f"feedback: {self.course / 'feedback'}/<student>/<assignment>/" if self.with_feedback else
              "feedback: nbgrader generate_feedback (or autograde --feedback) renders the pages")
        status = 0
        if failed:
            print(f"{failed} submission(s) could not be graded: see the status column")
        if internal:  # the grader failed, not the submission: the run did not do its job
            print(f"autograde: {internal} submission(s) got no verdict because the grader itself failed "
                  f"(status '{INTERNAL}...'); fix that and run again", file=sys.stderr)
            status = 1
        return max(status, self.similarity(assignments)) if similar else status

    def similarity(self, assignments) -> int:
        """Each assignment's similarity report (flags for the instructor; it never touches a score);
        1 when one could not be written (the grades above are written all the same)."""
        from . import similarity  # copydetect and pygments: a second to import, only when asked for

        status = 0
        for assignment in assignments:
            try:
                print(f"similarity: {privilege.run_as(self.user, _similarity, similarity, self.course, assignment)}")
            except Exception as exc:  # noqa: BLE001 - say which report failed, keep the run's other messages
                print(f"autograde: the similarity report of {assignment} failed: {type(exc).__name__}: {exc}",
                      file=sys.stderr)
                status = 1
        return status

    def release(self, assignment):
        """nbgrader generate_assignment, when release/ is stale or the gradebook lacks the assignment."""
        from nbgrader.api import Gradebook, MissingEntry

        source, release = self.course / "source" / assignment, self.course / "release" / assignment
        newest = max((p.stat().st_mtime for p in source.rglob("*") if p.is_file()), default=0)
        built = min((p.stat().st_mtime for p in release.rglob("*.ipynb")), default=0) if release.exists() else 0
        with Gradebook(self.db_url) as gb:
            try:
                known = bool(gb.find_assignment(assignment).notebooks)
            except MissingEntry:
                known = False
        if built < newest or not known:  # (handover.api puts alembic on PATH, for a new gradebook)
            done = handover.api(self.course, self.db_url, self.timeout).generate_assignment(assignment, force=True, create=True)
            if not done["success"]:
                raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n{done.get('error', '')[-3000:]}")
            print(f"{assignment}: student version written to {release}")

    def record(self, student, assignment) -> Path:
        return self.course / RECORDS / assignment / f"{student}.json"

    def to_grade(self, assignment, students):
        """The submissions to grade: content different from what was graded (or no readable
        record of it), a grading the grader itself failed on, or no autograded score in the
        gradebook in use."""
        from nbgrader.api import Gradebook, MissingEntry

        todo = []
        with Gradebook(self.db_url) as gb:
            for student in students:
                record = _read_record(self.record(student, assignment))
                if record is None and self.record(student, assignment).exists():
                    print(f"{student}: the grading record {self.record(student, assignment)} cannot be read; graded again")
                if not record or record.get("hash") != content_hash(self.course / "submitted" / student / assignment) \
                        or record.get("db_url") != _redacted(self.db_url) or str(record.get("status")).startswith(INTERNAL):
                    todo.append(student)
                    continue
                try:
                    sub = gb.find_submission(assignment, student)
                except MissingEntry:
                    todo.append(student)
                    continue
                if any(g.auto_score is None for nb in sub.notebooks for g in nb.grades):
                    todo.append(student)
        return todo

    def grade_all(self, assignment, specs, material, students):
        """Each submission in a worker process: its sandboxes, then nbgrader's conversions (``handover``)."""
        folder, start, statuses = self.course / "submitted", time.monotonic(), {}
        job = (specs, assignment, material.folder.parent if material else None, self.limits, self.course,
               self.db_url, self.timeout, self.with_feedback, self.user)
        with ProcessPoolExecutor(self.jobs, mp_context=_workers(), initializer=_end_with, initargs=(os.getpid(),)) as pool:
            futures = {pool.submit(_grade_one, job, s, folder / s / assignment): s for s in students}
            for done, future in enumerate(as_completed(futures), 1):
                student = futures[future]
                try:
                    results, failures = future.result()
                except Exception as exc:  # noqa: BLE001 - never let one submission stop the batch
                    results = [pipeline.Result(student, spec.notebook, failed=f"{INTERNAL[len('failed: '):]}"
                                               f"{type(exc).__name__}: {exc}") for spec in specs]
                    failures = []
                statuses[student] = privilege.run_as(self.user, self.save, assignment, student, results, failures)
                self.progress(done, len(students), start, student, statuses[student])
        return statuses

    def save(self, assignment, student, results, failures):
        """The grading record; returns the student's status line."""
        failed = [r.failed for r in results if r.failed] + failures
        notes = [n for r in results for n in r.notes]
        status = f"failed: {failed[0]}" if failed else ("graded; " + "; ".join(notes) if notes else "graded")
        record = self.record(student, assignment)
        record.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(record, json.dumps({
            "hash": content_hash(self.course / "submitted" / student / assignment), "db_url": _redacted(self.db_url),
            "status": status, "results": [vars(r) for r in results]}))
        return status

    def feedback(self, assignment, students, graded):
        """nbgrader generate_feedback for the students with a manual score not graded now (their
        workers rendered the others'), so that every page shows the gradebook's score."""
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.db_url) as gb:
            manual = set()
            for student in students:
                try:
                    sub = gb.find_submission(assignment, student)
                except MissingEntry:
                    continue
                if any(g.manual_score is not None for nb in sub.notebooks for g in nb.grades):
                    manual.add(student)
        need = {s for s in manual - set(graded) if any((self.course / "autograded" / s / assignment).glob("*.ipynb"))}
        if not need:
            return
        # one converter for all of them (its templates load once): every student but the others
        api = handover.api(self.course, self.db_url, self.timeout)
        api.coursedir.student_id_exclude = ",".join(s for s in students if s not in need)
        try:
            done = api.generate_feedback(assignment, force=True)
        finally:
            api.coursedir.student_id_exclude = ""
        if not done["success"]:
            print(f"{assignment}: nbgrader generate_feedback failed: {(done.get('error') or done.get('log', ''))[-500:]}")

    @staticmethod
    def progress(done, total, start, student, status):
        elapsed = time.monotonic() - start
        eta = elapsed / done * (total - done)
        bar = "#" * int(30 * done / total)
        line = f"[{bar:<30}] {done}/{total}  {elapsed:.0f} s, about {eta:.0f} s left  {student}: {status[:60]}"
        print("\r" + line if sys.stdout.isatty() else line, end="" if sys.stdout.isatty() and done < total else "\n",
              flush=True)

    def summary(self, assignment, students):
        """Report rows from the gradebook (manual scores and late penalties included)."""
        from nbgrader.api import Gradebook

        with Gradebook(self.db_url) as gb:
            return [self._row(gb, student, assignment) for student in students]

    def _row(self, gb, student, assignment):
        from nbgrader.api import MissingEntry

        row = {"student": student, "assignment": assignment, "score": "", "max_score": "", "seconds_late": "",
               "late_penalty": ""}
        record = _read_record(self.record(student, assignment))
        row["status"] = record.get("status", "not graded") if record else "not graded"
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            return row
        row["score"] = "FAILED" if row["status"].startswith("failed") else f"{sub.score:g}"
        row["max_score"], row["seconds_late"] = f"{sub.max_score:g}", f"{sub.total_seconds_late:g}"
        row["late_penalty"] = f"{sub.late_submission_penalty or 0:g}"
        scores = {}
        for nb in sub.notebooks:
            for grade in nb.grades:
                part = grade.name.split("_")[0]
                got, out_of = scores.get(part, (0.0, 0.0))
                scores[part] = (got + (grade.score or 0.0), out_of + grade.max_score)
        row.update({f"part {p}": f"{g:g}/{m:g}" for p, (g, m) in sorted(scores.items())})
        feedback = sorted((self.course / "feedback" / student / assignment).glob("*.html"))
        row["feedback"] = str(feedback[0]) if feedback else ""
        return row

    def write_report(self, rows):
        fields = ["student", "assignment", "score", "max_score", "seconds_late", "late_penalty"]
        fields += sorted({k for r in rows for k in r if k.startswith("part ")}) + ["status", "feedback"]
        out = io.StringIO(newline="")
        writer = csv.DictWriter(out, fieldnames=fields, restval="")
        writer.writeheader()
        writer.writerows(rows)
        _write_atomic(self.course / REPORT, out.getvalue())


def _workers():
    """Worker processes forked from a clean server process that has imported the grader once
    (nbgrader, nbformat and jsonschema take seconds to import), not from this one: no gradebook
    connection or thread of ours is inherited."""
    # The forkserver runs `python -c`, which would put the working folder first on sys.path: run
    # from a checkout of the course, its workers would import the checkout's lectures_lib, judge
    # against it, and bind it into sandboxes that cannot import it. PYTHONSAFEPATH (Python 3.11's
    # -P) keeps it off, so that they import what this command imports.
    os.environ["PYTHONSAFEPATH"] = "1"
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["autograder.cli"])
    return context


def _end_with(run: int):
    """In a worker: exit when the grading run ``run`` ends, even killed with SIGKILL (a pool's
    workers otherwise wait for work for ever, holding their uids); its sandbox dies with it."""
    try:
        fd = os.pidfd_open(run)
    except ProcessLookupError:
        os._exit(1)

    def watch():
        select.select([fd], [], [])
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _check_parts(assignment, specs, material):
    """Every check of every grade cell names a part and behaviour the assignment declares."""
    for spec in specs:
        for g in spec.grades.values():
            for part, behaviour, _ in g.checks:
                if material is None:
                    raise SpecError(f"{assignment}/{spec.notebook}: grade cell {g.grade_id!r} checks {part!r}, but "
                                    f"source/{assignment}/{parts.FOLDER}/ does not exist")
                if part not in material.parts or behaviour not in material.parts[part].behaviours:
                    raise SpecError(f"{assignment}/{spec.notebook}: grade cell {g.grade_id!r} checks {part}/{behaviour}, "
                                    f"which source/{assignment}/{parts.FOLDER}/ does not declare")


def _similarity(module, course, assignment) -> str:
    return str(module.write(course, assignment))


def content_hash(folder: Path) -> str:
    """SHA-256 of every submitted file's path and bytes (a symlink's: where it points), what was
    graded, whatever the timestamps say."""
    h = hashlib.sha256()
    for p in sorted(q for q in folder.rglob("*") if (q.is_symlink() or q.is_file()) and ".ipynb_checkpoints" not in q.parts):
        data = b"-> " + os.readlink(p).encode() if p.is_symlink() else p.read_bytes()
        h.update(str(p.relative_to(folder)).encode() + b"\0" + data + b"\0")
    return h.hexdigest()


def _write_atomic(path: Path, text: str):
    """Write ``path`` whole or not at all: a temporary file in the same folder, then a rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _read_record(path):
    try:
        record = json.loads(path.read_text())
        return record if isinstance(record, dict) else None
    except (OSError, ValueError):
        return None


def _with_driver(url):
    """A PostgreSQL URL without a driver means psycopg 3 here (installed with the grader), not
    SQLAlchemy's default psycopg2."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError(f"--db-url {url!r} is not an SQLAlchemy URL (e.g. sqlite:///gradebook.db, "
                         "postgresql://user@host/db)") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _open_gradebook(url):
    """Open the gradebook once, so that one it cannot reach is one clear line, not a traceback."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SQLAlchemyError

    handover.alembic_on_path()
    try:
        Gradebook(url).close()
    except (SQLAlchemyError, ImportError) as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())[:300]
        raise ValueError(f"cannot open the gradebook {_redacted(url)}: {reason}") from None


def _redacted(url):
    """The gradebook's URL without its password (it is written into the record)."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _grade_one(job, student, folder):
    """In a worker: every notebook of one submission in the sandbox, then nbgrader's side of it."""
    specs, assignment, assignment_dir, limits, course, db_url, timeout, feedback, user = job
    material = parts.load(assignment_dir) if assignment_dir else None
    results = []
    for spec in specs:
        path = folder / spec.notebook
        if not path.exists():
            others = sorted(p.name for p in folder.glob("*.ipynb"))
            has = f"; the folder has {', '.join(others)}" if others else "; the folder has no notebook"
            results.append(pipeline.Result(student, spec.notebook, scores={g: 0.0 for g in spec.grades},
                                           failed=f"{spec.notebook} not found{has}"))
            continue
        results.append(pipeline.grade(spec, material, student, path, uids.worker_uid(), limits, user))
    return results, privilege.run_as(user, handover.hand_over, course, db_url, timeout, assignment, student, results,
                                     feedback)


if __name__ == "__main__":
    sys.exit(main())
