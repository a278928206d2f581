"""Finite differences: the independent check of every gradient and Hessian in the library."""
from __future__ import annotations

import numpy as np


def grad(f, w, h: float = 1e-6) -> np.ndarray:
    """Central differences (f(w + h e_i) - f(w - h e_i)) / 2h for every i."""
    w = np.asarray(w, dtype=np.float64)
    E = h * np.eye(w.size)
    return np.array([(f(w + e) - f(w - e)) / (2 * h) for e in E])


def hess(grad_f, w, h: float = 1e-5) -> np.ndarray:
    """Central differences of a gradient, symmetrised."""
    w = np.asarray(w, dtype=np.float64)
    E = h * np.eye(w.size)
    H = np.array([(grad_f(w + e) - grad_f(w - e)) / (2 * h) for e in E])
    return 0.5 * (H + H.T)


def check_grad(objective, w, h: float = 1e-6) -> float:
    """Largest |analytic - finite-difference| gradient entry, relative to the gradient's size
    (divided by max(1, largest |finite-difference entry|)), by central differences.

    Not ``scipy.optimize.check_grad``, despite the name: scipy's takes ``(func, grad, x0)`` and
    returns the 2-norm of the difference, absolute, from forward differences."""
    g = objective.grad(w)
    fd = grad(objective.value, w, h)
    return float(np.max(np.abs(g - fd)) / max(1.0, np.max(np.abs(fd))))
