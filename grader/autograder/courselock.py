"""One grading run per course at a time: an exclusive lock on ``COURSE/.autograde.lock``, which
says which run holds it (pid, host, start time). The lock is the kernel's (``flock``): a run that
is killed releases it, so it can never be left stale."""
from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import time
from pathlib import Path

NAME = ".autograde.lock"


class Busy(Exception):
    """Another run holds the course."""


@contextlib.contextmanager
def hold(course: Path, wait: bool):
    """Hold the course's lock for the ``with`` block; wait for it, or raise ``Busy`` at once."""
    path = Path(course) / NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        owner = os.stat(course)
        if os.geteuid() == 0 and os.fstat(fd).st_uid != owner.st_uid:  # the formgrader, run by the owner, opens it too
            os.fchown(fd, owner.st_uid, owner.st_gid)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "unknown"
            if not wait:
                raise Busy(f"another grading run ({holder}) holds {path}; run again when it ends, "
                           "or with --wait") from None
            print(f"waiting for the grading run ({holder}) that holds {path}", flush=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}, started {time.strftime('%H:%M')}".encode(), 0)
        yield
    finally:
        os.close(fd)
