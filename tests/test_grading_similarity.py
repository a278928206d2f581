"""The similarity report (``autograder.similarity``) on a small course of the real homework: a
renamed, re-commented copy of another submission is the top pair; a copy of the reference's code
is closer to the reference than independent solutions; student code is escaped in the HTML; a
missing or empty solution cell, or a notebook that is not one, does not stop the report. No
sandbox: the report reads the submitted notebooks and never grades."""
import csv
import inspect
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from autograder import similarity
from homework.variants import CORRECT

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "optimizers"
SCAFFOLD = '''class Rprop:
    def __init__(self, delta0=0.1, eta_plus=1.2, eta_minus=0.5, delta_min=1e-6, delta_max=50.0):
        self.delta0, self.eta_plus, self.eta_minus = delta0, eta_plus, eta_minus
        self.delta_min, self.delta_max = delta_min, delta_max

'''
# three independent Rprop solutions: vectorised (the notebook's), a loop per weight, boolean masks
LOOP = SCAFFOLD + '''    def init(self, w):
        n = len(w)
        return {"delta": np.ones(n) * self.delta0, "g_prev": np.zeros(n), "dw": np.zeros(n)}

    def step(self, objective, w, state):
        grad = objective.grad(w)
        # work on copies: the state passed in stays as it was
        delta, g_prev, dw = state["delta"].copy(), state["g_prev"].copy(), state["dw"].copy()
        w_new = np.array(w, dtype=float)
        for i in range(len(w_new)):
            if g_prev[i] * grad[i] > 0:
                delta[i] = min(delta[i] * self.eta_plus, self.delta_max)
                dw[i] = -np.sign(grad[i]) * delta[i]
                g_prev[i] = grad[i]
            elif g_prev[i] * grad[i] < 0:
                delta[i] = max(delta[i] * self.eta_minus, self.delta_min)
                dw[i] = -dw[i]  # backtrack
                g_prev[i] = 0.0
            else:
                dw[i] = -np.sign(grad[i]) * delta[i]
                g_prev[i] = grad[i]
            w_new[i] += dw[i]
        return w_new, {"delta": delta, "g_prev": g_prev, "dw": dw}
'''
RENAMED = (LOOP.replace("grad", "gradient").replace("g_prev[", "last[").replace("g_prev,", "last,")
           .replace("w_new", "updated").replace("[i]", "[j]").replace("for i in", "for j in")
           .replace("delta[j]", "size[j]").replace("delta, last", "size, last").replace('"delta": delta', '"delta": size')
           .replace("# work on copies: the state passed in stays as it was", "# copy so that the caller's state is kept")
           .replace("# backtrack", "# undo the previous step"))
MASKS = SCAFFOLD + '''    def init(self, w):
        shape = np.shape(w)
        return {"delta": np.full(shape, float(self.delta0)), "g_prev": np.zeros(shape), "dw": np.zeros(shape)}

    def step(self, objective, w, state):
        g = objective.grad(w)
        sign = np.sign(g * state["g_prev"])
        delta = state["delta"].copy()
        delta[sign > 0] *= self.eta_plus
        delta[sign < 0] *= self.eta_minus
        delta = np.clip(delta, self.delta_min, self.delta_max)
        move = -np.sign(g) * delta
        move[sign < 0] = -state["dw"][sign < 0]
        g = g.copy()
        g[sign < 0] = 0
        return w + move, {"delta": delta, "g_prev": g, "dw": move}
'''


def reference_copy():
    """A solution that pastes the reference's ``step`` (lectures_lib.optim.Rprop) into the scaffold."""
    from lectures_lib.optim import Rprop

    return SCAFFOLD + textwrap.indent(textwrap.dedent(inspect.getsource(Rprop.step)), "    ")


@pytest.fixture
def course(tmp_path):
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    shutil.copy(ROOT / "assignments" / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "assignments" / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    return course


def submit(course, student, rprop=None, nesterov=None, drop=()):
    """A submission: the source notebook with these solution cells, the others as released (their
    solution cleared), the cells in ``drop`` removed."""
    released = {gid: text for (_, gid), text in similarity.solution_cells(course / "source" / ASSIGNMENT).items()}
    nb = nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    given = {"rprop_solution": rprop, "nesterov_solution": nesterov}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if gid in released:
            cell.source = given.get(gid) if given.get(gid) is not None else released[gid]
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in drop]
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
    return folder


def rows(course):
    with open(course / similarity.FOLDER / f"{ASSIGNMENT}.csv", newline="") as f:
        return list(csv.DictReader(f))


def ranked(course, kind, part, other=None):
    return [r for r in rows(course) if r["kind"] == kind and r["part"] == part and (other is None or r["other"] == other)]


def independent_class(course):
    for student, code in [("alice", CORRECT["rprop"]), ("bob", LOOP), ("carol", MASKS), ("dave", RENAMED),
                          ("erin", reference_copy())]:
        submit(course, student, rprop=code)


def test_a_renamed_recommented_copy_of_another_submission_ranks_first(course):
    independent_class(course)
    assert "gradient" in RENAMED and "grad(w)" not in RENAMED.replace("gradient", "") and "# undo" in RENAMED
    html = similarity.write(course, ASSIGNMENT)
    top = ranked(course, "pair", "rprop")
    assert {top[0]["student"], top[0]["other"]} == {"bob", "dave"}, top[:3]
    assert float(top[0]["similarity"]) > 0.9 > float(top[1]["similarity"]), top[:3]
    assert [r["rank"] for r in top] == [str(i) for i in range(1, 11)]  # 5 students: 10 pairs
    assert {ranked(course, "pair", similarity.ALL)[0]["student"], ranked(course, "pair", similarity.ALL)[0]["other"]} \
        == {"bob", "dave"}
    assert "<mark>" in html.read_text()


def test_a_copy_of_the_reference_ranks_above_independent_solutions(course):
    independent_class(course)
    similarity.write(course, ASSIGNMENT)
    to_reference = ranked(course, "reference", "rprop")
    assert to_reference[0]["student"] == "erin" and to_reference[0]["other"] == "lectures_lib.optim:Rprop", to_reference
    shares = {r["student"]: float(r["similarity"]) for r in to_reference}
    assert shares["erin"] > 0.8 and all(shares[s] < 0.5 for s in ("alice", "bob", "carol", "dave")), shares


def test_public_sources_are_read_from_the_installed_package_or_named_as_missing(course, tmp_path, monkeypatch):
    keras = tmp_path / "site" / "keras"
    (keras / "src" / "optimizers").mkdir(parents=True)
    keras_sgd = '''class SGD:
    def update_step(self, gradient, variable, learning_rate):
        m = self.momentums[self._get_variable_index(variable)]
        self.assign(m, ops.subtract(ops.multiply(m, self.momentum), ops.multiply(gradient, learning_rate)))
        self.assign_add(variable, ops.subtract(ops.multiply(m, self.momentum), ops.multiply(gradient, learning_rate)))
'''
    (keras / "src" / "optimizers" / "sgd.py").write_text("from keras.src import ops\n\n\n" + keras_sgd)
    monkeypatch.setattr(similarity, "package_dir", lambda name: keras if name == "keras" else None)
    nesterov = CORRECT["nesterov"].replace("        lr = ", "    def update_step(self, gradient, variable, learning_rate):\n"
                                           + textwrap.indent(keras_sgd.split("\n", 2)[2], "    ") + "        lr = ")
    submit(course, "ivy", nesterov=nesterov)
    submit(course, "jon")
    html = similarity.write(course, ASSIGNMENT).read_text()
    public = ranked(course, "public", "nesterov", "keras.optimizers.SGD(nesterov=True)")
    assert [r["student"] for r in public] == ["ivy", "jon"] and float(public[0]["similarity"]) > 0.3 > float(
        public[1]["similarity"]), public
    assert "src/optimizers/sgd.py:SGD.update_step, Apache-2.0" in public[0]["other_source"]
    assert not ranked(course, "public", "rprop") and "Note: not compared with torch.optim.Rprop: torch is not installed here." in html


def test_student_code_and_names_are_escaped_in_the_html(course):
    submit(course, "alice", rprop=LOOP)
    hostile = LOOP.replace("# backtrack", '# </code></pre><script>alert("x")</script>').replace(
        "n = len(w)", 'n = len(w)  # <img src=x onerror=alert(1)>')
    submit(course, "<b>mallory", rprop=hostile)  # a folder name
    page = similarity.write(course, ASSIGNMENT).read_text()
    assert "<script>" not in page and "<img" not in page and "<b>mallory" not in page
    assert "&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;alert(" in page and "&lt;b&gt;mallory" in page
    top = ranked(course, "pair", "rprop")[0]
    assert float(top["similarity"]) > 0.95, top  # comments do not count: the fragments shown are these two


def test_a_missing_or_empty_solution_cell_or_a_broken_notebook_does_not_stop_the_report(course):
    independent_class(course)
    submit(course, "frank", drop=("rprop_solution",))
    submit(course, "gina", rprop="")
    submit(course, "leo", rprop=LOOP + "\n# " + "x" * 2 * similarity.LIMIT)  # a pasted blob: compared in part
    for student, text in [("hugo", "{ not json"), ("ines", '{"cells": 3}'), ("jack", "[]"),
                          ("kim", '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"id": "c1", "cell_type": "code", '
                                  '"metadata": {"nbgrader": "x"}, "source": "a"}]}')]:
        broken = course / "submitted" / student / ASSIGNMENT
        broken.mkdir(parents=True)
        (broken / f"{ASSIGNMENT}.ipynb").write_text(text)
    page = similarity.write(course, ASSIGNMENT).read_text()
    pairs = ranked(course, "pair", "rprop")
    assert not any("frank" in (r["student"], r["other"]) or "hugo" in (r["student"], r["other"]) for r in pairs)
    assert all(float(r["similarity"]) == 0 for r in pairs if "gina" in (r["student"], r["other"]))
    assert "No solution cell for this part in: frank, hugo, ines, jack, kim." in page
    assert {r["student"] for r in ranked(course, "reference", "rprop")} == {"alice", "bob", "carol", "dave", "erin",
                                                                          "gina", "leo"}
    assert f"the cell of leo has {len(LOOP) + 3 + 2 * similarity.LIMIT} characters: only the first" in page
    assert {ranked(course, "pair", "rprop")[0]["student"], ranked(course, "pair", "rprop")[0]["other"]} <= {"bob", "dave", "leo"}


def test_the_command_writes_both_files_and_names_a_bad_course(course, tmp_path):
    independent_class(course)
    done = subprocess.run([sys.executable, "-m", "autograder.similarity", course], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"similarity: {course / similarity.FOLDER / (ASSIGNMENT + '.html')}"
    assert rows(course) and not list((course / similarity.FOLDER).glob(".*.tmp"))
    bad = subprocess.run([sys.executable, "-m", "autograder.similarity", tmp_path / "nowhere"], capture_output=True,
                         text=True)
    assert bad.returncode == 2 and "has no source/ folder" in bad.stderr
