"""Least privilege: root only to start sandboxes. A course folder owned by an ordinary user is
graded with nbgrader, the notebooks' parsing, the records and the report running as that user:
what they write is the user's, and a submission cannot make root read a file for it."""
import json
import os
import signal
import stat
import sys
from pathlib import Path

import pytest

from autograder import privilege
from homework.courses import autograde, course, report, submit

pytestmark = [pytest.mark.xdist_group("homework"), pytest.mark.sandbox]
OWNER = 4242  # a uid with no account, outside the throwaway range
USER = privilege.User(OWNER, OWNER, (OWNER,))


def test_the_child_drops_root_for_good_and_keeps_no_group():
    assert privilege.run_as(USER, os.getresuid) == [OWNER] * 3
    assert privilege.run_as(USER, os.getresgid) == [OWNER] * 3
    assert privilege.run_as(USER, os.getgroups) == [OWNER]
    assert os.getresuid() == (0, 0, 0)  # and this process is still root


def test_errors_come_back_by_kind_and_a_dead_child_is_named(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("root's")
    secret.chmod(0o600)
    with pytest.raises(RuntimeError, match="PermissionError"):
        privilege.run_as(USER, Path.read_text, secret)
    with pytest.raises(ValueError, match="bad value"):
        privilege.run_as(USER, _raise, ValueError("bad value"))
    with pytest.raises(RuntimeError, match="gave no answer .killed by signal 9"):
        privilege.run_as(USER, _die)
    with pytest.raises(RuntimeError, match="gave no answer .exit code 3"):
        privilege.run_as(USER, os._exit, 3)


def _die():
    os.kill(os.getpid(), signal.SIGKILL)


def _raise(exc):
    raise exc


def test_nothing_is_dropped_for_a_folder_root_owns(tmp_path):
    assert privilege.owner(tmp_path) is None
    assert privilege.run_as(None, os.getpid) == os.getpid()
    os.chown(tmp_path, OWNER, OWNER)
    assert privilege.owner(tmp_path) == USER


@pytest.fixture
def top(tmp_path):
    """A folder OWNER can reach, with the Python it grades with reachable too (a folder above
    the checkout or the temporary folder may be closed to others: opened for this test only)."""
    opened = []
    for d in {*Path(sys.prefix).resolve().parents, *Path(sys.base_prefix).resolve().parents, *Path(__file__).resolve().parents, tmp_path, *tmp_path.parents}:
        if not d.stat().st_mode & stat.S_IXOTH:
            opened.append((d, d.stat().st_mode))
            d.chmod(d.stat().st_mode | stat.S_IXOTH)
    try:
        yield tmp_path
    finally:
        for d, mode in opened:
            d.chmod(mode)


def test_an_owned_course_is_graded_as_its_owner(top):
    course_dir = course(top / "c")  # made by root, then given to OWNER
    for p in [course_dir, *course_dir.rglob("*")]:
        os.chown(p, OWNER, OWNER, follow_symlinks=False)
    submit(course_dir, "alice", "correct")
    secret = top / "root-only.ipynb"  # a notebook only root may read
    secret.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    secret.chmod(0o600)
    spy = course_dir / "submitted" / "mallory" / "optimizers"
    spy.mkdir(parents=True)
    (spy / "optimizers.ipynb").symlink_to(secret)
    for p in [course_dir / "submitted", *(course_dir / "submitted").rglob("*")]:
        os.chown(p, OWNER, OWNER, follow_symlinks=False)

    (course_dir / ".autograde.lock").unlink()  # made again by root: given to the owner, whose formgrader opens it
    autograde(course_dir, "--jobs", "2")

    scores = report(course_dir)
    assert float(scores["alice"]["score"]) == 32
    assert scores["mallory"]["score"] == "FAILED"
    record = json.loads((course_dir / "autograde-records" / "optimizers" / "mallory.json").read_text())
    assert "not a readable notebook (PermissionError)" in record["status"]
    written = [course_dir / "gradebook.db", course_dir / "autograde-report.csv", course_dir / ".autograde.lock",
               *(course_dir / "autograde-records").rglob("*"), *(course_dir / "autograded").rglob("*")]
    assert any(p.name == "optimizers.ipynb" for p in written) and len(written) > 6
    assert {p: p.lstat().st_uid for p in written if p.lstat().st_uid != OWNER} == {}
