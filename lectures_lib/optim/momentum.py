"""Momentum and Nesterov's accelerated gradient, in the lecture's form (lr inside dW)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .. import _checks


class MomentumState(NamedTuple):
    k: int  # iterations done so far
    dw: np.ndarray  # the previous step Delta W^(k-1), zero at the start


@dataclass(frozen=True)
class Momentum:
    """Heavy-ball momentum, as on the slides:

        Delta W^(k) = beta Delta W^(k-1) - eta grad Loss(W^(k-1))^T
        W^(k)       = W^(k-1) + Delta W^(k)

    Convention: the lecture keeps eta *inside* the running step Delta W. ``torch.optim.SGD``
    keeps a gradient buffer v = beta v + g and steps W -= eta v, i.e. Delta W = -eta v. The two
    agree exactly for a constant lr; with a schedule they differ (here an old step keeps its old
    lr; in torch every stored gradient is rescaled by the new lr).
    """

    lr: _checks.LearningRate
    beta: float = 0.9

    def __post_init__(self):
        object.__setattr__(self, "lr", _checks.learning_rate(self.lr))
        object.__setattr__(self, "beta", _checks.in_interval("beta", self.beta, 0.0, 1.0))

    def init(self, w) -> MomentumState:
        return MomentumState(k=0, dw=np.zeros_like(_checks.flat_vector(w)))

    def step(self, objective, w, state: MomentumState):
        lr = _checks.lr_at(self.lr, state.k)
        dw = self.beta * state.dw - lr * objective.grad(w)
        return w + dw, MomentumState(state.k + 1, dw)


@dataclass(frozen=True)
class Nesterov(Momentum):
    """Nesterov's accelerated gradient (the slides' "Nestorov"): extend the previous step, then
    take the gradient step at the resulting point:

        Delta W^(k) = beta Delta W^(k-1) - eta grad Loss(W^(k-1) + beta Delta W^(k-1))^T
        W^(k)       = W^(k-1) + Delta W^(k)

    ``step`` returns W^(k), not the look-ahead point W^(k) + beta Delta W^(k) where the next
    gradient is taken. ``torch.optim.SGD(nesterov=True)`` stores that look-ahead point as its
    parameter instead: with a constant lr its p equals W + beta Delta W here.
    """

    def step(self, objective, w, state: MomentumState):
        lr = _checks.lr_at(self.lr, state.k)
        dw = self.beta * state.dw - lr * objective.grad(w + self.beta * state.dw)
        return w + dw, MomentumState(state.k + 1, dw)
