"""The lecture's worked examples, each reproducible in one call."""
from __future__ import annotations

import numpy as np

from . import convergence, optim
from .activations import sigmoid
from .mlp import MLP
from .objectives import Function, Quadratic, Rosenbrock, Softplus


def two_learning_rates(w0=(-1.5, 1.5), steps: int = 50) -> dict:
    """The slides' "eta_1,opt = 1; eta_2,opt = 0.91; eta = 1.9 eta_2,opt": an axis-aligned
    quadratic A = diag(1, 1/0.91), stepped with one shared eta. Along w_1, eta = 1.73 eta_1,opt
    oscillates and converges; along w_2, eta = 1.9 eta_2,opt oscillates, converging slowly.
    A step a little larger, beyond 2 eta_2,opt = 1.82, would diverge along w_2."""
    q = Quadratic(np.diag([1.0, 1.0 / 0.91]))
    lr = 1.9 * 0.91
    trace = optim.minimize(q, w0, optim.GradientDescent(lr), max_iter=steps, tol=0.0)
    return {"objective": q, "lr": lr, "eta_opt": (1.0, 0.91), "trace": trace}


def best_fixed_step(kappa: float, w0=(1.0, 1.0), steps: int = 400, angle: float = np.pi / 5):
    """Gradient descent at the best fixed step 2/(lambda_min + lambda_max) on a rotated quadratic
    with eigenvalues 1 and ``kappa`` (E* = 0): chapter 4's condition-number figure."""
    q = Quadratic.from_eigenvalues([1.0, kappa], angle=angle)
    return q, optim.minimize(q, w0, optim.GradientDescent(convergence.best_lr(q.A)), max_iter=steps, tol=0.0)


def rotated_bowls(angle: float = np.pi / 6, w0=(-3.0, 1.5), lr: float = 0.18, steps: int = 30) -> dict:
    """Gradient descent on the quadratic with eigenvalues 1 and 10, axis-aligned from ``w0`` and
    rotated by ``angle`` from ``w0`` rotated with it: the same problem in rotated coordinates.
    Also a per-weight method, the simplified Rprop, on both: chapter 6's rotation figure."""
    cs, sn = np.cos(angle), np.sin(angle)
    rot = np.array([[cs, -sn], [sn, cs]])
    out = {"rotation": rot}
    for name, a, start in [("aligned", 0.0, np.asarray(w0, float)), ("rotated", angle, rot @ np.asarray(w0, float))]:
        q = Quadratic.from_eigenvalues([1.0, 10.0], angle=a)
        out[name] = {"objective": q,
                     "gd": optim.minimize(q, start, optim.GradientDescent(lr), max_iter=steps, tol=0.0),
                     "rprop": optim.minimize(q, start, optim.Rprop(delta0=0.1, variant="simplified"),
                                             max_iter=steps, tol=0.0)}
    return out


def nesterov_vs_momentum(kappa: float = 50.0, beta: float = 0.9, steps: int = 100,
                         w0=(-4.0, 3.0), angle: float = np.pi / 6) -> dict:
    """Momentum and Nesterov with the same eta = 1/lambda_max and beta on a rotated 2-D
    quadratic of condition number ``kappa`` (the slides' "converges much faster")."""
    q = Quadratic.from_eigenvalues([1.0, kappa], angle=angle)
    lr = 1.0 / kappa
    runs = {name: optim.minimize(q, w0, opt(lr, beta), max_iter=steps, tol=0.0)
            for name, opt in [("momentum", optim.Momentum), ("nesterov", optim.Nesterov)]}
    return {"objective": q, "lr": lr, "beta": beta, **runs}


def envelope(values, window: int = 20) -> np.ndarray:
    """``max(values[k : k + window])`` for every ``k`` with a full window: the upper envelope of
    an oscillating error curve. Compare runs by their envelopes, so that a comparison is not
    decided by where a swing happens to be at the step looked at."""
    values = np.asarray(values, dtype=float)
    window = int(window)
    if values.ndim != 1 or not 1 <= window <= len(values):
        raise ValueError(f"envelope needs a 1-D array of at least window={window} values, got shape {values.shape}")
    return np.lib.stride_tricks.sliding_window_view(values, window).max(axis=1)


def momentum_matrix(eta_lambda, beta: float, nesterov: bool = False) -> np.ndarray:
    """The 2x2 iteration matrix of momentum (or Nesterov) along one eigendirection of curvature
    lambda: (e_k, d_k) = M (e_{k-1}, d_{k-1}) for the error e = w - w* and the step d = Delta W,
    with eta_lambda = eta * lambda. Broadcasts over an array of eta_lambda: shape (..., 2, 2)."""
    h = np.asarray(eta_lambda, dtype=float)
    c = beta * (1 - h) if nesterov else np.full_like(h, beta)
    m = np.empty(h.shape + (2, 2))
    m[..., 0, 0], m[..., 0, 1] = 1 - h, c
    m[..., 1, 0], m[..., 1, 1] = -h, c
    return m


def spectral_radius(m) -> np.ndarray:
    """Largest |eigenvalue| of each 2x2 matrix in ``m`` (..., 2, 2)."""
    return np.abs(np.linalg.eigvals(m)).max(axis=-1)


def momentum_loops(steps: int = 40) -> dict:
    """The iterates of gradient descent, momentum and Nesterov on the quadratic of
    ``nesterov_vs_momentum`` (same eta, beta and start), and of the slides' training loops read
    literally: they set Delta W = 0 *inside* the Do loop, so every iteration starts from a fresh
    optimizer state."""
    ex = nesterov_vs_momentum()
    q, lr, beta, w0 = ex["objective"], ex["lr"], ex["beta"], np.array([-4.0, 3.0])

    def literal(opt):
        w, ws = w0, [w0]
        for _ in range(steps):
            w, _ = opt.step(q, w, opt.init(w))  # Delta W reset to 0 every iteration
            ws.append(w)
        return np.array(ws)

    def run(opt):
        return optim.minimize(q, w0, opt, max_iter=steps, tol=0.0).w

    return {"objective": q, "lr": lr, "beta": beta,
            "gradient descent": run(optim.GradientDescent(lr)),
            "momentum": run(optim.Momentum(lr, beta)), "nesterov": run(optim.Nesterov(lr, beta)),
            "slides' momentum loop": literal(optim.Momentum(lr, beta)),
            "slides' Nesterov loop": literal(optim.Nesterov(lr, beta))}


def two_point_logistic(c: float = 2.0) -> dict:
    """E(w) = log(1 + e^{-w}) + log(1 + e^{w - c}): the logistic loss of two points of opposite
    labels that no threshold separates. Convex, Lipschitz smooth with L = 1/2 (each term has
    E'' = sigma (1 - sigma) <= 1/4), with a finite minimiser w* = c/2: the hypotheses of the
    O(1/k) theorem, which the one separable point of ``Softplus(mu=0)`` (w* at infinity) lacks."""
    def value(w):
        return np.logaddexp(0.0, -w[0]) + np.logaddexp(0.0, w[0] - c)

    def grad(w):
        return np.array([-sigmoid(-w[0]) + sigmoid(w[0] - c)])

    def hess(w):
        s1, s2 = sigmoid(w[0]), sigmoid(w[0] - c)
        return np.array([[s1 * (1 - s1) + s2 * (1 - s2)]])

    f = Function(value, grad, hess, dim=1)
    w_star = np.array([c / 2])
    return {"objective": f, "w_star": w_star, "f_star": f.value(w_star), "L": 0.5}


def one_over_k_bound(etas=(0.5, 1.0, 2.0), w0: float = -10.0, steps: int = 2000) -> dict:
    """Gradient descent on ``two_point_logistic()`` for each eta <= 1/L, with the gap
    E(w_k) - E* and the theorem's bound ||w_0 - w*||^2 / (2 eta k), for k = 1, 2, ..."""
    ex = two_point_logistic()
    f, w_star, f_star, L = ex["objective"], ex["w_star"], ex["f_star"], ex["L"]
    runs = {}
    for eta in etas:
        if eta > 1 / L:
            raise ValueError(f"the O(1/k) bound needs eta <= 1/L = {1 / L:g}, got {eta}")
        # tol=0 runs until the loss stops changing in floating point (at most ``steps``)
        gap = optim.minimize(f, [w0], optim.GradientDescent(eta), max_iter=steps, tol=0.0).loss[1:] - f_star
        k = np.arange(1, len(gap) + 1)
        runs[eta] = {"k": k, "gap": gap, "bound": float(np.sum((w0 - w_star) ** 2)) / (2 * eta * k)}
    return {**ex, "w0": w0, "runs": runs}


def linear_rate_bound(mu: float = 0.1, w0: float = -6.0, steps: int = 60) -> dict:
    """Gradient descent at eta = 1/L on the strongly convex ``Softplus(mu)`` (m = mu, L = 1/4 + mu),
    with the gap E(w_k) - E* and the bound (1 - m/L)^k (E(w_0) - E*)."""
    f = Softplus(mu=mu)
    m, L = mu, 0.25 + mu
    gap = optim.minimize(f, [w0], optim.GradientDescent(1 / L), max_iter=steps, tol=0.0).loss - f.min_value()
    k = np.arange(len(gap))
    return {"objective": f, "m": m, "L": L, "k": k, "gap": gap, "bound": gap[0] * (1 - m / L) ** k}


def xor_problem():
    """The recap chapter's XOR network (2-3-1, tanh then sigmoid, L2 divergence) and its loss."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    d = np.array([0.0, 1.0, 1.0, 0.0])
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], divergence="l2")
    return net, net.objective(X, d)


def xor_race(seeds=range(10), max_steps: int = 1000) -> dict:
    """Chapter 8's table: the XOR loss curves of every method, one run per seed."""
    net, xor = xor_problem()
    methods = {
        "gradient descent, η = 1": optim.GradientDescent(1.0),
        "gradient descent, η = 10": optim.GradientDescent(10.0),
        "Rprop+ (Δ₀ = 0.1)": optim.Rprop(),
        "iRprop− (Δ₀ = 0.1)": optim.Rprop(variant="iRprop-"),
        "Quickprop (η = 3, max_growth = 1.75)": optim.Quickprop(3.0),
        "Quickprop (η = 3, no growth limit)": optim.Quickprop(3.0, max_growth=None),
    }
    return {name: [optim.minimize(xor, net.init(seed=s), opt, max_iter=max_steps, tol=0.0).loss for s in seeds]
            for name, opt in methods.items()}


def quickprop_xor(max_growth, lr: float, seeds=range(3), steps: int = 300) -> list:
    """Quickprop on XOR from each seed: chapter 8's growth-limit figure."""
    net, xor = xor_problem()
    return [optim.minimize(xor, net.init(seed=s), optim.Quickprop(lr, max_growth=max_growth), max_iter=steps, tol=0.0)
            for s in seeds]


def xor_initial_step(delta0: float, seed: int = 0, steps: int = 300) -> dict:
    """Chapter 8's Delta_0 figure: gradient descent (eta = 1 and 10) and Rprop+ and iRprop- with
    initial step ``delta0``, from one initialisation of the XOR network."""
    net, xor = xor_problem()
    w0 = net.init(seed=seed)
    methods = {"gradient descent, η = 1": optim.GradientDescent(1.0),
               "gradient descent, η = 10": optim.GradientDescent(10.0),
               f"Rprop+ (Δ₀ = {delta0:g})": optim.Rprop(delta0=delta0),
               f"iRprop− (Δ₀ = {delta0:g})": optim.Rprop(delta0=delta0, variant="iRprop-")}
    return {name: optim.minimize(xor, w0, opt, max_iter=steps, tol=0.0) for name, opt in methods.items()}


SUMMARY_PROBLEMS = ("quadratic, κ = 10", "quadratic, κ = 100", "quadratic, κ = 1000", "Rosenbrock")


def summary_problem(name: str):
    """(objective, w0, eta, E*) of one of chapter 10's race problems: a quadratic with curvatures
    1 and kappa rotated by 30 degrees from (-4, 3) with eta = 1/kappa, or Rosenbrock from (-1.2, 1)
    with eta = 1e-3."""
    if name not in SUMMARY_PROBLEMS:
        raise ValueError(f"unknown problem {name!r}: expected one of {SUMMARY_PROBLEMS}")
    if name == "Rosenbrock":
        return Rosenbrock(), np.array([-1.2, 1.0]), 1e-3, 0.0
    kappa = float(name.split("= ")[1])
    q = Quadratic.from_eigenvalues([1.0, kappa], angle=np.pi / 6)
    return q, np.array([-4.0, 3.0]), 1.0 / kappa, q.min_value()


def summary_race(name: str, max_iter: int = 300) -> tuple:
    """Chapter 10's race: every method of the lecture on one problem, 300 steps, stopping once the
    loss changes by less than 1e-20. Returns ({method: Result}, E*)."""
    obj, w0, eta, f_star = summary_problem(name)
    opts = {"gradient descent": optim.GradientDescent(eta), "momentum": optim.Momentum(eta, 0.9),
            "Nesterov": optim.Nesterov(eta, 0.9), "Rprop": optim.Rprop(), "Quickprop": optim.Quickprop(eta),
            "Newton": optim.Newton(), "BFGS": optim.BFGS()}
    return {m: optim.minimize(obj, w0, o, max_iter=max_iter, tol=1e-20) for m, o in opts.items()}, f_star

