"""Nesterov's accelerated gradient (Part C): the rules of its behaviours, per weight and step.

See ``autograder.rules`` for how a rule is applied, counted and reported."""
from __future__ import annotations

import numpy as np

from autograder import Part, Public
from autograder.rules import Tally, close, fmt, nonzero, one_point

from . import REFERENCE

# --- Nesterov ------------------------------------------------------------------------------

NESTEROV = {
    "look_ahead": "the gradient is taken once per step, at the look-ahead point W + βΔW",
    "update": "ΔW ← βΔW - η∇E, with ∇E where your step took it (constant η)",
    "returns_w": "step returns the new W = W + βΔW - η∇E, not the look-ahead point (constant η)",
    "schedule": "with a schedule, ΔW ← βΔW - η_k∇E with η_k = lr(k), k = state['k'] the steps done so far; "
                "k + 1 stored",
}


def nesterov(t: Tally, ref, b):
    w, dwp, beta, ok = b.w, b.dw, ref.beta, b.ok
    lr, sched = b.lr[:, None], b.schedule
    look = w + beta * dwp
    every = np.ones(len(w), dtype=bool)
    t.broken(b, {"look_ahead": every, "update": every & (not sched), "returns_w": every & (not sched),
                 "schedule": every & sched})
    ws, dws, g = b.s_w, b.s_dw, b.s_grad.copy()
    none = np.isnan(g).any(axis=1) & ok  # no usable point: judge the update with the look-ahead gradient
    for k in np.flatnonzero(none):
        g[k] = b.grad(look[k])
    rows = lambda a: np.all(a, axis=1)  # noqa: E731 - a step's check holds at every weight
    moved = np.any(nonzero(ws - w, np.abs(w) * 1e-9) | nonzero(dws - dwp, np.abs(dwp) * 1e-9), axis=1)
    problem = one_point(b, look, np.abs(beta * dwp), "the look-ahead point W + βΔW")
    at_w = np.array([ok[k] and len(p) == 1 and p[0].shape == w[k].shape and bool(np.all(close(p[0], w[k], 0.0, w[k])))
                     for k, p in enumerate(b.points)])
    torch_form = rows(close(ws, w - lr * g + beta * dws, np.abs(lr * g) + np.abs(dws), w))
    looks = rows(nonzero(beta * dwp, dwp))

    def look_message(k, i):
        if at_w[k]:
            return problem[k] + (" — that is W itself: " + (
                "your step is the Sutskever form of torch's and Keras's SGD(nesterov=True), whose parameter already "
                "is the look-ahead point; this homework's W is not, so evaluate at W + βΔW" if torch_form[k] else
                "plain momentum takes it there; Nesterov looks ahead first"))
        return problem[k]

    t.add("look_ahead", ok, problem == "", looks & moved, look_message,
          vacuous="your step never changed W or ΔW, so where it took the gradient earned nothing")
    want = beta * dwp - lr * g
    scale = np.abs(beta * dwp) + np.abs(lr * g)
    if not sched:
        t.add("update", ok, rows(close(dws, want, scale)), True, lambda k, i: (
            f"ΔW = βΔW - η∇E = {beta:g} × {fmt(dwp[k])} - {b.lr[k]:.6g} × {fmt(g[k])} = {fmt(want[k])}; yours is "
            f"{fmt(dws[k])}{_nesterov_hint(dws[k], dwp[k], g[k], beta, b.lr[k], want[k], scale[k])}"))
        t.add("returns_w", ok, rows(close(ws - w, want, scale, w)), True, lambda k, i: (
            f"step should return W + ΔW = {fmt(w[k] + want[k])}; yours is {fmt(ws[k])}"
            + _returns_hint(w[k], ws[k], want[k], beta, torch_form[k])))
        return
    t.add("schedule", ok, rows(close(dws, want, scale)), True, lambda k, i: (
        f"the learning rate of this step is lr(k) with k = {b.k[k]}: η = {b.lr[k]:.6g}, so ΔW = {fmt(want[k])}; "
        f"yours is {fmt(dws[k])}{_schedule_hint(b, ref, k, scale[k])}"))
    t.add("schedule", ok, b.s_k == b.k + 1, True, lambda k, i: (
        f"the state must count steps for lr(k): k should be {b.k[k] + 1}, yours is {b.s_k_raw[k]!r}"),
        rule="k counts steps")


def _nesterov_hint(dws, dwp, g, beta, lr, want, scale):
    if np.all(close(dws, -want, scale)):
        return " (the opposite sign: this homework stores the step ΔW itself, not its negative)"
    if np.all(close(dws, beta * dwp + g, np.abs(beta * dwp) + np.abs(g))) or np.all(
            close(dws, -(beta * dwp / lr) + g, np.abs(beta * dwp / lr) + np.abs(g))):
        return (" (a gradient buffer v = βv + ∇E, as MXNet's NAG and torch's momentum_buffer keep it: the "
                "opposite sign and no η; this homework stores the step ΔW = -ηv)")
    if np.all(close(dws, beta * dwp - g, np.abs(beta * dwp) + np.abs(g))):
        return " (without η)"
    return ""


def _returns_hint(w, ws, want, beta, torch_form):
    if np.all(close(ws, w + want + beta * want, np.abs(want) * (1 + beta), w)):
        return ("; that is the look-ahead point W + ΔW + βΔW, as torch's SGD(nesterov=True) stores its parameter: "
                "this homework's step returns W + ΔW")
    if torch_form:
        return ("; that is W - η∇E + βΔW_new, the Sutskever form of torch's and Keras's SGD(nesterov=True), whose "
                "parameter is the look-ahead point: this homework's step returns W + ΔW")
    if np.all(close(ws, w, want, w)):
        return "; that is W itself: your step did not move"
    return ""


def _schedule_hint(b, ref, k, scale):
    for j in (0, b.k[k] - 1, b.k[k] + 1):
        if j >= 0 and j != b.k[k]:
            lr_j = b.lr_of(j)
            if np.all(close(b.s_dw[k], ref.beta * b.dw[k] - lr_j * b.s_grad[k], scale)):
                return f", which is what lr({j}) = {lr_j:.6g} gives"
    return ""



PART = Part("nesterov", reference="lectures_lib.optim:Nesterov", behaviours=NESTEROV, state_keys=("k", "dw"),
            rules=nesterov, init_owner={"k": "schedule", "dw": "update"}, problems="nesterov", hide=REFERENCE,
            public=(Public("torch.optim.SGD(nesterov=True)", "torch/optim/sgd.py:_single_tensor_sgd", "BSD-3-Clause"),
                    Public("keras.optimizers.SGD(nesterov=True)", "keras/src/optimizers/sgd.py:SGD.update_step",
                           "Apache-2.0")))
