"""The problems the homework checker runs: an objective, a start, and the keyword arguments
both the student's class and the reference are built with.

This module imports no optimizer, so the sandbox can load it without the reference.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import mlp, objectives, schedules


@dataclass
class Scenario:
    name: str
    objective: object
    w0: np.ndarray
    kwargs: dict  # how the student's class is constructed
    steps: int
    tags: tuple = ()


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
    far = objectives.Quadratic(np.diag([1e-6, 2e-6, 1e-6]), [-1.0, 1.0, -0.5])
    out.append(Scenario("a far minimum: delta reaches delta_max = 0.5", far, np.zeros(3), {"delta_max": 0.5}, 40))
    sharp = objectives.Quadratic(np.diag([1.0, 3.0, 10.0]))
    out.append(Scenario("near the minimum: delta reaches delta_min = 0.05", sharp, np.array([0.3, -0.2, 0.1]), {"delta0": 1.0, "delta_min": 0.05}, 40))
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
    at_min = objectives.Quadratic(np.diag([1.0, 4.0]), [0.0, -4.0])  # w_1 starts at its minimum
    out.append(Scenario("one weight starts at its minimum (a zero step)", at_min, np.array([0.0, 3.0]), {"lr": 0.1}, 20))
    slope = objectives.Function(lambda w: 2.0 * w[0] + 0.5 * w[1] ** 2, lambda w: np.array([2.0, w[1]]), dim=2)
    out.append(Scenario("a constant slope in w_1 (the slope never changes)", slope, np.array([1.0, 2.0]), {"lr": 0.1}, 15))
    concave = objectives.Function(lambda w: -np.sum(w**2), lambda w: -2.0 * w, dim=2)
    out.append(Scenario("a concave bowl (every secant step would go uphill)", concave, np.array([1.0, -0.5]), {"lr": 0.1, "max_growth": 1.5}, 8))
    out.append(Scenario("a learning-rate schedule lr(k) = 0.05 exp(-0.1 k)", objectives.Quadratic(np.diag([1.0, 5.0])),
                        np.array([2.0, -1.0]),
                        {"lr": schedules.exponential(0.05, 0.1)}, 20, ("schedule",)))
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
    out.append(Scenario("a learning-rate schedule lr(k) = 0.3 exp(-0.05 k)", q, np.array([2.0, 2.0]), {"lr": sched, "beta": 0.9}, 30, ("schedule",)))
    return out
