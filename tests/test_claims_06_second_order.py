"""Numeric claims of book/06_second_order.ipynb, recomputed from the library."""
import numpy as np
import pytest

from lectures_lib import convergence, examples, landscape, objectives, optim

Q = objectives.Quadratic.from_eigenvalues([1.0, 10.0], b=[1.0, -2.0], c=0.5, angle=np.pi / 6)
W0 = np.array([-2.0, 2.0])


def test_rotation_couples_the_coordinates():
    for angle, monotone in [(0.0, True), (np.pi / 6, False)]:
        q = objectives.Quadratic.from_eigenvalues([1.0, 10.0], angle=angle)
        w1 = optim.minimize(q, [-3.0, 1.5], optim.GradientDescent(0.18), max_iter=30, tol=1e-12).w[:, 0]
        assert np.all(np.diff(w1) > 0) == monotone


def test_scaled_quadratic_and_the_b_hat_sign():
    q_hat = convergence.scaled_quadratic(Q)
    S = convergence.sqrtm(Q.A)
    assert np.allclose(q_hat.A, np.eye(2))
    assert np.allclose(q_hat.b @ S, Q.b)  # b_hat^T S = b^T (not -b^T)
    rng = np.random.default_rng(0)
    for w in rng.standard_normal((5, 2)):
        assert q_hat.value(S @ w) == pytest.approx(Q.value(w))
    wrong = objectives.Quadratic(np.eye(2), -q_hat.b, Q.c)
    assert wrong.value(S @ np.array([0.7, -1.3])) != pytest.approx(Q.value(np.array([0.7, -1.3])))
    assert np.allclose(S @ Q.minimizer(), q_hat.minimizer())


def test_square_roots_by_eigendecomposition():
    S, S_inv = convergence.sqrtm(Q.A), convergence.sqrtm(Q.A, -0.5)
    assert np.allclose(S, S.T) and np.allclose(S.T @ S, Q.A)
    assert np.allclose(S_inv.T @ S_inv, np.linalg.inv(Q.A))
    assert np.allclose(convergence.sqrtm(np.diag([4.0, 9.0])), np.diag([2.0, 3.0]))  # diagonal case


def test_gradient_relation_and_modified_update():
    q_hat = convergence.scaled_quadratic(Q)
    S, S_inv = convergence.sqrtm(Q.A), convergence.sqrtm(Q.A, -0.5)
    w = np.array([0.7, -1.3])
    assert np.allclose(q_hat.grad(S @ w), S_inv @ Q.grad(w))
    gd_hat = optim.minimize(q_hat, S @ W0, optim.GradientDescent(0.6), max_iter=8, tol=0.0)
    normalised = optim.minimize(Q, W0, optim.Newton(0.6), max_iter=8, tol=0.0)
    assert np.allclose(gd_hat.w @ S_inv, normalised.w)
    assert np.allclose(normalised.w[1] - normalised.w[0], -0.6 * np.linalg.solve(Q.A, Q.grad(W0)))


def test_ellipse_semi_axes_are_one_over_sqrt_lambda():
    lam, vecs = np.linalg.eigh(Q.A)
    w_star, e_star = Q.minimizer(), Q.min_value()
    for i in range(2):
        assert Q.value(w_star + vecs[:, i] / np.sqrt(lam[i])) - e_star == pytest.approx(0.5)
        assert Q.value(w_star + vecs[:, i] * lam[i] / lam[-1]) - e_star != pytest.approx(0.5)
    assert np.allclose(convergence.optimal_rates(Q.A), [1.0, 0.1])


def test_slides_a_inverse_b_rule_is_wrong():
    one = optim.minimize(Q, W0, optim.Newton(1.0), max_iter=1)
    assert np.allclose(one.w[1], Q.minimizer())
    assert not np.allclose(W0 - np.linalg.solve(Q.A, Q.b), Q.minimizer())
    assert np.allclose(np.linalg.solve(Q.A, Q.grad(W0)), W0 - Q.minimizer())


@pytest.mark.parametrize("eta, kind", [(0.5, "monotone"), (1.0, "optimal"), (1.5, "oscillating"),
                                       (1.9, "oscillating"), (2.1, "divergent")])
def test_normalised_update_regimes(eta, kind):
    assert convergence.regime(eta, 1.0) == kind
    trace = optim.minimize(Q, W0, optim.Newton(eta), max_iter=25, tol=1e-14)
    err = trace.w - Q.minimizer()
    if kind == "optimal":
        assert np.allclose(err[1], 0, atol=1e-12)
    else:
        assert np.allclose(err[1:3] / err[0:2], 1 - eta)  # same factor in every direction
        dist = np.linalg.norm(err, axis=1)
        assert (dist[-1] < 0.1 * dist[0]) == (kind != "divergent")
        assert (dist[-1] > 10 * dist[0]) == (kind == "divergent")


def test_eta_two_is_a_two_cycle():
    trace = optim.minimize(Q, W0, optim.Newton(2.0), max_iter=25, tol=1e-14)
    assert trace.converged and trace.nit == 1  # the |dE| rule is fooled
    back = optim.minimize(Q, trace.w[-1], optim.Newton(2.0), max_iter=1, tol=0.0)
    assert np.allclose(back.w[-1], W0)
    assert np.allclose(trace.w[1], 2 * Q.minimizer() - W0)


def test_newton_on_non_quadratics():
    soft = objectives.Softplus(mu=0.1)
    t = optim.minimize(soft, [-4.0], optim.Newton(), max_iter=6, tol=1e-12)
    assert abs(soft.grad(t.w[-1])[0]) < 1e-8
    rosen = objectives.Rosenbrock()
    t = optim.minimize(rosen, [-1.5, 2.0], optim.Newton(), max_iter=50, tol=1e-14)
    assert t.converged and t.nit <= 10 and np.allclose(t.w[-1], 1.0)


def test_hessian_size():
    assert 100_000**2 == 10**10 and 100_000**2 * 8 / 1e9 == 80


WELL = objectives.DoubleWell()


@pytest.mark.parametrize("w2, expected", [(0.2, (0, 0)), (0.4, (0, 0)), (0.5, (0, -1)), (0.7, (0, 1)), (1.5, (0, 1))])
def test_plain_newton_on_the_double_well(w2, expected):
    end = optim.minimize(WELL, [1.5, w2], optim.Newton(), max_iter=40, tol=1e-14).w[-1]
    assert np.allclose(end, expected, atol=1e-6)
    kind = landscape.classify_critical_point(WELL, end)
    assert kind == ("saddle" if expected == (0, 0) else "minimum")
    assert (abs(w2) < 1 / np.sqrt(3)) == (WELL.hess(np.array([1.5, w2]))[1, 1] < 0)


@pytest.mark.parametrize("m", [0.1, 0.5])
@pytest.mark.parametrize("w2", [0.2, 0.4, 0.5, 0.7, 1.5])
def test_diagonal_loading_reaches_a_minimum(m, w2):
    trace = optim.minimize(WELL, [1.5, w2], optim.Newton(min_curvature=m), max_iter=40, tol=1e-14)
    assert landscape.classify_critical_point(WELL, trace.w[-1]) == "minimum"
    assert trace.loss[-1] == pytest.approx(-0.25)


@pytest.mark.parametrize("start", list(examples.ROSENBROCK_STARTS.values()))
def test_rosenbrock_race(start):
    gd, newton, bfgs, lbfgs = examples.rosenbrock_race(start).values()  # the chapter's runs
    assert newton.converged and newton.nit <= 10  # a handful of steps
    for run in (bfgs, lbfgs):  # a few dozen
        assert run.converged and 12 <= run.nit <= 60 and run.loss[-1] < 1e-15
    assert gd.nit == examples.ROSENBROCK_GD_STEPS and not gd.converged and gd.loss[-1] > 1e-3  # still crawling


def test_rosenbrock_gd_step_is_capped_by_the_valley_walls():
    lam = np.linalg.eigvalsh(objectives.Rosenbrock().hess(np.ones(2)))
    assert 1000 < lam.max() < 1003 and lam.min() < 1  # the glued lambda_max, and a flat valley floor
    assert examples.ROSENBROCK_GD_LR < 2 / lam.max() < 2 * examples.ROSENBROCK_GD_LR  # near the stability limit


def test_rotation_changes_nothing_for_gradient_descent_and_stalls_the_per_weight_rprop():
    bowls = examples.rotated_bowls()  # the chapter's runs
    A = bowls["aligned"]["objective"].A
    assert bowls["lr"] < convergence.max_stable_lr(A) < 1.2 * bowls["lr"]  # "just below 2/lambda_max"
    gd_a, gd_r = bowls["aligned"]["gd"], bowls["rotated"]["gd"]
    np.testing.assert_allclose(gd_r.loss, gd_a.loss, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gd_r.w, gd_a.w @ bowls["rotation"].T, atol=1e-12)
    w1 = gd_r.w[:, 0]
    assert not np.all(np.diff(w1) > 0)  # yet each rotated coordinate zig-zags
    assert bowls["aligned"]["rprop"].loss[-1] < 1e-8
    assert bowls["rotated"]["rprop"].loss[-1] > 1e-1


def test_scaling_the_axes_maps_the_ellipse_to_a_circle_and_gd_to_a_curvature_scaled_step():
    sa = examples.scaled_axes()  # the chapter's three-panel figure
    q, lam, lr = sa["objective"], sa["eigenvalues"], sa["lr"]
    assert np.linalg.det(sa["eigenvectors"]) == pytest.approx(1.0)  # a rotation
    for p in sa["panels"].values():
        for run in ("gd", "normalised"):  # the same points, the same losses in every coordinate system
            np.testing.assert_allclose(p["objective"].value(p[run]), sa[run].loss, rtol=1e-12, atol=1e-12)
    rotated, scaled = sa["panels"]["rotated"], sa["panels"]["scaled"]
    np.testing.assert_allclose(rotated["objective"].A, np.diag(lam), atol=1e-12)  # axis-aligned ellipse
    np.testing.assert_allclose(scaled["objective"].A, np.eye(2), atol=1e-12)  # circles
    gd_rotated = optim.minimize(rotated["objective"], rotated["gd"][0], optim.GradientDescent(lr), max_iter=20, tol=0.0)
    np.testing.assert_allclose(gd_rotated.w, rotated["gd"], atol=1e-12)  # rotation changes nothing for GD
    g_hat = np.array([scaled["objective"].grad(u) for u in scaled["gd"][:-1]])
    np.testing.assert_allclose(scaled["gd"][1:], scaled["gd"][:-1] - lr * g_hat * lam, atol=1e-12)  # w_hat - eta Lambda grad
    gd_circle = optim.minimize(scaled["objective"], scaled["normalised"][0], optim.GradientDescent(sa["lr_scaled"]),
                               max_iter=20, tol=0.0)
    np.testing.assert_allclose(gd_circle.w, scaled["normalised"], atol=1e-12)  # GD on the circle = normalised update
    centre = scaled["map"] @ q.minimizer()
    d = scaled["normalised"][:-1] - centre
    assert np.allclose(d[:, 0] * d[0, 1] - d[:, 1] * d[0, 0], 0.0, atol=1e-12)  # a straight line to the centre
    S = sa["eigenvectors"] @ scaled["map"]  # the slides' A^0.5 = E Lambda^0.5 E^T: the scaled map, rotated back
    np.testing.assert_allclose(S, convergence.sqrtm(q.A), atol=1e-12)
    assert sa["gd"].loss[-1] - q.min_value() > 1e6 * (sa["normalised"].loss[-1] - q.min_value())


def test_plain_newton_from_inside_the_band_at_0_5_steps_uphill_and_overshoots_the_saddle():
    w = np.array([1.5, 0.5])
    g2 = WELL.grad(w)[1]
    w1 = optim.minimize(WELL, w, optim.Newton(), max_iter=1, tol=0.0).w[1]
    assert (w1[1] - w[1]) * g2 > 0  # the step along w_2 is along the gradient: uphill
    assert w1[1] < 0  # past the saddle at 0, to the other side


def test_exercise_2_the_diagonal_scaling_lands_in_one_step_only_when_aligned():
    miss = {}
    for angle in (0.0, np.pi / 6):  # the solution's run
        q = objectives.Quadratic.from_eigenvalues([1.0, 10.0], b=[1.0, -2.0], angle=angle)
        w = np.array([-2.0, 2.0])
        miss[angle] = np.linalg.norm(w - (q.A @ w + q.b) / np.diag(q.A) - q.minimizer())
    assert miss[0.0] < 1e-12 and miss[np.pi / 6] > 1.0
