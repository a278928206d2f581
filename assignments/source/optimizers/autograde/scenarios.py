"""The problems the homework checker runs: an objective, a start, and the keyword arguments
both the student's class and the reference are built with.

This module imports no optimizer, so the sandbox can load it without the reference.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lectures_lib import mlp, objectives, schedules


@dataclass
class Scenario:
    name: str
    objective: object
    w0: np.ndarray
    kwargs: dict  # how the student's class is constructed
    steps: int


def _quadratics(seed):
    rng = np.random.default_rng(seed)
    yield "separable quadratic, 5 weights", objectives.Quadratic(np.diag(np.logspace(-1, 1, 5)), rng.normal(size=5)), rng.normal(size=5) * 3
    yield "coupled quadratic, 2 weights", objectives.Quadratic.from_eigenvalues([1.0, 8.0], rng.normal(size=2), angle=0.7), rng.normal(size=2) * 3
    yield "ill-conditioned quadratic, 17 weights (kappa = 1e3)", objectives.Quadratic.from_eigenvalues(
        np.logspace(0, 3, 17), rng.normal(size=17), seed=seed), rng.normal(size=17)


def _xor():
    net = mlp.MLP([2, 3, 1], ["tanh", "sigmoid"])
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return net.objective(X, np.array([0.0, 1.0, 1.0, 0.0])), net.init(seed=1)


def rprop():
    out = []
    for seed in (0, 1):
        for name, obj, w0 in _quadratics(seed):
            out.append(Scenario(f"{name} (seed {seed})", obj, w0, {}, 60))
    obj, w0 = _xor()
    out.append(Scenario("small MLP on XOR (13 weights)", obj, w0, {}, 80))
    out.append(Scenario("Rosenbrock", objectives.Rosenbrock(dim=3), np.array([-1.2, 1.0, 0.5]), {}, 80))
    rng = np.random.default_rng(7)
    far = objectives.Quadratic(np.diag(rng.uniform(1e-7, 1e-6, 24)), rng.choice([-1.0, 1.0], 24) * rng.uniform(0.5, 1, 24))
    out.append(Scenario("a far minimum, 24 weights: each Δ grows into Δmax = 0.5", far, np.zeros(24),
                        {"delta_max": 0.5}, 30))
    sharp = objectives.Quadratic(np.diag(rng.uniform(1.0, 10.0, 24)))
    out.append(Scenario("near the minimum, 24 weights: each Δ shrinks into Δmin = 0.05", sharp,
                        rng.uniform(-0.3, 0.3, 24), {"delta0": 1.0, "delta_min": 0.05}, 40))
    centre = np.array([3.0, -2.0, 5.0, 1.0])
    tight = objectives.Quadratic(np.diag([1.0, 2.0, 4.0, 8.0]), -np.diag([1.0, 2.0, 4.0, 8.0]) @ centre)
    out.append(Scenario("converged: Δ reaches the default Δmin = 1e-6 far from w = 0", tight,
                        centre + 1e-4 * np.array([1.0, -1.0, 1.0, -1.0]), {"delta0": 1e-4}, 60))
    one = objectives.Quadratic(np.diag([2.0]))
    out.append(Scenario("one weight, E = w^2, overshooting at once", one, np.array([1.0]), {"delta0": 1.5}, 20))
    return out


def quickprop():
    out = []
    for seed in (0, 1):
        for name, obj, w0 in _quadratics(seed):
            out.append(Scenario(f"{name} (seed {seed})", obj, w0, {"lr": 0.02}, 40))
    obj, w0 = _xor()
    out.append(Scenario("small MLP on XOR (13 weights)", obj, w0, {"lr": 0.5}, 60))
    out.append(Scenario("Rosenbrock, pure secant (max_growth=None)", objectives.Rosenbrock(dim=2), np.array([-1.2, 1.0]), {"lr": 1e-3, "max_growth": None}, 30))
    rng = np.random.default_rng(3)
    A = objectives.Quadratic.from_eigenvalues(np.linspace(1.0, 10.0, 30), np.zeros(30), seed=3).A
    w0 = rng.normal(size=30)
    g0 = np.where(np.arange(30) < 24, 0.0, rng.normal(size=30))  # 24 weights start at their own minimum
    coupled = objectives.Quadratic(A, g0 - A @ w0)
    out.append(Scenario("coupled quadratic, 30 weights, 24 starting at their own minimum (a zero first step, then "
                        "a changed slope)", coupled, w0, {"lr": 0.02}, 12))
    slope = objectives.Function(lambda w: 2.0 * w[0] - w[1] + 0.5 * w[2] + 0.5 * w[3] ** 2,
                                lambda w: np.array([2.0, -1.0, 0.5, w[3]]), dim=4)
    out.append(Scenario("constant slopes in w_0, w_1, w_2 (their slopes never change)", slope,
                        np.array([1.0, 2.0, -1.0, 2.0]), {"lr": 0.1}, 15))
    concave = objectives.Function(lambda w: -np.sum(w**2), lambda w: -2.0 * w, dim=2)
    out.append(Scenario("a concave bowl (every secant step would go uphill)", concave, np.array([1.0, -0.5]), {"lr": 0.1, "max_growth": 1.5}, 8))
    out.append(Scenario("a learning-rate schedule lr(k) = 0.05 exp(-0.1 k)", objectives.Quadratic(np.diag([1.0, 5.0])),
                        np.array([2.0, -1.0]),
                        {"lr": schedules.exponential(0.05, 0.1)}, 20))
    return out


def nesterov():
    out = []
    for seed in (0, 1):
        for name, obj, w0 in _quadratics(seed):
            lr = 0.5 / max(1.0, np.linalg.eigvalsh(obj.A)[-1])
            out.append(Scenario(f"{name} (seed {seed})", obj, w0, {"lr": lr, "beta": 0.9}, 50))
    obj, w0 = _xor()
    out.append(Scenario("small MLP on XOR (13 weights)", obj, w0, {"lr": 0.5, "beta": 0.9}, 60))
    out.append(Scenario("Rosenbrock", objectives.Rosenbrock(dim=2), np.array([-1.2, 1.0]), {"lr": 1e-3, "beta": 0.8}, 50))
    q = objectives.Quadratic(np.diag([1.0, 3.0]), [1.0, -1.0])
    out.append(Scenario("beta = 0 (plain gradient descent)", q, np.array([2.0, 2.0]),
                        {"lr": 0.2, "beta": 0.0}, 20))
    sched = schedules.exponential(0.3, 0.05)
    out.append(Scenario("a learning-rate schedule lr(k) = 0.3 exp(-0.05 k)", q, np.array([2.0, 2.0]), {"lr": sched, "beta": 0.9}, 30))
    coupled = objectives.Quadratic.from_eigenvalues([1.0, 4.0, 9.0], [1.0, 0.0, -1.0], seed=5)
    out.append(Scenario("inverse-time decay lr(k) = 0.1 / (k + 1), 3 coupled weights", coupled, np.array([1.0, -2.0, 3.0]),
                        {"lr": schedules.linear(0.1), "beta": 0.8}, 30))
    return out
