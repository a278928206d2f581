"""Objectives E(w) over a flat float64 vector w, each with ``value``, ``grad`` and ``hess``.

An objective is any object with ``value(w) -> float`` and ``grad(w) -> (d,)`` (and, for Newton's
method, ``hess(w) -> (d, d)``). ``value`` also accepts a batch of points ``(..., d)`` so that a
contour plot evaluates a whole grid in one call. ``dim`` is the length of w.

The lecture writes gradients as row vectors and updates with their transpose; here a gradient is
simply a flat vector of the same shape as w.
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from . import _checks
from .activations import sigmoid


class Quadratic:
    """E(w) = 1/2 w^T A w + w^T b + c.

    ``A`` is replaced by its symmetric part (A + A^T)/2, which has the same value everywhere
    (the lecture's "A can always be made symmetric"); so grad E = A w + b and hess E = A.
    """

    def __init__(self, A, b=None, c: float = 0.0):
        A = np.array(A, dtype=np.float64, ndmin=2)
        if A.ndim != 2 or A.shape[0] != A.shape[1]:
            raise ValueError(f"A must be a square matrix, got shape {A.shape}")
        self.dim = A.shape[0]
        self.A = 0.5 * (A + A.T)
        self.b = np.zeros(self.dim) if b is None else np.array(b, dtype=np.float64).reshape(-1)
        if self.b.shape != (self.dim,):
            raise ValueError(f"b must have shape ({self.dim},) to match A, got {np.shape(b)}")
        self.c = float(c)
        if not (np.all(np.isfinite(self.A)) and np.all(np.isfinite(self.b)) and np.isfinite(self.c)):
            raise ValueError("A, b and c must be finite")

    @classmethod
    def from_eigenvalues(cls, eigenvalues, b=None, c=0.0, *, angle=0.0, seed=None):
        """A = Q diag(eigenvalues) Q^T: axis-aligned (Q = I), rotated by ``angle`` (2-D only),
        or rotated by a random orthogonal Q drawn from ``seed``."""
        lam = np.array(eigenvalues, dtype=np.float64).reshape(-1)
        if seed is not None:
            q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((lam.size, lam.size)))
            Q = q * np.sign(np.diag(r))
        elif angle:
            if lam.size != 2:
                raise ValueError(f"angle rotates a 2-D quadratic, got {lam.size} eigenvalues")
            cs, sn = np.cos(angle), np.sin(angle)
            Q = np.array([[cs, -sn], [sn, cs]])
        else:
            Q = np.eye(lam.size)
        return cls((Q * lam) @ Q.T, b, c)

    def value(self, w):
        w = _batch(w, self.dim, self)
        return 0.5 * np.einsum("...i,ij,...j->...", w, self.A, w) + w @ self.b + self.c

    def grad(self, w):
        return self.A @ _vector(w, self.dim, self) + self.b

    def hess(self, w):
        _vector(w, self.dim, self)
        return self.A.copy()

    @property
    def eigenvalues(self) -> np.ndarray:
        """Eigenvalues of A, ascending."""
        return np.linalg.eigvalsh(self.A)

    def minimizer(self) -> np.ndarray:
        """w* = -A^{-1} b; a ``ValueError`` if A is not positive definite (no unique minimum)."""
        if self.eigenvalues[0] <= 0:
            raise ValueError(f"A is not positive definite (smallest eigenvalue {self.eigenvalues[0]:g}); "
                             "E has no unique minimum")
        return -np.linalg.solve(self.A, self.b)

    def min_value(self) -> float:
        """E(w*) = c - 1/2 b^T A^{-1} b."""
        return float(self.value(self.minimizer()))


class Rosenbrock:
    """E(w) = sum_i b (w_{i+1} - w_i^2)^2 + (a - w_i)^2 (scipy.optimize.rosen for a=1, b=100).

    A curved, badly conditioned valley. In 2-D the minimum is E = 0 at w = (a, a^2). In 3 or more
    dimensions E = 0 needs w_i = a and w_(i+1) = w_i^2 at once, so only a = 1 (minimum at w = 1,
    scipy's case) and a = 0 (at w = 0) reach it; for any other a the minimum is above 0.
    """

    def __init__(self, a: float = 1.0, b: float = 100.0, dim: int = 2):
        self.a, self.b = float(a), _checks.positive("b", b)
        self.dim = _checks.integer("dim", dim, 2)

    def value(self, w):
        w = _batch(w, self.dim, self)
        x, y = w[..., :-1], w[..., 1:]
        return np.sum(self.b * (y - x**2) ** 2 + (self.a - x) ** 2, axis=-1)

    def grad(self, w):
        w = _vector(w, self.dim, self)
        x, y = w[:-1], w[1:]
        inner = y - x**2
        g = np.zeros_like(w)
        g[:-1] = -4.0 * self.b * x * inner - 2.0 * (self.a - x)
        g[1:] += 2.0 * self.b * inner
        return g

    def hess(self, w):
        w = _vector(w, self.dim, self)
        x, y = w[:-1], w[1:]
        diag = np.zeros_like(w)
        diag[:-1] = 12.0 * self.b * x**2 - 4.0 * self.b * y + 2.0
        diag[1:] += 2.0 * self.b
        off = -4.0 * self.b * x
        return np.diag(diag) + np.diag(off, 1) + np.diag(off, -1)


class DoubleWell:
    """E(w) = 1/2 w_1^2 + 1/4 w_2^4 - 1/2 w_2^2: a saddle at 0 between minima at (0, +-1).

    Gradient descent started on the w_1 axis converges to the saddle; started a hair off it,
    it lingers near the saddle for a number of steps that grows like log(1 / offset).
    """

    dim = 2

    def value(self, w):
        w = _batch(w, 2, self)
        return 0.5 * w[..., 0] ** 2 + 0.25 * w[..., 1] ** 4 - 0.5 * w[..., 1] ** 2

    def grad(self, w):
        w = _vector(w, 2, self)
        return np.array([w[0], w[1] ** 3 - w[1]])

    def hess(self, w):
        w = _vector(w, 2, self)
        return np.diag([1.0, 3.0 * w[1] ** 2 - 1.0])


class MonkeySaddle:
    """E(w) = w_1^3 - 3 w_1 w_2^2: a critical point at 0 whose Hessian is zero (degenerate)."""

    dim = 2

    def value(self, w):
        w = _batch(w, 2, self)
        return w[..., 0] ** 3 - 3.0 * w[..., 0] * w[..., 1] ** 2

    def grad(self, w):
        x, y = _vector(w, 2, self)
        return np.array([3.0 * x**2 - 3.0 * y**2, -6.0 * x * y])

    def hess(self, w):
        x, y = _vector(w, 2, self)
        return np.array([[6.0 * x, -6.0 * y], [-6.0 * y, -6.0 * x]])


class Softplus:
    """E(w) = sum_i log(1 + e^{-w_i}) + mu/2 ||w||^2, the logistic loss of a separable point.

    Its second derivative is at most 1/4 + mu, so E is Lipschitz smooth. With ``mu = 0`` it is
    convex but not strongly convex: inf E = 0 is approached as w -> infinity and gradient descent
    needs O(1/eps) steps to get within eps. With ``mu > 0`` it is strongly convex and the
    error shrinks linearly, in O(log 1/eps) steps.
    """

    def __init__(self, dim: int = 1, mu: float = 0.0):
        self.dim = _checks.integer("dim", dim, 1)
        self.mu = _checks.in_interval("mu", mu, 0.0, np.inf)

    def value(self, w):
        w = _batch(w, self.dim, self)
        return np.sum(np.logaddexp(0.0, -w) + 0.5 * self.mu * w * w, axis=-1)

    def grad(self, w):
        w = _vector(w, self.dim, self)
        return -sigmoid(-w) + self.mu * w

    def hess(self, w):
        w = _vector(w, self.dim, self)
        return np.diag(sigmoid(w) * sigmoid(-w) + self.mu)

    def min_value(self) -> float:
        """inf E: 0 for mu = 0; otherwise E at the root of mu w = sigmoid(-w), found by bisection."""
        if self.mu == 0:
            return 0.0
        lo, hi = 0.0, 1.0 / self.mu
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if self.mu * mid < sigmoid(-mid) else (lo, mid)
        return float(self.value(np.full(self.dim, 0.5 * (lo + hi))))


class Function:
    """Wrap plain callables as an objective: ``Function(f, grad, hess=None, dim=None)``."""

    def __init__(self, value: Callable, grad: Callable, hess: Optional[Callable] = None, dim=None):
        self._value, self._grad, self._hess, self.dim = value, grad, hess, dim

    def value(self, w):
        """E(w); a batch (..., d) is evaluated point by point (for contour plots)."""
        w = np.asarray(w, dtype=np.float64)
        if w.ndim <= 1:
            return float(self._value(w))
        flat = w.reshape(-1, w.shape[-1])
        return np.array([float(self._value(x)) for x in flat]).reshape(w.shape[:-1])

    def grad(self, w):
        return np.asarray(self._grad(w), dtype=np.float64)

    def hess(self, w):
        if self._hess is None:
            raise ValueError("this Function has no Hessian: pass hess= to use Newton's method")
        return np.asarray(self._hess(w), dtype=np.float64)


def _vector(w, dim, owner):
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (dim,):
        _checks.dimension(w, dim, f"this {type(owner).__name__}")
    return w


def _batch(w, dim, owner):
    w = np.asarray(w, dtype=np.float64)
    if w.ndim < 1 or w.shape[-1] != dim:
        _checks.dimension(w, dim, f"this {type(owner).__name__}")
    return w
