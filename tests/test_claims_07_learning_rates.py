"""Numeric claims of book/07_learning_rates.ipynb, recomputed from the library."""
import numpy as np
import pytest

from lectures_lib import convergence, examples, numdiff, optim, schedules

E = examples.two_wells()  # the chapter's loss
POOR, GLOBAL = -1.484, 1.396
ETA0 = examples.TWO_WELLS_ETA0  # the slider's eta_0 values the text names


def run(schedule, eta0):
    return examples.two_wells_run(schedule, eta0)  # the chapter's demo: from -1.6, 200 steps


def test_regimes_on_a_quadratic():
    assert [convergence.regime(e, 4.0) for e in [0.1, 0.25, 0.4, 0.5, 0.6]] == \
        ["monotone", "optimal", "oscillating", "periodic", "divergent"]


def test_schedules_values():
    assert schedules.linear(1.0)(1) == 0.5 and schedules.quadratic(1.0)(1) == 0.25
    assert schedules.exponential(1.0, 0.05)(10) == pytest.approx(np.exp(-0.5))


def test_the_two_minima_and_their_thresholds():
    assert numdiff.check_grad(E, np.array([0.3])) < 1e-8
    minima = examples.two_wells_minima()  # the chapter's
    w = {n: m[0] for n, (m, _) in minima.items()}
    assert w["poor"] == pytest.approx(POOR, abs=2e-3) and w["global"] == pytest.approx(GLOBAL, abs=2e-3)
    for n in examples.TWO_WELLS_STARTS:  # each a minimum: E' = 0, E'' > 0
        assert abs(E.grad(np.array([w[n]]))[0]) < 1e-6 and numdiff.hess(E.grad, np.array([w[n]]))[0, 0] > 0
    assert E.value(np.array([w["global"]])) < 0 < E.value(np.array([w["poor"]]))  # the global one is deeper
    grid = np.linspace(-6, 6, 4001)[:, None]
    assert grid[np.argmin(E.value(grid))][0] == pytest.approx(w["global"], abs=5e-3)  # and it is the global one
    two = {n: t for n, (_, t) in minima.items()}
    assert two["poor"] == pytest.approx(0.076, abs=1e-3) and two["global"] == pytest.approx(0.520, abs=1e-3)


def test_the_named_eta0_values_lie_where_the_text_puts_them_against_the_thresholds():
    two = {n: t for n, (_, t) in examples.two_wells_minima().items()}
    assert ETA0["small"] < two["poor"] < ETA0["poor_bounce"] < ETA0["lucky"] < two["global"] < ETA0["global_bounce"]
    assert sorted(ETA0.values()) == list(ETA0.values())  # the slider's order


def test_constant_rates():
    small = run("constant", ETA0["small"])
    assert small.w[-1][0] == pytest.approx(POOR, abs=1e-3)  # converges to the poor minimum
    bounce = run("constant", ETA0["poor_bounce"])  # above 2 eta_opt of the poor well, stuck bouncing inside it
    assert np.ptp(bounce.w[-20:]) > 0.1 and np.all(np.abs(bounce.w[-50:] - POOR) < 0.3)
    for eta0 in [ETA0["global_bounce"], ETA0["roam"]]:  # never converges
        assert np.ptp(run("constant", eta0).w[-20:]) > 1.0
    lucky = run("constant", ETA0["lucky"])  # between the two thresholds: escapes and settles
    assert lucky.w[-1][0] == pytest.approx(GLOBAL, abs=1e-3)


@pytest.mark.parametrize("schedule", ["linear", "exponential", "plateau"])
@pytest.mark.parametrize("eta0", [ETA0["global_bounce"], ETA0["roam"]])
def test_decay_from_large_eta_finds_the_global_minimum(schedule, eta0):
    assert run(schedule, eta0).w[-1][0] == pytest.approx(GLOBAL, abs=1e-3)


@pytest.mark.parametrize("schedule", ["linear", "exponential", "plateau", "quadratic"])
def test_decay_from_0_3_escapes_but_stops_short(schedule):
    tr = run(schedule, ETA0["lucky"])
    assert POOR + 0.3 < tr.w[-1][0] < GLOBAL - 0.3
    assert abs(E.grad(tr.w[-1])[0]) > 0.05  # not at any critical point


def test_quadratic_decay_freezes_far_away_from_3():
    tr = run("quadratic", ETA0["roam"])
    assert tr.w[-1][0] > 4 and abs(tr.w[-1][0] - tr.w[-30][0]) < 0.01


def test_exponential_budget():
    assert 0.3 / (1 - np.exp(-0.05)) == pytest.approx(20.5 * 0.3, rel=0.01)


def test_reduce_on_plateau_with_held_out_monitor():
    ex = examples.plateau_monitors()  # the chapter's three runs
    held, cuts = ex["held_out"], ex["cuts"]
    fixed, on_held, on_train = ex["runs"].values()
    assert cuts["fixed η"] == []
    assert cuts["plateau, monitor = held-out"][:2] == [122, 172] and len(cuts["plateau, monitor = held-out"]) > 4
    assert np.all(np.diff(cuts["plateau, monitor = held-out"]) == 50)  # then again every 50 steps
    assert cuts["plateau, monitor = training"] == [208]
    for tr in (on_held, on_train):  # both plateau rules end lower than the fixed rate on both sets
        assert tr.loss[-1] < fixed.loss[-1] and held.value(tr.w[-1]) < held.value(fixed.w[-1])
    assert held.value(on_train.w[-1]) < held.value(on_held.w[-1])
    # the cut steps are where the rate the run used fell
    for tr, c in zip(ex["runs"].values(), cuts.values()):
        assert all(tr.lr[k] == pytest.approx(0.1 * tr.lr[k - 1]) for k in c)


def test_finite_budgets_freeze_for_good_while_inverse_time_decay_keeps_creeping():
    def end(lr, steps):
        return optim.minimize(E, [-1.6], optim.GradientDescent(lr), max_iter=steps, tol=0.0).w[-1][0]

    for lr in (schedules.exponential(0.3, 0.05), schedules.quadratic(0.3)):  # budget spent: frozen short
        assert abs(end(lr, 2000) - end(lr, 200)) < 1e-3 and end(lr, 2000) < GLOBAL - 0.3
    lin = [end(schedules.linear(0.3), n) for n in (200, 2000, 20000)]
    assert lin[0] + 0.1 < lin[1] < lin[2] < GLOBAL - 0.3  # short, but still moving towards the global well


def test_exercise_2_the_larger_exponential_budget_reaches_the_global_minimum():
    tr = examples.two_wells_run("exponential", 0.3, steps=400, beta=0.01)  # the solution's run
    assert tr.w[-1][0] == pytest.approx(examples.two_wells_minima()["global"][0][0], abs=1e-3)
    assert examples.two_wells_run("exponential", 0.3, steps=400).w[-1][0] < GLOBAL - 0.3  # beta = 0.05's is not
    with pytest.raises(ValueError, match="unknown schedule 'cosine'"):
        examples.two_wells_run("cosine", 0.3)


def test_constant_eta_1_bounces_in_the_global_well_and_3_roams_over_the_landscape():
    one, three = run("constant", ETA0["global_bounce"]).w[:, 0], run("constant", ETA0["roam"]).w[:, 0]
    left = np.flatnonzero(one > 0)[0]  # thrown out of the poor well ...
    assert np.all(one[left:] > 0) and np.all(np.abs(one[left:] - GLOBAL) < 1.2)  # ... and stays in the global one
    assert np.ptp(one[-20:]) > 1.0  # bouncing, not settling
    assert three.min() < POOR - 3 and three.max() > GLOBAL + 3 and np.sum(np.diff(np.sign(three)) != 0) > 10


def test_the_demo_set_up_the_text_glues_is_what_the_runs_use():
    tr = run("exponential", 1.0)
    assert tr.w[0][0] == examples.TWO_WELLS_STARTS["poor"] and len(tr.lr) <= examples.TWO_WELLS_STEPS
    assert tr.lr[10] == pytest.approx(np.exp(-10 * examples.TWO_WELLS_BETA))
    assert run("constant", 0.1).nit == examples.TWO_WELLS_STEPS


def test_the_held_out_demo_runs_the_set_up_the_text_glues():
    ex = examples.plateau_monitors()  # the chapter's three runs
    rule, n = examples.PLATEAU_MONITOR_RULE, examples.PLATEAU_MONITOR_SAMPLES
    assert len(ex["train"].X) == len(ex["held_out"].X) == n
    assert ex["net"].sizes == [1, examples.PLATEAU_MONITOR_HIDDEN, 1] and ex["lr"] == 0.2
    held = ex["cuts"]["plateau, monitor = held-out"]
    assert set(np.diff(held)) == {rule["patience"]}  # "again every 50 steps": the patience
    assert len(ex["cuts"]["plateau, monitor = training"]) == 1 and held[0] < ex["cuts"]["plateau, monitor = training"][0]


def test_the_typed_equation_of_the_wells_is_the_chapters_loss():
    # the chapter's cell 7 types E(w) = 1/2 sqrt(1 + w^2) - 0.6 e^{-(w + 1.5)^2 / (2 0.15^2)} - e^{-(w - 1.5)^2 / (2 0.5^2)}
    w = np.linspace(-4.0, 4.0, 81)
    typed = 0.5 * np.sqrt(1 + w**2) - 0.6 * np.exp(-(w + 1.5) ** 2 / (2 * 0.15**2)) - np.exp(-(w - 1.5) ** 2 / (2 * 0.5**2))
    np.testing.assert_allclose([E.value(np.array([x])) for x in w], typed, rtol=0, atol=1e-15)
