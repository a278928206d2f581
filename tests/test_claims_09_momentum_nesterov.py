"""Numeric claims of book/09_momentum_nesterov.ipynb, recomputed from the library."""
import numpy as np
import pytest

from lectures_lib import examples, mlp, objectives, optim
from lectures_lib.optim.momentum import MomentumState

EX = examples.nesterov_vs_momentum()
Q, LR = EX["objective"], EX["lr"]
W0 = np.array([-4.0, 3.0])


def test_example_setting():
    assert LR == pytest.approx(1 / Q.eigenvalues[-1]) and EX["beta"] == 0.9
    assert Q.eigenvalues[-1] / Q.eigenvalues[0] == pytest.approx(50.0)


def test_nesterov_converges_much_faster():
    m, n = EX["momentum"].loss - Q.min_value(), EX["nesterov"].loss - Q.min_value()
    assert optim.steps_to(m, 1e-3) == 100 and optim.steps_to(n, 1e-3) == 15
    assert m[-1] / n[-1] > 100


def test_nesterov_step_is_the_gradient_at_the_extended_point():
    w, dw = np.array([-0.9, 0.4]), np.array([-1.0, 2.5])
    w_nes, _ = optim.Nesterov(LR, 0.9).step(Q, w, MomentumState(3, dw))
    w_mom, _ = optim.Momentum(LR, 0.9).step(Q, w, MomentumState(3, dw))
    assert np.allclose(w_nes, w + 0.9 * dw - LR * Q.grad(w + 0.9 * dw))
    assert np.allclose(w_mom, w + 0.9 * dw - LR * Q.grad(w))


def run(opt_cls, beta, eta):
    return optim.minimize(Q, W0, opt_cls(eta / Q.eigenvalues[-1], beta), max_iter=100, tol=0.0)


def test_stability_limits():
    for beta in [0.5, 0.8, 0.9, 0.95]:
        assert 1.9 < 2 * (1 + beta)  # momentum stable at 1.9/lambda_max
        assert 2 * (1 + beta) / (1 + 2 * beta) < 1.9  # Nesterov not
        assert 1.3 < 2 * (1 + beta) / (1 + 2 * beta)
        n = run(optim.Nesterov, beta, 1.9)
        assert n.diverged or n.loss[-1] > 1e3
        assert run(optim.Momentum, beta, 1.9).loss[-1] - Q.min_value() < 1.0
        assert run(optim.Nesterov, beta, 1.3).loss[-1] - Q.min_value() < 1e-1
    assert 2 * 1.9 / 2.8 == pytest.approx(1.357, abs=1e-3)


def test_momentum_rings_at_beta_0_95_and_gd_is_slow():
    gd = optim.minimize(Q, W0, optim.GradientDescent(LR), max_iter=100, tol=0.0).loss[-1] - Q.min_value()
    assert run(optim.Momentum, 0.95, 1.0).loss[-1] - Q.min_value() > 1.0
    assert run(optim.Nesterov, 0.9, 1.0).loss[-1] - Q.min_value() < 1e-3 * gd


def test_xor_momentum_beats_gd_nesterov_no_better():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    d = np.array([0.0, 1.0, 1.0, 0.0])
    net = mlp.MLP([2, 3, 1], ["tanh", "sigmoid"], divergence="l2")
    xor, w0 = net.objective(X, d), net.init(seed=1)
    gd, mom, nes = (optim.minimize(xor, w0, o, max_iter=400, tol=0.0).loss[-1]
                    for o in [optim.GradientDescent(1.0), optim.Momentum(1.0, 0.9), optim.Nesterov(1.0, 0.9)])
    assert gd > 15 * mom and gd > 15 * nes and nes >= mom


def test_poll4_constant_slope():
    slope = objectives.Function(lambda w: 2.0 * w[0], lambda w: np.array([2.0]), dim=1)
    gd = -np.diff(optim.minimize(slope, [0.0], optim.GradientDescent(0.1), max_iter=60, tol=0.0).w[:, 0])
    mom = -np.diff(optim.minimize(slope, [0.0], optim.Momentum(0.1, 0.9), max_iter=60, tol=0.0).w[:, 0])
    assert np.allclose(gd, 0.2)
    assert mom[-1] == pytest.approx(0.1 * 2 / (1 - 0.9), rel=0.01)
    assert np.all(np.diff(mom) > 0)  # still growing: no minimum, nothing to converge to


def test_the_slides_loops_reset_the_step_and_are_gradient_descent():
    loops = examples.momentum_loops(steps=40)
    for name in ["slides' momentum loop", "slides' Nesterov loop"]:
        np.testing.assert_array_equal(loops[name], loops["gradient descent"])
    for name in ["momentum", "nesterov"]:
        assert np.abs(loops[name] - loops["gradient descent"]).max() > 1.0


def test_by_their_envelopes_nesterov_settles_twice_as_early():
    long = examples.nesterov_vs_momentum(steps=200)
    gap = {name: long[name].loss - Q.min_value() for name in ("momentum", "nesterov")}
    np.testing.assert_array_equal(long["momentum"].loss[:101], EX["momentum"].loss)  # the same runs, continued
    m = gap["momentum"]
    assert m[100] < 1e-3 < min(m[99], m[101])  # step 100 is a trough of momentum's swing
    env = {name: examples.envelope(g, window=20) for name, g in gap.items()}
    settled = {name: optim.steps_to(e, 1e-3) for name, e in env.items()}
    assert np.all(env["momentum"][settled["momentum"]:] < 1e-3) and np.all(env["nesterov"][settled["nesterov"]:] < 1e-3)
    assert settled["momentum"] > 2 * settled["nesterov"]
    assert env["momentum"][100] > 100 * env["nesterov"][100]


@pytest.mark.parametrize("opt_cls, nesterov", [(optim.Momentum, False), (optim.Nesterov, True)])
def test_iteration_matrix_is_the_library_step_along_an_eigendirection(opt_cls, nesterov):
    lam = 3.0
    line = objectives.Quadratic([[lam]], b=[-lam * 0.7])  # minimum at w* = 0.7
    rng = np.random.default_rng(1)
    for eta_l, beta in [(0.1, 0.5), (1.0, 0.9), (2.5, 0.8)]:
        opt = opt_cls(eta_l / lam, beta)
        e, d = rng.standard_normal(2)
        w_new, state = opt.step(line, np.array([0.7 + e]), MomentumState(5, np.array([d])))
        M = examples.momentum_matrix(eta_l, beta, nesterov)
        np.testing.assert_allclose(M @ [e, d], [w_new[0] - 0.7, state.dw[0]], atol=1e-12)


def test_spectral_radius_boundaries_are_the_quoted_limits():
    h = np.linspace(0.001, 4.5, 4500)
    for beta in (0.0, 0.3, 0.5, 0.9, 0.95):
        for nesterov, limit in [(False, 2 * (1 + beta)), (True, 2 * (1 + beta) / (1 + 2 * beta))]:
            stable = examples.spectral_radius(examples.momentum_matrix(h, beta, nesterov)) < 1
            assert np.all(stable[h < limit - 1e-3]) and not np.any(stable[h > limit + 1e-3])
        rho = examples.spectral_radius(examples.momentum_matrix(h, beta, False))
        ringing = (h > (1 - np.sqrt(beta)) ** 2 + 1e-3) & (h < (1 + np.sqrt(beta)) ** 2 - 1e-3)
        np.testing.assert_allclose(rho[ringing], np.sqrt(beta), rtol=1e-9)  # complex roots: |z| = sqrt(beta)


def test_tuned_momentum_rate_is_sqrt_kappa():
    for kappa in (10.0, 100.0):
        eta = 4 / (np.sqrt(kappa) + 1) ** 2
        beta = ((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) ** 2
        rho = examples.spectral_radius(examples.momentum_matrix(eta * np.array([1.0, 5.0, kappa]), beta))
        assert np.allclose(rho, np.sqrt(beta), rtol=1e-6)


def test_at_eta_lambda_3_beta_0_9_momentum_converges_and_nesterov_does_not():
    line = objectives.Quadratic([[1.0]])  # the chapter's check: curvature 1, so eta * lambda = eta
    assert not optim.minimize(line, [1.0], optim.Momentum(3.0, 0.9), max_iter=400, tol=0.0).diverged
    assert optim.minimize(line, [1.0], optim.Nesterov(3.0, 0.9), max_iter=400, tol=0.0).diverged


def test_at_the_sliders_largest_eta_nesterov_diverges_from_beta_0_5_on():
    assert run(optim.Nesterov, 0.0, 1.9).loss[-1] < 1e3  # beta = 0 is gradient descent: it converges
    assert [b for b in (0.0, 0.5, 0.8, 0.9, 0.95) if 2 * (1 + b) / (1 + 2 * b) < 1.9] == [0.5, 0.8, 0.9, 0.95]


def test_exercise_2_the_largest_converging_eta_lambda_on_the_grid_is_just_below_the_limit():
    line = objectives.Quadratic([[1.0]])  # the solution's run
    grid = np.arange(0.5, 2.0, 0.005)
    ok = [e for e in grid if optim.minimize(line, [1.0], optim.Nesterov(e, 0.5), max_iter=2000, tol=0.0).loss[-1] < 1e-6]
    assert max(ok) == pytest.approx(1.495) and max(ok) < 2 * 1.5 / 2.0 < max(ok) + 0.01
