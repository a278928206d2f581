"""Quickprop: the secant step lands on the minimum of a parabola; Fahlman's growth limit;
the gradient-step fallbacks; and a per-weight scalar second implementation."""
import numpy as np
import pytest

from lectures_lib import objectives, optim


def reference_quickprop(grad, w0, steps, lr, mu):
    w, out = [float(x) for x in w0], [list(map(float, w0))]
    dw_prev, g_prev = [0.0] * len(w), [0.0] * len(w)
    for _ in range(steps):
        g = [float(x) for x in grad(np.array(w))]
        for i in range(len(w)):
            if dw_prev[i] == 0.0 or g_prev[i] == g[i]:
                step = -lr * g[i]
            else:
                r = g[i] / (g_prev[i] - g[i])
                same_sign_and_not_smaller = g[i] * g_prev[i] > 0 and abs(g[i]) > abs(g_prev[i])
                if mu is not None and (r > mu or same_sign_and_not_smaller):
                    r = mu
                step = r * dw_prev[i]
            w[i] += step
            dw_prev[i], g_prev[i] = step, g[i]
        out.append(list(w))
    return np.array(out)


def test_second_step_lands_on_the_minimum_of_every_separable_parabola(iterate):
    a, b = np.array([0.5, 3.0, 20.0]), np.array([1.0, -2.0, 4.0])
    q = objectives.Quadratic(np.diag(a), b)
    ws, _ = iterate(optim.Quickprop(lr=0.01, max_growth=None), q, [2.0, 2.0, 2.0], 2)
    np.testing.assert_allclose(ws[2], -b / a, rtol=1e-12)


def test_the_slides_sign_read_literally_moves_up_the_parabola():
    # Slides: Delta w^(k) = Delta w^(k-1) E'(k) / (E'(k) - E'(k-1)), w^(k+1) = w^(k) - Delta w^(k),
    # with Delta w the quantity subtracted (w^(k) = w^(k-1) - Delta w^(k-1)).
    q = objectives.Quadratic(np.diag([2.0]), [-2.0])  # minimum at 1
    w0, lr = 3.0, 0.1
    g0 = q.grad([w0])[0]
    sub1 = lr * g0  # first step subtracts lr E'
    w1 = w0 - sub1
    g1 = q.grad([w1])[0]
    w2_slides = w1 - sub1 * g1 / (g1 - g0)
    ws = optim.minimize(q, [w0], optim.Quickprop(lr, max_growth=None), max_iter=2, tol=0.0).w
    assert ws[1, 0] == pytest.approx(w1)
    assert ws[2, 0] == pytest.approx(1.0)  # the library lands on the minimum
    assert abs(w2_slides - 1.0) > abs(w1 - 1.0)  # the literal reading moves away from it


@pytest.mark.parametrize("mu", [None, 1.75, 1.2])
@pytest.mark.parametrize("name", ["coupled", "rosenbrock"])
def test_matches_a_scalar_reference(mu, name, iterate):
    obj = {"coupled": objectives.Quadratic.from_eigenvalues([1.0, 4.0, 9.0], b=[1, 2, 3], seed=2),
           "rosenbrock": objectives.Rosenbrock(dim=3)}[name]
    w0 = np.array([-0.5, 0.3, 0.8])
    ws, _ = iterate(optim.Quickprop(lr=1e-3, max_growth=mu), obj, w0, 60)
    ref = reference_quickprop(obj.grad, w0, 60, 1e-3, mu)
    finite = np.all(np.isfinite(ref), axis=1)
    np.testing.assert_allclose(ws[finite], ref[finite], rtol=1e-10, atol=1e-12)


def test_growth_is_capped_at_mu_times_the_previous_step():
    # E = -w (constant slope -1, no minimum): the secant factor is infinite, so dw grows by mu.
    line = objectives.Function(lambda w: -w[0], lambda w: np.array([-1.0]), dim=1)
    ws = optim.minimize(line, [0.0], optim.Quickprop(lr=0.1, max_growth=1.75), max_iter=6, tol=0.0).w[:, 0]
    # first a gradient step 0.1, then the slope "did not change": plain gradient steps
    np.testing.assert_allclose(np.diff(ws), 0.1)
    # slope getting steeper in the same direction (concave): mu times the previous step
    concave = objectives.Function(lambda w: -w[0] ** 2, lambda w: np.array([-2.0 * w[0]]), dim=1)
    ws = optim.minimize(concave, [1.0], optim.Quickprop(lr=0.1, max_growth=1.75), max_iter=5, tol=0.0).w[:, 0]
    steps = np.diff(ws)
    assert steps[0] == pytest.approx(0.2)
    np.testing.assert_allclose(steps[1:] / steps[:-1], 1.75)


def test_factor_above_mu_is_capped_and_factor_below_is_not(iterate):
    # E = 1/2 a w^2: after a gradient step from w0 the secant factor is (1 - lr a) / (lr a).
    for lr, capped in [(0.05, True), (0.5, False)]:  # factors 19 and 1 for a = 1
        q = objectives.Quadratic(np.diag([1.0]))
        ws, _ = iterate(optim.Quickprop(lr=lr, max_growth=1.75), q, [1.0], 2)
        dw0, dw1 = ws[1, 0] - ws[0, 0], ws[2, 0] - ws[1, 0]
        factor = (1 - lr) / lr
        assert dw1 == pytest.approx((1.75 if capped else factor) * dw0)


def test_zero_previous_step_takes_a_gradient_step(iterate):
    # The first step, and a weight sitting at its minimum (dw = 0 there), take -lr g.
    q = objectives.Quadratic(np.diag([1.0, 2.0]), [0.0, -2.0])  # minimum (0, 1)
    ws, state = iterate(optim.Quickprop(lr=0.1), q, [0.0, 0.0], 3)
    assert np.all(ws[:, 0] == 0.0)
    assert ws[1, 1] == pytest.approx(0.1 * 2.0)


def test_one_gradient_per_step(counting):
    obj = counting(objectives.Rosenbrock())
    optim.minimize(obj, [-1.0, 1.0], optim.Quickprop(1e-3), max_iter=25, tol=0.0)
    assert obj.n_grad == 25


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=0.0), r"lr must be > 0, got 0\.0"),
    (dict(lr=0.1, max_growth=0.0), r"max_growth must be > 0, got 0\.0"),
])
def test_bad_hyperparameters_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optim.Quickprop(**kwargs)
