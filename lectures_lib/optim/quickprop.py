"""Fahlman's Quickprop: a per-weight secant (finite-difference Newton) step."""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import NamedTuple, Optional

import numpy as np

from .. import _checks
from ._blockwise import blockwise


class QuickpropState(NamedTuple):
    k: int  # iterations done so far
    dw: np.ndarray  # previous step Delta w^(k-1), zero at the start
    g: np.ndarray  # previous derivative E'(w^(k-1)), zero at the start


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

    lr: _checks.LearningRate
    max_growth: Optional[float] = 1.75

    def __post_init__(self):
        object.__setattr__(self, "lr", _checks.learning_rate(self.lr))
        if self.max_growth is not None:
            object.__setattr__(self, "max_growth", _checks.positive("max_growth", self.max_growth))

    def init(self, w) -> QuickpropState:
        zeros = np.zeros_like(_checks.flat_vector(w))
        return QuickpropState(k=0, dw=zeros, g=zeros)

    def step(self, objective, w, state: QuickpropState):
        lr = _checks.lr_at(self.lr, state.k)
        g = objective.grad(w)
        w, dw = blockwise(partial(self._update, lr=lr), w, g, state.g, state.dw)
        return w, QuickpropState(state.k + 1, dw, g)

    def _update(self, w, g, g_prev, dw_prev, lr):
        """(w + dw, dw) for every weight, from its derivatives g now and g_prev before."""
        slope_change = g_prev - g
        secant = (dw_prev != 0) & (slope_change != 0)
        factor = g / np.where(secant, slope_change, 1.0)
        if self.max_growth is not None:
            factor = np.where((factor > self.max_growth) | (factor < -1.0), self.max_growth, factor)
        dw = np.where(secant, factor * dw_prev, -lr * g)
        return w + dw, dw
