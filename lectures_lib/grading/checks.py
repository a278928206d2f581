"""The homework's hidden checks: a student's optimizer against the reference, step by step.

The judge walks the reference's trajectory of every scenario. Before each step it sends the
reference's (w_k, state_k) to the student's side (``collect.Collector``) and reads back what the
student's ``step`` returned; only then does it compute the next input (teacher forcing, so one
wrong rule cannot spoil later steps). Each reply is held to every rule that applies at that step
(``rules``), each behaviour on its own, and each behaviour earns its points only when its rule
was exercised and held every time (``rules.Count.earned``).

When grading, the judge runs outside the sandbox and talks to the student's process over a pipe
(``sandbox.Session``); in a notebook, ``check`` runs both sides in place.
"""
from __future__ import annotations

import functools
import inspect
import json
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import rules, scenarios
from .collect import Collector


class GradingError(Exception):
    """A check failed; the message says where and why, in plain words."""


@dataclass(frozen=True)
class Part:
    """One homework part: its reference class, its behaviours and its state, whose keys are the
    reference state's field names."""

    name: str
    reference: str  # class name in lectures_lib.optim
    behaviours: dict  # behaviour -> one-line description
    state_keys: tuple
    rules: Callable
    init_owner: dict  # state key -> the behaviour that owns its initial value


def _optim():
    from .. import optim  # not importable in the sandbox, where the reference is hidden

    return optim


PARTS = {
    "rprop": Part("rprop", "Rprop", rules.RPROP, ("delta", "g_prev", "dw"), rules.rprop,
                  {"delta": "step", "g_prev": "step", "dw": "step"}),
    "quickprop": Part("quickprop", "Quickprop", rules.QUICKPROP, ("k", "dw", "g_prev"), rules.quickprop,
                      {"k": "fallback", "dw": "fallback", "g_prev": "fallback"}),
    "nesterov": Part("nesterov", "Nesterov", rules.NESTEROV, ("k", "dw"), rules.nesterov,
                     {"k": "schedule", "dw": "update"}),
}
BEHAVIOURS = {p: part.behaviours for p, part in PARTS.items()}


def expect(what: str, got, want) -> None:
    """For visible tests: raise ``GradingError`` saying what was expected unless got == want."""
    __tracebackhide__ = True  # IPython and pytest show the message, not this frame
    g, w = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if g.shape != w.shape:
        raise GradingError(f"{what}: expected shape {w.shape} {rules.fmt(w)}, got shape {g.shape} {rules.fmt(g)}")
    if not np.all(rules.close(g, w, np.abs(w) + 1e-3)):
        raise GradingError(f"{what}: expected {rules.fmt(w)}, got {rules.fmt(g)}")


def check(part: str, behaviour: str, cls) -> None:
    """Raise ``GradingError`` unless the student's class earns ``behaviour`` (checked, never wrong)."""
    __tracebackhide__ = True
    if part not in PARTS or behaviour not in PARTS[part].behaviours:
        raise ValueError(f"unknown behaviour {behaviour!r} for {part!r}")
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        source = ""
    if uses_reference(source) or getattr(cls, "__module__", "").startswith("lectures_lib"):
        raise GradingError(f"{cls.__name__} uses the course library's implementation; write your own")
    collector = Collector(cls, getattr(scenarios, part)())
    count = judge(part, lambda request: json.loads(json.dumps(collector(request))))[behaviour]
    if not count.earned:
        raise GradingError(message(part, behaviour, count))


def message(part: str, behaviour: str, count: rules.Count) -> str:
    """Why ``behaviour`` earned nothing, in plain words ('' if it was earned)."""
    if count.earned:
        return ""
    if count.failed:
        return count.first
    return (f"never checked: {count.unchecked or 'its rule never applied to what your step did'} "
            f"({PARTS[part].behaviours[behaviour]})")


def uses_reference(source: str) -> bool:
    """Whether solution code reaches for the course library's optimizers."""
    return "lectures_lib.optim" in source or "from lectures_lib import optim" in source


class Stopped(Exception):
    """The student's side stopped answering (it died or timed out); the message says how."""


# --- judge: compare with the reference, outside the student's reach -------------------------

@functools.lru_cache(maxsize=None)
def trajectories(part: str) -> list:
    """Per scenario: (scenario, reference optimizer, [(w_k, state_k, grad at w_k)] for each step)."""
    P, out = PARTS[part], []
    for sc in getattr(scenarios, part)():
        ref = getattr(_optim(), P.reference)(**sc.kwargs)
        w, state, steps = np.array(sc.w0, dtype=float), ref.init(sc.w0), []
        with np.errstate(all="ignore"):
            for _ in range(sc.steps):
                steps.append((w, state, sc.objective.grad(w)))
                w, state = ref.step(sc.objective, w, state)
        out.append((sc, ref, steps))
    return out


def judge(part: str, call) -> dict:
    """{behaviour: rules.Count} for the student's side ``call(request) -> reply`` (plain data).
    ``call`` may raise ``Stopped``: every behaviour not yet failed then fails with its reason."""
    P = PARTS[part]
    tally = rules.Tally(tuple(P.behaviours))
    with np.errstate(all="ignore"):
        try:
            for i, (sc, ref, steps) in enumerate(trajectories(part)):
                tally.name, tally.d = sc.name, sc.w0.size
                reply = call({"op": "init", "scenario": i})
                if not isinstance(reply, dict) or "constructor" in reply:
                    why = reply.get("constructor") if isinstance(reply, dict) else "the grader could not read a reply"
                    for b in P.behaviours:
                        tally.fail(b, f"{tally.where()}{why}")
                    continue
                _check_init(tally, P, reply, _student(P, ref.init(sc.w0)), sc.w0.size)
                replies = []
                for w, state, _ in steps:
                    given = {key: v if key == "k" else v.tolist() for key, v in _student(P, state).items()}
                    replies.append(call({"op": "step", "scenario": i, "w": w.tolist(), "state": given}))
                P.rules(tally, ref, _Batch(P, sc, ref, steps, replies))
        except Stopped as exc:
            for b in P.behaviours:
                if not tally.counts[b].failed:
                    tally.fail(b, f"{tally.where()}{exc}")
    return tally.counts


def _student(P, state):
    return {key: int(getattr(state, key)) if key == "k" else np.array(getattr(state, key), dtype=float)
            for key in P.state_keys}


def _check_init(tally, P, reply, want, d):
    state, problem = _state(reply.get("state"), P.state_keys, d) if "raised" not in reply else (None, str(reply["raised"]))
    if problem:
        for b in set(P.init_owner.values()):
            tally.fail(b, tally.where() + (problem if "raised" in reply else f"init(w) {problem}"))
        return
    for key in P.state_keys:
        ok = state[key] == want[key] if key == "k" else bool(np.all(rules.close(state[key], want[key], 1e-12)))
        tally.add(P.init_owner[key], True, ok, True, lambda k, i, key=key: (
            f"init(w) should start with {key} = {rules.fmt(want[key])}, yours is {rules.fmt(state[key])}"), rule="init")


def _state(raw, keys, d):
    """(state with float arrays and an int k, '') or (None, what is wrong with it)."""
    if not isinstance(raw, dict):
        return None, f"must return a dict with keys {keys}, got {type(raw).__name__}"
    out = {}
    for key in keys:
        if key not in raw:
            return None, f"returned a state without the key {key!r} (it needs {keys})"
        if key == "k":
            out[key] = raw[key]
            continue
        v = _vector(raw[key])
        if v is None or v.shape != (d,):
            shape = v.shape if v is not None else "not numbers"
            return None, f"returned state[{key!r}] of shape {shape}, expected ({d},)"
        out[key] = v
    return out, ""


def _vector(x):
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        return None


class _Batch:
    """A scenario's steps as (steps, weights) arrays: the inputs, the reference's gradient at w,
    and the student's replies (NaN rows where a reply was unusable: ``ok`` False, ``problem`` why)."""

    def __init__(self, P, sc, ref, steps, replies):
        K, d = len(steps), sc.w0.size
        self.w = np.array([w for w, _, _ in steps]).reshape(K, d)
        self.g = np.array([g for _, _, g in steps]).reshape(K, d)
        given = [_student(P, s) for _, s, _ in steps]
        for key in P.state_keys:
            setattr(self, key, np.array([s[key] for s in given]).reshape((K,) if key == "k" else (K, d)))
        if "k" not in P.state_keys:
            self.k = np.arange(K)
        lr = getattr(ref, "lr", None)
        self.schedule = callable(lr)
        self.lr_of = (lambda j: float(lr(j))) if callable(lr) else (lambda j: lr if lr is not None else np.nan)
        self.lr = np.array([self.lr_of(int(j)) for j in self.k], dtype=float)
        self.grad = sc.objective.grad
        self.ok, self.problem = np.ones(K, dtype=bool), np.full(K, "", dtype=object)
        self.points, self.s_k_raw = [[] for _ in range(K)], [None] * K
        self.s_w, self.s_grad, self.s_k = np.full((K, d), np.nan), np.full((K, d), np.nan), np.full(K, np.nan)
        for key in P.state_keys:
            if key != "k":
                setattr(self, f"s_{key}", np.full((K, d), np.nan))
        for k, reply in enumerate(replies):
            self.problem[k] = self._read(k, reply, P.state_keys, d)
            self.ok[k] = not self.problem[k]

    def _read(self, k, reply, keys, d):
        if not isinstance(reply, dict):
            return "the grader could not read your step's result"
        if "raised" in reply:
            return str(reply["raised"])
        ws = _vector(reply.get("w"))
        if ws is None or ws.shape != (d,):
            return f"your step returned w of shape {ws.shape if ws is not None else 'not numbers'}, expected ({d},)"
        state, problem = _state(reply.get("state"), keys, d)
        if problem:
            return f"your step {problem}"
        points = [_vector(p) for p in reply.get("points", [])] if isinstance(reply.get("points"), list) else None
        if points is None or any(p is None for p in points):
            return "the grader could not read where your step took the gradient"
        self.points[k], self.s_w[k] = points, ws
        if points and points[-1].shape == (d,):
            self.s_grad[k] = self.grad(points[-1])
        for key, v in state.items():
            if key == "k":
                self.s_k_raw[k] = v
                if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
                    self.s_k[k] = v
            else:
                getattr(self, f"s_{key}")[k] = v
        return ""
