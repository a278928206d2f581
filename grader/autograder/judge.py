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

import numpy as np

from lectures_lib.testing import GradingError

from . import parts, rules
from .collect import Collector
from .parts import Part


def check(part: str, behaviour: str, cls) -> None:
    """In the instructor's notebook: raise ``GradingError`` unless ``cls`` earns ``behaviour`` of
    ``part`` (checked at least once, never wrong). The part comes from the ``autograde/`` folder
    next to the notebook (``parts.find``); grading runs the same judge over the sandbox's channel."""
    __tracebackhide__ = True
    material, P = parts.find(part)
    if behaviour not in P.behaviours:
        raise ValueError(f"unknown behaviour {behaviour!r} for {part!r} (it has {', '.join(P.behaviours)})")
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        source = ""
    if uses_reference(P, source) or getattr(cls, "__module__", "").startswith(P.hide):
        raise GradingError(f"{cls.__name__} uses the course library's implementation; write your own")
    collector = Collector(cls, material.problems(part))
    count = judge(material, part, lambda request: json.loads(json.dumps(collector(request))))[behaviour]
    if not count.earned:
        raise GradingError(message(P, behaviour, count))


def message(P: Part, behaviour: str, count: rules.Count) -> str:
    """Why ``behaviour`` earned nothing, in plain words ('' if it was earned)."""
    if count.earned:
        return ""
    if count.failed:
        return count.first
    return (f"never checked: {count.unchecked or 'its rule never applied to what your step did'} "
            f"({P.behaviours[behaviour]})")


def uses_reference(P: Part, source: str) -> bool:
    """Whether solution code reaches for the reference code the part hides."""
    return any(m in source or "from {} import {}".format(*m.rsplit(".", 1)) in source for m in P.hide if "." in m)


class Stopped(Exception):
    """The student's side stopped answering (it died or timed out); the message says how."""


# --- judge: compare with the reference, outside the student's reach -------------------------

@functools.lru_cache(maxsize=None)
def trajectories(material, part: str) -> list:
    """Per scenario: (scenario, reference optimizer, [(w_k, state_k, grad at w_k)] for each step)."""
    P, out = material.parts[part], []
    for sc in material.problems(part):
        ref = P.reference_class()(**sc.kwargs)
        w, state, steps = np.array(sc.w0, dtype=float), ref.init(sc.w0), []
        with np.errstate(all="ignore"):
            for _ in range(sc.steps):
                steps.append((w, state, sc.objective.grad(w)))
                w, state = ref.step(sc.objective, w, state)
        out.append((sc, ref, steps))
    return out


def judge(material, part: str, call) -> dict:
    """{behaviour: rules.Count} for the student's side ``call(request) -> reply`` (plain data).
    ``call`` may raise ``Stopped``: every behaviour not yet failed then fails with its reason.

    Requests go out in rounds (``rounds``): round k holds step k of every scenario, in one
    ``batch`` request, so a part costs as many round trips as its longest scenario has steps; each
    scenario still gets its step k+1 only after its step k was answered. The replies are then held
    to the rules one scenario after another, in order, as if the scenarios had run one by one."""
    P, trajs = material.parts[part], trajectories(material, part)
    tally = rules.Tally(tuple(P.behaviours))
    inits, replies = [None] * len(trajs), [[] for _ in trajs]
    with np.errstate(all="ignore"):
        try:
            inits = _batch(call, [{"op": "init", "scenario": i} for i in range(len(trajs))])
            started = [i for i, reply in enumerate(inits) if _constructed(reply)]
            for batch in rounds(material, part, started):
                requests = [{"op": "step", "scenario": i, "w": trajs[i][2][k][0].tolist(),
                             "state": _given(P, trajs[i][2][k][1])} for i, k in batch]
                for (i, _), reply in zip(batch, _batch(call, requests)):
                    replies[i].append(reply)
        except Stopped as exc:
            done = [i for i, (_, _, steps) in enumerate(trajs) if inits[i] is not None
                    and (not _constructed(inits[i]) or len(replies[i]) == len(steps))]
            for i in done:  # what was answered in full is judged as usual; the rest is the stop
                _judge_scenario(tally, P, trajs[i], inits[i], replies[i])
            tally.name = next((trajs[i][0].name for i in range(len(trajs)) if i not in done), tally.name)
            for b in P.behaviours:
                if not tally.counts[b].failed:
                    tally.fail(b, f"{tally.where()}{exc}")
            return tally.counts
        for traj, init, answered in zip(trajs, inits, replies):
            _judge_scenario(tally, P, traj, init, answered)
    return tally.counts


def _judge_scenario(tally, P, traj, init, replies):
    sc, ref, steps = traj
    tally.name, tally.d = sc.name, sc.w0.size
    if not _constructed(init):
        why = init.get("constructor") if isinstance(init, dict) else "the grader could not read a reply"
        for b in P.behaviours:
            tally.fail(b, f"{tally.where()}{why}")
        return
    _check_init(tally, P, init, _student(P, ref.init(sc.w0)), sc.w0.size)
    P.rules(tally, ref, _Batch(P, sc, ref, steps, replies))


def _constructed(reply):
    return isinstance(reply, dict) and "constructor" not in reply


def rounds(material, part: str, scenarios) -> list:
    """[(scenario, step), ...] per round trip: step k of every scenario in ``scenarios`` in round k.
    Sending them together tells the student's side nothing it has not answered, as long as no
    scenario's input is another's input at a later step (the scenarios are different problems;
    ``tests/test_homework_checks.py`` checks it for the homework)."""
    steps = {i: len(trajectories(material, part)[i][2]) for i in scenarios}
    return [[(i, k) for i in scenarios if k < steps[i]] for k in range(max(steps.values(), default=0))]


def _batch(call, requests):
    """Replies to ``requests`` in one round trip (a reply that is not a list of as many stands for each)."""
    if not requests:
        return []
    reply = call({"op": "batch", "requests": requests})
    got = reply.get("replies") if isinstance(reply, dict) else None
    if isinstance(got, list) and len(got) == len(requests):
        return got
    return [reply if isinstance(reply, dict) and "raised" in reply else None] * len(requests)


def _given(P, state):
    return {key: v if key == "k" else v.tolist() for key, v in _student(P, state).items()}


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
