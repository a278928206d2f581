"""After `autograde`, nbgrader's own workflow works unchanged, as its documentation runs it:
autograded notebooks with the verdict in each grade cell, the gradebook with per-cell scores,
comments and late penalties, the formgrader's API, `nbgrader generate_feedback` and
`release_feedback` through an exchange, manual grading on top; a plain-assert assignment is
graded with nbgrader's semantics; Validate fails on the untouched release and passes on the
solution; neither the release nor a student's install of the library holds the grader."""
import csv
import datetime as dt
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from homework.variants import CORRECT, WRONG

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SOURCE = ROOT / "assignments" / "source" / "optimizers" / "optimizers.ipynb"
DUE = dt.datetime(2026, 3, 1, 12, 0, 0)
pytestmark = [pytest.mark.xdist_group("homework"), pytest.mark.sandbox]


def run(*cmd, cwd=None, check=True):
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=900)
    if check:
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def filled(release, sources):
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if gid.endswith("_solution"):
            cell.source = "import numpy as np\n" + sources[gid[: -len("_solution")]]
    return nb


def submit(course, student, assignment, nb, when, name=None):
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / (name or f"{assignment}.ipynb"))
    # what `nbgrader submit` writes and `nbgrader collect` copies with the notebook
    (folder / "timestamp.txt").write_text(when.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    (folder / "submission_secret.txt").write_text(f"secret-{student}-{assignment}")


def plain_assignment(course):
    """An ordinary nbgrader assignment: a solution cell and plain assert test cells, no checks."""
    md = {"grade": False, "locked": False, "solution": True, "schema_version": 3}
    cells = [nbformat.v4.new_code_cell("def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION",
                                       metadata={"nbgrader": {**md, "grade_id": "add"}}),
             nbformat.v4.new_code_cell("assert add(1, 2) == 3", metadata={"nbgrader": {
                 "grade": True, "locked": True, "solution": False, "points": 2, "grade_id": "visible_add",
                 "schema_version": 3}}),
             nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS\nassert add(-1, 1) == 0\nassert add(0.5, 0.25) == 0.75\n"
                                       "### END HIDDEN TESTS", metadata={"nbgrader": {
                                           "grade": True, "locked": True, "solution": False, "points": 5,
                                           "grade_id": "hidden_add", "schema_version": 3}})]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                         "language": "python"}})
    (course / "source" / "plain").mkdir(parents=True)
    nbformat.write(nb, course / "source" / "plain" / "plain.ipynb")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    from nbgrader.api import Gradebook

    course = tmp_path_factory.mktemp("nbcourse")
    exchange = tmp_path_factory.mktemp("exchange")
    exchange.chmod(0o777)
    config = (ROOT / "assignments" / "nbgrader_config.py").read_text()
    config += (f"\nc.Exchange.root = {str(exchange)!r}\nc.LateSubmissionPlugin.penalty_method = 'zero'\n"
               "c.Exchange.assignment_dir = c.CourseDirectory.root\n")
    (course / "nbgrader_config.py").write_text(config)
    shutil.copytree(ROOT / "assignments" / "source", course / "source")
    plain_assignment(course)
    run(BIN / "autograde", course)  # writes the releases
    url = f"sqlite:///{course / 'gradebook.db'}"
    with Gradebook(url) as gb:
        gb.update_or_create_assignment("optimizers", duedate=DUE)
    release = course / "release" / "optimizers" / "optimizers.ipynb"
    early = DUE - dt.timedelta(hours=1)
    submit(course, "ada", "optimizers", filled(release, CORRECT), early)
    submit(course, "late", "optimizers", filled(release, CORRECT), DUE + dt.timedelta(days=30))
    part, wrong, lost = WRONG["nesterov_gradient_at_w"]
    submit(course, "bob", "optimizers", filled(release, {**CORRECT, part: wrong}), early)
    submit(course, "copy", "optimizers", filled(release, CORRECT), early, name="optimizers-Copy1.ipynb")
    plain_release = course / "release" / "plain" / "plain.ipynb"
    for student, body in [("ada", "return a + b"), ("bob", "return a - b")]:
        nb = nbformat.read(plain_release, as_version=4)
        nb.cells[0].source = f"def add(a, b):\n    {body}"
        submit(course, student, "plain", nb, early)
    done = run(BIN / "autograde", course, "--jobs", "2", "--similarity")
    return course, url, done.stdout, exchange


def test_autograded_notebooks_carry_the_verdict_in_each_grade_cell(course):
    c = course[0]
    nb = nbformat.read(c / "autograded" / "bob" / "optimizers" / "optimizers.ipynb", as_version=4)
    outs = {cell.metadata["nbgrader"]["grade_id"]: cell.outputs for cell in nb.cells
            if cell.metadata.get("nbgrader", {}).get("grade")}
    assert [o.output_type for o in outs["nesterov_look_ahead"]] == ["error"]
    assert "look-ahead" in outs["nesterov_look_ahead"][0].evalue
    assert all(o.output_type == "stream" and o.text.startswith("✔") for gid, v in outs.items()
               if gid != "nesterov_look_ahead" for o in v)
    assert not (c / "autograded" / "bob" / "optimizers" / "autograde").exists()  # hidden material stays out


def test_the_formgrader_shows_every_submission_graded_with_scores_and_reasons(course):
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    c, url = course[:2]
    config = Config()
    config.CourseDirectory.root, config.CourseDirectory.db_url = str(c), url
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    subs = {s["student"]: s for s in api.get_submissions("optimizers")}
    for student in ("ada", "late", "bob"):
        assert subs[student]["autograded"] and not subs[student]["needs_manual_grade"], subs[student]
    assert subs["ada"]["score"] == 32 and subs["bob"]["score"] == 28
    with Gradebook(url) as gb:
        comment = gb.find_comment("nesterov_solution", "optimizers", "optimizers", "bob").auto_comment
        assert comment.startswith("nesterov_look_ahead (0 of 4 points): On the problem")
        assert gb.find_comment("rprop_solution", "optimizers", "optimizers", "bob").auto_comment is None


def test_a_late_submission_gets_its_late_time_and_nbgraders_penalty(course):
    from nbgrader.api import Gradebook

    c, url = course[:2]
    with Gradebook(url) as gb:
        late, ada = gb.find_submission("optimizers", "late"), gb.find_submission("optimizers", "ada")
        assert late.total_seconds_late == pytest.approx(30 * 86400, abs=1) and ada.total_seconds_late == 0
        assert late.late_submission_penalty == 32 and ada.late_submission_penalty == 0  # penalty_method 'zero'


def test_a_renamed_notebook_is_reported_as_such(course):
    out = course[2]
    line = next(ln for ln in out.splitlines() if ln.startswith("copy "))
    assert "optimizers.ipynb not found; the folder has optimizers-Copy1.ipynb" in line and "FAILED" in line


def test_a_plain_assert_assignment_is_graded_with_nbgraders_semantics(course):
    from nbgrader.api import Gradebook

    url = course[1]
    with Gradebook(url) as gb:
        assert gb.find_submission("plain", "ada").score == 7
        bob = {g.name: g.score for g in gb.find_submission_notebook("plain", "plain", "bob").grades}
        assert bob == {"visible_add": 0, "hidden_add": 0}


def test_generate_feedback_release_feedback_and_a_manual_score(course):
    from nbgrader.api import Gradebook

    c, url = course[:2]
    with Gradebook(url) as gb:
        grade = gb.find_grade("nesterov_look_ahead", "optimizers", "optimizers", "bob")
        grade.manual_score = 1.5  # the instructor's partial credit, as the formgrader stores it
        gb.db.commit()
    run(BIN / "nbgrader", "generate_feedback", "optimizers", "--force", cwd=c)
    page = (c / "feedback" / "bob" / "optimizers" / "optimizers.html").read_text()
    assert "Score: 29.5 / 32.0" in page
    run(BIN / "nbgrader", "release_feedback", "optimizers", cwd=c)
    pages = list((course[3] / "nn-optimization" / "feedback").glob("*.html"))
    assert len(pages) == 3  # ada, late and bob: one page per graded notebook, in the exchange
    # a re-run of the grader keeps the manual score, and its own feedback shows it
    run(BIN / "autograde", c, "--assignment", "optimizers", "--feedback")
    page = (c / "feedback" / "bob" / "optimizers" / "optimizers.html").read_text()
    assert "Score: 29.5 / 32.0" in page


def test_validate_fails_on_the_untouched_release_and_passes_on_the_solution(course, tmp_path):
    c = course[0]
    shutil.copy(ROOT / "assignments" / "student" / "nbgrader_config.py", tmp_path)
    release = c / "release" / "optimizers" / "optimizers.ipynb"
    shutil.copy(release, tmp_path / "untouched.ipynb")
    nbformat.write(filled(release, CORRECT), tmp_path / "solved.ipynb")
    untouched = run(BIN / "nbgrader", "validate", "untouched.ipynb", cwd=tmp_path, check=False)
    assert "VALIDATION FAILED" in untouched.stdout and "NotImplementedError" in untouched.stdout, untouched.stdout
    solved = run(BIN / "nbgrader", "validate", "solved.ipynb", cwd=tmp_path, check=False)
    assert "Success! Your notebook passes all the tests." in solved.stdout, solved.stdout[-3000:]


def test_a_students_install_of_the_library_holds_no_grader(tmp_path):
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", tmp_path, ROOT)
    (wheel,) = tmp_path.glob("lectures_lib-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("lectures_lib/optim/") for n in names)
    assert not [n for n in names if "autograde" in n or "grading" in n or "scenarios" in n], names


def test_an_unreachable_gradebook_is_one_clear_line(course):
    done = run(BIN / "autograde", course[0], "--db-url", "postgresql://nobody@127.0.0.1:1/none", check=False)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "cannot open the gradebook postgresql+psycopg://nobody@127.0.0.1:1/none" in done.stderr


def test_a_fresh_gradebook_gets_every_submission_graded_into_it(course, tmp_path):
    from nbgrader.api import Gradebook

    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    done = run(BIN / "autograde", course[0], "--assignment", "plain", "--db-url", fresh)
    assert "plain: 2 submissions, 2 to grade" in done.stdout
    with Gradebook(fresh) as gb:
        assert gb.find_submission("plain", "ada").score == 7 and gb.find_submission("plain", "bob").score == 0



def test_autograde_writes_the_similarity_report(course):
    """After grading, the similarity report of each assignment (the scores above are unchanged by it)."""
    c, _, out = course[:3]
    folder = c / "autograde-similarity"
    assert f"similarity: {folder / 'optimizers.html'}" in out and f"similarity: {folder / 'plain.html'}" in out
    with open(folder / "optimizers.csv", newline="") as f:
        pairs = [r for r in csv.DictReader(f) if r["kind"] == "pair" and r["part"] == "all parts"]
    assert {pairs[0]["student"], pairs[0]["other"]} == {"ada", "late"} and pairs[0]["similarity"] == "1.000", pairs
    assert "No solution cell for this part in: copy." in (folder / "optimizers.html").read_text()  # its notebook is renamed
    before = [(c / name).read_bytes() for name in ("gradebook.db", "autograde-report.csv")]
    again = run(BIN / "autograde-similarity", c, "--assignment", "optimizers")  # alone: no grading, no sandbox
    assert again.stdout == f"similarity: {folder / 'optimizers.html'}\n"
    assert [(c / name).read_bytes() for name in ("gradebook.db", "autograde-report.csv")] == before

def test_the_grader_failing_on_a_submission_is_a_non_zero_exit_and_a_summary(tmp_path):
    """An internal fault (here: the instructor's problems raise) is the grader's failure, not a verdict."""
    shutil.copy(ROOT / "assignments" / "nbgrader_config.py", tmp_path)
    shutil.copytree(ROOT / "assignments" / "source", tmp_path / "source")
    scenarios = tmp_path / "source" / "optimizers" / "autograde" / "scenarios.py"
    scenarios.write_text(scenarios.read_text() + "\n\ndef nesterov():\n    raise RuntimeError('a broken problem set')\n")
    run(BIN / "autograde", tmp_path)
    submit(tmp_path, "ada", "optimizers", filled(tmp_path / "release" / "optimizers" / "optimizers.ipynb", CORRECT),
           DUE)
    done = run(BIN / "autograde", tmp_path, "--jobs", "1", check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "internal grading error" in done.stdout and "1 submission(s) got no verdict" in done.stderr


def test_a_similarity_report_that_fails_is_named_and_makes_the_status_1(course, monkeypatch, capsys):
    from autograder import cli, similarity

    def fails(course_dir, assignment):
        raise ValueError("boom")

    monkeypatch.setattr(similarity, "write", fails)
    assert cli.Grader(course[0], 1, 5, None).similarity(["optimizers"]) == 1
    assert "autograde: the similarity report of optimizers failed: ValueError: boom" in capsys.readouterr().err
