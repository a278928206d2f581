"""Runs inside the sandbox: a student's cells, then answers to the judge's requests, one at a time.

    python -m autograder.runner DIR

reads DIR/job.json ({"cells": [{"id", "source"}], "parts": {part: class name}, "problems":
{part: function of the assignment's scenarios.py}, "skip": [...], "max_output": bytes}), runs each cell in an IPython shell (magics work; no kernel, no network),
writes DIR/status before every cell (so the grader outside can tell where a run died or hung) and
DIR/cells.json after every cell. Then it says on stdout which parts have a class
(``{"classes": {part: ""}}`` or the reason there is none) and answers one JSON line on stdin with
one JSON line on stdout (``collect.Collector``) until stdin closes. The job holds no reference
input or output: the judge sends each step's input only after it has read the previous answer.
Nothing here decides a grade.
"""
from __future__ import annotations

import io
import json
import os
import signal
import sys
import time
from builtins import BaseException, isinstance, len, type  # noqa: A004 - our own references
from pathlib import Path


class _Bounded(io.TextIOBase):
    """A stream that keeps the first ``limit`` bytes and counts the rest."""

    def __init__(self, limit):
        self.limit, self.parts, self.kept, self.dropped = limit, [], 0, 0

    def writable(self):
        return True

    def write(self, text):
        n = len(text.encode("utf8", "replace"))
        room = self.limit - self.kept
        if n <= room:
            self.parts.append(text)
            self.kept += n
        else:
            self.parts.append(text.encode("utf8", "replace")[:max(room, 0)].decode("utf8", "ignore"))
            self.kept, self.dropped = self.limit, self.dropped + n - max(room, 0)
        return len(text)

    def value(self):
        tail = f"\n[output truncated: {self.dropped} more bytes]" if self.dropped else ""
        return "".join(self.parts) + tail


_dumps, _time, _exit = json.dumps, time.time, os._exit
_open, _write, _close, _O = os.open, os.write, os.close, os.O_WRONLY | os.O_CREAT | os.O_TRUNC


def _save(path, text):
    """Write a result file with references taken before any student code ran."""
    fd = _open(path, _O, 0o644)
    try:
        _write(fd, text.encode("utf8", "replace"))
    finally:
        _close(fd)


def main(folder: str) -> None:
    d = folder.rstrip("/")
    job = json.loads(Path(d, "job.json").read_text())
    # the judge's channel on private descriptors; fd 0 and 1 of student code see nothing of it
    requests, replies = os.fdopen(os.dup(0), "rb"), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)

    def mark(what):
        _save(f"{d}/status", _dumps({"at": what, "since": _time()}))

    mark("start")
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write fails instead of killing us
    from autograder import collect, parts, sandbox  # no reference optimizer here: not mounted

    Collector, answer = collect.Collector, collect.answer  # taken before student code could replace them
    problems = {part: parts.problems_from_file(sandbox.PROBLEMS, job["problems"][part])  # built before it too
                for part in job["parts"]}

    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance(colors="NoColor")
    results, skip = [], set(job.get("skip", []))
    real_out, real_err = sys.stdout, sys.stderr
    for cell in job["cells"]:
        if cell["id"] in skip:
            results.append({"id": cell["id"], "skipped": True})
            continue
        mark(cell["id"])
        buf = _Bounded(job["max_output"])
        sys.stdout = sys.stderr = buf
        try:
            outcome = shell.run_cell(cell["source"], store_history=False, silent=False)
            error = outcome.error_before_exec or outcome.error_in_exec
        except BaseException as exc:  # noqa: BLE001 - SystemExit and friends from student code
            error = exc
        finally:
            sys.stdout, sys.stderr = real_out, real_err
        results.append({"id": cell["id"], "output": buf.value(),
                        "error": f"{type(error).__name__}: {error}" if error is not None else ""})
        _save(f"{d}/cells.json", _dumps(results))
    mark("collect")
    collectors, classes = {}, {}
    for part, name in job["parts"].items():
        cls = shell.user_ns.get(name)
        classes[part] = "" if isinstance(cls, type) else f"no class {name} was defined"
        if isinstance(cls, type):
            collectors[part] = Collector(cls, problems[part])
    _send(replies, {"classes": classes})
    for line in iter(requests.readline, b""):
        request = _loads(line)
        sys.stdout = sys.stderr = _Bounded(0)  # what a step prints goes nowhere
        try:
            reply = answer(lambda r: collectors[r["part"]](r), request)
        finally:
            sys.stdout, sys.stderr = real_out, real_err
        _send(replies, reply)
    _exit(0)  # skip interpreter teardown: student objects' __del__ must not run after this


_loads = json.loads


def _send(fd, message):
    try:
        text = _dumps(message)
    except BaseException:  # noqa: BLE001 - a reply built from student objects
        text = _dumps({"raised": "your step returned something that is not numbers"})
    data = (text + "\n").encode("utf8", "replace")
    while data:
        data = data[_write(fd, data):]


if __name__ == "__main__":
    main(sys.argv[1])
