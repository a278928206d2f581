"""The perceptron rule, and Brady, Raghavan & Slawny's (1989) examples where backprop with a
logistic output and L2 divergence fails to separate points that the perceptron separates.

A single neuron has the flat weight vector w = [w_x, w_y, b]: z = w_x x + w_y y + b.
Classes are +1 / -1; backprop's targets are 1 - eps for +1 and eps for -1.
"""
from __future__ import annotations

import numpy as np

from . import _checks, optim
from .mlp import MLP


def perceptron(X, labels, w0=None, max_epochs: int = 10_000):
    """Rosenblatt's rule: for every misclassified x (label d = +-1), w <- w + d [x, 1].

    Returns (w, updates, separated): the weights [w..., b], how many updates were made, and
    whether an epoch passed with no error (a point on the boundary, z = 0, is an error).
    """
    X, labels = _points(X, labels)
    Xa = np.hstack([X, np.ones((len(X), 1))])
    w = np.zeros(Xa.shape[1]) if w0 is None else _weights(w0, X, "w0")
    updates = 0
    for _ in range(max_epochs):
        errors = 0
        for x, d in zip(Xa, labels):
            if d * (x @ w) <= 0:
                w += d * x
                errors += 1
        updates += errors
        if errors == 0:
            return w, updates, True
    return w, updates, False


def errors(w, X, labels) -> int:
    """How many points the neuron w = [w..., b] puts on the wrong side (z = 0 counts as wrong)."""
    X, labels = _points(X, labels)
    w = _weights(w, X, "w")
    return int(np.sum(labels * (X @ w[:-1] + w[-1]) <= 0))


def brady_points(t: float = 10.0, spoiler: bool = True):
    """The three points (1, 0)+, (0, 1)+, (-1, 0)-, and the fourth "spoiler" (0, -t)+."""
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -float(t)]])
    labels = np.array([1.0, 1.0, -1.0, 1.0])
    return (X, labels) if spoiler else (X[:3], labels[:3])


def three_point_optimum(eps: float = 0.01) -> np.ndarray:
    """w = (u, u, 0) with u = f^{-1}(1 - eps): every one of the three points exactly on target."""
    eps = _eps(eps)
    u = np.log((1.0 - eps) / eps)
    return np.array([u, u, 0.0])


def spoiler_set(n: int = 5, t: float = 10.0, spoilers: int = 1, seed: int = 0):
    """n +1 points on the line x + y = 1 (x in [0, 1]) and n -1 points on x + y = -1
    (x in [-1.5, -0.5]): like the three points, all fit exactly by w = (u, u, 0). Then
    ``spoilers`` +1 points at (0.1 j, -t - j), which a steeper line still separates."""
    rng = np.random.default_rng(seed)
    xp, xn = rng.uniform(0.0, 1.0, n), rng.uniform(-1.5, -0.5, n)
    X = np.vstack([np.column_stack([xp, 1.0 - xp]), np.column_stack([xn, -1.0 - xn]),
                   np.reshape([[0.1 * j, -float(t) - j] for j in range(spoilers)], (-1, 2))])
    return X, np.concatenate([np.ones(n), -np.ones(n), np.ones(spoilers)])


def spoiler_fits(t: float = 10.0, spoilers: int = 1, n: int = 5, eps: float = 0.01, max_iter: int = 3000):
    """Chapter 2's spoiler comparison on ``spoiler_set(n, t, spoilers)``: the perceptron (from 0)
    and backprop (gradient descent, eta = 10, from (u, u, 0), tol 1e-13) trained on the clean
    2n points and on them with the spoilers. Returns {"clean": (w_perceptron, w_backprop),
    "spoiled": (...), "X": ..., "labels": ...}; spoilers = 0 gives the clean set twice."""
    X, labels = spoiler_set(n, t, max(spoilers, 1))
    X, labels = X[:2 * n + spoilers], labels[:2 * n + spoilers]
    out = {"X": X, "labels": labels}
    for key, m in (("clean", 2 * n), ("spoiled", len(X))):
        w_bp = optim.minimize(neuron_objective(X[:m], labels[:m], eps), three_point_optimum(eps),
                              optim.GradientDescent(10.0), max_iter=max_iter, tol=1e-13).w[-1]
        out[key] = (perceptron(X[:m], labels[:m])[0], w_bp)
    return out


def spoiler_gradient(t: float, eps: float = 0.01) -> np.ndarray:
    """The gradient (d/dw_x, d/dw_y, d/db) of the spoiler's divergence div_4 alone (T = 1) at the
    three-point optimum (u, u, 0), by backprop: the pull of the point (0, -t) there."""
    X, labels = brady_points(t)
    return neuron_objective(X[3:], labels[3:], eps).grad(three_point_optimum(eps))


BACKPROP_LR, BACKPROP_MAX_ITER, BACKPROP_TOL = 10.0, 4000, 1e-13  # chapter 2's run from (u, u, 0)


def backprop_from_optimum(X, labels, eps: float = 0.01, lr: float = BACKPROP_LR, max_iter: int = BACKPROP_MAX_ITER,
                          tol: float = BACKPROP_TOL):
    """Backprop (gradient descent with ``lr``) on ``neuron_objective(X, labels, eps)`` from the
    three-point optimum (u, u, 0), stopping by the slides' rule |Delta Loss| <= tol: chapter 2's run."""
    return optim.minimize(neuron_objective(X, labels, eps), three_point_optimum(eps), optim.GradientDescent(lr),
                          max_iter=max_iter, tol=tol)


def neuron_objective(X, labels, eps: float = 0.01):
    """Backprop's loss for one logistic neuron: 1/T sum (sigma(z_t) - d_t)^2, d = 1-eps or eps."""
    X, labels = _points(X, labels)
    eps = _eps(eps)
    return MLP([X.shape[1], 1], "sigmoid", "l2").objective(X, np.where(labels > 0, 1.0 - eps, eps))


def _points(X, labels):
    X, labels = np.asarray(X, dtype=np.float64), np.asarray(labels, dtype=np.float64)
    if X.ndim != 2 or labels.shape != (len(X),) or not np.all(np.abs(labels) == 1):
        raise ValueError(f"need X of shape (T, n) and T labels in {{-1, +1}}, got {X.shape} and {labels.shape}")
    return X, labels


def _weights(w, X, name):
    w = _checks.flat_vector(w, name)
    if w.shape != (X.shape[1] + 1,):
        raise ValueError(f"{name} must hold {X.shape[1]} weights and a bias, got {w.size} numbers")
    return w


def _eps(eps):
    """Targets 1 - eps and eps must stay on their own sides of 1/2."""
    return _checks.in_interval("eps", eps, 0.0, 0.5, closed_low=False)
