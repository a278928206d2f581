"""Quasi-Newton methods: BFGS and limited-memory BFGS, with a backtracking line search.

Both keep an approximation to the *inverse* Hessian built from steps s = w^(k+1) - w^(k) and
gradient changes y = g^(k+1) - g^(k), so that it satisfies the secant condition H y = s, and
step along p = -H g. Unlike the lecture's fixed-step optimizers, each step searches along p
(Armijo backtracking from t = ``lr``, a float or a schedule lr(k), so ``lr`` is the first trial
step): a quasi-Newton direction has no natural scale until H has learned one. The gradient at the accepted point is kept in the state, so each step still
evaluates the gradient once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Optional

import numpy as np

from .. import _checks

_ARMIJO_C1 = 1e-4  # sufficient decrease: E(w + t p) <= E(w) + c1 t g.p
_MAX_HALVINGS = 60


class QuasiNewtonState(NamedTuple):
    k: int  # iterations done so far
    w: Optional[np.ndarray]  # the point where f and g were evaluated
    f: float  # E(w)
    g: Optional[np.ndarray]  # grad E(w)
    memory: object  # BFGS: the inverse-Hessian matrix H; L-BFGS: tuple of (s, y) pairs


def _line_search(objective, w, f, g, p, t):
    """Largest t, t/2, t/4, ... with sufficient decrease; 0 if none (w is then left as it is)."""
    slope = g @ p
    for _ in range(_MAX_HALVINGS):
        f_new = objective.value(w + t * p)
        if f_new <= f + _ARMIJO_C1 * t * slope:
            return t, f_new
        t *= 0.5
    return 0.0, f


def _evaluate(objective, w, state):
    if state.w is not None and np.array_equal(state.w, w):
        return state.f, state.g
    return float(objective.value(w)), objective.grad(w)


def _curvature_ok(s, y):
    """s.y > 0 keeps H positive definite; skip the update where it fails (non-convex region)."""
    sy = s @ y
    return sy > np.finfo(float).tiny and sy > 1e-10 * np.linalg.norm(s) * np.linalg.norm(y)


@dataclass(frozen=True)
class BFGS:
    """Broyden-Fletcher-Goldfarb-Shanno (the slides' "Boyden" is Broyden):

        H <- (I - rho s y^T) H (I - rho y s^T) + rho s s^T,   rho = 1 / (y^T s)

    starting from H = (y^T s / y^T y) I at the first update (Nocedal & Wright, eq. 6.20).
    """

    lr: _checks.ScalarOrSchedule = 1.0

    def __post_init__(self):
        object.__setattr__(self, "lr", _checks.learning_rate(self.lr))

    def init(self, w) -> QuasiNewtonState:
        w = _checks.flat_vector(w)
        return QuasiNewtonState(0, None, np.nan, None, np.eye(w.size))

    def step(self, objective, w, state: QuasiNewtonState):
        f, g = _evaluate(objective, w, state)
        H = state.memory
        p = -(H @ g)
        t, f_new = _line_search(objective, w, f, g, p, _checks.lr_at(self.lr, state.k))
        w_new = w + t * p
        g_new = objective.grad(w_new)
        s, y = w_new - w, g_new - g
        if _curvature_ok(s, y):
            if state.k == 0:
                H = (s @ y) / (y @ y) * np.eye(w.size)
            # rho^2 (y.Hy) s s^T + rho s s^T - rho (Hy s^T + s Hy^T), written with u = rho s so
            # that tiny steps near convergence neither overflow rho^2 nor underflow s s^T
            sy, Hy = s @ y, H @ y
            u = s / sy
            H = H + (sy + y @ Hy) * np.outer(u, u) - np.outer(Hy, u) - np.outer(u, Hy)
        return w_new, QuasiNewtonState(state.k + 1, w_new, f_new, g_new, H)

    def step_(self, objective, w: np.ndarray, state: QuasiNewtonState) -> QuasiNewtonState:
        return _copied_step(self, objective, w, state)


@dataclass(frozen=True)
class LBFGS:
    """Limited-memory BFGS: H g from the last ``memory`` pairs (s, y) by the two-loop
    recursion, with H_0 = (s^T y / y^T y) I from the newest pair; O(memory * d) per step.
    A step whose pair fails the curvature test s^T y > 0 clears the memory."""

    memory: int = 10
    lr: _checks.ScalarOrSchedule = 1.0

    def __post_init__(self):
        _checks.integer("memory", self.memory, 1)
        object.__setattr__(self, "lr", _checks.learning_rate(self.lr))

    def init(self, w) -> QuasiNewtonState:
        _checks.flat_vector(w)
        return QuasiNewtonState(0, None, np.nan, None, ())

    def step(self, objective, w, state: QuasiNewtonState):
        f, g = _evaluate(objective, w, state)
        p = -two_loop(g, state.memory)
        t, f_new = _line_search(objective, w, f, g, p, _checks.lr_at(self.lr, state.k))
        w_new = w + t * p
        g_new = objective.grad(w_new)
        s, y = w_new - w, g_new - g
        # where the curvature test fails (a non-convex stretch) the stored pairs no longer describe
        # the surface; start again from H_0 = I rather than keep stepping with stale ones
        pairs = (state.memory + ((s, y),))[-self.memory:] if _curvature_ok(s, y) else ()
        return w_new, QuasiNewtonState(state.k + 1, w_new, f_new, g_new, pairs)

    def step_(self, objective, w: np.ndarray, state: QuasiNewtonState) -> QuasiNewtonState:
        return _copied_step(self, objective, w, state)


def _copied_step(opt, objective, w, state):
    """``step``, copied into ``w``: the cost is in the line search and H, not in the copy."""
    w_new, state = opt.step(objective, w, state)
    np.copyto(w, w_new)
    return state


def two_loop(g, pairs):
    """H g for the L-BFGS inverse Hessian defined by ``pairs`` (oldest first)."""
    q, alphas = g.copy(), []
    for s, y in reversed(pairs):
        alpha = (s @ q) / (y @ s)
        q -= alpha * y
        alphas.append(alpha)
    if pairs:
        s, y = pairs[-1]
        q *= (s @ y) / (y @ y)
    for (s, y), alpha in zip(pairs, reversed(alphas)):
        q += s * (alpha - (y @ q) / (y @ s))
    return q
