"""Numeric claims of book/03_loss_surface.ipynb, recomputed from the library."""
import numpy as np
import pytest

from lectures_lib import examples, landscape, objectives, optim

DW = objectives.DoubleWell()


def run(delta, lr):
    return examples.saddle_escape(delta, lr)  # the chapter's run from (1.5, delta)


def test_classification_table():
    cases = [(DW, [0.0, 0.0], "saddle"), (DW, [0.0, 1.0], "minimum"), (DW, [0.0, -1.0], "minimum"),
             (objectives.MonkeySaddle(), [0.0, 0.0], "degenerate"),
             (objectives.Quadratic(np.diag([-1.0, -2.0])), [0.0, 0.0], "maximum"),
             (objectives.Quadratic(np.diag([1.0, 0.0])), [0.0, 0.0], "degenerate")]
    for obj, w, kind in cases:
        assert landscape.classify_critical_point(obj, w) == kind
    np.testing.assert_allclose(objectives.MonkeySaddle().hess(np.zeros(2)), 0.0)


@pytest.mark.parametrize("lr", [0.05, 0.1, 0.3, 0.6, 0.9])
def test_on_the_axis_the_stopping_rule_fires_at_the_saddle(lr):
    tr = run(0.0, lr)
    assert tr.converged and landscape.classify_critical_point(DW, tr.w[-1], grad_tol=1e-4) == "saddle"


def test_tiny_offset_large_step_also_stops_at_the_saddle():
    tr = run(1e-9, 0.9)
    assert tr.converged and tr.nit <= 10  # a few steps
    assert abs(tr.w[-1, 0]) < 1e-7 and 1e-9 < abs(tr.w[-1, 1]) < 1e-6  # w1 collapsed, w2 grew but is tiny
    assert np.all(np.abs(tr.w[1:, 1]) > np.abs(tr.w[:-1, 1]))  # it was leaving the saddle when the rule fired
    assert landscape.classify_critical_point(DW, tr.w[-1], grad_tol=1e-4) == "saddle"


@pytest.mark.parametrize("delta", [1e-9, 1e-6, 1e-3, 1e-1])
@pytest.mark.parametrize("lr", [0.05, 0.1, 0.3, 0.6])
def test_otherwise_it_leaves_and_ends_in_a_minimum(delta, lr):
    tr = run(delta, lr)
    assert tr.converged
    np.testing.assert_allclose(tr.w[-1], [0.0, 1.0], atol=1e-4)
    assert landscape.classify_critical_point(DW, tr.w[-1], grad_tol=1e-4) == "minimum"
    left = np.flatnonzero(np.abs(tr.w[:, 1]) > 0.5)[0]
    if delta <= 1e-3:  # the linearised estimate log(0.5/delta)/log(1+eta)
        assert left == pytest.approx(np.log(0.5 / delta) / np.log(1 + lr), rel=0.15, abs=3)


@pytest.mark.parametrize("lr", [0.05, 0.1, 0.3, 0.6])
def test_each_factor_1000_costs_the_same_extra_steps(lr):
    leave = [np.flatnonzero(np.abs(run(d, lr).w[:, 1]) > 0.5)[0] for d in (1e-3, 1e-6, 1e-9)]
    extra = np.log(1e3) / np.log(1 + lr)
    assert leave[1] - leave[0] == pytest.approx(extra, abs=2)
    assert leave[2] - leave[1] == pytest.approx(extra, abs=2)


def test_large_eta_overshoots_in_the_minimum():
    w2 = run(1e-3, 0.9).w[:, 1]
    assert np.any(w2 > 1.0) and np.any(np.diff(np.sign(w2[20:] - 1.0)) != 0)


def test_monkey_saddle_creeps_on_the_axis_and_diverges_off_it():
    ms = objectives.MonkeySaddle()
    tr = optim.minimize(ms, [1.0, 0.0], optim.GradientDescent(0.05), max_iter=300, tol=0.0)
    assert not tr.diverged and np.all(tr.w[:, 1] == 0)
    ratio = tr.w[1:, 0] * 3 * 0.05 * np.arange(1, len(tr.w))  # w1 ~ 1/(3 eta k): ratio -> 1 from below
    assert np.all(np.diff(ratio[20:]) > 0) and 0.85 < ratio[-1] < 1.0
    for d in (0.01, 0.1):
        assert optim.minimize(ms, [1.0, d], optim.GradientDescent(0.05), max_iter=300, tol=0.0).diverged


def test_random_hessians_fraction_of_minima_falls_fast():
    rng = np.random.default_rng(0)
    frac = []
    for n in range(1, 7):
        kinds = []
        for _ in range(4000):
            G = rng.standard_normal((n, n))
            kinds.append(landscape.classify_critical_point(objectives.Quadratic((G + G.T) / 2), np.zeros(n)))
        frac.append(np.mean([k == "minimum" for k in kinds]))
    assert 0.45 < frac[0] < 0.52 and frac[5] < 1e-3
    assert all(b < a / 3 for a, b in zip(frac[:4], frac[1:5]))


def test_xor_runs_stall():
    final = examples.xor_plateaus()  # the chapter's runs
    assert len(final) == examples.XOR_PLATEAU_SEEDS  # one run per seed the text glues
    assert np.sum(final > 0.1) == 4
    assert np.median(final[final > 0.1]) == pytest.approx(0.125, abs=0.001)
    assert np.all(final[final <= 0.1] < 1e-3)


def test_exercise_2_the_origin_is_a_saddle_and_the_two_others_are_minima():
    E = objectives.Function(lambda w: w[0]**2 - w[1]**2 + w[1]**4,  # the exercise's function
                            lambda w: np.array([2 * w[0], -2 * w[1] + 4 * w[1]**3]),
                            lambda w: np.diag([2.0, -2 + 12 * w[1]**2]), dim=2)
    kinds = [landscape.classify_critical_point(E, np.array(w)) for w in ([0.0, 0.0], [0.0, 2**-0.5], [0.0, -2**-0.5])]
    assert kinds == ["saddle", "minimum", "minimum"]


def test_the_fooled_run_stops_by_the_glued_rule():
    tr = examples.saddle_escape(1e-9, 0.9)  # the chapter's fooled run
    assert examples.SADDLE_TOL == 1e-12 and tr.converged
    assert abs(tr.loss[-1] - tr.loss[-2]) <= examples.SADDLE_TOL < abs(tr.loss[-2] - tr.loss[-3])
