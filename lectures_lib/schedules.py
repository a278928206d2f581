"""Learning-rate decay: schedules eta_k = schedule(k) for k = 0, 1, ..., and the slides'
"train until the loss stagnates, then eta <- alpha eta", which is driven by the loss.

Every optimizer of ``lectures_lib.optim`` with an ``lr`` (gradient descent, momentum, Nesterov,
Quickprop, Newton, BFGS, L-BFGS) accepts a ``ScalarOrSchedule``: a float or a schedule.
"""
from __future__ import annotations

import copy
import dataclasses
from typing import NamedTuple, Optional

import numpy as np

from . import _checks
from ._checks import ScalarOrSchedule

__all__ = ["ScalarOrSchedule", "linear", "quadratic", "exponential", "ReduceOnPlateau", "PlateauState"]


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
    by default the training objective, whose loss ``minimize`` already has at w.

    What it needs of ``opt``: an attribute ``lr`` (a float or a schedule) that its ``step``
    reads, as every optimizer of ``lectures_lib.optim`` with a learning rate has. Each step runs
    a copy of ``opt`` whose ``lr`` is scale x lr. The scale, the best loss and the counter are
    in the state; the wrapper holds nothing that changes, so stepping twice from one state
    gives the same answer.
    """

    opt: object
    alpha: float = 0.1
    patience: int = 10
    rel_tol: float = 1e-4
    min_scale: float = 1e-8
    monitor: Optional[object] = None

    def __post_init__(self):
        if getattr(self.opt, "lr", None) is None or not hasattr(self.opt, "step"):
            raise ValueError(f"{type(self.opt).__name__} has no learning rate to reduce: ReduceOnPlateau needs an "
                             "optimizer whose step reads an attribute lr (a float or a schedule)")
        _checks.in_interval("alpha", self.alpha, 0.0, 1.0, closed_low=False)
        _checks.integer("patience", self.patience, 1)
        _checks.in_interval("rel_tol", self.rel_tol, 0.0, 1.0)
        _checks.in_interval("min_scale", self.min_scale, 0.0, 1.0, closed_low=False, closed_high=True)

    def init(self, w) -> PlateauState:
        return PlateauState(self.opt.init(w), 1.0, np.inf, 0)

    def lr(self, state: PlateauState, k: int) -> float:
        """The learning rate the wrapped optimizer uses at step k."""
        return state.scale * _checks.lr_at(self.opt.lr, k)

    def lr_used(self, state: PlateauState) -> float:
        """The learning rate of the step that produced ``state``."""
        return self.lr(state, state.inner.k - 1)

    def _scaled(self, objective, w, state: PlateauState):
        """(the optimizer at scale x lr, and the counters after watching the loss at w)."""
        loss = float((objective if self.monitor is None else self.monitor).value(w))
        scale, best, wait = state.scale, state.best, state.wait + 1
        if best == np.inf or loss < best - self.rel_tol * abs(best):
            best, wait = loss, 0
        elif wait >= self.patience:
            scale, wait = max(scale * self.alpha, self.min_scale), 0
        base, opt = self.opt.lr, copy.copy(self.opt)
        object.__setattr__(opt, "lr", (lambda k: scale * base(k)) if callable(base) else scale * base)
        return opt, (scale, best, wait)

    def step(self, objective, w, state: PlateauState):
        opt, counters = self._scaled(objective, w, state)
        w, inner = opt.step(objective, w, state.inner)
        return w, PlateauState(inner, *counters)

    def step_(self, objective, w: np.ndarray, state: PlateauState) -> PlateauState:
        """``step`` in place, with the wrapped optimizer's ``step_``."""
        opt, counters = self._scaled(objective, w, state)
        return PlateauState(opt.step_(objective, w, state.inner), *counters)
