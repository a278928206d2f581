"""The claims chapter 11 (Measured) makes in its prose, recomputed from the library on smaller
versions of the benchmarks in bench/ (the chapter itself prints the full benchmarks' numbers)."""
import math

import numpy as np
import pytest

from lectures_lib import convergence, experiments, objectives


@pytest.fixture(scope="module")
def runs():
    """Iterations and measured rates of every method on 20-D quadratics with kappa 10 and 100."""
    out, rng = {}, np.random.default_rng(0)
    for kappa in [10, 100]:
        lam = np.geomspace(1.0, kappa, 20)
        q = objectives.Quadratic.from_eigenvalues(lam, b=rng.standard_normal(20), seed=kappa)
        for method, (opt, eta, beta) in experiments.rate_parameters(kappa).items():
            errors = experiments.relative_errors(q, np.zeros(20), q.minimizer(), opt, 100_000)
            out[kappa, method] = (len(errors) - 1, errors, experiments.spectral_radius(method, eta, beta, lam))
    return out


def test_theory_column_is_the_textbook_formula():
    for kappa in [10, 100, 1000]:
        lam = np.geomspace(1.0, kappa, 30)
        for method, (_, eta, beta) in experiments.rate_parameters(kappa).items():
            value, _ = experiments.textbook_rate(method, kappa)
            if value is not None:
                assert experiments.spectral_radius(method, eta, beta, lam) == pytest.approx(value, rel=1e-6)


def test_gradient_descent_rate_and_cost_grow_with_kappa(runs):
    for kappa in [10, 100]:
        k, errors, rho = runs[kappa, "gradient descent"]
        assert convergence.measured_rate(errors, 0.0) == pytest.approx(rho, abs=0.01)
        assert k <= math.ceil(math.log(1e6) / -math.log(rho))  # finishes a little early
    ratio = runs[100, "gradient descent"][0] / runs[10, "gradient descent"][0]
    assert 7 < ratio < 13  # ten times kappa, about ten times the iterations


def test_momentum_methods_need_about_sqrt_kappa_and_measure_slightly_slower_than_rho(runs):
    for method in ["heavy ball (Polyak)", "Nesterov"]:
        growth = runs[100, method][0] / runs[10, method][0]
        assert 2 < growth < 5  # about sqrt(10), far from 10
        for kappa in [10, 100]:
            _, errors, rho = runs[kappa, method]
            assert rho < convergence.measured_rate(errors, 0.0) < rho + 0.05  # k rho^k, critical damping


def test_heavy_ball_beats_nesterov_at_their_own_optima_and_ties_at_the_same_parameters(runs):
    for kappa in [10, 100]:
        hb, nes = runs[kappa, "heavy ball (Polyak)"][0], runs[kappa, "Nesterov"][0]
        same = runs[kappa, "heavy ball at Nesterov's η, β"][0]
        assert hb < nes and 1.3 < nes / hb < 2.5
        assert abs(same / nes - 1) < 0.1


def test_rprop_and_quickprop_beat_tuned_gradient_descent_on_the_encoder_but_not_tenfold():
    problem, seeds = "10-5-10 encoder", range(8)

    def median(method, setting):
        return np.median([experiments.epochs_to_criterion(problem, method, setting, s, 3000) for s in seeds])

    gd = median("gradient descent", (8.0, None))  # the grid's best for this problem
    for method, setting in [("Rprop", (None, None)), ("Quickprop", (2.0, None))]:
        assert 2 < gd / median(method, setting) < 10
    assert 0.5 < gd / median("momentum", (4.0, 0.5)) < 2  # momentum: about as fast as gradient descent


def test_relative_errors_stop_at_the_first_error_below_one_over_shrink_as_a_plain_loop_does():
    q = objectives.Quadratic.from_eigenvalues(np.geomspace(1.0, 30.0, 6), b=np.arange(6.0) - 2.0, seed=3)
    for opt, _, _ in experiments.rate_parameters(30.0).values():
        w, state, w_star = np.zeros(6), opt.init(np.zeros(6)), q.minimizer()
        errors = [1.0]
        while errors[-1] > 1.0 / experiments.SHRINK:
            w, state = opt.step(q, w, state)
            errors.append(np.linalg.norm(w - w_star) / np.linalg.norm(w_star))
        measured = experiments.relative_errors(q, np.zeros(6), w_star, opt, 10_000)
        assert len(measured) == len(errors)  # the same first step below 1/SHRINK
        np.testing.assert_allclose(measured, errors, rtol=1e-12)  # the in-place step rounds a fused update its own way
        assert len(experiments.relative_errors(q, np.zeros(6), w_star, opt, 5)) == 6  # max_iter steps, then stop
