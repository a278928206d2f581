"""One student's run, isolated with what Debian and Linux already provide.

Every run gets a fresh scratch folder holding only its job file and its results, seen inside as
/grading, and runs under bubblewrap (``bwrap``) as a throwaway user id, with these limits; each
line says what it defends against:

- mount namespace, only system folders, Python, the venv, ``lectures_lib`` and this package
  mounted read-only, with the reference code the homework's parts declare (``Part.hide``)
  hidden, and the assignment's problems (``scenarios.py``) at /problems: no path to the course
  folder, the source notebooks, the gradebook, other students' work, or an implementation to wrap;
- network namespace with no interfaces: no network at all;
- PID namespace, ``--die-with-parent``, a session of its own, and a kill of every process of the
  throwaway uid afterwards: nothing a student starts (forks, daemons) outlives the run;
- a throwaway uid per job slot, not root: RLIMIT_NPROC applies (fork bombs stop at ``processes``)
  and no file outside the scratch folder is writable;
- RLIMIT_AS (``memory_bytes``): a runaway allocation raises MemoryError instead of taking the
  machine; RLIMIT_FSIZE (``file_bytes``): no file, stdout included, fills the disk;
- RLIMIT_CPU and wall-clock watchdogs per cell and per notebook (SIGKILL, which no handler can
  ignore): infinite loops and sleeps end, and the grader knows in which cell;
- output kept per cell is capped in bytes (``output_bytes``), so one 20 MB line cannot swamp
  the feedback.
"""
from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import importlib.util

import lectures_lib

import autograder

from . import uids


@dataclass(frozen=True)
class Limits:
    cell_seconds: float = 60.0
    notebook_seconds: float = 300.0
    memory_bytes: int = 2 << 30
    processes: int = 64
    file_bytes: int = 16 << 20
    output_bytes: int = 64 << 10
    open_files: int = 256


def available() -> bool:
    """Whether bubblewrap, setpriv and prlimit are installed (Debian: bubblewrap, util-linux)."""
    return all(shutil.which(t) for t in ("bwrap", "setpriv", "prlimit")) and os.geteuid() == 0


def _system_mounts(hide=()):
    # /tmp first: a tmpfs mounted after the binds would hide a venv or checkout that lives in /tmp
    args = ["--perms", "1777", "--tmpfs", "/tmp"]
    for top in ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib64"):
        p = Path(top)
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), top]
        elif p.exists():
            args += ["--ro-bind", top, top]
    paths = sorted({sys.base_prefix, sys.prefix, *(str(Path(m.__file__).parent) for m in (lectures_lib, autograder))})
    parents = sorted({str(a) for p in paths for a in Path(p).parents if str(a) != "/"}, key=len)
    for d in parents:  # bwrap would make them 0700, closed to the throwaway uid
        args += ["--perms", "0755", "--dir", d]
    for path in paths:
        args += ["--ro-bind", path, path]
    return args + [arg for module in hide for arg in _hidden(module)]


def _hidden(module):
    """Mount arguments that hide ``module``: an empty folder over a package, /dev/null over a file."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        raise ValueError(f"the module {module!r} to hide in the sandbox cannot be found")
    if spec.submodule_search_locations:
        return ["--tmpfs", str(Path(spec.origin).parent)]
    return ["--ro-bind", "/dev/null", spec.origin]


def command(scratch: Path, uid: int, limits: Limits, hide=(), scenarios=None):
    """bwrap -> prlimit -> setpriv -> python -m autograder.runner /grading."""
    problems = ["--perms", "0755", "--dir", str(Path(PROBLEMS).parent), "--ro-bind", str(scenarios), PROBLEMS] \
        if scenarios else []
    return ["bwrap", *_system_mounts(hide), *problems,
            "--dev", "/dev", "--proc", "/proc", "--bind", str(scratch), "/grading",
            "--chdir", "/grading", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--",
            "prlimit", f"--as={limits.memory_bytes}", f"--nproc={limits.processes}", f"--fsize={limits.file_bytes}",
            f"--nofile={limits.open_files}", f"--cpu={int(limits.notebook_seconds) + 5}", "--core=0", "--",
            "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all", "--no-new-privs", "--",
            sys.executable, "-I", "-m", "autograder.runner", "/grading"]


PROBLEMS = "/problems/scenarios.py"  # where the assignment's problems are seen inside


# LECTURES_LIB_JIT=0: lectures_lib's optimizers run their numpy kernels and never import numba
# (whose compilation would count against a student's cell time).
ENV = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp",
       "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1",
       "LANG": "C.UTF-8", "LECTURES_LIB_JIT": "0"}


class Session:
    """One sandboxed run of ``job`` (see ``runner``) as ``uid``: ``run_cells()``, then
    ``call(request)`` as often as the judge needs, then ``close()``. Never raises for student
    faults: a run that dies or hangs is reported by ``run_cells`` or as ``checks.Stopped``."""

    MAX_REPLY = 16 << 20  # bytes of one reply line

    def __init__(self, job: dict, uid: int, limits: Limits = Limits(), hide=(), scenarios=None):
        self.uid, self.limits, self.cells, self.classes = uid, limits, [], {}
        self.scratch, self.log = uids.scratch(uid)
        (self.scratch / "job.json").write_text(json.dumps({**job, "max_output": limits.output_bytes}))
        os.chown(self.scratch, uid, uid)
        os.chown(self.scratch / "job.json", uid, uid)
        env = {**ENV, "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "")}
        with open(self.log / "out", "wb") as out:
            self.proc = subprocess.Popen(command(self.scratch, uid, limits, hide, scenarios), stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=out, env=env, start_new_session=True)
        self.start, self.buffer, self.used = time.monotonic(), b"", 0.0
        os.set_blocking(self.proc.stdout.fileno(), False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def run_cells(self):
        """Run the student's cells: ("", "") when done, else (where it stopped, why)."""
        last_change, at = time.monotonic(), "start"
        while True:
            line = self._line(0.02)
            if line is not None:
                ready = _json(line)
                self.classes = ready.get("classes", {}) if isinstance(ready, dict) else {}
                self.cells = _read_json(self.scratch / "cells.json")
                return "", ""
            now = time.monotonic()
            try:
                current = json.loads((self.scratch / "status").read_text()).get("at", at)
            except (OSError, ValueError, AttributeError):
                current = at
            if current != at:
                at, last_change = current, now
            code = self.proc.poll()
            if code is not None and not self._more():
                self.cells = _read_json(self.scratch / "cells.json")
                how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
                return at, self._why(f"died ({how})")
            if now - last_change > self.limits.cell_seconds or now - self.start > self.limits.notebook_seconds:
                limit = self.limits.cell_seconds if now - last_change > self.limits.cell_seconds else \
                    self.limits.notebook_seconds
                self.kill()
                self.cells = _read_json(self.scratch / "cells.json")
                return at, f"timed out (more than {limit:g} s)"

    def begin(self, part):
        """Start the clock of one part: all its steps share one cell's time limit, counted while
        the student's side is answering (the judge's own work between requests is not)."""
        self.part, self.used = part, 0.0

    def call(self, request: dict) -> dict:
        """Send one request of the current part and wait for its reply (``checks.Stopped`` if none comes)."""
        from .judge import Stopped

        if self.proc.poll() is not None:
            raise Stopped(self._why("died"))
        try:
            self.proc.stdin.write((json.dumps({**request, "part": self.part}) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self.kill()
            raise Stopped(self._why("died")) from None
        now = time.monotonic()
        part_end = now + self.limits.cell_seconds - self.used
        end = min(part_end, self.start + self.limits.notebook_seconds)
        line = self._line(max(end - now, 0.0), until=end)
        self.used += time.monotonic() - now
        if line is None:
            code = self.proc.poll()
            self.kill()
            if code is not None:
                how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
                raise Stopped(self._why(f"died ({how})"))
            limit = self.limits.cell_seconds if end == part_end else self.limits.notebook_seconds
            raise Stopped(f"timed out (more than {limit:g} s)")
        return _json(line)

    @property
    def alive(self):
        return self.proc.poll() is None

    def _line(self, timeout, until=None):
        """The next complete line from the runner within ``timeout`` s, or None."""
        until = until if until is not None else time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = until - time.monotonic()
            if left < 0 or len(self.buffer) > self.MAX_REPLY:
                return None
            ready, _, _ = select.select([self.proc.stdout], [], [], min(left, 0.05))
            if ready:
                chunk = self._more()
                if chunk == b"" and self.proc.poll() is not None:
                    return None
            elif self.proc.poll() is not None and not self._more():
                return None
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line

    def _more(self):
        try:
            chunk = os.read(self.proc.stdout.fileno(), 1 << 20)
        except BlockingIOError:
            return None
        self.buffer += chunk
        return chunk

    def _why(self, why):
        lines = (self.log / "out").read_bytes()[-2000:].decode("utf8", "replace").strip().splitlines() \
            if (self.log / "out").exists() else []
        return why + (f": {lines[-1]}" if lines and not self.cells else "")

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()

    def close(self):
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.kill()
        _kill_uid(self.uid)
        shutil.rmtree(self.scratch, ignore_errors=True)
        shutil.rmtree(self.log, ignore_errors=True)


def _json(line):
    try:
        return json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None


def _read_json(path):
    """A result file the student's process could write: read it if it is small and parses."""
    try:
        if path.is_file() and path.stat().st_size < (64 << 20):
            return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    return []


def _kill_uid(uid):
    """SIGKILL every live process of ``uid`` (forks that escaped the session), until none is left
    (a process forking while we scan is caught on a later pass; zombies are not waited for)."""
    for _ in range(40):
        pids = [pid for pid, owner in uids.live_processes() if owner == uid]
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)
