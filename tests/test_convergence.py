"""Convergence on quadratics: eta_opt, the three regimes, the 2 eta_opt bound, the
condition number and rates, axis scaling, and strong convexity vs Lipschitz smoothness."""
import numpy as np
import pytest

from lectures_lib import convergence as C
from lectures_lib import objectives, optim


def errors_1d(a, eta, steps=40):
    q = objectives.Quadratic([[a]], [-a * 2.0])  # minimum at w* = 2
    trace = optim.minimize(q, [5.0], optim.GradientDescent(eta), max_iter=steps, tol=0.0)
    return trace.w[:, 0] - 2.0


@pytest.mark.parametrize("a", [0.5, 3.0])
@pytest.mark.parametrize("ratio, regime", [(0.5, "monotone"), (1.0, "optimal"), (1.5, "oscillating"),
                                           (2.0, "periodic"), (2.2, "divergent")])
def test_the_regimes_match_the_iterates(a, ratio, regime):
    eta = ratio * C.eta_opt(a)
    assert C.regime(eta, a) == regime
    e = errors_1d(a, eta)
    np.testing.assert_allclose(e, 3.0 * (1 - eta * a) ** np.arange(len(e)), rtol=1e-9, atol=1e-12)
    if regime == "monotone":
        assert np.all(e[1:] > 0) and np.all(np.diff(e) < 0)
    elif regime == "optimal":
        assert e[1] == pytest.approx(0.0, abs=1e-12)
    elif regime == "oscillating":
        assert np.all(np.sign(e[1:-1]) != np.sign(e[2:])) and abs(e[-1]) < abs(e[0])
    elif regime == "periodic":
        np.testing.assert_allclose(np.abs(e), 3.0, rtol=1e-9)
    else:
        assert abs(e[-1]) > 1e3 * abs(e[0])


def test_eta_opt_is_one_over_the_second_derivative():
    assert C.eta_opt(4.0) == 0.25
    with pytest.raises(ValueError, match=r"a must be > 0"):
        C.eta_opt(-1.0)


def test_steps_above_twice_the_smallest_optimal_rate_diverge():
    q = objectives.Quadratic.from_eigenvalues([1.0, 4.0, 25.0], seed=1)
    np.testing.assert_allclose(C.optimal_rates(q.A), [1.0, 0.25, 0.04])
    bound = C.max_stable_lr(q.A)
    assert bound == pytest.approx(2 * 0.04)
    ok = optim.minimize(q, np.ones(3), optim.GradientDescent(0.99 * bound), max_iter=5000, tol=1e-14)
    bad = optim.minimize(q, np.ones(3), optim.GradientDescent(1.01 * bound), max_iter=5000, tol=1e-14)
    assert ok.converged and not bad.converged and bad.loss[-1] > bad.loss[0]


def test_the_slides_example_oscillates_in_both_directions():
    # eta_1,opt = 1, eta_2,opt = 0.91, eta = 1.9 eta_2,opt: both directions oscillate and converge
    from lectures_lib import examples
    ex = examples.two_learning_rates()
    assert [C.regime(ex["lr"], 1 / e) for e in ex["eta_opt"]] == ["oscillating", "oscillating"]
    w = ex["trace"].w
    assert np.all(np.sign(w[1:, 0]) != np.sign(w[:-1, 0])) and np.all(np.sign(w[1:, 1]) != np.sign(w[:-1, 1]))
    assert np.abs(w[-1]).max() < 0.1 * np.abs(w[0]).max()


@pytest.mark.parametrize("kappa", [10.0, 100.0, 1000.0])
def test_best_fixed_step_rate_is_kappa_minus_one_over_kappa_plus_one(kappa):
    lam = np.linspace(1.0, kappa, 20)
    q = objectives.Quadratic.from_eigenvalues(lam, seed=2)
    assert C.condition_number(q.A) == pytest.approx(kappa)
    eta = C.best_lr(q.A)
    theory = (kappa - 1) / (kappa + 1)
    assert C.gd_rate(q.A, eta) == pytest.approx(theory)
    w0 = np.random.default_rng(0).normal(size=20)
    trace = optim.minimize(q, w0, optim.GradientDescent(eta), max_iter=int(8 * kappa), tol=0.0)
    err = np.linalg.norm(trace.w, axis=1)
    # the error norm contracts at exactly the theoretical factor (the two extreme directions
    # shrink at the same |1 - eta lambda| and dominate)
    per_step = (err[-1] / err[len(err) // 2]) ** (1 / (len(err) - 1 - len(err) // 2))
    assert per_step == pytest.approx(theory, rel=1e-3)
    # the loss error shrinks by its square, R = theory^2, and measured_rate finds it
    assert C.measured_rate(trace.loss) == pytest.approx(theory**2, rel=1e-3)


def test_measured_rate_of_a_geometric_sequence():
    assert C.measured_rate(3.0 + 0.7 ** np.arange(60), optimum=3.0) == pytest.approx(0.7, rel=1e-6)
    with pytest.raises(ValueError, match="at least 3 values"):
        C.measured_rate([1.0, 0.0, 0.0])


def test_condition_number_is_the_ratio_of_optimal_rates():
    A = objectives.Quadratic.from_eigenvalues([2.0, 50.0], angle=0.3).A
    rates = C.optimal_rates(A)
    assert C.condition_number(A) == pytest.approx(rates.max() / rates.min()) == pytest.approx(25.0)
    with pytest.raises(ValueError, match="positive definite"):
        C.condition_number(np.diag([1.0, -1.0]))


def test_matrix_square_roots():
    A = objectives.Quadratic.from_eigenvalues([0.5, 2.0, 9.0], seed=3).A
    S, S_inv = C.sqrtm(A), C.sqrtm(A, -0.5)
    np.testing.assert_allclose(S.T @ S, A, atol=1e-12)
    np.testing.assert_allclose(S_inv.T @ S_inv, np.linalg.inv(A), atol=1e-12)
    np.testing.assert_allclose(S, S.T)


def test_scaled_axes_make_every_direction_alike_and_gd_there_is_the_normalised_update():
    q = objectives.Quadratic.from_eigenvalues([0.5, 20.0], b=[1.0, -3.0], c=0.7, angle=0.6)
    qh = C.scaled_quadratic(q)
    S = C.sqrtm(q.A)
    w = np.array([0.3, -1.2])
    assert qh.value(S @ w) == pytest.approx(q.value(w))  # same function in w_hat = A^0.5 w
    np.testing.assert_allclose(qh.grad(S @ w), C.sqrtm(q.A, -0.5) @ q.grad(w))
    assert C.condition_number(qh.A) == 1.0
    # gradient descent in w_hat is w <- w - eta A^{-1} grad E(w) in w (not A^{-1} b as printed)
    eta = 0.4
    w_hat_next = S @ w - eta * qh.grad(S @ w)
    np.testing.assert_allclose(np.linalg.solve(S, w_hat_next), w - eta * np.linalg.solve(q.A, q.grad(w)))
    newton = optim.minimize(q, w, optim.Newton(lr=eta), max_iter=3, tol=0.0).w[1]
    np.testing.assert_allclose(newton, np.linalg.solve(S, w_hat_next))


def gd_steps_to(objective, eta, epsilons, f_star, max_iter):
    """For each eps, the first step k with f(w_k) - f* <= eps, from one gradient-descent run."""
    trace = optim.minimize(objective, [0.0], optim.GradientDescent(eta), max_iter=max_iter, tol=0.0)
    gap = trace.loss - f_star
    assert gap[-1] <= min(epsilons)
    return optim.steps_to(gap, epsilons).astype(int)


def test_strongly_convex_takes_log_steps_and_merely_smooth_takes_one_over_eps_steps():
    smooth, strong = objectives.Softplus(mu=0.0), objectives.Softplus(mu=0.05)
    eta = 1.0 / 0.3  # 1/L for both (L = 1/4 + mu <= 0.3)
    # O(log 1/eps): ten times smaller eps costs a constant number of extra steps
    d = np.diff(gd_steps_to(strong, eta, [1e-4, 1e-5, 1e-6, 1e-7], strong.min_value(), 2000))
    assert np.all(d > 0) and d.max() - d.min() <= 2
    # O(1/eps): f(w_k) ~ 1 / (eta k), so ten times smaller eps costs ten times the steps
    m = gd_steps_to(smooth, eta, [1e-2, 1e-3, 1e-4], 0.0, 40_000)
    assert m[1] / m[0] == pytest.approx(10, rel=0.1) and m[2] / m[1] == pytest.approx(10, rel=0.02)
