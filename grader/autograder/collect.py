"""The student's side of grading: answer one request at a time with what the student's class does.

This is the only grading code that runs next to student code (in the sandbox, or in the notebook
for ``checks.check``). It holds no answer: it imports no reference optimizer and is given one
step's input per scenario at a time (``{"op": "step", "scenario": i, "w": ..., "state": ...}``, or a
``{"op": "batch", "requests": [...]}`` of such requests for different scenarios, answered in one
reply, to save round trips); the judge sends a scenario's next input only after it has read this
one's output, so nothing that could answer a step is anywhere in the student's process before the
step has been answered. Its integrity therefore
does not matter: student code that replaces these functions or writes on the channel can only
spoil its own answers.

Replies are plain data (lists, numbers, strings): the returned w and state and every point where
the student's step took a gradient, or what it raised.
"""
from __future__ import annotations

import warnings
# Student code runs in this process after this module is imported: take our own references to
# every builtin and numpy function used here, so redefining np.asarray, builtins.len and the
# like in a notebook changes what the student's code does, never how it is recorded.
from builtins import BaseException, Exception, dict, float, getattr, int, isinstance, len, str, tuple, type  # noqa: A004

import numpy as np

_array, _asarray, _errstate, _integer = np.array, np.asarray, np.errstate, np.integer
_catch_warnings, _simplefilter = warnings.catch_warnings, warnings.simplefilter


class Recorder:
    """The objective as the student's code sees it: records where the gradient is taken."""

    def __init__(self, objective):
        self._objective, self.points = objective, []
        self.dim = getattr(objective, "dim", None)

    def value(self, w):
        return self._objective.value(_array(w, dtype=float))

    def grad(self, w):
        w = _array(w, dtype=float)
        self.points.append(w)
        return self._objective.grad(w)


class Collector:
    """``collector(request) -> reply`` for one part; ``problems``: ``scenarios.<part>()``."""

    def __init__(self, cls, problems):
        self._cls, self._problems, self._opts = cls, problems, {}

    def __call__(self, request):
        if request["op"] == "batch":  # each request on its own: one that raises spoils only its reply
            return {"replies": [answer(self, r) for r in request["requests"]]}
        scenario = self._problems[request["scenario"]]
        if request["op"] == "init":
            try:
                self._opts[request["scenario"]] = self._cls(**scenario.kwargs)
            except Exception as exc:  # noqa: BLE001 - the student's constructor
                return {"constructor": f"{_call(self._cls, scenario.kwargs)} raised {type(exc).__name__}: {exc}"}
            opt = self._opts[request["scenario"]]
            return _guard(lambda: {"state": plain(opt.init(_array(scenario.w0, dtype=float)))}, "init(w)")
        opt = self._opts.get(request["scenario"])
        if opt is None:
            return {"raised": "your class could not be constructed"}
        return _guard(lambda: _step(opt, scenario.objective, request["w"], request["state"]), "your step")


def answer(collector, request):
    """``collector(request)``, or what it raised, SystemExit and the like included, as a reply."""
    try:
        return collector(request)
    except BaseException as exc:  # noqa: BLE001 - SystemExit and friends from student code
        return {"raised": f"your step raised {type(exc).__name__}: {exc}"}


def _step(opt, objective, w, state):
    rec = Recorder(objective)
    arrays = {k: v if k == "k" else _array(v, dtype=float) for k, v in state.items()}
    result = opt.step(rec, _array(w, dtype=float), arrays)
    if not (isinstance(result, tuple) and len(result) == 2):
        return {"raised": f"your step must return a pair (w, state), got {type(result).__name__}"}
    return {"w": plain(result[0]), "state": plain(result[1]), "points": [plain(p) for p in rec.points]}


def _guard(fn, what):
    try:
        with _catch_warnings():
            _simplefilter("ignore")
            with _errstate(all="ignore"):
                return fn()
    except Exception as exc:  # noqa: BLE001 - student code
        return {"raised": f"{what} raised {type(exc).__name__}: {exc}"}


def _call(cls, kwargs):
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items() if not callable(v))
    return f"{getattr(cls, '__name__', 'your class')}({args})"


def plain(x):
    """Numbers, lists and dicts only: what may cross from the student's process to the judge."""
    if isinstance(x, dict):
        return {str(key): plain(value) for key, value in x.items()}
    if isinstance(x, (int, _integer)) and not isinstance(x, bool):
        return int(x)
    return _asarray(x, dtype=float).tolist()
