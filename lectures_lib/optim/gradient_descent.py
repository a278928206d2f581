"""Gradient descent: the lecture's recap algorithm."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .. import _checks
from ._blockwise import axpy
from ._compiled import kernel


class GDState(NamedTuple):
    k: int  # iterations done so far


@dataclass(frozen=True)
class GradientDescent:
    """w^(k+1) = w^(k) - eta_k grad E(w^(k))^T.

    ``lr`` is eta: a positive float or a schedule eta_k = lr(k), k = 0, 1, ...
    """

    lr: _checks.ScalarOrSchedule

    def __post_init__(self):
        object.__setattr__(self, "lr", _checks.learning_rate(self.lr))

    def init(self, w) -> GDState:
        _checks.flat_vector(w)
        return GDState(k=0)

    def step(self, objective, w, state: GDState):
        lr = _checks.lr_at(self.lr, state.k)
        return w - lr * objective.grad(w), GDState(state.k + 1)

    def step_(self, objective, w: np.ndarray, state: GDState) -> GDState:
        """``step`` in place: overwrite ``w`` with w - eta_k g; return the new state. One pass:
        compiled (numba, the same bits as ``step``), else BLAS's axpy (which may round
        w + (-eta_k g) once where ``step`` rounds twice), else two numpy passes per block."""
        lr, g = _checks.lr_at(self.lr, state.k), objective.grad(w)
        fused = kernel("gradient_descent", w, g)
        if fused is not None:
            fused(w, g, lr)
        else:
            axpy(-lr, g, w)
        return GDState(state.k + 1)
