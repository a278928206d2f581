"""One student's run, isolated with what Debian and Linux already provide.

Every run gets a fresh scratch folder holding only its job file and its results, seen inside as
/grading, and runs under bubblewrap (``bwrap``) as a throwaway user id, with these limits; each
line says what it defends against:

- mount namespace, only system folders, Python, the venv and ``lectures_lib`` mounted read-only,
  with its reference optimizers hidden: no path to the course folder, the source notebooks, the
  gradebook, other students' work, or an implementation to wrap;
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

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import lectures_lib


@dataclass(frozen=True)
class Limits:
    cell_seconds: float = 60.0
    notebook_seconds: float = 300.0
    memory_bytes: int = 2 << 30
    processes: int = 64
    file_bytes: int = 16 << 20
    output_bytes: int = 64 << 10
    open_files: int = 256


@dataclass
class Run:
    """What came out of one sandboxed run."""

    cells: list = field(default_factory=list)  # per cell: id, output, error (or skipped)
    collected: dict = field(default_factory=dict)  # per part: the student's steps, or a message
    stopped_at: str = ""  # where the run ended early ("" if it finished)
    why: str = ""  # "timed out", "died (exit code 1)", ...


def available() -> bool:
    """Whether bubblewrap, setpriv and prlimit are installed (Debian: bubblewrap, util-linux)."""
    return all(shutil.which(t) for t in ("bwrap", "setpriv", "prlimit")) and os.geteuid() == 0


def _system_mounts():
    # /tmp first: a tmpfs mounted after the binds would hide a venv or checkout that lives in /tmp
    args = ["--perms", "1777", "--tmpfs", "/tmp"]
    for top in ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib64"):
        p = Path(top)
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), top]
        elif p.exists():
            args += ["--ro-bind", top, top]
    paths = sorted({sys.base_prefix, sys.prefix, str(Path(lectures_lib.__file__).parent)})
    parents = sorted({str(a) for p in paths for a in Path(p).parents if str(a) != "/"}, key=len)
    for d in parents:  # bwrap would make them 0700, closed to the throwaway uid
        args += ["--perms", "0755", "--dir", d]
    for path in paths:
        args += ["--ro-bind", path, path]
    package = Path(lectures_lib.__file__).parent  # the reference optimizers stay out of reach
    return args + ["--tmpfs", str(package / "optim"), "--ro-bind", "/dev/null", str(package / "examples.py")]


def command(scratch: Path, uid: int, limits: Limits):
    """bwrap -> prlimit -> setpriv -> python -m lectures_lib.grading.runner /grading."""
    return ["bwrap", *_system_mounts(),
            "--dev", "/dev", "--proc", "/proc", "--bind", str(scratch), "/grading",
            "--chdir", "/grading", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--",
            "prlimit", f"--as={limits.memory_bytes}", f"--nproc={limits.processes}", f"--fsize={limits.file_bytes}",
            f"--nofile={limits.open_files}", f"--cpu={int(limits.notebook_seconds) + 5}", "--core=0", "--",
            "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all", "--no-new-privs", "--",
            sys.executable, "-I", "-m", "lectures_lib.grading.runner", "/grading"]


ENV = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp",
       "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1",
       "LANG": "C.UTF-8"}


def run(job: dict, uid: int, limits: Limits = Limits()) -> Run:
    """Run ``job`` (see ``runner``) once in a fresh sandbox as ``uid``; never raises for student faults."""
    scratch = Path(tempfile.mkdtemp(prefix="lectures-grade-"))
    logs = Path(tempfile.mkdtemp(prefix="lectures-grade-log-"))
    try:
        (scratch / "job.json").write_text(json.dumps({**job, "max_output": limits.output_bytes}))
        os.chown(scratch, uid, uid)
        os.chown(scratch / "job.json", uid, uid)
        env = {**ENV, "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "")}
        with open(logs / "out", "wb") as out:
            proc = subprocess.Popen(command(scratch, uid, limits), stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, env=env, start_new_session=True)
            stopped_at, why = _watch(proc, scratch / "status", limits)
        _kill_uid(uid)
        return _read(scratch, stopped_at, why, logs / "out")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(logs, ignore_errors=True)


def _watch(proc, status_file, limits):
    start = last_change = time.monotonic()
    at = "start"
    while True:
        code = proc.poll()
        now = time.monotonic()
        try:
            current = json.loads(status_file.read_text()).get("at", at)
        except (OSError, ValueError):
            current = at
        if current != at:
            at, last_change = current, now
        if code is not None:
            if at == "done":
                return "", ""
            how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
            return at, f"died ({how})"
        if now - last_change > limits.cell_seconds or now - start > limits.notebook_seconds:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            limit = limits.cell_seconds if now - last_change > limits.cell_seconds else limits.notebook_seconds
            return at, f"timed out (more than {limit:g} s)"
        time.sleep(0.02)


def _kill_uid(uid):
    """SIGKILL every process still running as ``uid`` (forks that escaped the session)."""
    for _ in range(3):
        found = False
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                if proc.stat().st_uid == uid:
                    os.kill(int(proc.name), signal.SIGKILL)
                    found = True
            except (OSError, ProcessLookupError):
                pass
        if not found:
            return
        time.sleep(0.05)


def _read(scratch, stopped_at, why, log):
    run = Run(stopped_at=stopped_at, why=why)
    for name, attr in (("cells.json", "cells"), ("collected.json", "collected")):
        path = scratch / name
        try:
            if path.is_file() and path.stat().st_size < (64 << 20):
                setattr(run, attr, json.loads(path.read_text()))
        except (OSError, ValueError):
            pass  # a student may have overwritten it: then there is nothing to grade from it
    if run.why and not run.cells and log.exists():
        lines = log.read_bytes()[-2000:].decode("utf8", "replace").strip().splitlines()
        run.why += f": {lines[-1]}" if lines else ""
    return run
