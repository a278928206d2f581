"""The homework's hidden checks: a student's optimizer against the reference, step by step.

At every step of a reference run the student's ``step`` gets exactly the reference's (w, state)
(teacher forcing), so one wrong rule cannot spoil later steps, and each difference is put down
to the one behaviour it breaks. A failed check raises ``GradingError`` naming the scenario, the
step, the weight, the quantity, and both values.

The judge runs outside the student's process when grading (``pipeline``); in a notebook,
``check`` runs both halves in place, and this module should be imported before any student code:
the reference trajectories and the functions used to compare are taken at import, so a student
who later redefines ``np.allclose`` or a helper cannot change a result.
"""
from __future__ import annotations

import builtins
import inspect
import math

import numpy as np

from .. import optim as _optim
from . import scenarios as _scenarios
from .collect import collect as _collect, plain as _plain

_abs, _float, _len, _isfinite = builtins.abs, builtins.float, builtins.len, math.isfinite
_asarray, _array = np.asarray, np.array
_errstate = np.errstate


class GradingError(Exception):
    """A check failed; the message says where and why, in plain words."""


BEHAVIOURS = {
    "rprop": {
        "step": "a step is -sign(g)·Δ, and the state starts with Δ = Δ0 and no previous derivative",
        "growth": "when the derivative keeps its sign, Δ grows by η⁺",
        "shrink": "when the derivative changes sign, Δ shrinks by η⁻",
        "clamps": "Δ stays between Δmin and Δmax",
        "backtracking": "on a sign change the previous step is undone and the derivative forgotten",
    },
    "quickprop": {
        "fallback": "a gradient step -η·g where no parabola can be fitted (first step, zero step, unchanged slope)",
        "secant": "the secant step Δw·g/(g' - g) lands on the minimum of the parabola",
        "growth_limit": "no step grows beyond max_growth times the previous one",
    },
    "nesterov": {
        "look_ahead": "the gradient is taken once, at the look-ahead point W + βΔW",
        "update": "ΔW <- βΔW - η∇E and W <- W + ΔW",
        "returns_w": "step returns W, not the look-ahead point",
        "schedule": "a learning-rate schedule is used as η_k = lr(k), counting k in the state",
    },
}
STATE_KEYS = {"rprop": ("delta", "g_prev", "dw"), "quickprop": ("k", "dw", "g_prev"), "nesterov": ("k", "dw")}


def _student_state(part, s):
    """The reference state in the homework's dict form (fresh copies)."""
    if part == "rprop":
        return {"delta": _array(s.delta), "g_prev": _array(s.g), "dw": _array(s.dw)}
    if part == "quickprop":
        return {"k": s.k, "dw": _array(s.dw), "g_prev": _array(s.g)}
    return {"k": s.k, "dw": _array(s.dw)}


def _close(a, b):
    return _abs(a - b) <= 1e-9 + 1e-7 * _abs(b)


def _all_close(a, b):
    a, b = _asarray(a, dtype=float), _asarray(b, dtype=float)
    return a.shape == b.shape and builtins.all(_close(_float(x), _float(y)) for x, y in zip(a.ravel(), b.ravel()))


def _fmt(x):
    x = _asarray(x, dtype=float)
    return f"{_float(x):.6g}" if x.ndim == 0 else "[" + ", ".join(f"{_float(v):.6g}" for v in x.ravel()) + "]"


# Inside the grading sandbox the reference optimizers are hidden (an empty folder): this module
# still imports there, for ``expect`` in the visible tests, but can judge nothing.
REFERENCE = ({"rprop": _optim.Rprop, "quickprop": _optim.Quickprop, "nesterov": _optim.Nesterov}
             if hasattr(_optim, "Rprop") else {})


class _Run:
    """A scenario with its reference optimizer and the reference's trajectory [(w_k, state_k)]."""

    def __init__(self, part, scenario):
        self.scenario, self.reference = scenario, REFERENCE[part](**scenario.kwargs)
        w, state = _array(scenario.w0, dtype=float), self.reference.init(scenario.w0)
        self.traj = [(w, state)]
        with _errstate(all="ignore"):
            for _ in range(scenario.steps):
                w, state = self.reference.step(scenario.objective, w, state)
                self.traj.append((w, state))


_RUNS = {part: [_Run(part, s) for s in getattr(_scenarios, part)()] for part in REFERENCE}


def inputs(part: str) -> list:
    """The reference's (w_k, state_k) before every step of every scenario, as plain data: what
    the student's ``step`` is given (``collect.collect``)."""
    return [[(_plain(w), _plain(_student_state(part, s))) for w, s in run.traj[:-1]] for run in _RUNS[part]]


def expect(what: str, got, want) -> None:
    """For visible tests: raise ``GradingError`` saying what was expected unless got == want."""
    __tracebackhide__ = True  # IPython and pytest show the message, not this frame
    if not _all_close(got, want):
        raise GradingError(f"{what}: expected {_fmt(want)}, got {_fmt(got)}")


def check(part: str, behaviour: str, cls) -> None:
    """Raise ``GradingError`` unless the student's class gets ``behaviour`` right everywhere."""
    __tracebackhide__ = True
    if behaviour not in BEHAVIOURS[part]:
        raise ValueError(f"unknown behaviour {behaviour!r} for {part}")
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        source = ""
    if uses_reference(source) or getattr(cls, "__module__", "").startswith("lectures_lib"):
        raise GradingError(f"{cls.__name__} uses the course library's implementation; write your own")
    message = judge(part, _collect(part, cls, inputs(part)))[behaviour]
    if message:
        raise GradingError(message)


def uses_reference(source: str) -> bool:
    """Whether solution code reaches for the course library's optimizers."""
    return "lectures_lib.optim" in source or "from lectures_lib import optim" in source


# --- judge: compare with the reference, outside the student's reach -------------------------

def judge(part: str, records: list) -> dict:
    """{behaviour: None if right everywhere, else the first difference in plain words}."""
    verdict = dict.fromkeys(BEHAVIOURS[part])
    owner = {"rprop": "step", "quickprop": "fallback", "nesterov": "update"}[part]
    if not isinstance(records, list) or _len(records) != _len(_RUNS[part]):
        return {b: "the grader found no results for this part" for b in verdict}

    def blame(behaviours, message):
        for b in behaviours:
            if verdict[b] is None:
                verdict[b] = f"{where}: {message}"

    for run, record in zip(_RUNS[part], records):
        scenario, traj = run.scenario, run.traj
        where = f'On the problem "{scenario.name}"'
        if record.get("error"):
            blame(verdict, record["error"])
            continue
        init = record.get("init")
        problem = init["raised"] if isinstance(init, dict) and "raised" in init else _state_problem(
            part, init, scenario.w0.size)
        if problem:
            blame(verdict, problem if "raised" in problem else f"init(w) {problem}")
            continue
        expected = _student_state(part, traj[0][1])
        for key in STATE_KEYS[part]:
            if not _all_close(init[key], expected[key]):
                blame([owner], f"init(w) should start with {key} = {_fmt(expected[key])}, yours is {_fmt(init[key])}")
                break
        for k, step in enumerate(record.get("steps", [])[: scenario.steps]):
            for b, message in _step_findings(part, run, k, step):
                blame([b], f"step {k + 1}: {message}")
    return verdict


def _state_problem(part, state, d):
    if not isinstance(state, dict):
        return f"must return a dict with keys {STATE_KEYS[part]}, got {type(state).__name__}"
    for key in STATE_KEYS[part]:
        if key not in state:
            return f"returned a state without the key {key!r} (it needs {STATE_KEYS[part]})"
        if key != "k" and _asarray(state[key]).shape != (d,):
            return f"returned state[{key!r}] of shape {_asarray(state[key]).shape}, expected ({d},)"
    return ""


def _step_findings(part, run, k, step):
    """[(behaviour, message)] for every difference in step k -> k+1, in order of weights."""
    w = run.traj[k][0]
    if not isinstance(step, dict):
        problem = "the grader could not read your step's result"
    elif "raised" in step:
        problem = step["raised"]
    elif _asarray(step.get("w")).shape != w.shape:
        problem = f"your step returned w of shape {_asarray(step.get('w')).shape}, expected {w.shape}"
    else:
        problem = _state_problem(part, step.get("state"), w.size)
        problem = f"your step {problem}" if problem else ""
    if problem:
        if "schedule" in run.scenario.tags:
            return [({"nesterov": "schedule", "quickprop": "fallback"}.get(part, "step"), problem)]
        return [(b, problem) for b in BEHAVIOURS[part]]
    w_s, s_s = _asarray(step["w"], dtype=float), step["state"]
    points = [_asarray(p, dtype=float) for p in step.get("points", [])]
    return {"rprop": _rprop, "quickprop": _quickprop, "nesterov": _nesterov}[part](run, k, w_s, s_s, points)


def _rprop(run, k, w_s, s_s, points):
    scenario, traj, ref = run.scenario, run.traj, run.reference
    (w, s), (w1, s1) = traj[k], traj[k + 1]
    g = scenario.objective.grad(w)
    out = []
    for i in range(w.size):
        gp, gi, d_old, d_new = _float(s.g[i]), _float(g[i]), _float(s.delta[i]), _float(s1.delta[i])
        sd, sw, sg, sdw = (_float(_asarray(s_s["delta"])[i]), _float(w_s[i]), _float(_asarray(s_s["g_prev"])[i]),
                           _float(_asarray(s_s["dw"])[i]))
        at = f"weight {i}: "
        same, flip = gp * gi > 0, gp * gi < 0
        if not _close(sd, d_new):
            factor = ref.eta_plus if same else ref.eta_minus
            unclamped = factor * d_old
            clamp_active = (same or flip) and not ref.delta_min <= unclamped <= ref.delta_max
            if clamp_active and (_close(sd, unclamped) or not ref.delta_min <= sd <= ref.delta_max):
                out.append(("clamps", at + f"η·Δ = {factor:g} × {d_old:.6g} = {unclamped:.6g} is outside "
                                           f"[Δmin, Δmax] = [{ref.delta_min:g}, {ref.delta_max:g}], so Δ becomes "
                                           f"{d_new:.6g}; yours is {sd:.6g}"))
            elif same:
                out.append(("growth", at + f"the derivative kept its sign (before {gp:.6g}, now {gi:.6g}), so Δ "
                                           f"grows to min(η⁺·Δ, Δmax) = min({ref.eta_plus:g} × {d_old:.6g}, "
                                           f"{ref.delta_max:g}) = {d_new:.6g}; yours is {sd:.6g}"))
            elif flip:
                out.append(("shrink", at + f"the derivative changed sign (before {gp:.6g}, now {gi:.6g}), so Δ "
                                           f"shrinks to max(η⁻·Δ, Δmin) = max({ref.eta_minus:g} × {d_old:.6g}, "
                                           f"{ref.delta_min:g}) = {d_new:.6g}; yours is {sd:.6g}"))
            else:
                out.append(("step", at + f"with no previous derivative to compare (g'·g = 0), Δ stays "
                                         f"{d_new:.6g}; yours became {sd:.6g}"))
            continue
        if flip:
            if not _close(sw, _float(w1[i])):
                out.append(("backtracking", at + f"the derivative changed sign (before {gp:.6g}, now {gi:.6g}): "
                                                 f"Rprop+ undoes the previous step {_float(s.dw[i]):.6g}, so w goes back "
                                                 f"to {_float(w1[i]):.6g}; yours is {sw:.6g}"))
            elif not _close(sg, 0.0):
                out.append(("backtracking", at + "after undoing a step the derivative is forgotten (stored as 0) so "
                                                 f"the next step does not adapt Δ; your stored derivative is {sg:.6g}"))
        elif not _close(sw, _float(w1[i])):
            out.append(("step", at + f"the step is -sign(g)·Δ = -sign({gi:.6g}) × {d_new:.6g}, so w becomes "
                                     f"{_float(w1[i]):.6g}; yours is {sw:.6g}"))
        elif not _close(sg, gi):
            out.append(("step", at + f"the state must remember this derivative ({gi:.6g}); yours holds {sg:.6g}"))
        elif not _close(sdw, _float(s1.dw[i])):
            out.append(("backtracking", at + f"the state must remember the step just taken ({_float(s1.dw[i]):.6g}) "
                                             f"so a later sign change can undo it; yours holds {sdw:.6g}"))
    return out


def _quickprop(run, k, w_s, s_s, points):
    scenario, traj, ref = run.scenario, run.traj, run.reference
    mu = ref.max_growth
    (w, s), (w1, s1) = traj[k], traj[k + 1]
    g = scenario.objective.grad(w)
    out = []
    for i in range(w.size):
        dwp, gp, gi = _float(s.dw[i]), _float(s.g[i]), _float(g[i])
        move, smove = _float(w1[i] - w[i]), _float(w_s[i] - w[i])
        at = f"weight {i}: "
        fallback = dwp == 0.0 or gp == gi
        r = 0.0 if fallback else gi / (gp - gi)
        capped = not fallback and mu is not None and (r > mu or r < -1.0)
        owner = "fallback" if fallback else ("growth_limit" if capped else "secant")
        if not (_isfinite(smove) and _close(smove, move)):
            if fallback:
                why = "this is the first step" if k == 0 else (
                    "the previous step was zero" if dwp == 0.0 else f"the slope did not change ({gi:.6g})")
                out.append(("fallback", at + f"no parabola can be fitted ({why}), so the step is -η·g = {move:.6g}; "
                                             f"yours is {smove:.6g}"))
            elif capped and _abs(smove) > mu * _abs(dwp) * (1 + 1e-7):
                out.append(("growth_limit", at + f"the secant factor g/(g' - g) = {r:.6g} is beyond the limit, so the "
                                                 f"step is max_growth × Δw = {mu:g} × {dwp:.6g} = {move:.6g}; yours is "
                                                 f"{smove:.6g}, larger than {mu:g} times the previous step"))
            else:
                out.append(("secant", at + f"previous step Δw = {dwp:.6g}, slopes g' = {gp:.6g} and g = {gi:.6g}: "
                                           f"the step is {move:.6g} (to the parabola's minimum"
                                           f"{', capped' if capped else ''}); yours is {smove:.6g}"))
            continue
        if not _close(_float(_asarray(s_s["dw"])[i]), _float(s1.dw[i])) or not _close(
                _float(_asarray(s_s["g_prev"])[i]), gi):
            out.append((owner, at + f"the state must remember the step taken ({_float(s1.dw[i]):.6g}) and the slope "
                                    f"({gi:.6g}); yours holds dw = {_float(_asarray(s_s['dw'])[i]):.6g}, "
                                    f"g_prev = {_float(_asarray(s_s['g_prev'])[i]):.6g}"))
    if s_s["k"] != s1.k:
        out.append(("fallback", f"the state must count steps: k should be {s1.k}, yours is {s_s['k']!r}"))
    return out


def _nesterov(run, k, w_s, s_s, points):
    scenario, traj, ref = run.scenario, run.traj, run.reference
    (w, s), (w1, s1) = traj[k], traj[k + 1]
    look = w + ref.beta * s.dw
    if _len(points) != 1 or not _all_close(points[0], look):
        taken = "nowhere" if not points else " and ".join(_fmt(p) for p in points)
        hint = " (that is W itself, as plain momentum does)" if points and _all_close(points[0], w) else ""
        return [("look_ahead", f"the gradient is taken once, at the look-ahead point W + βΔW = {_fmt(look)}; "
                               f"yours was taken at {taken}{hint}")]
    g = scenario.objective.grad(look)
    lr = ref.lr(k) if callable(ref.lr) else ref.lr
    if not _all_close(s_s["dw"], s1.dw):
        if "schedule" in scenario.tags:
            for j in (0, k - 1, k + 1):
                if j >= 0 and _all_close(s_s["dw"], ref.beta * s.dw - ref.lr(j) * g):
                    return [("schedule", f"the learning rate of this step is lr({k}) = {lr:.6g}, so ΔW = "
                                         f"{_fmt(s1.dw)}; yours is {_fmt(s_s['dw'])}, which is what lr({j}) = "
                                         f"{ref.lr(j):.6g} gives")]
        return [("update", f"ΔW = βΔW - η∇E(W + βΔW) = {_fmt(s1.dw)}; yours is {_fmt(s_s['dw'])}")]
    if not _all_close(w_s, w1):
        if _all_close(w_s, w1 + ref.beta * s1.dw):
            return [("returns_w", f"step should return W = {_fmt(w1)}; yours returned the look-ahead point "
                                  f"W + βΔW = {_fmt(w_s)}")]
        return [("update", f"W + ΔW = {_fmt(w1)}; yours is {_fmt(w_s)}")]
    if s_s["k"] != s1.k:
        return [("schedule", f"the state must count steps for lr(k): k should be {s1.k}, yours is {s_s['k']!r}")]
    return []
