"""Throwaway user ids for the sandboxes: one per job slot, never shared by two runs on a machine.

The sandbox kills every process of its uid after a run, so two concurrent grading runs (or two
workers) must never hold the same one: each holds an exclusive lock on its uid's file for as long
as it uses it.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from pathlib import Path

FIRST_UID, COUNT = 61000, 1000

_held = None  # (uid, fd) claimed for this worker process's whole life


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


def _claim():
    locks = Path(tempfile.gettempdir()) / "lectures-lib-uids"
    locks.mkdir(exist_ok=True)
    for uid in range(FIRST_UID, FIRST_UID + COUNT):
        fd = os.open(locks / f"{uid}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        return uid, fd
    raise RuntimeError("no free throwaway uid for the grading sandbox")
