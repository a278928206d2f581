"""The lecture's worked examples, each reproducible in one call."""
from __future__ import annotations

import numpy as np

from . import _checks, convergence, numdiff, optim, schedules
from .activations import sigmoid
from .mlp import MLP
from .objectives import DoubleWell, Function, Quadratic, Rosenbrock, Softplus


SADDLE_TOL = 1e-12  # chapter 3's saddle runs: the slides' stopping rule's epsilon


def saddle_escape(delta: float, lr: float, w1: float = 1.5, steps: int = 600):
    """Chapter 3's saddle run: gradient descent with ``lr`` on ``DoubleWell()`` from (w1, delta),
    near the saddle's stable axis, stopped by the slides' rule |E(w_k) - E(w_{k-1})| <= SADDLE_TOL."""
    return optim.minimize(DoubleWell(), [w1, delta], optim.GradientDescent(lr), max_iter=steps, tol=SADDLE_TOL)


XOR_PLATEAU_SEEDS, XOR_PLATEAU_LR, XOR_PLATEAU_STEPS = 12, 5.0, 4000  # chapter 3's XOR runs


def xor_plateaus(seeds: int = XOR_PLATEAU_SEEDS, lr: float = XOR_PLATEAU_LR, steps: int = XOR_PLATEAU_STEPS):
    """Chapter 3's small-network runs: a 2-2-1 sigmoid network (L2 divergence) trained on XOR by
    gradient descent with ``lr`` for ``steps`` steps from ``net.init(seed)`` for each of
    ``range(seeds)``. Returns the array of final losses, one per seed."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    net = MLP([2, 2, 1], "sigmoid", "l2")
    loss = net.objective(X, np.array([0.0, 1.0, 1.0, 0.0]))
    return np.array([optim.minimize(loss, net.init(s), optim.GradientDescent(lr), max_iter=steps, tol=0.0).loss[-1]
                     for s in range(seeds)])


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
    out = {"rotation": rot, "angle": angle, "lr": lr, "steps": steps}
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


TWO_WELLS_STARTS = {"poor": -1.6, "global": 1.6}  # a start inside each well


def two_wells(poor=(-1.5, 0.15, 0.6), wide=(1.5, 0.5, 1.0)) -> Function:
    """Chapter 7's non-convex loss: a gentle bowl 1/2 sqrt(1 + w^2) (slope below 1/2) with two
    Gaussian wells (centre, width, depth) carved into it, a narrow shallow one (``poor``) and a
    wide deep one (``wide``):
    E(w) = 1/2 sqrt(1 + w^2) - 0.6 exp(-(w + 1.5)^2 / (2 0.15^2)) - exp(-(w - 1.5)^2 / (2 0.5^2))."""
    (m1, s1, a1), (m2, s2, a2) = poor, wide

    def value(w):
        w = np.asarray(w, dtype=np.float64)
        return np.sum(0.5 * np.sqrt(1 + w**2) - a1 * np.exp(-(w - m1) ** 2 / (2 * s1**2))
                      - a2 * np.exp(-(w - m2) ** 2 / (2 * s2**2)))

    def grad(w):
        w = np.asarray(w, dtype=np.float64)
        return (0.5 * w / np.sqrt(1 + w**2) + a1 * (w - m1) / s1**2 * np.exp(-(w - m1) ** 2 / (2 * s1**2))
                + a2 * (w - m2) / s2**2 * np.exp(-(w - m2) ** 2 / (2 * s2**2)))

    return Function(value, grad, dim=1)


def two_wells_minima(lr: float = 0.01, steps: int = 5000) -> dict:
    """{well: (w, 2 eta_opt)} of ``two_wells()``: gradient descent from inside each well (tol 1e-15)
    finds its minimum, and 2 / E''(w) there, with E'' by finite differences of the gradient."""
    E = two_wells()
    out = {}
    for name, start in TWO_WELLS_STARTS.items():
        w = optim.minimize(E, [start], optim.GradientDescent(lr), max_iter=steps, tol=1e-15).w[-1]
        out[name] = (w, 2 * convergence.eta_opt(numdiff.hess(E.grad, w)[0, 0]))
    return out


WELL_SCHEDULES = ("constant", "linear", "quadratic", "exponential", "plateau")


TWO_WELLS_STEPS, TWO_WELLS_BETA = 200, 0.05  # chapter 7's demo: its step budget and exponential decay
TWO_WELLS_PLATEAU = {"alpha": 0.5, "patience": 10}  # and its ReduceOnPlateau
# and its eta_0 values, named for what a constant rate does with each (chapter 7's bullets)
TWO_WELLS_ETA0 = {"small": 0.03, "poor_bounce": 0.1, "lucky": 0.3, "global_bounce": 1.0, "roam": 3.0}


def two_wells_run(schedule: str, eta0: float, steps: int = TWO_WELLS_STEPS, beta: float = TWO_WELLS_BETA):
    """Chapter 7's demo: gradient descent on ``two_wells()`` from w = -1.6 (in the poor well) for
    up to ``steps`` steps with a learning-rate schedule from eta0: constant, the slides' "linear"
    eta0/(k+1), "quadratic" eta0/(k+1)^2, exponential eta0 e^{-beta k}, or "plateau"
    (``ReduceOnPlateau`` with ``TWO_WELLS_PLATEAU``: alpha = 0.5, patience 10)."""
    if schedule not in WELL_SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}: expected one of {WELL_SCHEDULES}")
    lr = {"constant": eta0, "linear": schedules.linear(eta0), "quadratic": schedules.quadratic(eta0),
          "exponential": schedules.exponential(eta0, beta), "plateau": eta0}[schedule]
    gd = optim.GradientDescent(lr)
    opt = schedules.ReduceOnPlateau(gd, **TWO_WELLS_PLATEAU) if schedule == "plateau" else gd
    return optim.minimize(two_wells(), [TWO_WELLS_STARTS["poor"]], opt, max_iter=steps, tol=0.0)


PLATEAU_MONITOR_SAMPLES, PLATEAU_MONITOR_HIDDEN = 30, 12  # chapter 7's held-out demo: samples per set, tanh units
PLATEAU_MONITOR_RULE = {"alpha": 0.1, "patience": 50, "rel_tol": 1e-3}  # and its ReduceOnPlateau


def plateau_monitors(lr: float = 0.2, steps: int = 600) -> dict:
    """Chapter 7's reduce-on-plateau comparison: ``MLP([1, PLATEAU_MONITOR_HIDDEN, 1], ["tanh",
    "identity"])`` fitted to PLATEAU_MONITOR_SAMPLES (30) noisy samples of sin x (as many more held
    out), by gradient descent with ``lr`` from the same weights: at that fixed rate, and with
    ``ReduceOnPlateau(**PLATEAU_MONITOR_RULE)`` (alpha = 0.1, patience 50, rel_tol 1e-3) watching
    the held-out loss or the training loss. Also the steps at which each run's learning rate was cut."""
    n, hidden = PLATEAU_MONITOR_SAMPLES, PLATEAU_MONITOR_HIDDEN
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, 2 * n)
    d = np.sin(x) + 0.2 * rng.standard_normal(2 * n)
    net = MLP([1, hidden, 1], ["tanh", "identity"])
    train, held_out = net.objective(x[:n, None], d[:n]), net.objective(x[n:, None], d[n:])
    w0, gd = net.init(seed=1), optim.GradientDescent(lr)
    runs = {"fixed η": optim.minimize(train, w0, gd, max_iter=steps, tol=0.0)}
    for name, monitor in [("plateau, monitor = held-out", held_out), ("plateau, monitor = training", None)]:
        opt = schedules.ReduceOnPlateau(gd, **PLATEAU_MONITOR_RULE, monitor=monitor)
        runs[name] = optim.minimize(train, w0, opt, max_iter=steps, tol=0.0)
    cuts = {name: [int(k) for k in np.flatnonzero(tr.lr[1:] < 0.5 * tr.lr[:-1]) + 1] for name, tr in runs.items()}
    return {"net": net, "train": train, "held_out": held_out, "runs": runs, "cuts": cuts, "lr": lr}


def xor_problem():
    """The recap chapter's XOR network (2-3-1, tanh then sigmoid, L2 divergence) and its loss."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    d = np.array([0.0, 1.0, 1.0, 0.0])
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], divergence="l2")
    return net, net.objective(X, d)


XOR_RACE_SEEDS, XOR_RACE_TARGET, XOR_RACE_STEPS = range(10), 0.01, 1000  # chapter 8's table: starts, loss, budget
XOR_GD_LRS = (1.0, 10.0)  # chapter 8's gradient descent on XOR: a modest and a well-chosen eta


def xor_race(seeds=XOR_RACE_SEEDS, max_steps: int = XOR_RACE_STEPS) -> dict:
    """Chapter 8's table: the XOR loss curves of every method, one run per seed."""
    net, xor = xor_problem()
    methods = {
        **{f"gradient descent, η = {lr:g}": optim.GradientDescent(lr) for lr in XOR_GD_LRS},
        "Rprop+ (Δ₀ = 0.1)": optim.Rprop(),
        "iRprop− (Δ₀ = 0.1)": optim.Rprop(variant="iRprop-"),
        "Quickprop (η = 3, max_growth = 1.75)": optim.Quickprop(3.0),
        "Quickprop (η = 3, no growth limit)": optim.Quickprop(3.0, max_growth=None),
    }
    return {name: [optim.minimize(xor, net.init(seed=s), opt, max_iter=max_steps, tol=0.0).loss for s in seeds]
            for name, opt in methods.items()}


QUICKPROP_XOR_SEEDS, QUICKPROP_XOR_STEPS = range(3), 300  # chapter 8's growth-limit figure: starts, budget


def quickprop_xor(max_growth, lr: float, seeds=QUICKPROP_XOR_SEEDS, steps: int = QUICKPROP_XOR_STEPS) -> list:
    """Quickprop on XOR from each seed: chapter 8's growth-limit figure."""
    net, xor = xor_problem()
    return [optim.minimize(xor, net.init(seed=s), optim.Quickprop(lr, max_growth=max_growth), max_iter=steps, tol=0.0)
            for s in seeds]


XOR_INITIAL_SEED, XOR_INITIAL_STEPS = 0, 300  # chapter 8's Delta_0 figure: the one start, the budget


def xor_initial_step(delta0: float, seed: int = XOR_INITIAL_SEED, steps: int = XOR_INITIAL_STEPS) -> dict:
    """Chapter 8's Delta_0 figure: gradient descent (XOR_GD_LRS: eta = 1 and 10) and Rprop+ and iRprop- with
    initial step ``delta0``, from one initialisation of the XOR network."""
    net, xor = xor_problem()
    w0 = net.init(seed=seed)
    methods = {**{f"gradient descent, η = {lr:g}": optim.GradientDescent(lr) for lr in XOR_GD_LRS},
               f"Rprop+ (Δ₀ = {delta0:g})": optim.Rprop(delta0=delta0),
               f"iRprop− (Δ₀ = {delta0:g})": optim.Rprop(delta0=delta0, variant="iRprop-")}
    return {name: optim.minimize(xor, w0, opt, max_iter=steps, tol=0.0) for name, opt in methods.items()}


COUPLED_START, COUPLED_DELTA0 = (-4.0, 3.0), 0.1  # chapter 8's coupled bowl: start and initial step


def coupled_bowl(angle_deg: float) -> Quadratic:
    """Chapter 8's quadratic with curvatures 1 and 10 whose axes are rotated by ``angle_deg``
    degrees from the weights' axes: 0 leaves the two weights uncoupled."""
    return Quadratic.from_eigenvalues([1.0, 10.0], angle=np.deg2rad(angle_deg))


def coupled_rprop(variant: str, angle_deg: float, delta0: float = COUPLED_DELTA0, steps: int = 80):
    """An Rprop ``variant`` with initial step ``delta0`` on ``coupled_bowl(angle_deg)`` from
    (-4, 3), ``steps`` steps: chapter 8's coupling figure and its exercise 2."""
    return optim.minimize(coupled_bowl(angle_deg), COUPLED_START, optim.Rprop(delta0=delta0, variant=variant),
                          max_iter=steps, tol=0.0)


SUMMARY_PROBLEMS = ("quadratic, κ = 10", "quadratic, κ = 100", "quadratic, κ = 1000", "Rosenbrock")
# chapter 10's race: the quadratics' rotation (degrees) and start, Rosenbrock's start and eta, the
# momentum methods' beta, every method's budget and the stopping rule's tolerance
SUMMARY_ANGLE_DEG, SUMMARY_QUADRATIC_START = 30.0, (-4.0, 3.0)
SUMMARY_ROSENBROCK_START, SUMMARY_ROSENBROCK_LR = (-1.2, 1.0), 1e-3
SUMMARY_BETA, SUMMARY_STEPS, SUMMARY_TOL = 0.9, 300, 1e-20


def summary_problem(name: str):
    """(objective, w0, eta, E*) of one of chapter 10's race problems: a quadratic with curvatures
    1 and kappa rotated by SUMMARY_ANGLE_DEG (30) degrees from SUMMARY_QUADRATIC_START (-4, 3) with
    eta = 1/kappa, or Rosenbrock from SUMMARY_ROSENBROCK_START (-1.2, 1) with eta = 1e-3."""
    if name not in SUMMARY_PROBLEMS:
        raise ValueError(f"unknown problem {name!r}: expected one of {SUMMARY_PROBLEMS}")
    if name == "Rosenbrock":
        return Rosenbrock(), np.array(SUMMARY_ROSENBROCK_START), SUMMARY_ROSENBROCK_LR, 0.0
    kappa = float(name.split("= ")[1])
    q = Quadratic.from_eigenvalues([1.0, kappa], angle=np.deg2rad(SUMMARY_ANGLE_DEG))  # = pi / 6 exactly
    return q, np.array(SUMMARY_QUADRATIC_START), 1.0 / kappa, q.min_value()


def summary_race(name: str, max_iter: int = SUMMARY_STEPS) -> tuple:
    """Chapter 10's race: every method of the lecture on one problem, 300 steps, stopping once the
    loss changes by less than SUMMARY_TOL (1e-20). Returns ({method: Result}, E*)."""
    obj, w0, eta, f_star = summary_problem(name)
    opts = {"gradient descent": optim.GradientDescent(eta), "momentum": optim.Momentum(eta, SUMMARY_BETA),
            "Nesterov": optim.Nesterov(eta, SUMMARY_BETA), "Rprop": optim.Rprop(), "Quickprop": optim.Quickprop(eta),
            "Newton": optim.Newton(), "BFGS": optim.BFGS()}
    return {m: optim.minimize(obj, w0, o, max_iter=max_iter, tol=SUMMARY_TOL) for m, o in opts.items()}, f_star


def parabola() -> Quadratic:
    """Chapter 4's 1-D quadratic E = w^2 - 2w + 1 = (w - 1)^2: a = 2, w* = 1, eta_opt = 1/2."""
    return Quadratic([[2.0]], b=[-2.0], c=1.0)


def diagonal_bowl() -> Quadratic:
    """Chapter 4's axis-aligned quadratic E = 1/2 (w_1^2 + 4 w_2^2) - w_1 + 2 w_2: slices along w_1
    at any w_2 are shifted copies of one another."""
    return Quadratic(np.diag([1.0, 4.0]), b=[-1.0, 2.0])


def linear_rate_run(lr: float = 0.1, w0=(3.0, 2.0), steps: int = 60) -> dict:
    """Chapter 4's convergence-rate run: gradient descent with ``lr`` on E = 1/2 w^T diag(2, 6) w
    + (-2, 3)^T w + 1 from ``w0``, with the gap E(w_k) - E* and R = gd_rate(A, lr)^2, the bound
    on the ratio of successive gaps (the slowest direction's factor squared)."""
    q = Quadratic([[2.0, 0.0], [0.0, 6.0]], b=[-2.0, 3.0], c=1.0)
    trace = optim.minimize(q, w0, optim.GradientDescent(lr), max_iter=steps, tol=0.0)
    return {"objective": q, "lr": lr, "trace": trace, "gap": trace.loss - q.min_value(),
            "R": convergence.gd_rate(q.A, lr) ** 2}


def summary_rprop_variants(name: str = "Rosenbrock", variants=("Rprop+", "iRprop-"), max_iter: int = SUMMARY_STEPS) -> dict:
    """{variant: Result}: each Rprop variant at its defaults on one of chapter 10's race problems,
    with the race's budget and stopping rule (chapter 10's exercise 2)."""
    obj, w0, _, _ = summary_problem(name)
    return {v: optim.minimize(obj, w0, optim.Rprop(variant=v), max_iter=max_iter, tol=SUMMARY_TOL) for v in variants}


def step_size_regimes(ratios=(0.5, 1.5, 2.2), w0: float = -1.5, steps: int = 12) -> dict:
    """The slides' three cases of a fixed step on the 1-D quadratic E = w^2 - 2w + 1 (a = 2,
    w* = 1, eta_opt = 1/2): gradient descent at eta = ratio * eta_opt for each ratio, with its
    regime and the factor 1 - eta a by which every step multiplies the error w - w*: chapter 4's
    converge / jitter / diverge figure."""
    q = parabola()
    a, eta_opt = 2.0, convergence.eta_opt(2.0)
    runs = {}
    for ratio in ratios:
        eta = ratio * eta_opt
        runs[ratio] = {"eta": eta, "regime": convergence.regime(eta, a), "factor": 1.0 - eta * a,
                       "trace": optim.minimize(q, [w0], optim.GradientDescent(eta), max_iter=steps, tol=0.0)}
    return {"objective": q, "a": a, "eta_opt": eta_opt, "w_star": 1.0, "runs": runs}


ROSENBROCK_STARTS = {"(−1.5, 2)": (-1.5, 2.0), "(0, 0)": (0.0, 0.0), "(2, 2)": (2.0, 2.0), "(−0.5, 2.5)": (-0.5, 2.5)}
ROSENBROCK_GD_LR, ROSENBROCK_GD_STEPS = 1e-3, 3000  # chapter 6's gradient descent on Rosenbrock


def rosenbrock_race(w0) -> dict:
    """Chapter 6's Rosenbrock comparison from ``w0``: {label: Result} of gradient descent
    (``ROSENBROCK_GD_LR``, ``ROSENBROCK_GD_STEPS`` steps), Newton (100 steps), BFGS and L-BFGS
    (m = 10; 300 steps each), all stopped once the loss changes by at most 1e-14."""
    methods = {f"GD η = {ROSENBROCK_GD_LR:g}": (optim.GradientDescent(ROSENBROCK_GD_LR), ROSENBROCK_GD_STEPS),
               "Newton": (optim.Newton(), 100), "BFGS": (optim.BFGS(), 300),
               "L-BFGS (m = 10)": (optim.LBFGS(memory=10), 300)}
    return {name: optim.minimize(Rosenbrock(), w0, opt, max_iter=n, tol=1e-14) for name, (opt, n) in methods.items()}


def scaled_axes(eigenvalues=(1.0, 10.0), angle: float = np.pi / 6, b=(1.0, -2.0), w0=(-2.8, -0.9),
                lr: float = 0.15, lr_scaled: float = 0.5, steps: int = 20) -> dict:
    """Chapter 6's "scale the axes": the quadratic E = 1/2 w^T A w + b^T w, A = E Lambda E^T, in
    three coordinate systems: the original w ("original"), the rotated v = E^T w ("rotated":
    axis-aligned ellipses; E is a rotation, det E = +1) and the scaled w_hat = Lambda^(1/2) E^T w
    ("scaled": circles), each with its map M (u = M w), the quadratic
    it becomes there, and two runs mapped into it: gradient descent with ``lr`` in w, and
    gradient descent with ``lr_scaled`` in w_hat (the normalised update w <- w - eta A^-1 grad E,
    run as Newton with that step)."""
    q = Quadratic.from_eigenvalues(eigenvalues, b=b, angle=angle)
    lam, vecs = np.linalg.eigh(q.A)
    if np.linalg.det(vecs) < 0:  # a rotation, not a reflection
        vecs[:, 0] *= -1
    gd = optim.minimize(q, w0, optim.GradientDescent(lr), max_iter=steps, tol=0.0)
    normalised = optim.minimize(q, w0, optim.Newton(lr_scaled), max_iter=steps, tol=0.0)
    panels = {}
    for name, M in [("original", np.eye(len(lam))), ("rotated", vecs.T), ("scaled", np.sqrt(lam)[:, None] * vecs.T)]:
        M_inv = np.linalg.inv(M)
        panels[name] = {"map": M, "objective": Quadratic(M_inv.T @ q.A @ M_inv, M_inv.T @ q.b, q.c),
                        "gd": gd.w @ M.T, "normalised": normalised.w @ M.T}
    return {"objective": q, "eigenvalues": lam, "eigenvectors": vecs, "lr": lr, "lr_scaled": lr_scaled,
            "gd": gd, "normalised": normalised, "panels": panels}


def rprop_walkthrough(w0: float = -6.0, delta0: float = 0.5, steps: int = 12, mu: float = 0.1) -> list:
    """The slides' step-by-step 1-D Rprop (``optim.SimplifiedRprop``: alpha = 1.2, beta = 0.5) on
    E(w) = log(1 + e^-w) + mu/2 w^2, one dict per iteration k: the point w, its derivative D, the
    step Delta before and after, whether D kept the sign of prevD, the point returned to after a
    sign change (None otherwise) and the next point. Chapter 8's walkthrough slider."""
    f = Softplus(mu=mu)
    opt = optim.SimplifiedRprop(delta0=delta0)
    w, state = np.array([float(w0)]), opt.init([float(w0)])
    frames = []
    for k in range(steps):
        D = float(f.grad(w)[0])
        w_next, new = opt.step(f, w, state)
        same = k == 0 or np.sign(state.g_prev[0]) == np.sign(D)
        frames.append({"k": k, "w": float(w[0]), "E": float(f.value(w)), "D": D,
                       "prevD": None if k == 0 else float(state.g_prev[0]),
                       "delta_before": float(state.delta[0]), "delta": float(new.delta[0]), "same_sign": bool(same),
                       "back_to": None if same else float(w[0] - state.dw[0]), "w_next": float(w_next[0])})
        w, state = w_next, new
    return frames


def mlp_spoilers(n: int = 40, hidden: int = 8, lr: float = 3.0, steps: int = 6000, seed: int = 0,
                 spoiler_radius: float = 2.1, weight_decay: float = 0.0) -> dict:
    """Chapter 2's MLP with spoilers: n points of class 1 inside the unit disc and n of class 0 in
    the ring 1.5 < r < 2.5, and the same data with three class-1 "spoilers" at distance
    ``spoiler_radius`` from the centre (in the ring by default, or beyond it).
    A 2-hidden-1 network (tanh, sigmoid output, L2, targets 0.01 and 0.99) is trained by gradient
    descent from the same weights on both sets, every iterate recorded. ``weight_decay`` = lambda
    adds lambda/2 ||w||^2 to the loss, which keeps the weights bounded (the slides' "for bounded w")."""
    _checks.in_interval("weight_decay", weight_decay, 0.0, np.inf)
    rng = np.random.default_rng(seed)
    r_in, r_out = np.sqrt(rng.uniform(0, 1, n)), rng.uniform(1.5, 2.5, n)
    a_in, a_out = rng.uniform(0, 2 * np.pi, n), rng.uniform(0, 2 * np.pi, n)
    X = np.r_[np.c_[r_in * np.cos(a_in), r_in * np.sin(a_in)], np.c_[r_out * np.cos(a_out), r_out * np.sin(a_out)]]
    labels = np.r_[np.ones(n), np.zeros(n)]
    angles = np.deg2rad([10.0, 135.0, 280.0])
    spoilers = spoiler_radius * np.c_[np.cos(angles), np.sin(angles)]
    net = MLP([2, hidden, 1], ["tanh", "sigmoid"], "l2")
    w0 = net.init(seed)
    runs = {}
    for name, (XX, ll) in {"clean": (X, labels), "spoiled": (np.r_[X, spoilers], np.r_[labels, np.ones(3)])}.items():
        loss = net.objective(XX, 0.01 + 0.98 * ll)
        if weight_decay:
            loss = Function(lambda w, f=loss: f.value(w) + 0.5 * weight_decay * (w @ w),
                            lambda w, f=loss: f.grad(w) + weight_decay * w, dim=net.n_params)
        runs[name] = optim.minimize(loss, w0, optim.GradientDescent(lr), max_iter=steps, tol=0.0)
    return {"net": net, "X": X, "labels": labels, "spoilers": spoilers, "runs": runs, "lr": lr,
            "targets": (0.01, 0.01 + 0.98)}  # the L2 targets of class 0 and class 1


def spoiler_stats(ex: dict, k: int, half_width: float = 3.0, points: int = 121) -> dict:
    """At step k of ``mlp_spoilers`` runs (or their last step, if a run stopped earlier): how many spoilers the spoiled network misclassifies,
    the errors of both networks on the clean points, and the fraction of the square
    [-half_width, half_width]^2 where the two networks' classes (output > 1/2) disagree."""
    net, runs = ex["net"], ex["runs"]
    g = np.linspace(-half_width, half_width, points)
    G = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    clean, spoiled = (runs[name].w[min(k, runs[name].nit)] for name in ("clean", "spoiled"))  # a run may stop early

    def classes(w, P):
        return net.predict(w, P).ravel() > 0.5

    return {"spoilers_wrong": int(np.sum(~classes(spoiled, ex["spoilers"]))),
            "clean_errors": int(np.sum(classes(clean, ex["X"]) != (ex["labels"] > 0))),
            "spoiled_errors_on_clean": int(np.sum(classes(spoiled, ex["X"]) != (ex["labels"] > 0))),
            "disagreement": float(np.mean(classes(clean, G) != classes(spoiled, G)))}


def slides_training_loop(net: MLP, X, D, w0, eta: float, eps: float = 1e-8, max_epochs: int = 1000) -> dict:
    """The slides' "neural network training algorithm", line by line, for an L2 network:

        (1) initialise all weights and biases W_k, b_k          (from the flat vector w0)
        (2) do:
        (3)   Loss = 0; for all k: grad_{W_k} Loss = 0, grad_{b_k} Loss = 0
        (4)   for all t = 1:T:
        (5)     forward pass: output Y(X_t), divergence Div(Y_t, d_t)
        (6)     backward pass: for all k: grad_{W_k} Div(Y_t, d_t), grad_{b_k} Div(Y_t, d_t)
        (7)     grad_{W_k} Loss += grad_{W_k} Div;  grad_{b_k} Loss += grad_{b_k} Div
        (8)   for all k: W_k = W_k - eta/T (grad_{W_k} Loss)^T;  b_k = b_k - eta/T (grad_{b_k} Loss)^T
        (9) until Loss has converged: |Loss - previous Loss| <= eps

    one instance at a time, with the gradients as row vectors as in the slides. Returns the
    weights after every epoch (flat, as the library's MLP packs them) and the Loss = 1/T sum_t Div
    of every epoch's weights; ``optim.minimize`` with ``GradientDescent(eta)`` on
    ``net.objective(X, D)`` does the same computation vectorised."""
    if net.divergence != "l2":
        raise ValueError(f"slides_training_loop follows the slides' L2 divergence, got divergence={net.divergence!r}")
    X, D = net._inputs(X), net._targets(D, len(np.asarray(X)))
    T = len(X)
    w = np.array(w0, dtype=np.float64)
    layers = net.unpack(w)  # (1) views into w: updating W_k, b_k updates w
    history, losses = [w.copy()], []
    for epoch in range(max_epochs + 1):  # (2)
        loss = 0.0  # (3)
        grad_W = [np.zeros_like(W.T) for W, _ in layers]  # shaped like W_k^T, as y_{k-1} grad_{z_k} Div is
        grad_b = [np.zeros_like(b) for _, b in layers]
        for t in range(T):  # (4)
            ys, zs = [X[t]], []  # (5) forward: z_k = W_k y_{k-1} + b_k, y_k = f_k(z_k)
            for (W, b), (f, _) in zip(layers, net.activations):
                zs.append(W @ ys[-1] + b)
                ys.append(f(zs[-1]))
            loss += np.sum((ys[-1] - D[t]) ** 2)  # Div(Y_t, d_t) = ||Y_t - d_t||^2
            grad_y = 2.0 * (ys[-1] - D[t])  # (6) backward: grad_{Y} Div
            for k in range(len(layers) - 1, -1, -1):
                grad_z = net.activations[k][1](zs[k], ys[k + 1], grad_y)  # grad_{z_k} Div = grad_{y_k} Div dy_k/dz_k
                grad_W[k] += np.outer(ys[k], grad_z)  # (7) grad_{W_k} Div = y_{k-1} grad_{z_k} Div
                grad_b[k] += grad_z  # grad_{b_k} Div = grad_{z_k} Div
                grad_y = grad_z @ layers[k][0]  # grad_{y_{k-1}} Div = grad_{z_k} Div W_k
        losses.append(loss / T)  # the Loss of the weights this epoch started from
        if epoch == max_epochs or (epoch > 0 and abs(losses[-1] - losses[-2]) <= eps):  # (9)
            break
        for (W, b), gW, gb in zip(layers, grad_W, grad_b):  # (8)
            W -= eta / T * gW.T
            b -= eta / T * gb
        history.append(w.copy())
    return {"w": np.array(history), "loss": np.array(losses)}
