"""Numeric claims of book/07_learning_rates.ipynb, recomputed from the library."""
import numpy as np
import pytest

from lectures_lib import convergence, mlp, numdiff, objectives, optim, schedules

M1, S1, A1, M2, S2, A2 = -1.5, 0.15, 0.6, 1.5, 0.5, 1.0


def wells(w):
    w = np.asarray(w, dtype=np.float64)
    return (0.5 * np.sqrt(1 + w**2) - A1 * np.exp(-(w - M1) ** 2 / (2 * S1**2))
            - A2 * np.exp(-(w - M2) ** 2 / (2 * S2**2)))


def wells_grad(w):
    w = np.asarray(w, dtype=np.float64)
    return (0.5 * w / np.sqrt(1 + w**2) + A1 * (w - M1) / S1**2 * np.exp(-(w - M1) ** 2 / (2 * S1**2))
            + A2 * (w - M2) / S2**2 * np.exp(-(w - M2) ** 2 / (2 * S2**2)))


E = objectives.Function(lambda w: np.sum(wells(w)), wells_grad, dim=1)
POOR, GLOBAL = -1.484, 1.396


def run(schedule, eta0):
    lr = {"constant": eta0, "linear": schedules.linear(eta0), "quadratic": schedules.quadratic(eta0),
          "exponential": schedules.exponential(eta0, 0.05), "plateau": eta0}[schedule]
    gd = optim.GradientDescent(lr)
    opt = schedules.ReduceOnPlateau(gd, alpha=0.5, patience=10) if schedule == "plateau" else gd
    return optim.minimize(E, [-1.6], opt, max_iter=200, tol=0.0)


def test_regimes_on_a_quadratic():
    assert [convergence.regime(e, 4.0) for e in [0.1, 0.25, 0.4, 0.5, 0.6]] == \
        ["monotone", "optimal", "oscillating", "periodic", "divergent"]


def test_schedules_values():
    assert schedules.linear(1.0)(1) == 0.5 and schedules.quadratic(1.0)(1) == 0.25
    assert schedules.exponential(1.0, 0.05)(10) == pytest.approx(np.exp(-0.5))


def test_the_two_minima_and_their_thresholds():
    assert numdiff.check_grad(E, np.array([0.3])) < 1e-8
    mins = {n: optim.minimize(E, [w], optim.GradientDescent(0.01), max_iter=5000, tol=1e-15).w[-1][0]
            for n, w in [("poor", -1.6), ("global", 1.6)]}
    assert mins["poor"] == pytest.approx(POOR, abs=2e-3) and mins["global"] == pytest.approx(GLOBAL, abs=2e-3)
    assert wells(mins["global"]) < 0 < wells(mins["poor"])  # the global one is deeper
    two = {n: 2 / numdiff.hess(E.grad, np.array([m]))[0, 0] for n, m in mins.items()}
    assert two["poor"] == pytest.approx(0.076, abs=1e-3) and two["global"] == pytest.approx(0.520, abs=1e-3)


def test_constant_rates():
    small = run("constant", 0.03)
    assert small.w[-1][0] == pytest.approx(POOR, abs=1e-3)  # converges to the poor minimum
    bounce = run("constant", 0.1)  # above 2 eta_opt of the poor well, stuck bouncing inside it
    assert np.ptp(bounce.w[-20:]) > 0.1 and np.all(np.abs(bounce.w[-50:] - POOR) < 0.3)
    for eta0 in [1.0, 3.0]:  # never converges
        assert np.ptp(run("constant", eta0).w[-20:]) > 1.0
    lucky = run("constant", 0.3)  # between the two thresholds: escapes and settles
    assert lucky.w[-1][0] == pytest.approx(GLOBAL, abs=1e-3)


@pytest.mark.parametrize("schedule", ["linear", "exponential", "plateau"])
@pytest.mark.parametrize("eta0", [1.0, 3.0])
def test_decay_from_large_eta_finds_the_global_minimum(schedule, eta0):
    assert run(schedule, eta0).w[-1][0] == pytest.approx(GLOBAL, abs=1e-3)


@pytest.mark.parametrize("schedule", ["linear", "exponential", "plateau", "quadratic"])
def test_decay_from_0_3_escapes_but_stops_short(schedule):
    tr = run(schedule, 0.3)
    assert POOR + 0.3 < tr.w[-1][0] < GLOBAL - 0.3
    assert abs(E.grad(tr.w[-1])[0]) > 0.05  # not at any critical point


def test_quadratic_decay_freezes_far_away_from_3():
    tr = run("quadratic", 3.0)
    assert tr.w[-1][0] > 4 and abs(tr.w[-1][0] - tr.w[-30][0]) < 0.01


def test_exponential_budget():
    assert 0.3 / (1 - np.exp(-0.05)) == pytest.approx(20.5 * 0.3, rel=0.01)


def test_reduce_on_plateau_with_held_out_monitor():
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, 60)
    d = np.sin(x) + 0.2 * rng.standard_normal(60)
    net = mlp.MLP([1, 12, 1], ["tanh", "identity"])
    train, held = net.objective(x[:30, None], d[:30]), net.objective(x[30:, None], d[30:])
    w0, gd = net.init(seed=1), optim.GradientDescent(0.2)
    fixed = optim.minimize(train, w0, gd, max_iter=600, tol=0.0)
    res = {}
    for name, mon in [("held", held), ("train", None)]:
        opt = schedules.ReduceOnPlateau(gd, alpha=0.1, patience=50, rel_tol=1e-3, monitor=mon)
        res[name] = optim.minimize(train, w0, opt, max_iter=600, tol=0.0)

    def cuts(tr):  # the steps at which the learning rate the run used was cut
        return list(np.flatnonzero(tr.lr[1:] < 0.5 * tr.lr[:-1]) + 1)

    assert cuts(fixed) == []
    assert cuts(res["held"])[:2] == [122, 172] and len(cuts(res["held"])) > 4
    assert cuts(res["train"]) == [208]
    for tr in res.values():  # both plateau rules end lower than the fixed rate on both sets
        assert tr.loss[-1] < fixed.loss[-1] and held.value(tr.w[-1]) < held.value(fixed.w[-1])
    assert held.value(res["train"].w[-1]) < held.value(res["held"].w[-1])


def test_finite_budgets_freeze_for_good_while_inverse_time_decay_keeps_creeping():
    def end(lr, steps):
        return optim.minimize(E, [-1.6], optim.GradientDescent(lr), max_iter=steps, tol=0.0).w[-1][0]

    for lr in (schedules.exponential(0.3, 0.05), schedules.quadratic(0.3)):  # budget spent: frozen short
        assert abs(end(lr, 2000) - end(lr, 200)) < 1e-3 and end(lr, 2000) < GLOBAL - 0.3
    lin = [end(schedules.linear(0.3), n) for n in (200, 2000, 20000)]
    assert lin[0] + 0.1 < lin[1] < lin[2] < GLOBAL - 0.3  # short, but still moving towards the global well


def test_exercise_2_the_larger_exponential_budget_reaches_the_global_minimum():
    tr = optim.minimize(E, [-1.6], optim.GradientDescent(schedules.exponential(0.3, 0.01)), max_iter=400, tol=0.0)
    assert tr.w[-1][0] == pytest.approx(GLOBAL, abs=1e-3)
