"""Fahlman's Quickprop: a per-weight secant (finite-difference Newton) step."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Optional

import numpy as np

from .. import _checks
from ._blockwise import blocks, scratch


class QuickpropState(NamedTuple):
    k: int  # iterations done so far
    dw: np.ndarray  # previous step Delta w^(k-1), zero at the start
    g_prev: np.ndarray  # previous derivative E'(w^(k-1)), zero at the start


@dataclass(frozen=True)
class Quickprop:
    """Per weight, fit a parabola through the last two derivatives and jump to its minimum:

        Delta w^(k) = Delta w^(k-1) * E'(w^(k)) / (E'(w^(k-1)) - E'(w^(k)))
        w^(k+1)     = w^(k) + Delta w^(k)

    This is the secant step w^(k+1) = w^(k) - E'(w^(k)) / D with the finite-difference second
    derivative D = (E'(w^(k)) - E'(w^(k-1))) / Delta w^(k-1). The slides subtract Delta w while
    also defining it as the step taken: read that way the step goes *up* the parabola. Here
    Delta w is always the step taken, and the sign lands on the minimum.

    The first step, and any weight whose previous step was zero or whose derivative did not
    change (no parabola to fit), takes a gradient step -eta E'(w^(k)).

    ``max_growth = mu`` is Fahlman's limit: when the secant factor exceeds mu, or the derivative
    kept its sign and grew (the parabola opens downward and the secant step would go back
    uphill; factor < -1), the step is mu times the previous one. Fahlman also adds the gradient
    term -eta E' to every step; the lecture does not, and neither do we. ``max_growth=None``
    takes the pure secant step.
    """

    lr: _checks.ScalarOrSchedule
    max_growth: Optional[float] = 1.75

    def __post_init__(self):
        object.__setattr__(self, "lr", _checks.learning_rate(self.lr))
        if self.max_growth is not None:
            object.__setattr__(self, "max_growth", _checks.positive("max_growth", self.max_growth))

    def init(self, w) -> QuickpropState:
        w = _checks.flat_vector(w)
        return QuickpropState(k=0, dw=np.zeros_like(w), g_prev=np.zeros_like(w))

    def step(self, objective, w, state: QuickpropState):
        lr = _checks.lr_at(self.lr, state.k)
        g = objective.grad(w)
        slope_change = state.g_prev - g
        secant = (state.dw != 0) & (slope_change != 0)  # a parabola can be fitted
        factor = g / np.where(secant, slope_change, 1.0)
        if self.max_growth is not None:
            factor = np.where((factor > self.max_growth) | (factor < -1.0), self.max_growth, factor)
        dw = np.where(secant, factor * state.dw, -lr * g)
        return w + dw, QuickpropState(state.k + 1, dw, g)

    def step_(self, objective, w: np.ndarray, state: QuickpropState) -> QuickpropState:
        """``step`` in place: overwrite ``w`` and the state's arrays; return the new state."""
        lr, mu = _checks.lr_at(self.lr, state.k), self.max_growth
        g = objective.grad(w)
        change, factor = scratch(w.size, 2)
        secant, other = scratch(w.size, 2, dtype=bool)
        for b, m in blocks(w.size):
            c, f, sec, o = change[:m], factor[:m], secant[:m], other[:m]
            dw, g_prev, g_ = state.dw[b], state.g_prev[b], g[b]
            np.subtract(g_prev, g_, out=c)
            np.not_equal(dw, 0.0, out=sec)
            np.not_equal(c, 0.0, out=o)
            np.logical_and(sec, o, out=sec)
            np.logical_not(sec, out=o)
            np.copyto(c, 1.0, where=o)
            np.divide(g_, c, out=f)
            if mu is not None:
                np.greater(f, mu, out=o)
                np.copyto(f, mu, where=o)
                np.less(f, -1.0, out=o)
                np.copyto(f, mu, where=o)
            np.multiply(f, dw, out=dw)  # the secant step, kept where a parabola was fitted
            np.multiply(-lr, g_, out=f)  # the gradient step elsewhere
            np.logical_not(sec, out=o)
            np.copyto(dw, f, where=o)
            np.copyto(g_prev, g_)
            np.add(w[b], dw, out=w[b])
        return QuickpropState(state.k + 1, state.dw, state.g_prev)
