"""Faults an instructor meets: two grading runs on one course at once, a run killed with SIGKILL
mid-batch (again and again, then finished), scratch folders a killed run left, and throwaway
uids that something else on the machine uses."""
import os
import signal
import subprocess
import time
from pathlib import Path

import nbformat
import pytest

from autograder import uids
from homework.courses import CLI, autograde, course, gradebook_fault_mid_submission, report, sandbox_processes, submit

pytestmark = [pytest.mark.xdist_group("homework"), pytest.mark.sandbox]
KINDS = ["correct", "rprop_no_backtracking", "nesterov_lr_twice", "quickprop_slides_sign", "rprop_swapped_etas",
         "nesterov_plain_momentum"]


def course_with_submissions(where: Path) -> Path:
    course(where)
    for i, kind in enumerate(KINDS):
        submit(where, f"s{i}_{kind}", kind)
    return where


def held_uids():
    """The throwaway uids some process holds the lock of."""
    held = []
    for lock in (uids.STATE / "uids").glob("*.lock"):
        try:
            os.close(uids._lock(str(lock.parent), lock.name))
        except BlockingIOError:
            held.append(lock.stem)
    return held


def wait_for(condition, seconds=120):
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    course = course_with_submissions(tmp_path_factory.mktemp("faults") / "clean")
    autograde(course, "--jobs", "2")
    return report(course)


def test_a_second_run_exits_at_once_and_one_that_waits_grades_right(clean_run, tmp_path):
    course = course_with_submissions(tmp_path / "c")
    slow = course / "submitted" / "slow" / "optimizers" / "optimizers.ipynb"  # holds the first run for 10 s
    submit(course, "slow", "correct")
    nb = nbformat.read(slow, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import time\ntime.sleep(10)"))
    nbformat.write(nb, slow)
    first = subprocess.Popen([str(CLI), str(course), "--jobs", "2"], stdout=subprocess.PIPE, text=True)
    lock = course / ".autograde.lock"
    wait_for(lambda: lock.exists() and f"pid {first.pid} " in lock.read_text())
    second = subprocess.Popen([str(CLI), str(course)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    waiting = subprocess.Popen([str(CLI), str(course), "--wait"], stdout=subprocess.PIPE, text=True)
    second_out, second_err = second.communicate(timeout=60)
    assert first.poll() is None, "the first run ended before the others asked for the lock: the test proves nothing"
    assert first.wait() == 0 and waiting.wait() == 0
    assert second.returncode == 75 and second_out == ""
    assert f"another grading run (pid {first.pid} on" in second_err and str(lock) in second_err
    out = waiting.stdout.read()
    assert f"waiting for the grading run (pid {first.pid} on" in out and "0 to grade" in out
    graded = report(course)
    assert graded.pop("slow")["score"] == "32" and graded == clean_run


def test_sigkill_mid_batch_again_and_again_then_finishing_gives_a_clean_runs_grades(clean_run, tmp_path):
    course = course_with_submissions(tmp_path / "c")
    records, before = course / "autograde-records" / "optimizers", set(Path("/tmp").iterdir())
    for kill in range(1, 4):
        run = subprocess.Popen([str(CLI), str(course), "--jobs", "2"], stdout=subprocess.DEVNULL)
        wait_for(lambda run=run, kill=kill: run.poll() is not None or len(list(records.glob("*.json"))) >= kill)
        run.send_signal(signal.SIGKILL)
        run.wait()
    wait_for(lambda: not sandbox_processes() and not held_uids(), 30)  # the killed runs' workers died too
    autograde(course, "--jobs", "2")
    assert report(course) == clean_run
    assert sandbox_processes() == []
    assert os.listdir(uids.STATE / "scratch") == []  # no student's code left behind
    new = set(Path("/tmp").iterdir()) - before
    assert [p for p in new if p.name.startswith("lectures-grade") or p.lstat().st_uid >= uids.FIRST_UID] == []


@pytest.fixture
def state(tmp_path, monkeypatch):
    """uids' lock and scratch directory in a folder of the test's, and a range of its own."""
    monkeypatch.setattr(uids, "STATE", tmp_path / "state")
    monkeypatch.setattr(uids, "FIRST_UID", 1_950_000_000)
    monkeypatch.setattr(uids, "COUNT", 3)
    monkeypatch.setattr(uids, "SUBORDINATE", ())
    return tmp_path / "state"


def test_a_uid_that_a_process_runs_as_is_never_used(state):
    sleeper = subprocess.Popen(["setpriv", f"--reuid={uids.FIRST_UID}", f"--regid={uids.FIRST_UID}", "--clear-groups",
                                "sleep", "60"])
    try:
        wait_for(lambda: os.stat(f"/proc/{sleeper.pid}").st_uid == uids.FIRST_UID, 10)
        with uids.claim() as uid:
            assert uid == uids.FIRST_UID + 1
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_uid_with_an_account_or_in_a_subordinate_range_is_never_used(state, monkeypatch, tmp_path):
    monkeypatch.setattr(uids, "FIRST_UID", 0)  # root, daemon, bin: every one has an account
    with pytest.raises(RuntimeError, match="no free throwaway uid in 0-2"):
        uids.claim().__enter__()
    monkeypatch.setattr(uids, "FIRST_UID", 1_950_000_000)
    (tmp_path / "subuid").write_text(f"someone:{uids.FIRST_UID}:2\n")
    monkeypatch.setattr(uids, "SUBORDINATE", (str(tmp_path / "subuid"),))
    with uids.claim() as uid:
        assert uid == uids.FIRST_UID + 2


def test_two_claims_never_share_a_uid(state):
    with uids.claim() as a, uids.claim() as b:
        assert a != b
        with uids.claim() as c:
            assert len({a, b, c}) == 3
            with pytest.raises(RuntimeError, match="no free throwaway uid"):
                uids.claim().__enter__()


def test_the_state_directory_must_be_ours_and_closed_and_no_symlink_is_followed(state, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    state.symlink_to(elsewhere)
    with pytest.raises(uids.StateError, match="cannot use .*state for the sandboxes. locks and scratch folders: Not a directory"):
        uids.claim().__enter__()
    state.unlink()
    state.mkdir(mode=0o755)
    with pytest.raises(uids.StateError, match="mode 0700; it is uid 0, mode 755"):
        uids.claim().__enter__()
    state.chmod(0o700)
    (state / "uids").mkdir(mode=0o700)
    (state / "uids" / f"{uids.FIRST_UID}.lock").symlink_to(tmp_path / "target")
    with pytest.raises(uids.StateError, match="cannot open the lock .*: Too many levels of symbolic links"):
        uids.claim().__enter__()
    assert not (tmp_path / "target").exists()


def test_scratch_a_killed_run_left_is_removed_unless_a_live_run_holds_it(state):
    with uids.claim() as held:
        work, log = uids.scratch(held)
        (work / "answer.py").write_text("student code")
        left = state / "scratch" / str(held + 1)  # a killed run's, its uid free now
        left.mkdir()
        (left / "answer.py").write_text("student code")
        uids.clean()
        assert (work / "answer.py").exists() and log.exists() and not left.exists()
    uids.clean()
    assert os.listdir(state / "scratch") == []


def test_nbgrader_autograde_and_the_formgrader_button_take_the_course_lock_too(tmp_path):
    """The formgrader's Autograde button is nbgrader's autograde with our SandboxGrade: it must not
    grade while a run holds the course, and must grade once it is free."""
    from nbgrader.api import Gradebook, MissingEntry

    from autograder import courselock

    where = course(tmp_path / "c")
    submit(where, "alice", "correct")
    nbgrader = [str(CLI.parent / "nbgrader"), "autograde", "optimizers", "--student", "alice", "--force"]
    with courselock.hold(where, wait=False):
        busy = subprocess.run(nbgrader, cwd=where, capture_output=True, text=True)
        assert "another grading run" in busy.stdout + busy.stderr, busy.stderr[-2000:]
        with Gradebook(f"sqlite:///{where / 'gradebook.db'}") as gb:
            try:
                assert gb.find_submission("optimizers", "alice").score == 0  # nothing was graded
            except MissingEntry:
                pass
    free = subprocess.run(nbgrader, cwd=where, capture_output=True, text=True)
    assert free.returncode == 0, free.stderr[-2000:]
    with Gradebook(f"sqlite:///{where / 'gradebook.db'}") as gb:
        assert gb.find_submission("optimizers", "alice").score == 32


def test_a_gradebook_fault_mid_submission_rolls_it_back_whole_and_the_next_run_grades_it_again(tmp_path):
    import sqlite3

    where = course(tmp_path / "c")

    def sql(statement):
        with sqlite3.connect(where / "gradebook.db") as con:
            con.execute(statement)

    gradebook_fault_mid_submission(
        where, f"sqlite:///{where / 'gradebook.db'}",
        lambda: sql("CREATE TRIGGER fault BEFORE UPDATE OF auto_comment ON comment "
                    "BEGIN SELECT RAISE(ABORT, 'injected fault'); END"),
        lambda: sql("DROP TRIGGER fault"))


def test_a_run_from_a_folder_with_a_lectures_lib_of_its_own_grades_with_the_installed_one(tmp_path):
    """A checkout of the course as the working folder (a lectures_lib of its own, here a copy of
    the installed one) must reach neither the workers nor the sandbox, which could not import it."""
    import shutil

    import lectures_lib

    where = course(tmp_path / "c")
    submit(where, "alice", "correct")
    checkout = tmp_path / "checkout"
    shutil.copytree(Path(lectures_lib.__file__).parent, checkout / "lectures_lib")
    run = subprocess.run([str(CLI), str(where), "--jobs", "2"], cwd=checkout, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert report(where)["alice"]["score"] == "32"
