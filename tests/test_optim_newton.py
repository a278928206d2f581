"""Newton / Hessian-normalised descent, diagonal loading, BFGS and L-BFGS."""
import numpy as np
import pytest
import scipy.optimize

from lectures_lib import objectives, optim
from lectures_lib.optim.quasi_newton import two_loop


def test_newton_reaches_the_minimum_of_a_quadratic_in_one_step():
    q = objectives.Quadratic.from_eigenvalues([0.01, 1.0, 100.0], b=[1.0, 2.0, 3.0], seed=4)
    trace = optim.minimize(q, [5.0, -5.0, 5.0], optim.Newton(), max_iter=10, tol=1e-9)
    np.testing.assert_allclose(trace.w[1], np.linalg.solve(q.A, -q.b), rtol=1e-9)
    assert trace.converged and trace.nit == 2


@pytest.mark.parametrize("eta", [0.5, 1.5, 2.5])
def test_normalised_descent_shrinks_the_error_by_one_minus_eta_in_every_direction(eta, iterate):
    q = objectives.Quadratic.from_eigenvalues([0.1, 1.0, 30.0], b=[1.0, 0.0, -1.0], seed=5)
    w_star = q.minimizer()
    ws, _ = iterate(optim.Newton(lr=eta), q, [1.0, 2.0, 3.0], 4)
    for k in range(5):
        np.testing.assert_allclose(ws[k] - w_star, (1 - eta) ** k * (ws[0] - w_star), rtol=1e-8, atol=1e-12)


def test_newton_converges_quadratically_on_rosenbrock():
    r = objectives.Rosenbrock()
    trace = optim.minimize(r, [-1.2, 1.0], optim.Newton(), max_iter=50, tol=0.0)
    err = np.linalg.norm(trace.w - 1.0, axis=1)
    k = optim.steps_to(err, 1e-3)
    assert 0 < k < 10
    assert err[k + 1] < 10 * err[k] ** 2  # e_{k+1} = O(e_k^2)


def test_plain_newton_heads_for_the_saddle_and_loading_does_not():
    well = objectives.DoubleWell()  # saddle (0,0), minima (0, +-1)
    w0 = [0.5, 0.2]  # near the saddle the w_2 curvature is negative
    plain = optim.minimize(well, w0, optim.Newton(), max_iter=50, tol=1e-15)
    np.testing.assert_allclose(plain.w[-1], [0.0, 0.0], atol=1e-8)
    loaded = optim.minimize(well, w0, optim.Newton(min_curvature=0.5), max_iter=200, tol=1e-15)
    np.testing.assert_allclose(loaded.w[-1], [0.0, 1.0], atol=1e-6)


def test_loading_uses_exactly_the_needed_diagonal_load():
    H = np.diag([2.0, -3.0])
    f = objectives.Function(lambda w: 0.0, lambda w: np.array([1.0, 1.0]), lambda w: H, dim=2)
    d = optim.Newton(min_curvature=0.5).direction(f, np.zeros(2))
    # mu = 0.5 - (-3) = 3.5: (H + 3.5 I)^{-1} g = [1/5.5, 1/0.5]
    np.testing.assert_allclose(d, [1 / 5.5, 2.0])


def test_errors_name_the_problem():
    singular = objectives.Quadratic(np.diag([1.0, 0.0]))
    with pytest.raises(ValueError, match="Hessian is singular"):
        optim.Newton().step(singular, np.ones(2), optim.Newton().init(np.ones(2)))
    no_hess = objectives.Function(lambda w: 0.0, lambda w: w, dim=2)
    with pytest.raises(ValueError, match="no Hessian"):
        optim.Newton().step(no_hess, np.ones(2), optim.Newton().init(np.ones(2)))
    with pytest.raises(ValueError, match=r"min_curvature must be > 0, got -1"):
        optim.Newton(min_curvature=-1)


@pytest.mark.parametrize("opt", [optim.BFGS(), optim.LBFGS(memory=5)], ids=["BFGS", "L-BFGS"])
@pytest.mark.parametrize("dim", [2, 5])
def test_quasi_newton_finds_scipys_minimum_of_rosenbrock(opt, dim):
    w0 = np.linspace(-0.5, 1.4, dim)
    trace = optim.minimize(objectives.Rosenbrock(dim=dim), w0, opt, max_iter=2000, tol=0.0)
    ref = scipy.optimize.minimize(scipy.optimize.rosen, w0, jac=scipy.optimize.rosen_der, method="BFGS", tol=1e-12)
    np.testing.assert_allclose(trace.w[-1], ref.x, atol=1e-6)


def test_bfgs_inverse_hessian_satisfies_the_secant_condition_and_learns_a_quadratic():
    q = objectives.Quadratic.from_eigenvalues([1.0, 3.0, 10.0, 30.0], b=[1, -1, 2, 0.5], seed=6)
    opt = optim.BFGS()
    w, state = np.ones(4), opt.init(np.ones(4))
    for _ in range(30):
        w_old, g_old = w, q.grad(w)
        w, state = opt.step(q, w, state)
        s, y = w - w_old, q.grad(w) - g_old
        if np.linalg.norm(s) > 1e-8:
            np.testing.assert_allclose(state.memory @ y, s, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(w, q.minimizer(), atol=1e-8)


def test_two_loop_recursion_equals_dense_bfgs_updates():
    rng = np.random.default_rng(7)
    d, pairs = 6, []
    A = objectives.Quadratic.from_eigenvalues(np.linspace(1, 20, 6), seed=8).A
    for _ in range(4):
        s = rng.normal(size=d)
        pairs.append((s, A @ s))  # y = A s: curvature positive
    s_new, y_new = pairs[-1]
    H = (s_new @ y_new) / (y_new @ y_new) * np.eye(d)
    for s, y in pairs:
        rho = 1 / (y @ s)
        V = np.eye(d) - rho * np.outer(y, s)
        H = V.T @ H @ V + rho * np.outer(s, s)
    g = rng.normal(size=d)
    np.testing.assert_allclose(two_loop(g, tuple(pairs)), H @ g, rtol=1e-10)


def test_quasi_newton_takes_one_gradient_per_step(counting):
    for opt in [optim.BFGS(), optim.LBFGS()]:
        obj = counting(objectives.Rosenbrock())
        optim.minimize(obj, [-1.2, 1.0], opt, max_iter=20, tol=0.0)
        assert obj.n_grad == 20 + 1  # one per step, plus the first point's


@pytest.mark.parametrize("make, match", [
    (lambda: optim.LBFGS(memory=0), r"memory must be an integer >= 1, got 0"),
    (lambda: optim.BFGS(lr=0.0), r"lr must be > 0"),
])
def test_bad_hyperparameters_are_named(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("memory", [1, 5, 10])
def test_lbfgs_does_not_stall_where_the_curvature_test_fails(memory):
    # From the standard start (-1.2, 1) a step in the non-convex part of the valley has
    # s.y <= 0; keeping the stale pairs used to freeze L-BFGS at E ~ 3.
    trace = optim.minimize(objectives.Rosenbrock(), [-1.2, 1.0], optim.LBFGS(memory=memory), max_iter=200, tol=0.0)
    np.testing.assert_allclose(trace.w[-1], [1.0, 1.0], atol=1e-8)


@pytest.mark.parametrize("opt", [optim.BFGS(), optim.LBFGS()], ids=["BFGS", "L-BFGS"])
def test_quasi_newton_stays_finite_long_after_convergence(opt):
    # tiny steps near the minimum made rho = 1/(s.y) overflow when squared (NaN at step ~23)
    q = objectives.Quadratic.from_eigenvalues([1.0, 10.0], b=[1.0, -1.0], angle=0.3)
    trace = optim.minimize(q, [3.0, -2.0], opt, max_iter=200, tol=0.0)
    assert not trace.diverged and np.all(np.isfinite(trace.w))
    np.testing.assert_allclose(trace.w[-1], q.minimizer(), atol=1e-10)
