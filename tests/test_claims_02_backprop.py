"""Numeric claims of book/02_backprop.ipynb, recomputed from the library."""
import numpy as np
import pytest

from lectures_lib import examples, mlp, numdiff, optim
from lectures_lib.perceptron import (backprop_from_optimum, brady_points, errors, neuron_objective, perceptron,
                                     spoiler_fits, spoiler_gradient, spoiler_set, three_point_optimum)

EPS = 0.01


backprop = backprop_from_optimum  # the chapter's run: eta = 10, at most 4000 steps, tol 1e-13


def test_threshold_error_is_flat_between_T1_and_T2_while_divergence_changes():
    x1 = np.array([[-2.0], [-1.2], [-0.5], [0.3], [0.9], [1.6], [2.4]])
    lab1 = np.array([-1.0, -1.0, 1.0, -1.0, 1.0, 1.0, 1.0])
    assert errors([1.0, -1.0], x1, lab1) == errors([1.0, -1.4], x1, lab1)
    loss = neuron_objective(x1, lab1)
    assert abs(loss.value(np.array([1.0, -1.0])) - loss.value(np.array([1.0, -1.4]))) > 1e-3


def test_u_and_three_point_fit():
    w = three_point_optimum(EPS)
    assert w[0] == pytest.approx(np.log(99), rel=1e-12) and w[0] == pytest.approx(4.5951, abs=1e-4)
    X3, lab3 = brady_points(spoiler=False)
    assert neuron_objective(X3, lab3, EPS).value(w) < 1e-30
    tr = optim.minimize(neuron_objective(X3, lab3, EPS), np.zeros(3), optim.GradientDescent(10.0),
                        max_iter=20000, tol=1e-14)
    assert np.abs(tr.w[-1] - w).max() < 0.01 and errors(tr.w[-1], X3, lab3) == 0


def test_perceptron_needs_between_t_plus_2_and_t_plus_4_updates():
    scan = np.arange(1.0, 100.25, 0.5)  # the chapter's range of t
    runs = [perceptron(*brady_points(t)) for t in scan]
    assert all(ok for _, _, ok in runs)
    over = np.array([n for _, n, _ in runs]) - scan
    assert np.floor(over.min()) == 2 and np.ceil(over.max()) == 4 and over.min() > 2  # the glued t + 2 and t + 4
    # the text once said "t + 4 once t >= 5": not at t = 6, 9, 12, ...
    assert perceptron(*brady_points(6.0))[1] == 9 and perceptron(*brady_points(10.0))[1] == 14


@pytest.mark.parametrize("t", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("eps", [0.01, 0.1])
def test_spoiler_gradient_formula_and_quarter(t, eps):
    w = three_point_optimum(eps)
    z = -w[1] * t + w[2]
    s = 1 / (1 + np.exp(-z))
    g = spoiler_gradient(t, eps)
    np.testing.assert_allclose(g[1:], [2 * (1 - eps - s) * s * (1 - s) * t, -2 * (1 - eps - s) * s * (1 - s)],
                               rtol=1e-8)
    full = neuron_objective(*brady_points(t), eps).grad(w)
    np.testing.assert_allclose(4 * full, g, rtol=1e-6, atol=1e-15)


def test_gradient_sizes_quoted_and_the_pull_falls_like_exp_minus_ut():
    assert 5e-6 < spoiler_gradient(3.0, EPS)[1] < 7e-6
    u = three_point_optimum(EPS)[0]
    for t in (8.5, 10.0, 20.0):  # no underflow: backprop's pull matches the formula
        s = np.exp(-u * t) / (1 + np.exp(-u * t))
        assert spoiler_gradient(t, EPS)[1] == pytest.approx(2 * (1 - EPS - s) * s * (1 - s) * t, rel=1e-9)
    assert 1e-19 < spoiler_gradient(10.0, EPS)[1] < 3e-19
    # "far below anything gradient descent can act on": a step of eta = 10 leaves w_y = u unchanged in
    # float64 (its change is below u's rounding unit), while at t = 3 it still moves it
    u = three_point_optimum(EPS)[1]
    assert u - 10.0 * spoiler_gradient(10.0, EPS)[1] == u != u - 10.0 * spoiler_gradient(3.0, EPS)[1]


def test_t3_is_a_broad_local_minimum_that_misclassifies_the_spoiler():
    X, lab = brady_points(3.0)
    loss = neuron_objective(X, lab, EPS)
    w = optim.minimize(loss, three_point_optimum(EPS), optim.GradientDescent(10.0), max_iter=20000, tol=0.0).w[-1]
    assert np.linalg.norm(loss.grad(w)) < 1e-7
    lam = np.linalg.eigvalsh(numdiff.hess(loss.grad, w))
    assert np.all(lam > 0) and lam.max() < 1e-3
    assert errors(w, X, lab) == 1


@pytest.mark.parametrize("eps, separating_ts, stuck_ts", [
    (0.01, [1.0, 1.5, 2.0, 2.5], [3.0, 4.0, 6.0, 10.0]),
    (0.05, [1.0, 2.0, 3.0], [4.0, 6.0, 10.0]),
    (0.1, [1.0, 3.0, 4.0], [6.0, 10.0]),
])
def test_switch_from_separating_to_stuck(eps, separating_ts, stuck_ts):
    for t in separating_ts:
        X, lab = brady_points(t)
        assert errors(backprop(X, lab, eps).w[-1], X, lab) == 0, t
    for t in stuck_ts:
        X, lab = brady_points(t)
        assert errors(backprop(X, lab, eps).w[-1], X, lab) == 1, t
        assert perceptron(X, lab)[2]


def test_loss_curves_t2_fast_t25_slow_t3_never():
    def first_below(t):
        return optim.steps_to(backprop(*brady_points(t), max_iter=6000, tol=0.0), 0.1)
    assert 100 < first_below(2.0) < 1000  # a few hundred steps
    assert 2000 < first_below(2.5) < 6000
    assert first_below(3.0) is None


def test_variance_numbers():
    fit = spoiler_fits(10.0, 1)  # the chapter's "in numbers": one spoiler at t = 10
    assert np.abs(fit["spoiled"][0] - fit["clean"][0]).max() > 2  # the perceptron swings
    assert np.abs(fit["spoiled"][1] - fit["clean"][1]).max() < 1e-6  # backprop does not move


def test_small_mlp_does_classify_the_spoilers():
    Xs2, labs2 = spoiler_set(5, 10.0, 2)
    net = mlp.MLP([2, 4, 1], ["tanh", "sigmoid"], "l2")
    loss = net.objective(Xs2, np.where(labs2 > 0, 0.99, 0.01))
    for seed in range(3):
        w = optim.minimize(loss, net.init(seed), optim.GradientDescent(2.0), max_iter=3000, tol=0.0).w[-1]
        assert np.sum((net.predict(w, Xs2).ravel() > 0.5) != (labs2 > 0)) == 0


@pytest.mark.parametrize("t", [4.0, 6.0, 10.0])
def test_far_spoiler_stops_backprop_after_one_step_with_the_loss_unchanged(t):
    X, lab = brady_points(t)
    trace = backprop(X, lab)  # the figure's run: eta = 10, at most 4000 steps, tol 1e-13
    assert trace.converged and trace.nit == 1
    assert abs(trace.loss[1] - trace.loss[0]) <= 1e-13
    assert errors(trace.w[-1], X, lab) == 1



@pytest.fixture(scope="module")
def spoiled_nets():
    return {"none": examples.mlp_spoilers(), "decay": examples.mlp_spoilers(weight_decay=1e-3)}  # the chapter's


def test_mlp_spoilers_change_the_boundary_unless_the_weights_are_bounded(spoiled_nets):
    budgets = [100, 300, 1000, 3000, 6000]
    free = {k: examples.spoiler_stats(spoiled_nets["none"], k) for k in budgets}
    bounded = examples.spoiler_stats(spoiled_nets["decay"], 6000)
    assert bounded["spoilers_wrong"] == 2 and bounded["spoiled_errors_on_clean"] == 0 and bounded["disagreement"] < 0.05
    assert [free[k]["spoilers_wrong"] for k in budgets] == [2, 2, 2, 0, 0]  # ignored for a while, then fitted
    assert free[1000]["disagreement"] > 2 * bounded["disagreement"]  # already bending towards them
    assert free[6000]["disagreement"] > 2 * free[1000]["disagreement"] and free[6000]["spoiled_errors_on_clean"] == 0
    for k in budgets[1:]:
        assert free[k]["clean_errors"] == 0  # the clean network solves the clean set


def test_mlp_spoilers_rejects_a_negative_weight_decay():
    with pytest.raises(ValueError, match="weight_decay"):
        examples.mlp_spoilers(weight_decay=-1.0, steps=1)


def test_spoilers_hardly_move_backprop_and_move_the_perceptron_only_when_it_misclassifies_them():
    """Chapter 2, 'A more complex problem': the figure's fits (perceptron.spoiler_fits)."""
    for t in [2.0, 3.0, 5.0, 10.0]:
        previous = spoiler_fits(t, 0)["spoiled"][0]
        for s in [1, 2, 3]:
            fit = spoiler_fits(t, s)
            w_p, w_bp = fit["spoiled"]
            move = np.abs(w_bp - fit["clean"][1]).max()
            if t == 2.0:
                assert move > 1 and errors(w_bp, fit["X"], fit["labels"]) == 0  # pulled over
            else:
                assert move < (0.02 if t == 3.0 else 1e-9)  # hardly moves
                assert errors(w_bp, fit["X"], fit["labels"]) == s  # and misclassifies every spoiler
            spoiler = fit["X"][-1:], fit["labels"][-1:]
            moved = np.abs(w_p - previous).max() > 0
            assert moved == (errors(previous, *spoiler) == 1), (t, s)  # moves only for a misclassified spoiler
            assert errors(w_p, fit["X"], fit["labels"]) == 0
            previous = w_p
    first = spoiler_fits(10.0, 1)
    assert np.abs(first["spoiled"][0] - first["clean"][0]).max() > 5  # one spoiler swings it far
