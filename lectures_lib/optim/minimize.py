"""The driver loop: iterate an optimizer until the slides' stopping rule holds."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from .. import _checks

EXPLODED = 1e12  # |E| beyond EXPLODED * (1 + |E(w0)|) counts as divergence


@dataclass(frozen=True)
class Trace:
    """Every iterate ``w`` (n+1, d), every loss ``loss`` (n+1,), and how the run ended."""

    w: np.ndarray
    loss: np.ndarray
    converged: bool
    diverged: bool
    message: str

    @property
    def nit(self) -> int:
        """Number of steps taken."""
        return len(self.loss) - 1


def minimize(objective, w0, opt, max_iter: int = 1000, tol: float = 1e-8,
             callback: Optional[Callable] = None) -> Trace:
    """Run ``opt`` from ``w0`` and record every iterate.

    Stops when |E(w^(k)) - E(w^(k-1))| <= tol (the slides' rule; converged), when the loss stops
    being finite or explodes (diverged, no exception), or after ``max_iter`` steps. A step that
    leaves w exactly where it was (Rprop pausing a weight after a sign change) does not count
    as convergence by itself. ``callback(k, w, loss)`` is called after every step.

    The rule watches the loss, not w, and can be fooled: at eta = 2 eta_opt gradient descent on
    a quadratic bounces between two points of equal loss, and the rule reports convergence
    after one step. That is the slides' rule; the book shows it.
    """
    w = _checks.flat_vector(w0, "w0")
    if getattr(objective, "dim", None) is not None:
        _checks.dimension(w, objective.dim, f"this {type(objective).__name__}")
    _checks.integer("max_iter", max_iter, 0)
    tol = _checks.in_interval("tol", tol, 0.0, np.inf)

    ws, losses = [w], [float(objective.value(w))]
    limit = EXPLODED * (1.0 + abs(losses[0]))
    converged = diverged = False
    message = f"stopped after max_iter={max_iter} steps"
    state = opt.init(w)
    with np.errstate(all="ignore"):  # a diverging run ends quietly with diverged=True
        for k in range(1, max_iter + 1):
            w_prev = w
            w, state = opt.step(objective, w, state)
            loss = float(objective.value(w))
            ws.append(w)
            losses.append(loss)
            if callback is not None:
                callback(k, w, loss)
            if not (np.isfinite(loss) and abs(loss) <= limit and np.all(np.isfinite(w))):
                diverged, message = True, f"diverged at step {k}: loss {loss:.3g}"
                break
            moved = k == 1 or not np.array_equal(w, w_prev) or np.array_equal(ws[-3], w_prev)
            if moved and abs(loss - losses[-2]) <= tol:
                converged, message = True, f"converged at step {k}: |E(w_k) - E(w_k-1)| <= tol={tol:g}"
                break
    return Trace(np.array(ws), np.array(losses), converged, diverged, message)
