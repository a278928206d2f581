"""Numeric claims of book/05_convexity.ipynb, recomputed from the library."""
import numpy as np
import pytest

from lectures_lib import examples, objectives, optim


def gap_of(f, w0, eta, steps, f_star):
    return optim.minimize(f, w0, optim.GradientDescent(eta), max_iter=steps, tol=0.0).loss - f_star


steps_to = optim.steps_to  # gap = E - E*, so f_star = 0


def test_quadratic_needs_o_log_1_over_eps_steps():
    quad = objectives.Quadratic.from_eigenvalues([0.5, 2.0], b=[1.0, -1.0], angle=0.4)
    gap = gap_of(quad, quad.minimizer() + [3.0, -2.0], 0.5, 200, quad.min_value())
    steps = steps_to(gap, np.logspace(-1, -10, 10))
    assert np.all(np.diff(steps) == 4)  # a constant number of steps per decade of eps


@pytest.mark.parametrize("eta", [0.5, 1.0, 2.0, 3.0])
def test_softplus_without_strong_convexity_is_one_over_eta_k(eta):
    gap = gap_of(objectives.Softplus(mu=0.0), [0.0], eta, 4000, 0.0)
    for k in (100, 1000, 4000):
        assert gap[k] * eta * k == pytest.approx(1.0, rel=0.05)
    s = steps_to(gap, [1e-2, 1e-3])
    assert s[1] / s[0] == pytest.approx(10, rel=0.05)  # O(1/eps)


@pytest.mark.parametrize("eta", [0.5, 1.0, 2.0, 3.0])
def test_strong_convexity_gives_log_steps(eta):
    f = objectives.Softplus(mu=0.1)
    gap = gap_of(f, [0.0], eta, 2000, f.min_value())
    eps = np.logspace(-1, -3.5, 11)
    s = steps_to(gap, eps)
    assert np.all(s <= 1 / (eta * eps))
    assert s[-1] <= 2.5 * s[0] + 30  # grows like log(1/eps), not like 1/eps (which is x316)


def test_tiny_mu_first_follows_one_over_k_then_drops():
    f = objectives.Softplus(mu=0.001)
    gap = gap_of(f, [0.0], 1.0, 1000, f.min_value())
    assert 0.7 < gap[10] * 10 < 1.1  # near the 1/k line at first
    assert gap[1000] * 1000 < 0.01  # then far below it


@pytest.mark.parametrize("mu", [0.0, 0.001, 0.01, 0.1])
def test_all_step_sizes_in_the_control_are_stable(mu):
    f = objectives.Softplus(mu=mu)
    for eta in (0.5, 1.0, 2.0, 3.0):
        assert eta < 2 / (0.25 + mu)
        gap = gap_of(f, [0.0], eta, 500, f.min_value())
        assert np.all(np.diff(gap) <= 1e-15)


def test_sandwich_between_strong_convexity_and_smoothness_bowls():
    mu = 0.2
    f = objectives.Softplus(mu=mu)
    grid = np.linspace(-6, 6, 301)
    values = f.value(grid[:, None])
    for u in (-3.0, 2.0, 0.0):
        uu = np.array([u])
        lin = f.value(uu) + f.grad(uu)[0] * (grid - u)
        assert np.all(values >= lin + 0.5 * mu * (grid - u) ** 2 - 1e-12)
        assert np.all(values <= lin + 0.5 * (0.25 + mu) * (grid - u) ** 2 + 1e-12)


def test_softplus_is_lipschitz_continuous_with_l_1():
    f = objectives.Softplus(mu=0.0)
    grid = np.linspace(-30, 30, 601)
    v = f.value(grid[:, None])
    assert np.all(np.abs(v[:, None] - v[None, :]) <= np.abs(grid[:, None] - grid[None, :]) + 1e-12)


def test_second_derivative_bounds():
    grid = np.linspace(-30, 30, 601)
    for mu in (0.0, 0.01, 0.2):
        h = np.array([objectives.Softplus(mu=mu).hess(np.array([x]))[0, 0] for x in grid])
        assert h.max() == pytest.approx(0.25 + mu)
        assert h.min() == pytest.approx(mu, abs=1e-12)


def test_the_one_over_k_theorem_holds_on_a_function_that_satisfies_it_and_is_not_loose():
    theorem = examples.one_over_k_bound(etas=(0.5, 1.0, 2.0), w0=-10.0)
    assert theorem["w_star"][0] == 1.0 and theorem["L"] == 0.5
    closest = 0.0
    for eta, r in theorem["runs"].items():
        assert eta <= 1 / theorem["L"]
        assert np.all(r["gap"] <= r["bound"] + 1e-15)
        assert np.all(np.diff(r["gap"]) <= 1e-15)  # the descent lemma: every step lowers E
        closest = max(closest, np.max(r["gap"] / r["bound"]))
        assert r["gap"][-1] < 1e-12  # it does converge
    assert 0.25 < closest < 0.5  # within a factor of 4 of the bound at its closest


def test_strong_convexity_gives_the_linear_rate_one_minus_m_over_l():
    linear = examples.linear_rate_bound(mu=0.1, w0=-6.0)
    assert linear["m"] == 0.1 and linear["L"] == pytest.approx(0.35)
    assert np.all(linear["gap"] <= linear["bound"] + 1e-15)
    assert np.max(linear["gap"][1:] / linear["bound"][1:]) < 0.5


@pytest.mark.parametrize("eta", [1.5, 2.0, 4.0])
def test_exercise_2_the_bound_holds_for_each_eta_even_beyond_one_over_l(eta):
    ex = examples.two_point_logistic()  # the solution's run
    f, w_star, f_star = ex["objective"], ex["w_star"], ex["f_star"]
    gap = optim.minimize(f, [-10.0], optim.GradientDescent(eta), max_iter=200, tol=0.0).loss[1:] - f_star
    k = np.arange(1, len(gap) + 1)
    assert np.all(gap <= np.sum((-10.0 - w_star) ** 2) / (2 * eta * k) + 1e-15)  # the glued 3 of 3
    assert (eta > 1 / ex["L"]) == (eta == 4.0)  # only eta = 4 lies beyond 1/L


def test_exercise_1_the_bound_at_k_100_is_0_605():
    w_star = examples.two_point_logistic()["w_star"]
    assert np.sum((-10.0 - w_star) ** 2) / (2 * 1.0 * 100) == pytest.approx(0.605)
