"""Newton's method and Hessian-normalised gradient descent."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Optional

import numpy as np

from .. import _checks


class NewtonState(NamedTuple):
    k: int  # iterations done so far


@dataclass(frozen=True)
class Newton:
    """Hessian-normalised descent  w^(k+1) = w^(k) - eta H_E(w^(k))^{-1} grad E(w^(k))^T.

    eta = 1 is Newton's method: one step to the minimum of a quadratic (eta must stay below 2).
    Where H is not positive definite the plain step heads for a saddle or a maximum, as the
    slides warn. ``min_curvature = m > 0`` loads the diagonal just enough to prevent that:
    H + mu I with mu = max(0, m - lambda_min(H)), so every curvature used is at least m.
    """

    lr: _checks.ScalarOrSchedule = 1.0
    min_curvature: Optional[float] = None

    def __post_init__(self):
        object.__setattr__(self, "lr", _checks.learning_rate(self.lr))
        if self.min_curvature is not None:
            object.__setattr__(self, "min_curvature", _checks.positive("min_curvature", self.min_curvature))

    def init(self, w) -> NewtonState:
        _checks.flat_vector(w)
        return NewtonState(k=0)

    def step(self, objective, w, state: NewtonState):
        lr = _checks.lr_at(self.lr, state.k)
        return w - lr * self.direction(objective, w), NewtonState(state.k + 1)

    def step_(self, objective, w: np.ndarray, state: NewtonState) -> NewtonState:
        """``step``, copied into ``w`` (the cost is in solving with H, not in the copy)."""
        w_new, state = self.step(objective, w, state)
        np.copyto(w, w_new)
        return state

    def direction(self, objective, w) -> np.ndarray:
        """The normalised direction (H + mu I)^{-1} g at w."""
        if not hasattr(objective, "hess"):
            raise ValueError(f"Newton's method needs objective.hess(w); {type(objective).__name__} has none")
        g, H = objective.grad(w), np.asarray(objective.hess(w), dtype=np.float64)
        if self.min_curvature is not None:
            load = max(0.0, self.min_curvature - np.linalg.eigvalsh(H)[0])
            H = H + load * np.eye(len(w))
        try:
            return np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            raise ValueError("the Hessian is singular at w; Newton(min_curvature=...) loads its "
                             "diagonal so the step exists") from None
