"""The lecture's worked examples, each reproducible in one call."""
from __future__ import annotations

import numpy as np

from . import optim
from .objectives import Quadratic


def two_learning_rates(w0=(-1.5, 1.5), steps: int = 50) -> dict:
    """The slides' "eta_1,opt = 1; eta_2,opt = 0.91; eta = 1.9 eta_2,opt": an axis-aligned
    quadratic A = diag(1, 1/0.91), stepped with one shared eta. Along w_1, eta = 1.73 eta_1,opt
    oscillates and converges; along w_2, eta = 1.9 eta_2,opt oscillates, converging slowly.
    A step a little larger, beyond 2 eta_2,opt = 1.82, would diverge along w_2."""
    q = Quadratic(np.diag([1.0, 1.0 / 0.91]))
    lr = 1.9 * 0.91
    trace = optim.minimize(q, w0, optim.GradientDescent(lr), max_iter=steps, tol=0.0)
    return {"objective": q, "lr": lr, "eta_opt": (1.0, 0.91), "trace": trace}


def nesterov_vs_momentum(kappa: float = 50.0, beta: float = 0.9, steps: int = 100,
                         w0=(-4.0, 3.0), angle: float = np.pi / 6) -> dict:
    """Momentum and Nesterov with the same eta = 1/lambda_max and beta on a rotated 2-D
    quadratic of condition number ``kappa`` (the slides' "converges much faster")."""
    q = Quadratic.from_eigenvalues([1.0, kappa], angle=angle)
    lr = 1.0 / kappa
    runs = {name: optim.minimize(q, w0, opt(lr, beta), max_iter=steps, tol=0.0)
            for name, opt in [("momentum", optim.Momentum), ("nesterov", optim.Nesterov)]}
    return {"objective": q, "lr": lr, "beta": beta, **runs}
