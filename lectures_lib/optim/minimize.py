"""The driver loop: iterate an optimizer until the slides' stopping rule holds, evaluating
each point once, and report the run as a result like ``scipy.optimize.OptimizeResult``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

from .. import _checks

EXPLODED = 1e12  # |E| beyond EXPLODED * (1 + |E(w0)|) counts as divergence


class Memo:
    """An objective that remembers its last point, as scipy's ``MemoizeJac``: asking ``value``,
    ``grad`` or ``value_and_grad`` again at the same w costs nothing. Where the objective has
    ``value_and_grad(w)`` (an MLP computes both in one forward and one backward pass) every
    evaluation asks for both. ``nfev`` and ``njev`` count the evaluations of E and of its
    gradient that were actually made; ``hess`` and ``dim`` pass through."""

    def __init__(self, objective):
        self.objective, self.dim = objective, getattr(objective, "dim", None)
        self._both = getattr(objective, "value_and_grad", None)
        self._w = self._f = self._g = None
        self.nfev = self.njev = 0

    def _at(self, w):
        """Forget the remembered f and g unless w is the remembered point."""
        if self._w is None or not np.array_equal(self._w, w):
            self._w, self._f, self._g = np.array(w, dtype=np.float64), None, None

    def _fill(self, w, need_value):
        self._at(w)
        if self._both is not None and (self._f is None or self._g is None):
            f, g = self._both(w)
            self._f, self._g = float(f), np.asarray(g, dtype=np.float64)
            self.nfev, self.njev = self.nfev + 1, self.njev + 1
        elif need_value and self._f is None:
            self._f, self.nfev = float(self.objective.value(w)), self.nfev + 1
        elif not need_value and self._g is None:
            self._g, self.njev = np.asarray(self.objective.grad(w), dtype=np.float64), self.njev + 1

    def value(self, w) -> float:
        if np.ndim(w) != 1:  # a batch of points (a contour plot): not remembered
            return self.objective.value(w)
        self._fill(w, True)
        return self._f

    def grad(self, w) -> np.ndarray:
        """The gradient, shared with the memo: read it, never write into it."""
        self._fill(w, False)
        return self._g

    def value_and_grad(self, w):
        return self.value(w), self.grad(w)

    def hess(self, w):
        return self.objective.hess(w)


def value_and_grad(objective, w):
    """(E(w), grad E(w)), in one call where the objective offers ``value_and_grad``."""
    both = getattr(objective, "value_and_grad", None)
    if both is not None:
        return both(w)
    return objective.value(w), objective.grad(w)


@dataclass(frozen=True)
class Result:
    """How a run of ``minimize`` went, with scipy's names and the book's.

    ``x``, ``fun``: the last point and its loss; ``nit`` steps taken; ``nfev``, ``njev``
    evaluations of E and of its gradient; ``state`` the optimizer's final state; ``success``
    (= ``converged``) when the stopping rule held; ``diverged``; ``message``.
    ``w`` (nit+1, d) every iterate (only the last point, shape (1, d), with ``record=False``);
    ``loss`` (nit+1,) every loss; ``lr`` (nit,) the learning rate each step used (NaN for an
    optimizer without one; for BFGS and L-BFGS the first trial step of the line search).
    """

    w: np.ndarray
    loss: np.ndarray
    converged: bool
    diverged: bool
    message: str
    nit: int = 0
    nfev: int = 0
    njev: int = 0
    state: Any = None
    lr: Optional[np.ndarray] = None

    @property
    def x(self) -> np.ndarray:
        """The last point, as scipy calls it."""
        return self.w[-1]

    @property
    def fun(self) -> float:
        """E at the last point."""
        return float(self.loss[-1])

    @property
    def success(self) -> bool:
        """scipy's name for ``converged``."""
        return self.converged


Trace = Result  # the name the book and older code use


def steps_to(run, eps, f_star: float = 0.0):
    """The first step k at which E(w_k) - E* <= eps, or None if the run never got there.

    ``run`` is a ``Result`` or a sequence of losses. For an array of ``eps`` the answer is a
    float array, with NaN where the run never got within that eps."""
    loss = np.asarray(run.loss if isinstance(run, Result) else run, dtype=np.float64)
    gap = loss - f_star
    if np.ndim(eps) == 0:
        hit = np.flatnonzero(gap <= eps)
        return int(hit[0]) if hit.size else None
    hits = [np.flatnonzero(gap <= e) for e in np.asarray(eps, dtype=np.float64)]
    return np.array([h[0] if h.size else np.nan for h in hits], dtype=np.float64)


def _lr_used(opt, state) -> float:
    """The learning rate of the step that produced ``state`` (NaN where there is none)."""
    if hasattr(opt, "lr_used"):
        return opt.lr_used(state)
    lr = getattr(opt, "lr", None)
    return np.nan if lr is None else _checks.lr_at(lr, state.k - 1)


def _step_in_place(opt, objective, w, state):
    """``opt.step_``; for an optimizer without one, its pure ``step`` copied into w."""
    if hasattr(opt, "step_"):
        return opt.step_(objective, w, state)
    w_new, state = opt.step(objective, w, state)
    np.copyto(w, w_new)
    return state


def minimize(objective, w0, opt, max_iter: int = 1000, tol: float = 1e-8,
             callback: Optional[Callable] = None, record: bool = True) -> Result:
    """Run ``opt`` from ``w0``; return a ``Result`` with every iterate and loss.

    Stops when |E(w^(k)) - E(w^(k-1))| <= tol (the slides' rule; converged), when the loss stops
    being finite or explodes (diverged, no exception), after ``max_iter`` steps, or when
    ``callback(k, w, loss)``, called after every step, returns True ("stopped by the callback";
    ``w`` is the driver's own array when ``record=False``: copy it to keep it).
    A step that leaves w exactly where it was (Rprop pausing a weight after a sign change) does
    not count as convergence by itself, unless the step before did not move either.

    Each point is evaluated once: the objective is wrapped in a one-entry ``Memo``, so the loss
    the driver records at w^(k) is the one ReduceOnPlateau and iRprop+ read at the next step.
    ``record=False`` keeps only the last point (``w`` has shape (1, d)) and steps with the
    optimizer's in-place kernel ``step_``: memory O(d) instead of O(max_iter * d).

    The rule watches the loss, not w, and can be fooled: at eta = 2 eta_opt gradient descent on
    a quadratic bounces between two points of equal loss, and the rule reports convergence
    after one step. That is the slides' rule; the book shows it.
    """
    w = _checks.flat_vector(w0, "w0")
    if getattr(objective, "dim", None) is not None:
        _checks.dimension(w, objective.dim, f"this {type(objective).__name__}")
    _checks.integer("max_iter", max_iter, 0)
    tol = _checks.in_interval("tol", tol, 0.0, np.inf)

    memo = Memo(objective)
    losses, lrs = [memo.value(w)], []
    ws = [w] if record else None
    limit = EXPLODED * (1.0 + abs(losses[0]))
    converged = diverged = False
    message = f"stopped after max_iter={max_iter} steps"
    state = opt.init(w)
    w_prev, still_before = w.copy(), False
    with np.errstate(all="ignore"):  # a diverging run ends quietly with diverged=True
        for k in range(1, max_iter + 1):
            if record:
                w_prev = w
                w, state = opt.step(memo, w, state)
                ws.append(w)
            else:
                np.copyto(w_prev, w)
                state = _step_in_place(opt, memo, w, state)
            loss = memo.value(w)
            losses.append(loss)
            lrs.append(_lr_used(opt, state))
            stop = callback is not None and bool(callback(k, w, loss))
            if not (np.isfinite(loss) and abs(loss) <= limit and np.all(np.isfinite(w))):
                diverged, message = True, f"diverged at step {k}: loss {loss:.3g}"
                break
            still = k > 1 and np.array_equal(w, w_prev)
            if not (still and not still_before) and abs(loss - losses[-2]) <= tol:
                converged, message = True, f"converged at step {k}: |E(w_k) - E(w_k-1)| <= tol={tol:g}"
                break
            still_before = still
            if stop:
                message = f"stopped by the callback at step {k}"
                break
    return Result(np.array(ws) if record else w[None, :].copy(), np.array(losses), converged, diverged, message,
                  nit=len(losses) - 1, nfev=memo.nfev, njev=memo.njev, state=state, lr=np.array(lrs))
