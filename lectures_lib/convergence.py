"""Convergence of gradient descent on quadratics: optimal and divergent step sizes, the
condition number, rates, and the axis scaling that makes every direction alike.

For E = 1/2 a w^2 + b w + c, a step w <- w - eta E'(w) multiplies the error w - w* by
(1 - eta a). So eta_opt = 1/a reaches w* in one step; eta < eta_opt converges monotonically,
eta_opt < eta < 2 eta_opt oscillates while converging, eta > 2 eta_opt diverges, and
eta = 2 eta_opt oscillates for ever at the same distance. In many dimensions each eigen-
direction of A has its own eta_i,opt = 1 / lambda_i.
"""
from __future__ import annotations

import numpy as np

from . import _checks
from .objectives import Quadratic

REGIMES = ("monotone", "optimal", "oscillating", "periodic", "divergent")


def eta_opt(a: float) -> float:
    """The optimal step for E = 1/2 a w^2 + b w + c: eta_opt = 1/a (a Newton step)."""
    return 1.0 / _checks.positive("a", a)


def regime(eta: float, a: float, rtol: float = 1e-12) -> str:
    """Which of ``REGIMES`` gradient descent with step ``eta`` is in on curvature ``a > 0``."""
    r = 1.0 - _checks.positive("eta", eta) * _checks.positive("a", a)  # the error's multiplier
    if abs(r) <= rtol:
        return "optimal"
    if abs(r + 1.0) <= rtol:
        return "periodic"
    return "monotone" if r > 0 else "oscillating" if r > -1 else "divergent"


def optimal_rates(A) -> np.ndarray:
    """eta_i,opt = 1 / lambda_i for each eigen-direction of A (ascending lambda)."""
    return 1.0 / _positive_eigenvalues(A)


def max_stable_lr(A) -> float:
    """Gradient descent converges iff eta < 2 min_i eta_i,opt = 2 / lambda_max."""
    return 2.0 / _positive_eigenvalues(A)[-1]


def best_lr(A) -> float:
    """The fixed step 2 / (lambda_min + lambda_max) with the fastest worst-direction rate."""
    lam = _positive_eigenvalues(A)
    return 2.0 / (lam[0] + lam[-1])


def condition_number(A) -> float:
    """kappa = lambda_max / lambda_min = max_i eta_i,opt / min_i eta_i,opt.

    Convergence is slow when kappa is *large* (the slides once say "small"; they mean large).
    """
    lam = _positive_eigenvalues(A)
    return float(lam[-1] / lam[0])


def gd_rate(A, eta: float) -> float:
    """The factor max_i |1 - eta lambda_i| by which each step shrinks the error w - w* in the
    worst direction; at eta = best_lr(A) it is (kappa - 1) / (kappa + 1)."""
    return float(np.max(np.abs(1.0 - _checks.positive("eta", eta) * _positive_eigenvalues(A))))


def measured_rate(values, optimum: float = 0.0, tail: float = 0.5) -> float:
    """The rate R = |f(x^(k+1)) - f*| / |f(x^(k)) - f*| of a run, as the geometric mean over
    the last ``tail`` fraction of the run that is still above rounding error.

    R is the rate of the *loss* gap. For gradient descent on a quadratic the loss gap shrinks by
    the square of the distance's factor: R = gd_rate(A, eta)^2."""
    err = np.abs(np.asarray(values, dtype=np.float64) - optimum)
    floor = 1e-13 * max(1.0, abs(optimum), err[0])
    err = err[: np.argmax(err <= floor)] if np.any(err <= floor) else err
    if err.size < 3:
        raise ValueError("need at least 3 values above rounding error to measure a rate")
    start = int((1.0 - tail) * (err.size - 1))
    return float((err[-1] / err[start]) ** (1.0 / (err.size - 1 - start)))


def sqrtm(A, power: float = 0.5) -> np.ndarray:
    """A^power = E Lambda^power E^T for a symmetric positive definite A (power 0.5 or -0.5)."""
    A = np.asarray(A, dtype=np.float64)
    lam, E = np.linalg.eigh(0.5 * (A + A.T))
    if lam[0] <= 0:
        raise ValueError(f"A must be positive definite, smallest eigenvalue is {lam[0]:g}")
    return (E * lam**power) @ E.T


def scaled_quadratic(q: Quadratic) -> Quadratic:
    """The same E in coordinates w_hat = A^0.5 w: E = 1/2 w_hat^T w_hat + b_hat^T w_hat + c
    with b_hat = A^-0.5 b. (The slides write b_hat^T S = -b^T; the sign is a typo: matching
    the linear terms gives b_hat^T S = b^T.) Every direction then has eta_opt = 1."""
    return Quadratic(np.eye(q.dim), sqrtm(q.A, -0.5) @ q.b, q.c)


def _positive_eigenvalues(A) -> np.ndarray:
    lam = np.linalg.eigvalsh(np.asarray(A, dtype=np.float64))
    if lam[0] <= 0:
        raise ValueError(f"A must be positive definite, smallest eigenvalue is {lam[0]:g}")
    return lam
