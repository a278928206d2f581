"""Momentum and Nesterov's accelerated gradient, in the lecture's form (lr inside dW)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .. import _checks
from ._blockwise import blocks, scratch
from ._compiled import kernel


class MomentumState(NamedTuple):
    k: int  # iterations done so far
    dw: np.ndarray  # the previous step Delta W^(k-1), zero at the start


def _check(opt):
    object.__setattr__(opt, "lr", _checks.learning_rate(opt.lr))
    object.__setattr__(opt, "beta", _checks.in_interval("beta", opt.beta, 0.0, 1.0))


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

    lr: _checks.ScalarOrSchedule
    beta: float = 0.9

    def __post_init__(self):
        _check(self)

    def init(self, w) -> MomentumState:
        return MomentumState(k=0, dw=np.zeros_like(_checks.flat_vector(w)))

    def step(self, objective, w, state: MomentumState):
        lr = _checks.lr_at(self.lr, state.k)
        dw = self.beta * state.dw - lr * objective.grad(w)
        return w + dw, MomentumState(state.k + 1, dw)

    def step_(self, objective, w: np.ndarray, state: MomentumState) -> MomentumState:
        """``step`` in place: overwrite ``w`` and ``state.dw``; return the new state. Compiled
        (one pass) when numba is there, else four numpy operations per block."""
        lr = _checks.lr_at(self.lr, state.k)
        g = objective.grad(w)
        fused = kernel("momentum", w, g, state.dw)
        if fused is not None:
            fused(w, g, state.dw, lr, self.beta)
            return MomentumState(state.k + 1, state.dw)
        (t,) = scratch(w.size, 1)
        for b, m in blocks(w.size):
            dw, t_ = state.dw[b], t[:m]
            np.multiply(self.beta, dw, out=dw)
            np.multiply(lr, g[b], out=t_)
            np.subtract(dw, t_, out=dw)
            np.add(w[b], dw, out=w[b])
        return MomentumState(state.k + 1, state.dw)


@dataclass(frozen=True)
class Nesterov:
    """Nesterov's accelerated gradient (the slides' "Nestorov"): extend the previous step, then
    take the gradient step at the resulting point:

        Delta W^(k) = beta Delta W^(k-1) - eta grad Loss(W^(k-1) + beta Delta W^(k-1))^T
        W^(k)       = W^(k-1) + Delta W^(k)

    ``step`` returns W^(k), not the look-ahead point W^(k) + beta Delta W^(k) where the next
    gradient is taken. ``torch.optim.SGD(nesterov=True)`` stores that look-ahead point as its
    parameter instead: with a constant lr its p equals W + beta Delta W here. The state is
    momentum's (k, Delta W); Nesterov is not a kind of Momentum, only its cousin.
    """

    lr: _checks.ScalarOrSchedule
    beta: float = 0.9

    def __post_init__(self):
        _check(self)

    def init(self, w) -> MomentumState:
        return MomentumState(k=0, dw=np.zeros_like(_checks.flat_vector(w)))

    def step(self, objective, w, state: MomentumState):
        lr = _checks.lr_at(self.lr, state.k)
        dw = self.beta * state.dw - lr * objective.grad(w + self.beta * state.dw)
        return w + dw, MomentumState(state.k + 1, dw)

    def step_(self, objective, w: np.ndarray, state: MomentumState) -> MomentumState:
        """``step`` in place. ``w`` itself becomes the look-ahead point v = W + beta Delta W, the
        gradient is taken there, and then W^(k) = v - eta g (= W + beta Delta W - eta g): no
        third array, and the same numbers as ``step`` up to rounding."""
        lr, beta, n = _checks.lr_at(self.lr, state.k), self.beta, w.size
        ahead = kernel("look_ahead", w, state.dw)  # compiled: one pass each, the numpy kernel's bits
        if ahead is not None:
            ahead(w, state.dw, beta)
        else:
            (t,) = scratch(n, 1)
            for b, m in blocks(n):
                np.multiply(beta, state.dw[b], out=t[:m])
                np.add(w[b], t[:m], out=w[b])
        g = objective.grad(w)
        fused = kernel("nesterov", w, g, state.dw)
        if fused is not None:
            fused(w, g, state.dw, lr, beta)
            return MomentumState(state.k + 1, state.dw)
        (t,) = scratch(n, 1)
        for b, m in blocks(n):
            dw, t_ = state.dw[b], t[:m]
            np.multiply(lr, g[b], out=t_)
            np.multiply(beta, dw, out=dw)
            np.subtract(dw, t_, out=dw)
            np.subtract(w[b], t_, out=w[b])
        return MomentumState(state.k + 1, state.dw)
