"""Throwaway user ids for the sandboxes and their scratch folders, never shared by two runs.

Each uid is held under an exclusive lock on its file for as long as a worker uses it (the
sandbox kills every process of its uid after a run). The uids come from 1 900 000 000 on, in
the range systemd leaves unused (0x70000000-0x7FFDFFFF: above its container ranges, below its
"foreign" range; far above Debian's 60000-64999 and systemd's DynamicUser 61184-65519), and one
is used only when no account, group, subordinate-id range (/etc/subuid, /etc/subgid) or running
process has it. Locks and scratch folders live in a root-owned 0700 directory (``STATE``),
opened without following symlinks; a uid's scratch folder left by a killed run is removed when
the uid is next claimed, and ``clean()`` removes every one no live run holds.
"""
from __future__ import annotations

import contextlib
import fcntl
import grp
import os
import pwd
import shutil
import stat
from pathlib import Path

FIRST_UID, COUNT = 1_900_000_000, 1000
STATE = Path("/run/autograder")  # uids/<uid>.lock, scratch/<uid>/ and scratch/<uid>.log/
SUBORDINATE = ("/etc/subuid", "/etc/subgid")

_held = None  # (uid, fd) claimed for this worker process's whole life


class StateError(RuntimeError):
    """STATE cannot be used safely (it is not a root-owned 0700 directory, or cannot be made one)."""


@contextlib.contextmanager
def claim():
    """A uid for the duration of a ``with`` block."""
    uid, fd = _claim()
    try:
        yield uid
    finally:
        os.close(fd)


def worker_uid() -> int:
    """The uid of this worker process, claimed on first use and held until it exits."""
    global _held
    if _held is None:
        _held = _claim()
    return _held[0]


def scratch(uid: int) -> tuple[Path, Path]:
    """The uid's two scratch folders, the sandbox's and its log's, empty (under the uid's lock)."""
    base = Path(_directory("scratch"))
    folders = base / str(uid), base / f"{uid}.log"
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(mode=0o700)
    return folders


def clean():
    """Remove the scratch folders of every uid no live run holds (left by runs that were killed)."""
    locks, scratches = _directory("uids"), Path(_directory("scratch"))
    for name in os.listdir(scratches):
        with contextlib.suppress(OSError):
            fd = _lock(locks, f"{name.split('.')[0]}.lock")
            shutil.rmtree(scratches / name, ignore_errors=True)
            os.close(fd)


def _claim():
    locks, ranges = _directory("uids"), _subordinate_ranges()
    busy = {uid for _, uid in live_processes()}
    for uid in range(FIRST_UID, FIRST_UID + COUNT):
        if uid in busy or _has_account(uid) or any(a <= uid < b for a, b in ranges):
            continue
        try:
            fd = _lock(locks, f"{uid}.lock")
        except BlockingIOError:
            continue
        for leftover in (str(uid), f"{uid}.log"):  # of a killed run that held this uid
            shutil.rmtree(Path(_directory("scratch")) / leftover, ignore_errors=True)
        return uid, fd
    raise RuntimeError(f"no free throwaway uid in {FIRST_UID}-{FIRST_UID + COUNT - 1} for the grading sandbox")


def _lock(locks: str, name: str) -> int:
    """An exclusive lock on ``locks/name``, a file opened without following a symlink."""
    try:
        fd = os.open(os.path.join(locks, name), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:  # a symlink put in its place (ELOOP), ...
        raise StateError(f"cannot open the lock {os.path.join(locks, name)}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise
    return fd


def _directory(name: str) -> str:
    """``STATE/name``, made 0700; refused when it or STATE is a symlink, not ours, or open to others."""
    for path in (STATE, STATE / name):
        try:
            with contextlib.suppress(FileExistsError):
                os.mkdir(path, 0o700)
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as exc:  # a symlink (ELOOP), a missing or read-only /run, ...
            raise StateError(f"cannot use {path} for the sandboxes' locks and scratch folders: {exc.strerror}") from None
        info = os.fstat(fd)
        os.close(fd)
        if info.st_uid != os.geteuid() or stat.S_IMODE(info.st_mode) & 0o077:
            raise StateError(f"{path} must be a directory of uid {os.geteuid()} with mode 0700; it is uid "
                               f"{info.st_uid}, mode {stat.S_IMODE(info.st_mode):o}")
    return str(STATE / name)


def _has_account(uid: int) -> bool:
    """A user or a group with this id (the sandbox runs as uid:uid)."""
    for lookup in (pwd.getpwuid, grp.getgrgid):
        try:
            lookup(uid)
            return True
        except KeyError:
            pass
    return False


def _subordinate_ranges() -> list:
    """[start, end) of every range in /etc/subuid and /etc/subgid (rootless containers run there)."""
    ranges = []
    for table in SUBORDINATE:
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines():
                fields = line.strip().split(":")
                if len(fields) == 3 and fields[1].isdigit() and fields[2].isdigit():
                    ranges.append((int(fields[1]), int(fields[1]) + int(fields[2])))
    return ranges


def live_processes() -> list:
    """(pid, uid) of every process that is not a zombie (one that is still running)."""
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                    found.append((int(pid), os.stat(f"/proc/{pid}").st_uid))
    return found
