"""Gradient descent: the lecture's recap algorithm."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .. import _checks


class GDState(NamedTuple):
    k: int  # iterations done so far


@dataclass(frozen=True)
class GradientDescent:
    """w^(k+1) = w^(k) - eta_k grad E(w^(k))^T.

    ``lr`` is eta: a positive float or a schedule eta_k = lr(k), k = 0, 1, ...
    """

    lr: _checks.LearningRate

    def __post_init__(self):
        object.__setattr__(self, "lr", _checks.learning_rate(self.lr))

    def init(self, w) -> GDState:
        _checks.flat_vector(w)
        return GDState(k=0)

    def step(self, objective, w, state: GDState):
        lr = _checks.lr_at(self.lr, state.k)
        w_new = objective.grad(w) * -lr  # w - lr g, with one new array instead of two
        w_new += w
        return w_new, GDState(state.k + 1)
