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


def test_gradient_descent_measures_a_little_below_rho_and_finishes_early_as_the_extreme_share_predicts(runs):
    rng = np.random.default_rng(0)  # the fixture's problems again, for their eigenvectors
    for kappa in [10, 100]:
        lam = np.geomspace(1.0, kappa, 20)
        q = objectives.Quadratic.from_eigenvalues(lam, b=rng.standard_normal(20), seed=kappa)
        k, errors, rho = runs[kappa, "gradient descent"]
        assert rho - 0.01 < convergence.measured_rate(errors, 0.0) < rho  # close to rho, a little below
        vals, vecs = np.linalg.eigh(q.A)
        c = vecs.T @ (0.0 - q.minimizer())  # the starting error in the eigenbasis
        share = np.hypot(c[0], c[-1]) / np.linalg.norm(c)  # along the two slowest directions
        assert share < 1 and abs(c[0]) > np.median(np.abs(c))  # part of it; lambda_1's more than most
        predicted = math.log(experiments.SHRINK) / -math.log(rho)
        assert k < predicted and abs(k - math.log(experiments.SHRINK * share) / -math.log(rho)) < 3


def test_on_xor_rprop_and_quickprop_succeed_faster_but_fail_more_often_and_failures_are_stuck():
    problem, seeds = "XOR (2-2-1)", range(24)
    runs = {m: [experiments.encoder_run(problem, m, setting, s, 3000) for s in seeds]
            for m, setting in [("gradient descent", (16.0, None)), ("Rprop", (None, None)), ("Quickprop", (16.0, None))]}
    fails = {m: sum(e is None for e, _ in r) for m, r in runs.items()}
    mean = {m: np.mean([e for e, _ in r if e is not None]) for m, r in runs.items()}
    for m in ["Rprop", "Quickprop"]:
        assert mean[m] < 0.7 * mean["gradient descent"] and fails[m] > fails["gradient descent"]
    kinds = [kind for r in runs.values() for e, kind in r if e is None]
    assert kinds and kinds.count("stuck") >= 0.9 * len(kinds)  # almost every failure is stuck


def test_at_beta_0_9_momentum_needs_a_small_rate_on_the_encoder():
    problem, seeds = "10-5-10 encoder", range(5)
    for method in ["momentum", "Nesterov"]:
        at = {beta: [experiments.epochs_to_criterion(problem, method, (4.0, beta), s, 3000) for s in seeds]
              for beta in (0.5, 0.9)}
        assert all(e is not None for e in at[0.5]) and all(e is None for e in at[0.9])  # eta = 4: only beta = 0.5
        small = [experiments.epochs_to_criterion(problem, method, (0.125, 0.9), s, 3000) for s in seeds]
        assert all(e is not None for e in small) and np.median(small) > 3 * np.median(at[0.5])  # several times longer


def test_the_results_files_prose_claims_and_the_set_up_the_chapter_glues():
    """Chapter 11's prose about the results files it reads (bench/results/*.json), checked on those
    files: a re-run benchmark that contradicts a sentence fails here."""
    from pathlib import Path

    from lectures_lib import measured, optim

    R = measured.load(["rates", "encoders"], start=Path(__file__).parent)
    es, rp = R["encoders"]["setup"], optim.Rprop()
    # the set-up strings the benchmark wrote are the library constants the chapter glues
    assert es["criterion"].startswith(f"max |y - d| < {experiments.CRITERION} ")
    assert es["init"] == f"uniform [-{experiments.INIT_RANGE:g}, {experiments.INIT_RANGE:g}], weights and biases"
    assert es["rprop"] == f"defaults: Rprop+, delta0 {rp.delta0:g}, eta+ {rp.eta_plus:g}, eta- {rp.eta_minus:g}"
    assert es["quickprop_max_growth"] == experiments.QUICKPROP_MAX_GROWTH
    assert len({b / a for a, b in zip(es["lr_grid"], es["lr_grid"][1:])}) == 1  # one factor: "a factor-2 grid"
    rows = R["rates"]["rows"]
    shrink = R["rates"]["setup"]["shrink"]  # the glued F: each predicted count is ceil(ln F / -ln rho)
    assert shrink == experiments.SHRINK and all(r["predicted_iterations"] == np.ceil(np.log(shrink) / -np.log(r["theory_rate"]))
                                                 for r in rows)
    gd = [r["iterations"] for r in rows if r["method"] == "gradient descent"]
    assert all(7 < b / a < 13 for a, b in zip(gd, gd[1:]))  # ten times kappa, about ten times the iterations
    assert all(1.5 < rs["Nesterov / heavy ball (Polyak)"] < 2.5 for rs in R["rates"]["ratios"].values())  # about half
    enc = R["encoders"]["results"]
    for p in ["10-5-10 encoder", "8-3-8 encoder"]:
        for m in ["Rprop", "Quickprop"]:
            assert enc[p][m]["median"] < 60 and 3 < enc[p][m]["speedup_median"] < 10  # a few dozen; several times
    qp = enc["XOR (2-2-1)"]["Quickprop"]
    assert qp["failures"] > qp["runs"] / 2 and qp["median"] is None  # more than half: its median is infinite
