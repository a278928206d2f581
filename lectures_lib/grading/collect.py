"""Run a student's optimizer class on given inputs and record what it does, as plain data.

This is the only grading code that runs next to student code (in the sandbox, or in the
notebook for the visible path). It imports no reference optimizer: it gets the reference's
(w_k, state_k) for every step as data, calls the student's ``step`` on each, and records the
returned w and state and where the gradient was taken, as lists and numbers. The judge
(``checks.judge``) compares those outside the student's reach.
"""
from __future__ import annotations

import warnings
# Student code runs in this process after this module is imported: take our own references to
# every builtin and numpy function used here, so redefining np.asarray, builtins.len and the
# like in a notebook changes what the student's code does, never how it is recorded.
from builtins import Exception, dict, float, getattr, int, isinstance, len, str, tuple, type, zip  # noqa: A004

import numpy as np

from . import scenarios

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
        self.points.append(_array(w, dtype=float))
        return self._objective.grad(_array(w, dtype=float))


def collect(part: str, cls, inputs: list, problems=None) -> list:
    """For every scenario of ``part`` (``problems``: ``scenarios.<part>()``, best built before any
    student code runs): the student's constructor, ``init`` and every step from the given
    (w_k, state_k), as plain data, errors as strings."""
    out = []
    for scenario, steps in zip(problems or getattr(scenarios, part)(), inputs):
        record = {"error": "", "init": None, "steps": []}
        out.append(record)
        try:
            opt = cls(**scenario.kwargs)
        except Exception as exc:  # noqa: BLE001 - the student's constructor
            record["error"] = f"{_call(cls, scenario.kwargs)} raised {type(exc).__name__}: {exc}"
            continue
        record["init"] = _guard(lambda: plain(opt.init(_array(scenario.w0, dtype=float))), "init(w)")
        for w, state in steps:
            record["steps"].append(_guard(lambda: _step(opt, scenario.objective, w, state), "your step"))
    return out


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
