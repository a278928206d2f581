"""The full nbgrader round trip through `autograde`: the reference solution scores full
marks, the untouched release zero, each plausible wrong solution, placeholder, combination of
mistakes, port and unusual correct style gets exactly the points of the behaviours it earns and
its feedback names what was lost; a submission that searches the sandbox for answers scores no
more than the blank release; re-running keeps manual adjustments."""
import csv
import html
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from homework.courses import course as released_course
from homework.courses import points
from homework.submissions import CASES, PLACEHOLDERS, searcher
from homework.variants import CORRECT, WRONG

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "assignments" / "source" / "optimizers" / "optimizers.ipynb"
CLI = Path(sys.executable).parent / "autograde"
pytestmark = [pytest.mark.xdist_group("homework"), pytest.mark.sandbox]


def submission(release, sources):
    """The release notebook with the given solution-cell sources filled in."""
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if gid.endswith("_solution") and gid[: -len("_solution")] in sources:
            cell.source = "import numpy as np\n" + sources[gid[: -len("_solution")]]
    return nb


def grade(course, *extra):
    run = subprocess.run([str(CLI), str(course), "--jobs", "2", *extra], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    with open(course / "autograde-report.csv") as f:
        return {row["student"]: row for row in csv.DictReader(f)}, run.stdout


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = released_course(tmp_path_factory.mktemp("course") / "course")
    release = course / "release" / "optimizers" / "optimizers.ipynb"
    subs = {"reference": nbformat.read(SOURCE, as_version=4), "untouched": nbformat.read(release, as_version=4)}
    for name, (part, source, _) in WRONG.items():
        subs[name] = submission(release, {**CORRECT, part: source})
    for name, (part, source, _, _) in CASES.items():
        subs[name] = submission(release, {**CORRECT, part: source})
    for kind in ("returns_inputs", "gradient_then_inputs"):  # every part a placeholder
        subs[f"all_{kind}"] = submission(release, {p: PLACEHOLDERS[f"{p}_{kind}"][1] for p in CORRECT})
    subs["searches_for_answers"] = submission(release, {p: searcher(p) for p in CORRECT})
    for student, nb in subs.items():
        folder = course / "submitted" / student / "optimizers"
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / "optimizers.ipynb")
    rows, out = grade(course, "--feedback")
    return course, rows, out


def test_the_release_has_no_solutions_and_no_hidden_tests(course):
    text = (course[0] / "release" / "optimizers" / "optimizers.ipynb").read_text()
    for secret in ["BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "check(", "np.where(flipped"]:
        assert secret not in text
    released = {p.relative_to(course[0] / "release").as_posix() for p in (course[0] / "release").rglob("*")}
    assert released == {"optimizers", "optimizers/optimizers.ipynb"}  # no hidden material (autograde/)
    assert 'raise NotImplementedError(\\"write this part\\")' in text


def test_reference_scores_full_marks_and_release_scores_zero(course):
    _, rows, out = course
    total = sum(points().values())
    assert rows["reference"]["score"] == f"{total:g}" == rows["reference"]["max_score"]
    assert rows["untouched"]["score"] == "0"
    assert "autograde-report.csv" in out and "feedback" in out


def feedback_text(row):
    """The feedback page nbgrader rendered, as text."""
    page = re.sub(r"<(style|script).*?</\1>", " ", Path(row["feedback"]).read_text(), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


@pytest.mark.parametrize("name", sorted(WRONG) + sorted(CASES))
def test_each_submission_earns_exactly_its_points_and_is_told_why(course, name):
    course_dir, rows, _ = course
    part, lost = (WRONG[name][0], WRONG[name][2]) if name in WRONG else (CASES[name][0], CASES[name][2])
    pts = points()
    expected = sum(pts.values()) - sum(pts[f"{part}_{b}"] for b in lost)
    assert float(rows[name]["score"]) == expected, f"{name}: {rows[name]}"
    feedback = feedback_text(rows[name])
    for behaviour in lost:  # the failing test is named, with where and why, or why it was never checked
        assert re.search(rf"Grade cell: {part}_{behaviour} Score: 0\.0 / \d+.*?GradingError: "
                         rf"(On the problem .*?step \d+|never checked).*?\(checked \d+ times?\)", feedback), feedback[:3000]
    assert len(re.findall(r"Grade cell: \w+ Score: 0\.0 /", feedback)) == len(lost)
    assert feedback.count("✔") == len(pts) - len(lost)


@pytest.mark.parametrize("student", ["all_returns_inputs", "all_gradient_then_inputs", "searches_for_answers"])
def test_placeholders_and_answer_searches_score_no_more_than_the_blank_release(course, student):
    _, rows, _ = course
    assert float(rows[student]["score"]) <= float(rows["untouched"]["score"]) == 0, rows[student]


def test_a_placeholders_feedback_says_what_could_not_be_checked_and_why(course):
    feedback = feedback_text(course[1]["all_gradient_then_inputs"])
    assert re.search(r"Score: 0\.0 / 32\.0", feedback) and "✔" not in feedback
    assert re.search(r"Grade cell: nesterov_look_ahead Score: 0\.0 / 4\.0.*?GradingError: never checked: your step "
                     r"never changed W or ΔW.*?\(checked 0 times\)", feedback), feedback


def test_rerun_keeps_manual_adjustments_and_regrades_only_changed_submissions(course):
    from nbgrader.api import Gradebook

    course_dir, _, _ = course
    url = f"sqlite:///{course_dir / 'gradebook.db'}"
    with Gradebook(url) as gb:
        g = gb.find_grade("rprop_backtracking", "optimizers", "optimizers", "rprop_no_backtracking")
        g.manual_score = 3.0  # an instructor's partial credit
        gb.db.commit()
    sub = course_dir / "submitted" / "rprop_no_backtracking" / "optimizers" / "optimizers.ipynb"
    sub.touch()  # a new time, the same content: nothing to grade
    rows, out = grade(course_dir, "--feedback")
    assert "0 to grade" in out
    full = sum(points().values())
    assert float(rows["rprop_no_backtracking"]["score"]) == full - 4 + 3
    assert re.search(r"Grade cell: rprop_backtracking Score: 3\.0 / 4\.0", feedback_text(rows["rprop_no_backtracking"]))
    # a resubmission whose file carries an older time is graded again; the adjustment stays
    nb = nbformat.read(sub, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("resubmitted"))
    nbformat.write(nb, sub)
    os.utime(sub, (0, 0))
    rows, out = grade(course_dir, "--assignment", "optimizers")
    assert "1 to grade" in out
    assert float(rows["rprop_no_backtracking"]["score"]) == full - 4 + 3
    # graded without --feedback: its old page (the old score) is gone, nbgrader renders the new one
    page = course_dir / "feedback" / "rprop_no_backtracking" / "optimizers" / "optimizers.html"
    assert not page.exists() and rows["rprop_no_backtracking"]["feedback"] == ""
    assert (course_dir / "feedback" / "reference" / "optimizers" / "optimizers.html").exists()  # not re-graded: kept
    done = subprocess.run([str(CLI.parent / "nbgrader"), "generate_feedback", "optimizers"], cwd=course_dir,
                          capture_output=True, text=True)
    assert done.returncode == 0 and "resubmitted" in page.read_text(), done.stderr[-2000:]


def test_bad_course_dir_is_a_clear_error(tmp_path):
    run = subprocess.run([str(CLI), str(tmp_path)], capture_output=True, text=True)
    assert run.returncode == 2 and "is not an nbgrader course directory" in run.stderr
