"""Learning-rate decay: schedules eta_k = schedule(k) for k = 0, 1, ..., and the slides'
"train until the loss stagnates, then eta <- alpha eta", which is driven by the loss.

Any optimizer with an ``lr`` accepts a schedule in its place.
"""
from __future__ import annotations

import dataclasses
from typing import NamedTuple, Optional

import numpy as np

from . import _checks


def linear(eta0: float):
    """eta_k = eta0 / (k + 1) (the slides' "linear decay": linear in 1/k)."""
    eta0 = _checks.positive("eta0", eta0)
    return lambda k: eta0 / (k + 1)


def quadratic(eta0: float):
    """eta_k = eta0 / (k + 1)^2."""
    eta0 = _checks.positive("eta0", eta0)
    return lambda k: eta0 / (k + 1) ** 2


def exponential(eta0: float, beta: float):
    """eta_k = eta0 exp(-beta k), beta > 0."""
    eta0, beta = _checks.positive("eta0", eta0), _checks.positive("beta", beta)
    return lambda k: eta0 * float(np.exp(-beta * k))


class PlateauState(NamedTuple):
    inner: object  # the wrapped optimizer's state
    scale: float  # product of the alphas applied so far
    best: float  # lowest monitored loss so far
    wait: int  # steps since the best improved


@dataclasses.dataclass(frozen=True)
class ReduceOnPlateau:
    """Wrap an optimizer: train at its learning rate until the loss stagnates, then
    eta <- alpha eta, and go on from where training was.

    The loss "stagnates" when it has not dropped below (1 - rel_tol) times its best value for
    ``patience`` steps; eta never drops below ``min_scale`` times its starting value.
    ``monitor`` is the objective whose loss is watched (a held-out set, as the slides suggest);
    by default the training objective. Works with any optimizer that has an ``lr``; the state
    keeps the counters, so the wrapper itself holds nothing.
    """

    opt: object
    alpha: float = 0.1
    patience: int = 10
    rel_tol: float = 1e-4
    min_scale: float = 1e-8
    monitor: Optional[object] = None

    def __post_init__(self):
        if not hasattr(self.opt, "lr"):
            raise ValueError(f"{type(self.opt).__name__} has no learning rate to reduce")
        _checks.in_interval("alpha", self.alpha, 0.0, 1.0, closed_low=False)
        _checks.integer("patience", self.patience, 1)
        _checks.in_interval("rel_tol", self.rel_tol, 0.0, 1.0)
        _checks.in_interval("min_scale", self.min_scale, 0.0, 1.0, closed_low=False, closed_high=True)

    def init(self, w) -> PlateauState:
        return PlateauState(self.opt.init(w), 1.0, np.inf, 0)

    def lr(self, state: PlateauState, k: int) -> float:
        """The learning rate the wrapped optimizer uses at step k."""
        return state.scale * _checks.lr_at(self.opt.lr, k)

    def step(self, objective, w, state: PlateauState):
        loss = float((objective if self.monitor is None else self.monitor).value(w))
        scale, best, wait = state.scale, state.best, state.wait + 1
        if best == np.inf or loss < best - self.rel_tol * abs(best):
            best, wait = loss, 0
        elif wait >= self.patience:
            scale, wait = max(scale * self.alpha, self.min_scale), 0
        base = self.opt.lr
        lr = (lambda k: scale * base(k)) if callable(base) else scale * base
        w, inner = dataclasses.replace(self.opt, lr=lr).step(objective, w, state.inner)
        return w, PlateauState(inner, scale, best, wait)
