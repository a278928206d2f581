"""Numeric claims of book/04_convergence.ipynb, recomputed from the library."""
import numpy as np
import pytest

from lectures_lib import convergence, examples, objectives, optim


def gd(q, w0, eta, steps, tol=0.0):
    return optim.minimize(q, w0, optim.GradientDescent(eta), max_iter=steps, tol=tol)


def test_rate_is_constant_and_bounds_the_gap():
    run = examples.linear_rate_run()  # the chapter's run
    q, trace, gap, R = run["objective"], run["trace"], run["gap"], run["R"]
    assert R == convergence.gd_rate(q.A, 0.1) ** 2 and len(gap) == 61
    assert R == pytest.approx(0.64)
    assert convergence.measured_rate(trace.loss, q.min_value()) == pytest.approx(0.64, abs=1e-4)
    assert np.all(gap <= gap[0] * R ** np.arange(len(gap)) + 1e-15)


Q1 = examples.parabola()  # the chapter's E = (w - 1)^2, a = 2


def test_the_parabola_is_w_minus_one_squared():
    w = np.linspace(-3, 4, 15)[:, None]
    np.testing.assert_allclose(Q1.value(w), (w[:, 0] - 1) ** 2, atol=1e-12)
    assert Q1.eigenvalues.tolist() == [2.0] and Q1.minimizer()[0] == 1.0


def test_eta_opt_is_one_newton_step():
    assert convergence.eta_opt(2.0) == 0.5
    trace = gd(Q1, [-1.5], 0.5, 1)
    assert trace.w[1, 0] == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("ratio, name", [(0.25, "monotone"), (0.5, "monotone"), (1.5, "oscillating"),
                                         (1.9, "oscillating"), (2.1, "divergent")])
def test_three_regimes(ratio, name):
    eta = ratio * 0.5
    assert convergence.regime(eta, 2.0) == name
    err = gd(Q1, [-1.5], eta, 25).w[:, 0] - 1.0
    ratios = err[1:] / err[:-1]
    assert np.allclose(ratios, 1 - 2 * eta)
    if name == "monotone":
        assert np.all(ratios > 0) and np.all(np.abs(ratios) < 1)
    elif name == "oscillating":
        assert np.all(ratios < 0) and np.all(np.abs(ratios) < 1)
    else:
        assert np.all(np.abs(ratios) > 1) and abs(err[-1]) > 10 * abs(err[0])


def test_twice_eta_opt_is_a_two_cycle_that_fools_the_stopping_rule():
    assert convergence.regime(1.0, 2.0) == "periodic"
    trace = gd(Q1, [-1.5], 1.0, 25)
    assert trace.converged and trace.nit == 1 and trace.w[1, 0] == 3.5
    back = gd(Q1, trace.w[-1], 1.0, 1)
    assert back.w[-1, 0] == -1.5


def test_slides_two_learning_rates_example():
    ex = examples.two_learning_rates()
    q, tr = ex["objective"], ex["trace"]
    assert ex["lr"] == pytest.approx(1.729)
    assert convergence.max_stable_lr(q.A) == pytest.approx(1.82)
    assert np.allclose(sorted(convergence.optimal_rates(q.A)), [0.91, 1.0])
    # both coordinates oscillate (sign flips every step) and converge, w2 more slowly
    for i, factor in [(0, 1 - 1.729), (1, 1 - 1.9)]:
        assert np.allclose(tr.w[1:, i] / tr.w[:-1, i], factor)
    assert abs(tr.w[-1, 0]) < 1e-6 < abs(tr.w[-1, 1]) < 0.01
    assert gd(q, [-1.5, 1.5], 1.85, 200).diverged or gd(q, [-1.5, 1.5], 1.85, 200).loss[-1] > 1e3


def test_diagonal_slices_are_shifted_copies():
    qd = examples.diagonal_bowl()  # the chapter's, and its three slices
    w1 = np.linspace(-3, 5, 50)
    slices = [qd.value(np.stack([w1, np.full_like(w1, w2)], -1)) for w2 in (-2.0, -0.5, 0.5)]
    assert np.ptp([s[0] for s in slices]) > 0.5  # they are not the same curve: they move up and down
    for s in slices[1:]:
        assert np.allclose(s - slices[0], (s - slices[0])[0])
    assert np.allclose(convergence.optimal_rates(qd.A), [1.0, 0.25])


def test_convex_chords_above_and_double_well_chord_cuts():
    f = objectives.Softplus(mu=0.3)
    for u, v in [(-2.0, 1.5), (-1.0, 2.3)]:
        t = np.linspace(0, 1, 50)[:, None]
        chord = t[:, 0] * f.value(np.array([v])) + (1 - t[:, 0]) * f.value(np.array([u]))
        assert np.all(f.value(t * v + (1 - t) * u) <= chord + 1e-12)
    well = objectives.DoubleWell()
    assert well.value(np.array([0.0, 0.0])) > 0.5 * (well.value(np.array([0.0, -1.0])) + well.value(np.array([0.0, 1.0])))


@pytest.mark.parametrize("kappa, ratio", [(1, 1.9), (10, 1.9), (30, 1.5), (30, 0.5), (3, 1.0)])
def test_below_twice_smallest_eta_opt_converges(kappa, ratio):
    q = objectives.Quadratic(np.diag([1.0, kappa]))
    assert gd(q, [-4.0, 2.0], ratio / kappa, 40, 1e-14).loss[-1] < q.value(np.array([-4.0, 2.0]))


@pytest.mark.parametrize("kappa", [1, 3, 10, 30])
def test_above_twice_smallest_eta_opt_grows(kappa):
    q = objectives.Quadratic(np.diag([1.0, kappa]))
    tr = gd(q, [-4.0, 2.0], 2.05 / kappa, 40, 1e-14)
    assert tr.loss[-1] > tr.loss[0]


def test_large_kappa_leaves_w1_crawling():
    losses = [gd(objectives.Quadratic(np.diag([1.0, k])), [-4.0, 2.0], 1.0 / k, 40, 1e-14).loss[-1]
              for k in (1, 3, 10, 30)]
    assert np.all(np.diff(losses) > 0) and losses[-1] > 0.1 and losses[0] < 1e-12


def test_local_eta_opt_of_softplus_depends_on_w():
    s2 = objectives.Softplus(dim=2, mu=0.05)
    assert np.allclose(convergence.optimal_rates(s2.hess(np.zeros(2))), 1 / 0.3)
    assert max(convergence.optimal_rates(s2.hess(np.array([-3.0, 4.0])))) > 10


@pytest.mark.parametrize("kappa", [2, 5, 10, 20, 50, 100])
def test_measured_rate_matches_theory_at_best_lr(kappa):
    q = objectives.Quadratic.from_eigenvalues([1.0, kappa], angle=np.pi / 5)
    lr = convergence.best_lr(q.A)
    rho = (kappa - 1) / (kappa + 1)
    assert convergence.condition_number(q.A) == pytest.approx(kappa)
    assert convergence.gd_rate(q.A, lr) == pytest.approx(rho)
    trace = gd(q, [1.0, 1.0], lr, 400)
    assert convergence.measured_rate(trace.loss, 0.0) == pytest.approx(rho**2, rel=1e-6)
    # any other fixed step is worse in the worst direction
    assert convergence.gd_rate(q.A, 0.9 * lr) > rho and convergence.gd_rate(q.A, 1.1 * lr) > rho


def test_steps_to_one_in_1e10():
    steps = {k: np.log(1e-10) / np.log(((k - 1) / (k + 1)) ** 2) for k in (2, 100)}
    assert steps[100] > 500 and np.ceil(steps[2]) == 11


@pytest.mark.parametrize("kappa", [2, 5, 10, 20, 50, 100])
def test_steps_to_1e10_are_the_formula_rounded_up_and_about_kappa_over_4_ln(kappa):
    trace = examples.best_fixed_step(kappa, w0=[1.0, 1.0], steps=700)[1]
    assert trace.loss[0] > 0 and np.all(trace.loss >= 0)  # E* = 0
    steps = optim.steps_to(trace.loss / trace.loss[0], 1e-10)
    exact = np.log(1e10) / np.log(((kappa + 1) / (kappa - 1)) ** 2)
    assert steps == np.ceil(exact)
    if kappa >= 5:
        assert abs(kappa / 4 * np.log(1e10) - exact) < 1
    q, fig_trace = examples.best_fixed_step(kappa, w0=[1.0, 1.0])  # the figure's 400-step run
    assert convergence.measured_rate(fig_trace.loss, 0.0) == pytest.approx(((kappa - 1) / (kappa + 1)) ** 2, rel=1e-6)


def test_the_three_fixed_steps_converge_jitter_and_diverge_by_their_factor():
    trio = examples.step_size_regimes()  # the chapter's figure
    assert trio["eta_opt"] == 0.5 and trio["objective"].minimizer()[0] == trio["w_star"] == 1.0
    regimes = [r["regime"] for r in trio["runs"].values()]
    assert regimes == ["monotone", "oscillating", "divergent"]
    for ratio, r in trio["runs"].items():
        e = r["trace"].w[:, 0] - trio["w_star"]
        assert r["factor"] == pytest.approx(1 - ratio)  # 1 - eta a with eta = ratio / a
        np.testing.assert_allclose(e[1:], r["factor"] * e[:-1], rtol=1e-12)  # e_(k+1) = (1 - eta a) e_k
    conv, jit, div = (r["trace"].w[:, 0] - 1.0 for r in trio["runs"].values())
    assert np.all(conv < 0) and np.all(np.diff(np.abs(conv)) < 0)  # one side, shrinking
    assert np.all(jit[1:] * jit[:-1] < 0) and np.all(np.diff(np.abs(jit)) < 0)  # side to side, shrinking
    assert np.all(div[1:] * div[:-1] < 0) and np.all(np.diff(np.abs(div)) > 0)  # side to side, growing


def test_the_linear_rate_bound_holds_at_every_step():
    run = examples.linear_rate_run()  # the chapter's run
    gap = run["gap"]
    ratio = gap / (gap[0] * run["R"] ** np.arange(len(gap)))
    assert ratio[0] == 1.0 and ratio[1:].max() < 1.0  # below the bound at every step


def test_the_rate_becomes_constant_only_once_the_slowest_direction_dominates():
    gap = examples.linear_rate_run()["gap"]  # the chapter's run
    ratio = gap[1:] / gap[:-1]
    assert abs(ratio[5] - 0.64) > 1e-3  # early on the faster direction still shows
    assert np.all(np.abs(ratio[20:] - 0.64) < 1e-4)


@pytest.mark.parametrize("kappa", [3.0, 10.0])
def test_at_eta_equal_to_eta_i_opt_that_direction_does_not_oscillate_but_lands_in_one_step(kappa):
    q = objectives.Quadratic(np.diag([1.0, kappa]))
    eta = convergence.eta_opt(kappa)  # the steep direction's eta_i,opt
    tr = gd(q, [-4.0, 2.0], eta, 5)
    assert np.all(tr.w[1:, 1] == 0.0)  # w_2 at its minimum after one step, and stays there
    assert convergence.regime(eta, kappa) == "optimal"
    assert convergence.regime(1.5 * eta, kappa) == "oscillating"


def test_kappa_over_4_is_within_a_step_from_kappa_5_on_and_not_at_2():
    kappas, eps = [2, 5, 10, 20, 50, 100], 1e-10  # the chapter's table
    exact = {k: np.log(1 / eps) / np.log(((k + 1) / (k - 1)) ** 2) for k in kappas}
    within = [k for k in kappas if abs(k / 4 * np.log(1 / eps) - exact[k]) < 1]
    assert within == [5, 10, 20, 50, 100]  # the glued "from kappa = 5 on": kappa = 2 is not within a step


def test_exercise_2_kappa_1000_needs_the_formula_rounded_up_about_kappa_over_4_ln_1e6():
    trace = examples.best_fixed_step(1000, steps=8000)[1]  # the solution's run
    steps = optim.steps_to(trace.loss / trace.loss[0], 1e-6)
    exact = np.log(1e6) / np.log((1001 / 999) ** 2)
    assert steps == np.ceil(exact) and abs(steps - 1000 / 4 * np.log(1e6)) < 1


def test_the_slides_example_eta_opts_are_the_inverse_curvatures_per_coordinate():
    ex = examples.two_learning_rates()  # the values the text glues
    assert np.allclose(1 / np.diag(ex["objective"].A), ex["eta_opt"]) and ex["eta_opt"] == (1.0, 0.91)
    assert ex["lr"] / ex["eta_opt"][1] == pytest.approx(1.9)
