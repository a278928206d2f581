"""Gradient descent, momentum and Nesterov against closed forms and re-derivations of
torch.optim.SGD's update (and torch itself when it is installed)."""
import numpy as np
import pytest

from lectures_lib import objectives, optim, schedules


@pytest.fixture
def quad():
    return objectives.Quadratic.from_eigenvalues([0.5, 3.0, 10.0], b=[1.0, -2.0, 0.5], seed=3)


W0 = np.array([2.0, -1.0, 0.5])


def test_gradient_descent_matches_closed_form_on_a_quadratic(quad, iterate):
    # w_k - w* = (I - eta A)^k (w_0 - w*)
    ws, _ = iterate(optim.GradientDescent(lr=0.07), quad, W0, 30)
    M = np.eye(3) - 0.07 * quad.A
    w_star = np.linalg.solve(quad.A, -quad.b)
    expected = [w_star + np.linalg.matrix_power(M, k) @ (W0 - w_star) for k in range(31)]
    np.testing.assert_allclose(ws, expected, rtol=1e-12, atol=1e-12)


def test_gradient_descent_uses_the_schedule_at_k(quad, iterate):
    sched = schedules.exponential(0.1, 0.3)
    ws, _ = iterate(optim.GradientDescent(sched), quad, W0, 5)
    w = W0.copy()
    for k in range(5):
        w = w - 0.1 * np.exp(-0.3 * k) * (quad.A @ w + quad.b)
        np.testing.assert_allclose(ws[k + 1], w, rtol=1e-13)


def torch_sgd(grad, p0, lr, beta, nesterov, steps):
    """torch.optim.SGD's documented update, re-derived: v = beta v + g;
    p -= lr (g + beta v) with nesterov, else p -= lr v; v starts as the first g."""
    p, v, ps = p0.copy(), None, [p0.copy()]
    for _ in range(steps):
        g = grad(p)
        v = g.copy() if v is None else beta * v + g
        p = p - lr * (g + beta * v if nesterov else v)
        ps.append(p)
    return np.array(ps)


def test_momentum_equals_torch_sgd_with_momentum(quad, iterate):
    ws, _ = iterate(optim.Momentum(lr=0.05, beta=0.9), quad, W0, 60)
    np.testing.assert_allclose(ws, torch_sgd(quad.grad, W0, 0.05, 0.9, False, 60), rtol=1e-11, atol=1e-12)


def test_nesterov_look_ahead_equals_torch_sgd_nesterov_parameter(quad, iterate):
    opt = optim.Nesterov(lr=0.05, beta=0.9)
    w, state, look_ahead = W0, opt.init(W0), [W0]
    for _ in range(60):
        w, state = opt.step(quad, w, state)
        look_ahead.append(w + 0.9 * state.dw)
    np.testing.assert_allclose(look_ahead, torch_sgd(quad.grad, W0, 0.05, 0.9, True, 60), rtol=1e-11, atol=1e-12)


def test_against_torch_itself_when_installed(quad, iterate):
    torch = pytest.importorskip("torch")
    for nesterov, cls in [(False, optim.Momentum), (True, optim.Nesterov)]:
        p = torch.tensor(W0, dtype=torch.float64, requires_grad=True)
        sgd = torch.optim.SGD([p], lr=0.05, momentum=0.9, nesterov=nesterov)
        A, b = torch.tensor(quad.A), torch.tensor(quad.b)
        opt, w, state = cls(0.05, 0.9), W0, cls(0.05, 0.9).init(W0)
        for _ in range(40):
            sgd.zero_grad()
            (0.5 * p @ A @ p + b @ p).backward()
            sgd.step()
            w, state = opt.step(quad, w, state)
            expected = w + 0.9 * state.dw if nesterov else w
            np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-10, atol=1e-12)


def test_nesterov_follows_the_slide_formula_and_takes_one_gradient_at_the_look_ahead(quad, counting):
    # Delta W^(k) = beta Delta W^(k-1) - eta grad(W^(k-1) + beta Delta W^(k-1)); W^(k) = W^(k-1) + Delta W^(k)
    obj = counting(quad)
    opt = optim.Nesterov(lr=0.04, beta=0.8)
    w, state = W0, opt.init(W0)
    w_ref, dw_ref = W0.copy(), np.zeros(3)
    for k in range(10):
        w, state = opt.step(obj, w, state)
        look = w_ref + 0.8 * dw_ref
        dw_ref = 0.8 * dw_ref - 0.04 * (quad.A @ look + quad.b)
        w_ref = w_ref + dw_ref
        np.testing.assert_allclose(w, w_ref, rtol=1e-13)
        np.testing.assert_allclose(obj.grad_points[-1], look, rtol=1e-13)
        assert obj.n_grad == k + 1 and obj.n_value == 0


@pytest.mark.parametrize("cls", [optim.Momentum, optim.Nesterov])
def test_beta_zero_is_gradient_descent(quad, iterate, cls):
    ws, _ = iterate(cls(lr=0.08, beta=0.0), quad, W0, 25)
    gd, _ = iterate(optim.GradientDescent(lr=0.08), quad, W0, 25)
    np.testing.assert_allclose(ws, gd, rtol=1e-14)


def test_momentum_takes_the_gradient_at_w(quad, counting, iterate):
    obj = counting(quad)
    ws, _ = iterate(optim.Momentum(0.05, 0.9), obj, W0, 5)
    np.testing.assert_allclose(obj.grad_points, ws[:-1])


def test_momentum_with_a_schedule_keeps_old_steps_at_their_old_lr(quad, iterate):
    # The lecture's Delta W carries eta; torch's buffer does not. Check the lecture's form.
    sched = schedules.linear(0.1)
    ws, _ = iterate(optim.Momentum(sched, 0.5), quad, W0, 4)
    w, dw = W0.copy(), np.zeros(3)
    for k in range(4):
        dw = 0.5 * dw - 0.1 / (k + 1) * (quad.A @ w + quad.b)
        w = w + dw
    np.testing.assert_allclose(ws[-1], w, rtol=1e-13)


def _rate(trace, w_star):
    err = np.linalg.norm(trace.w - w_star, axis=1)
    k = np.arange(len(err))
    tail = slice(len(err) // 2, len(err))
    return np.exp(np.polyfit(k[tail], np.log(err[tail]), 1)[0])


@pytest.mark.parametrize("kappa", [10.0, 100.0])
def test_heavy_ball_at_polyaks_optimal_parameters_has_rate_sqrt_kappa(kappa):
    # Polyak: eta = 4 / (sqrt L + sqrt mu)^2, beta = ((sqrt kappa - 1)/(sqrt kappa + 1))^2,
    # error shrinks like ((sqrt kappa - 1)/(sqrt kappa + 1))^k (up to a polynomial factor).
    q = objectives.Quadratic.from_eigenvalues(np.linspace(1.0, kappa, 8), seed=0)
    r = (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)
    opt = optim.Momentum(lr=4 / (1 + np.sqrt(kappa)) ** 2, beta=r**2)
    trace = optim.minimize(q, np.ones(8), opt, max_iter=int(40 * np.sqrt(kappa)), tol=0.0)
    assert _rate(trace, np.zeros(8)) == pytest.approx(r, abs=0.02)


def test_nesterov_beats_momentum_on_an_ill_conditioned_quadratic():
    q = objectives.Quadratic.from_eigenvalues([1.0, 100.0], angle=0.4)
    m = optim.minimize(q, [3.0, -2.0], optim.Momentum(1 / 100, 0.95), max_iter=150, tol=0.0)
    n = optim.minimize(q, [3.0, -2.0], optim.Nesterov(1 / 100, 0.95), max_iter=150, tol=0.0)
    assert n.loss[-1] < 1e-3 * m.loss[-1]


@pytest.mark.parametrize("make, match", [
    (lambda: optim.GradientDescent(lr=0.0), r"lr must be > 0, got 0\.0"),
    (lambda: optim.GradientDescent(lr=-1), r"lr must be > 0"),
    (lambda: optim.GradientDescent(lr=float("nan")), r"lr must be finite"),
    (lambda: optim.GradientDescent(lr="0.1"), r"lr must be a real number"),
    (lambda: optim.Momentum(lr=0.1, beta=1.5), r"beta must be in \[0, 1\), got 1\.5"),
    (lambda: optim.Nesterov(lr=0.1, beta=1.0), r"beta must be in \[0, 1\), got 1\.0"),
    (lambda: optim.Nesterov(lr=0.1, beta=-0.1), r"beta must be in \[0, 1\)"),
])
def test_bad_hyperparameters_are_named(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_a_schedule_that_returns_a_bad_value_is_named(quad):
    opt = optim.GradientDescent(lambda k: 0.1 - 0.05 * k)
    state = opt.init(W0)
    w, state = opt.step(quad, W0, state)
    w, state = opt.step(quad, w, state)
    with pytest.raises(ValueError, match=r"lr\(2\) must be a finite float > 0, got 0\.0"):
        opt.step(quad, w, state)


@pytest.mark.parametrize("bad, match", [
    ([[1.0, 2.0]], r"flat 1-D vector, got an array of shape \(1, 2\)"),
    ([1.0, float("inf")], r"must be finite"),
    ([], r"must not be empty"),
    (["a", "b"], r"flat vector of numbers"),
])
def test_bad_initial_points_are_named(bad, match):
    with pytest.raises(ValueError, match=match):
        optim.Momentum(0.1).init(bad)


def test_nesterov_stands_on_its_own():
    assert not isinstance(optim.Nesterov(0.1), optim.Momentum) and not issubclass(optim.Nesterov, optim.Momentum)
