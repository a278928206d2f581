"""Hostile submissions, graded in one batch with a victim: each gets the score and the reason it
must, nothing a submission does reaches another student, the course folder or the network, and
nothing it starts outlives grading."""
import csv
import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from homework.courses import course as released_course
from homework.courses import sandbox_processes

from homework.variants import CORRECT, WRONG

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).parent / "autograde"
FULL = 32
pytestmark = [pytest.mark.xdist_group("homework"), pytest.mark.sandbox]


def build(release, solutions=None, cells=(), delete=(), duplicate=(), kernel=None):
    """The release with solutions filled in (CORRECT unless replaced), extra code cells appended
    (``("before:<grade_id>", source)`` to insert), cells deleted or duplicated by grade_id."""
    nb = nbformat.read(release, as_version=4)
    sources = {**CORRECT, **(solutions or {})}
    out = []
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        for where, src in cells:
            if where == f"before:{gid}":
                out.append(nbformat.v4.new_code_cell(src))
        if gid in delete:
            continue
        if gid.endswith("_solution"):
            cell.source = "import numpy as np\n" + sources[gid[: -len("_solution")]]
        out.append(cell)
        if gid in duplicate:
            copy = nbformat.from_dict(json.loads(json.dumps(cell)))
            copy["id"] = cell["id"] + "-copy"
            out.append(copy)
    out += [nbformat.v4.new_code_cell(src) for where, src in cells if where == "end"]
    nb.cells = out
    if kernel:
        nb.metadata["kernelspec"]["name"] = kernel
    return nb


def cases(course, port):
    gradebook, source = course / "gradebook.db", course / "source" / "optimizers" / "optimizers.ipynb"
    spy = f"""
import os
found = []
for p in [{str(gradebook)!r}, {str(source)!r}, "../../../source", {str(course)!r}, {str(ROOT)!r} + "/assignments",
          {str(ROOT / "lectures_lib" / "optim" / "rprop.py")!r}, {str(course / "source" / "optimizers" / "autograde")!r}]:
    try:
        found.append(os.listdir(p) if os.path.isdir(p) else open(p, "rb").read(10))
    except OSError:
        pass
if found:
    del Rprop  # a leak would cost points, so the score shows it
raise FileNotFoundError("nothing to spy on")
"""
    return {
        "victim": (build, {}, FULL, "graded"),
        "patches_numpy_and_builtins": (build, dict(
            solutions={"rprop": WRONG["rprop_no_backtracking"][1]},
            cells=[("end", "np.allclose = lambda *a, **k: True\nnp.isclose = np.allclose\nnp.array_equal = np.allclose\n"
                           "import builtins\nbuiltins.abs = lambda x: 0.0")]), FULL - 4, "graded"),
        "replaces_the_grader": (build, dict(
            solutions={"rprop": WRONG["rprop_no_backtracking"][1]},
            cells=[("end", "from autograder import collect, judge\n"
                           "judge.judge = lambda *a, **k: {}\ncollect.Collector = lambda *a, **k: None")]),
            FULL - 4, "graded"),
        "ipython_hooks": (build, dict(
            solutions={"nesterov": WRONG["nesterov_gradient_at_w"][1]},
            cells=[("end", "ip = get_ipython()\nip.set_custom_exc((BaseException,), lambda *a, **k: None)\n"
                           "ip.showtraceback = lambda *a, **k: None\n"
                           "ip.input_transformers_cleanup.append(lambda lines: ['pass\\n'])")]), FULL - 4, "graded"),
        "spies_on_course_files": (build, dict(cells=[("end", spy)]), FULL, "FileNotFoundError: nothing to spy on"),
        "rewrites_grades": (build, dict(cells=[("end", f"import sqlite3\ndb = sqlite3.connect({str(gradebook)!r})\n"
                                                       "db.execute('update grade set manual_score = 0')\ndb.commit()")]),
                            FULL, "OperationalError"),
        "writes_outside": (build, dict(cells=[("end", f"open({str(ROOT / 'lectures_lib' / 'hacked.py')!r}, 'w')"
                                                      ".write('x')")]), FULL, "OSError"),
        "duplicates_a_test_cell": (build, dict(duplicate=["rprop_growth"]), FULL, "test cell 'rprop_growth' was duplicated"),
        "deletes_a_test_cell": (build, dict(delete=["nesterov_look_ahead"]), FULL,
                                "test cell 'nesterov_look_ahead' is missing"),
        "os_exit": (build, dict(cells=[("end", "import os\nos._exit(3)")]), FULL, "died (exit code 3)"),
        "ignores_sigint_and_loops": (build, dict(cells=[("end", "import signal\nfor s in (signal.SIGINT, signal.SIGTERM):\n"
                                                                "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass")]),
                                     FULL, "timed out"),
        "sleeps": (build, dict(cells=[("end", "import time\ntime.sleep(3600)")]), FULL, "timed out"),
        "out_of_memory": (build, dict(cells=[("end", "x = bytearray(64 * 2**30)")]), FULL, "out of memory"),
        "huge_output_line": (build, dict(cells=[("end", "print('x' * 20_000_000)")]), FULL, "graded"),
        "warnings_on_stderr": (build, dict(cells=[("before:nesterov_solution",
                                                   "import sys, warnings\nprint('noise', file=sys.stderr)\n"
                                                   "warnings.warn('careful')\nnp.log(np.zeros(1))")],
                                           solutions={"nesterov": CORRECT["nesterov"].replace(
                                               "        return w + dw", "        np.log(np.zeros(1))\n        return w + dw")}),
                               FULL, "graded"),
        "leaves_processes_behind": (build, dict(cells=[("end", "import os, subprocess, time\n"
                                                               "subprocess.Popen(['sleep', '600'], start_new_session=True)\n"
                                                               "if os.fork() == 0:\n    os.setsid()\n    time.sleep(600)")]),
                                    FULL, "graded"),
        "fork_bomb": (build, dict(cells=[("end", "import os\npids = []\nfor _ in range(500):\n    pid = os.fork()\n"
                                                 "    if pid == 0:\n        import time; time.sleep(60); os._exit(0)\n"
                                                 "    pids.append(pid)")]), FULL, "BlockingIOError"),
        "syntax_error": (build, dict(solutions={"nesterov": "class Nesterov(:\n    pass"}), FULL - 10, "SyntaxError"),
        "sys_exit": (build, dict(cells=[("end", "import sys\nsys.exit(1)")]), FULL, "graded"),
        "asks_for_input": (build, dict(cells=[("end", "name = input('your name? ')")]), FULL, "EOFError"),
        "infinite_loop_in_step": (build, dict(solutions={"rprop": CORRECT["rprop"].replace(
            "        g = objective.grad(w)", "        while True:\n            pass")}), FULL - 12, "in checking rprop"),
        "wrong_kernelspec": (build, dict(kernel="julia-1.9"), FULL, "kernelspec 'julia-1.9' ignored"),
        "nan_results": (build, dict(solutions={"nesterov": CORRECT["nesterov"].replace(
            "return w + dw,", "return w + dw * np.nan,")}), FULL - 2, "graded"),  # ΔW right, W NaN
        "missing_solution_cell": (build, dict(delete=["quickprop_solution"]), FULL - 10,
                                  "solution cell 'quickprop_solution' is missing"),
        "network": (build, dict(cells=[("end", f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)"
                                               "\nsocket.create_connection(('1.1.1.1', 53), timeout=2)")]),
                    FULL, "ConnectionRefusedError"),
        "invalid_json": (None, None, "FAILED", "failed: optimizers.ipynb is not a readable notebook"),
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = released_course(tmp_path_factory.mktemp("hostile") / "course")
    release = course / "release" / "optimizers" / "optimizers.ipynb"
    listener = socket.create_server(("127.0.0.1", 0))  # a host service the sandbox must not reach
    connections = []
    threading.Thread(target=lambda: connections.append(listener.accept()), daemon=True).start()
    table = cases(course, listener.getsockname()[1])
    for student, (make, kwargs, _, _) in table.items():
        folder = course / "submitted" / student / "optimizers"
        folder.mkdir(parents=True)
        if make is None:
            (folder / "optimizers.ipynb").write_text("{not json")
        else:
            nbformat.write(make(release, **kwargs), folder / "optimizers.ipynb")
    run = subprocess.run([str(CLI), str(course), "--jobs", "2", "--timeout", "10"],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    with open(course / "autograde-report.csv") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    listener.close()
    return course, table, rows, connections, run.stdout


def test_there_are_at_least_twenty_hostile_cases_and_a_victim(graded):
    _, table, rows, _, _ = graded
    assert len(table) - 1 >= 20 and set(rows) == set(table)


@pytest.mark.parametrize("student", [
    "victim", "patches_numpy_and_builtins", "replaces_the_grader", "ipython_hooks", "spies_on_course_files",
    "rewrites_grades", "writes_outside", "duplicates_a_test_cell", "deletes_a_test_cell", "os_exit",
    "ignores_sigint_and_loops", "sleeps", "out_of_memory", "huge_output_line", "warnings_on_stderr",
    "leaves_processes_behind", "fork_bomb", "syntax_error", "sys_exit", "asks_for_input", "infinite_loop_in_step",
    "wrong_kernelspec", "nan_results", "missing_solution_cell", "network", "invalid_json"])
def test_each_submission_gets_its_score_and_reason(graded, student):
    _, table, rows, _, _ = graded
    _, _, score, reason = table[student]
    row = rows[student]
    expected = score if isinstance(score, str) else f"{score:g}"
    assert row["score"] == expected, f"{student}: {row}"
    assert reason in row["status"], f"{student}: {row['status']}"


def test_the_victim_keeps_full_marks_in_the_gradebook(graded):
    from nbgrader.api import Gradebook

    course = graded[0]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        sub = gb.find_submission("optimizers", "victim")
        assert sub.score == FULL and all(g.manual_score is None for nb in sub.notebooks for g in nb.grades)


def test_nothing_escaped(graded):
    course, _, _, connections, _ = graded
    assert connections == [], "a sandbox reached a service on the host"
    assert not (ROOT / "lectures_lib" / "hacked.py").exists()
    assert sandbox_processes() == []


def test_a_failure_is_marked_not_shown_as_zero(graded):
    _, _, rows, _, out = graded
    assert rows["invalid_json"]["score"] == "FAILED"
    assert "could not be graded" in out


class FakeSession:
    """A sandbox whose student process answers with junk: cells, classes and replies."""

    def __init__(self, cells, classes, replies):
        self.cells, self.classes, self.replies, self.alive = cells, classes, iter(replies), True

    def __call__(self, job, uid, limits, hide=(), scenarios=None):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def run_cells(self):
        return "", ""

    def begin(self, part):
        pass

    def call(self, request):
        return next(self.replies)


def grade_with(monkeypatch, tmp_path, session):
    from autograder import parts, pipeline, sandbox
    from autograder.spec import Spec

    monkeypatch.setattr(sandbox, "Session", session)
    source = ROOT / "assignments" / "source" / "optimizers" / "optimizers.ipynb"
    (tmp_path / "optimizers.ipynb").write_text(source.read_text())
    spec = Spec.read(source)
    return spec, pipeline.grade(spec, parts.load(source.parent), "mallory", tmp_path / "optimizers.ipynb", 61099,
                                sandbox.Limits())


def test_mangled_replies_are_a_reason_not_a_crash(monkeypatch, tmp_path):
    junk = [5, "x", {"w": [[1, 2]], "state": {}}, {"raised": 7}, None, {"w": "abc", "state": []}] * 20000
    classes = {"rprop": "", "quickprop": "no class Quickprop was defined", "nesterov": ""}
    spec, result = grade_with(monkeypatch, tmp_path, FakeSession([], classes, junk))
    assert sum(result.scores.values()) == 0 and not result.failed and set(result.messages) == set(spec.grades)
    assert result.messages["quickprop_secant"] == "no class Quickprop was defined"


def test_result_files_of_the_wrong_shape_are_not_trusted(monkeypatch, tmp_path):
    spec, result = grade_with(monkeypatch, tmp_path, FakeSession("junk", [1, 2], []))
    assert sum(result.scores.values()) == 0 and set(result.messages) == set(spec.grades)
