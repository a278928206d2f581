"""Root only where the sandbox needs it.

Starting and ending a sandbox needs root: a throwaway uid (``setpriv``), bubblewrap's
namespaces, the uid locks and scratch folders under /run/autograder. Everything that reads what
students submitted or writes what the instructor keeps (parsing notebooks, nbgrader's
conversions and its gradebook, the grading records, the report, feedback pages, the similarity
report) runs as the course folder's owner instead: ``run_as(user, fn, *args)`` forks, and the
child drops root for good (supplementary groups, then gid, then uid: real, effective and saved)
before it calls ``fn``. A course folder owned by root, or a run that is not root, has nothing to
drop: ``fn`` runs in this process.

The child's answer comes back as JSON, never as a pickle: a child taken over by a crafted
notebook can lie about its own result, but it cannot make root run code.
"""
from __future__ import annotations

import ctypes
import json
import os
import pwd
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from .spec import SpecError


@dataclass(frozen=True)
class User:
    uid: int
    gid: int
    groups: tuple = ()


def owner(course: Path) -> User | None:
    """The course folder's owner to drop to; None when there is nothing to drop (this process is
    not root, or the folder is root's)."""
    st = os.stat(course)
    if os.geteuid() != 0 or st.st_uid == 0:
        return None
    try:
        groups = tuple(os.getgrouplist(pwd.getpwuid(st.st_uid).pw_name, st.st_gid))
    except KeyError:  # a uid with no account: its own group only
        groups = (st.st_gid,)
    return User(st.st_uid, st.st_gid, groups)


_ERRORS = {"ValueError": ValueError, "SpecError": SpecError, "RuntimeError": RuntimeError}


def run_as(user: User | None, fn, *args):
    """``fn(*args)`` as ``user`` (see the module); its result must be JSON. An exception in it is
    raised here again (ValueError, SpecError and RuntimeError as themselves, others as RuntimeError
    naming their type)."""
    if user is None:
        return fn(*args)
    read, write = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; its effects are what the tests check
        code = 1
        try:
            os.close(read)
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the parent
            os.setgroups(list(user.groups))
            os.setresgid(user.gid, user.gid, user.gid)
            os.setresuid(user.uid, user.uid, user.uid)
            try:
                reply = {"value": fn(*args)}
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                reply = {"error": type(exc).__name__, "message": str(exc)}
            with os.fdopen(write, "w") as out:
                json.dump(reply, out)
            code = 0
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as answer:
        text = answer.read()
    _, status = os.waitpid(pid, 0)
    try:
        reply = json.loads(text)
    except ValueError:
        reply = None
    if not isinstance(reply, dict) or not ("value" in reply or {"error", "message"} <= reply.keys()):
        raise RuntimeError(f"{getattr(fn, '__name__', fn)} as uid {user.uid} gave no answer "
                           f"({_how(status)})")
    if "error" in reply:
        kind = _ERRORS.get(reply["error"])
        raise kind(reply["message"]) if kind else RuntimeError(f"{reply['error']}: {reply['message']}")
    return reply["value"]


def _how(status):
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"


WRITTEN = ("gradebook.db", "autograded", "autograde-records", "feedback", "release", "autograde-report.csv")


def check(user: User | None, course: Path):
    """Before grading as ``user``: everything it will write is its own (a run as root before left
    root's files), and it can read the Python it grades with. A ValueError saying what to do if not."""
    if user is None:
        return
    fix = f"chown -R {user.uid}:{user.gid} {course}"
    for name in WRITTEN:
        top = Path(course) / name
        for p in ([top, *top.rglob("*")] if top.is_dir() and not top.is_symlink() else [top] if os.path.lexists(top) else []):
            if p.lstat().st_uid != user.uid:
                raise ValueError(f"{p} belongs to uid {p.lstat().st_uid}, but grading writes it as the course "
                                 f"folder's owner (uid {user.uid}): {fix}")
    closed = run_as(user, _closed, sorted({sys.prefix, sys.base_prefix, str(Path(__file__).parent)}))
    if closed:
        raise ValueError(f"grading runs as the course folder's owner (uid {user.uid}), who cannot read {closed[0]}: "
                         "open the folders above it to them (chmod o+x), or grade a course folder root owns")


def _closed(paths):
    return [p for p in paths if not os.access(p, os.R_OK | os.X_OK)]
