"""The experiments of the Measured chapter, one home for both sizes: ``bench/rates.py`` and
``bench/encoders.py`` run them in full and write the results the chapter prints; the tests run
small versions of them to check what the chapter says.

Rates on quadratics: each method at the parameters the theory calls optimal for eigenvalues in
[mu, L], its rate as the spectral radius of its iteration on the actual spectrum, and the
textbook formula quoted beside it. The classic papers' problems: encoders, XOR and parity on
sigmoid networks, and the epochs a method needs until every output is within ``CRITERION`` of
its target.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from . import examples, optim
from .mlp import MLP

# --- rates on quadratics -------------------------------------------------------------------
SHRINK = 1e6  # the runs go until the error ||w_k - w*|| has shrunk by this factor
RATE_METHODS = ["gradient descent", "heavy ball (Polyak)", "Nesterov", "heavy ball at Nesterov's η, β"]


def rate_parameters(kappa: float) -> dict:
    """{method: (optimizer, eta, beta)} at the optimal parameters for eigenvalues in [1, kappa]:
    gradient descent eta = 2 / (mu + L); the heavy ball at Polyak's eta = 4 / (sqrt L + sqrt mu)^2,
    beta = q^2; Nesterov at eta = 1/L, beta = q; the heavy ball at Nesterov's (eta, beta);
    q = (sqrt kappa - 1) / (sqrt kappa + 1)."""
    mu, L = 1.0, float(kappa)
    q = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    polyak = (4.0 / (math.sqrt(L) + math.sqrt(mu)) ** 2, q * q)
    nesterov = (1.0 / L, q)
    return {"gradient descent": (optim.GradientDescent(2.0 / (mu + L)), 2.0 / (mu + L), 0.0),
            "heavy ball (Polyak)": (optim.Momentum(*polyak), *polyak),
            "Nesterov": (optim.Nesterov(*nesterov), *nesterov),
            "heavy ball at Nesterov's η, β": (optim.Momentum(*nesterov), *nesterov)}


def spectral_radius(method: str, eta: float, beta: float, eigenvalues) -> float:
    """The asymptotic rate per step of the method's iteration on these eigenvalues: the largest
    |eigenvalue| of its 2x2 iteration matrix over every eigendirection (gradient descent is the
    heavy ball with beta = 0)."""
    m = examples.momentum_matrix(eta * np.asarray(eigenvalues, dtype=float), beta, nesterov=method == "Nesterov")
    return float(examples.spectral_radius(m).max())


def textbook_rate(method: str, kappa: float):
    """(the textbook rate quoted beside the method, its text); (None, "") for the comparison run."""
    s = math.sqrt(kappa)
    if method == "gradient descent":
        return (kappa - 1) / (kappa + 1), "(κ−1)/(κ+1)"
    if method == "heavy ball (Polyak)":
        return (s - 1) / (s + 1), "(√κ−1)/(√κ+1)"
    if method == "Nesterov":
        return 1 - 1 / s, "1 − 1/√κ"
    return None, ""


def relative_errors(objective, w0, w_star, opt, max_iter: int) -> np.ndarray:
    """||w_k - w*|| / ||w_0 - w*|| for k = 0, 1, ... until it falls below 1/SHRINK (or max_iter
    steps): ``optim.minimize`` with a callback that stops there, and no other stopping rule."""
    e0 = np.linalg.norm(np.asarray(w0, dtype=float) - w_star)
    run = optim.minimize(objective, w0, opt, max_iter=max_iter, tol=0.0,
                         callback=lambda k, w, loss: np.linalg.norm(w - w_star) <= e0 / SHRINK)
    return np.linalg.norm(run.w - w_star, axis=1) / e0


# --- the classic papers' problems ----------------------------------------------------------
CRITERION = 0.4  # every output within this of its target
INIT_RANGE = 1.0  # weights and biases start uniform in [-INIT_RANGE, INIT_RANGE]
SATURATED_WITHIN = 0.1  # a failed run is "saturated" if every output missing the criterion is this close to the wrong target
STUCK_GRADIENT = 1e-4  # otherwise "stuck" if its final gradient norm is below this
QUICKPROP_MAX_GROWTH = 1.75  # Fahlman's growth limit mu
ENCODER_METHODS = ["gradient descent", "momentum", "Nesterov", "Rprop", "Quickprop"]
FAILURES = ["saturated", "stuck", "still descending", "diverged"]


def bits(n: int) -> np.ndarray:
    """All 2^n patterns of n bits, as rows of 0.0 and 1.0."""
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


PROBLEMS = {  # name: (layer sizes, inputs X, targets D)
    "10-5-10 encoder": ([10, 5, 10], np.eye(10), np.eye(10)),
    "8-3-8 encoder": ([8, 3, 8], np.eye(8), np.eye(8)),
    "XOR (2-2-1)": ([2, 2, 1], bits(2), bits(2).sum(axis=1) % 2),
    "3-bit parity (3-3-1)": ([3, 3, 1], bits(3), bits(3).sum(axis=1) % 2),
}


def encoder_optimizer(method: str, lr, beta):
    """The optimizer a method runs with on these problems (Quickprop: Fahlman's mu = 1.75;
    Rprop: its defaults, no lr)."""
    return {"gradient descent": lambda: optim.GradientDescent(lr),
            "momentum": lambda: optim.Momentum(lr, beta),
            "Nesterov": lambda: optim.Nesterov(lr, beta),
            "Rprop": lambda: optim.Rprop(),
            "Quickprop": lambda: optim.Quickprop(lr, max_growth=QUICKPROP_MAX_GROWTH)}[method]()


def encoder_run(problem: str, method: str, setting, seed: int, max_epochs: int):
    """(epochs to the criterion or None, and for a failed run how it ended: one of ``FAILURES``).

    The weights start uniform in [-1, 1] with seed (index of the problem, seed); an epoch is one
    full-batch gradient and one step; the loss is ``MLP(..., divergence="l2")``."""
    sizes, X, D = PROBLEMS[problem]
    net = MLP(sizes, "sigmoid", divergence="l2")
    objective = net.objective(X, D)
    w = np.random.default_rng([list(PROBLEMS).index(problem), seed]).uniform(-INIT_RANGE, INIT_RANGE, net.n_params)
    opt = encoder_optimizer(method, *setting)
    state = opt.init(w)
    with np.errstate(all="ignore"):
        for epoch in range(1, max_epochs + 1):
            w, state = opt.step(objective, w, state)
            y = net.predict(w, X)
            if np.max(np.abs(y - objective.D)) < CRITERION:
                return epoch, None
            if not np.all(np.isfinite(w)):
                return None, "diverged"
        error = np.abs(y - objective.D)
        if np.all(error[error >= CRITERION] > 1.0 - SATURATED_WITHIN):
            return None, "saturated"
        if np.linalg.norm(objective.grad(w)) < STUCK_GRADIENT:
            return None, "stuck"
    return None, "still descending"


def epochs_to_criterion(problem: str, method: str, setting, seed: int, max_epochs: int):
    """Epochs until max |y - d| < CRITERION over all patterns and outputs; None if never."""
    return encoder_run(problem, method, setting, seed, max_epochs)[0]
