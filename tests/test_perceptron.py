"""The perceptron rule and Brady, Raghavan & Slawny's examples: backprop (a logistic neuron with
L2 divergence, trained by gradient descent) fails to separate what the perceptron separates."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from lectures_lib import optim
from lectures_lib.perceptron import (brady_points, errors, neuron_objective, perceptron, spoiler_set,
                                     three_point_optimum)

EPS = 0.01


def sigma(z):
    return 1.0 / (1.0 + np.exp(-z))


def wrong_points(w, X, labels):
    """Indices of the points on the wrong side of z = w_x x + w_y y + b (z = 0 is wrong), one by one."""
    return [i for i, ((x, y), d) in enumerate(zip(X, labels)) if d * (w[0] * x + w[1] * y + w[2]) <= 0]


def perceptron_by_hand(X, labels, max_epochs=10_000):
    w, updates = [0.0, 0.0, 0.0], 0
    for _ in range(max_epochs):
        changed = False
        for (x, y), d in zip(X, labels):
            if d * (w[0] * x + w[1] * y + w[2]) <= 0:
                w = [w[0] + d * x, w[1] + d * y, w[2] + d]
                updates, changed = updates + 1, True
        if not changed:
            return np.array(w), updates, True
    return np.array(w), updates, False


def descend(X, labels, w0, max_iter):
    """Backprop as on the slides: gradient descent on the mean L2 divergence of one logistic neuron."""
    return optim.minimize(neuron_objective(X, labels), w0, optim.GradientDescent(lr=1.0),
                          max_iter=max_iter, tol=1e-15)


# --- the points ---------------------------------------------------------------------------------

def test_brady_points():
    X, labels = brady_points(t=7.0)
    assert_allclose(X, [[1, 0], [0, 1], [-1, 0], [0, -7]])
    assert_allclose(labels, [1, 1, -1, 1])
    X3, labels3 = brady_points(t=7.0, spoiler=False)
    assert_allclose(X3, X[:3])
    assert_allclose(labels3, labels[:3])


@pytest.mark.parametrize("eps", [0.01, 0.1, 0.3])
def test_three_point_optimum_fits_the_three_points_exactly(eps):
    w = three_point_optimum(eps)
    u = w[0]
    assert sigma(u) == pytest.approx(1 - eps, rel=1e-14)  # u = f^{-1}(1 - eps)
    assert_allclose(w, [u, u, 0.0])
    X, labels = brady_points(spoiler=False)
    z = np.array([w[0] * x + w[1] * y + w[2] for x, y in X])
    assert_allclose(z, [u, u, -u], rtol=1e-15)  # the slides' three equations
    assert_allclose(sigma(z), [1 - eps, 1 - eps, eps], rtol=1e-12)
    assert neuron_objective(X, labels, eps).value(w) == pytest.approx(0.0, abs=1e-28)


@pytest.mark.parametrize("n, t, spoilers, seed", [(5, 10.0, 1, 0), (8, 4.0, 3, 1), (20, 20.0, 2, 2)])
def test_spoiler_set_layout_and_fit_by_three_point_optimum(n, t, spoilers, seed):
    X, labels = spoiler_set(n, t, spoilers, seed)
    assert X.shape == (2 * n + spoilers, 2)
    assert_allclose(labels, [1] * n + [-1] * n + [1] * spoilers)
    assert_allclose(X[:n].sum(axis=1), 1.0)
    assert_allclose(X[n:2 * n].sum(axis=1), -1.0)
    assert np.all((0 <= X[:n, 0]) & (X[:n, 0] <= 1))
    assert np.all((-1.5 <= X[n:2 * n, 0]) & (X[n:2 * n, 0] <= -0.5))
    assert_allclose(X[2 * n:], [[0.1 * j, -t - j] for j in range(spoilers)])
    w = three_point_optimum(EPS)
    z = X[:2 * n] @ w[:2] + w[2]
    assert_allclose(sigma(z), np.where(labels[:2 * n] > 0, 1 - EPS, EPS), rtol=1e-12)
    assert wrong_points(w, X, labels) == list(range(2 * n, 2 * n + spoilers))  # only the spoilers


def test_spoiler_set_is_reproducible_from_the_seed():
    assert_allclose(spoiler_set(seed=3)[0], spoiler_set(seed=3)[0])
    assert not np.allclose(spoiler_set(seed=3)[0], spoiler_set(seed=4)[0])


# --- the perceptron rule --------------------------------------------------------------------------

@pytest.mark.parametrize("t", [1.0, 2.0, 3.0, 10.0, 50.0])
def test_perceptron_separates_bradys_points(t):
    X, labels = brady_points(t)
    w, updates, separated = perceptron(X, labels)
    assert separated and wrong_points(w, X, labels) == []
    w_ref, updates_ref, _ = perceptron_by_hand(X, labels)
    assert_allclose(w, w_ref)
    assert updates == updates_ref


@pytest.mark.parametrize("n, t, spoilers", [(5, 10.0, 1), (5, 3.0, 3), (10, 20.0, 2), (20, 5.0, 1)])
def test_perceptron_separates_spoiler_sets(n, t, spoilers):
    X, labels = spoiler_set(n, t, spoilers)
    w, updates, separated = perceptron(X, labels)
    assert separated and wrong_points(w, X, labels) == []
    w_ref, updates_ref, _ = perceptron_by_hand(X, labels)
    assert_allclose(w, w_ref)
    assert updates == updates_ref


def test_perceptron_counts_a_point_on_the_boundary_as_an_error_and_starts_from_w0():
    X, labels = np.array([[1.0, 0.0]]), np.array([-1.0])
    w, updates, separated = perceptron(X, labels, w0=[1.0, 0.0, -1.0])  # z = 0 for the point
    assert_allclose(w, [0.0, 0.0, -2.0])  # w + d [x, 1]
    assert updates == 1 and separated
    w0 = np.array([1.0, 0.0, -1.0])
    perceptron(X, labels, w0=w0)
    assert_allclose(w0, [1.0, 0.0, -1.0])  # w0 is not modified


def test_perceptron_reports_failure_on_xor():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = np.array([-1.0, 1.0, 1.0, -1.0])
    w, updates, separated = perceptron(X, labels, max_epochs=50)
    assert not separated and updates >= 50  # at least one error in every epoch
    assert wrong_points(w, X, labels) != []


@pytest.mark.parametrize("seed", range(4))
def test_errors_counts_like_an_independent_loop(seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((30, 2))
    labels = rng.choice([-1.0, 1.0], 30)
    w = rng.standard_normal(3)
    assert errors(w, X, labels) == len(wrong_points(w, X, labels))
    assert errors(w, X, labels) + errors(-w, X, labels) == 30  # no point exactly on the line
    assert errors([1.0, 0.0, -1.0], [[1.0, 5.0]], [1.0]) == 1  # z = 0 counts as wrong


# --- backprop at the three-point optimum: the slides' derivatives ------------------------------------

@pytest.mark.parametrize("t", [0.5, 1.0, 2.0, 3.0])
@pytest.mark.parametrize("eps", [0.01, 0.1])
def test_gradient_at_three_point_optimum_is_the_spoilers_closed_form(t, eps):
    X, labels = brady_points(t)
    w = three_point_optimum(eps)
    w_y, b = w[1], w[2]
    z4 = -w_y * t + b
    s, ds = sigma(z4), sigma(z4) * (1 - sigma(z4))
    d_wy = 2 * (1 - eps - s) * ds * t
    d_b = -2 * (1 - eps - s) * ds  # the slides' first (correct) copy
    wrong_copy_d_b = 2 * (1 - s) * ds * t  # the slides' second copy of d div4/db
    g = neuron_objective(X, labels, eps).grad(w)
    T = 4
    # the three fitted points add only rounding (sigma(u) = 1 - eps to ~1e-16): atol 1e-15
    assert_allclose(g, [0.0, d_wy / T, d_b / T], rtol=1e-9, atol=1e-15)
    assert g[1] > 0 > g[2]  # descent lowers w_y and raises b: it tilts the line towards the spoiler
    assert not np.isclose(g[2], wrong_copy_d_b / T, rtol=1e-3)


@pytest.mark.parametrize("t", [1.0, 2.0, 3.0])
def test_three_point_optimum_is_a_minimum_of_the_three_point_loss(t):
    X, labels = brady_points(t, spoiler=False)
    obj = neuron_objective(X, labels)
    w = three_point_optimum()
    assert_allclose(obj.grad(w), 0.0, atol=1e-15)


def test_the_spoilers_pull_vanishes_exponentially_in_t():
    w = three_point_optimum()
    g = [np.linalg.norm(neuron_objective(*brady_points(t)).grad(w)) for t in (2.0, 4.0, 6.0, 8.0)]
    assert all(a > 1e3 * b for a, b in zip(g, g[1:]))


# --- backprop vs the perceptron ---------------------------------------------------------------

@pytest.mark.parametrize("t", [3.0, 5.0, 10.0, 100.0])
def test_backprop_stays_at_the_three_point_optimum_and_misclassifies_the_spoiler(t):
    X, labels = brady_points(t)
    w0 = three_point_optimum()
    trace = descend(X, labels, w0, max_iter=3000)
    assert np.abs(trace.w - w0).max() < 0.02  # it never leaves
    assert wrong_points(trace.w[-1], X, labels) == [3]  # the spoiler (0, -t)
    assert errors(trace.w[-1], X, labels) == 1
    w_p, _, separated = perceptron(X, labels)
    assert separated and wrong_points(w_p, X, labels) == []


def test_backprop_converges_at_once_for_a_far_spoiler():
    trace = descend(*brady_points(10.0), three_point_optimum(), max_iter=100)
    assert trace.converged and len(trace.w) == 2


def test_backprop_separates_when_the_spoiler_is_close():
    # t = 2: the spoiler's gradient is not negligible; descent tilts the line and separates all 4
    X, labels = brady_points(2.0)
    trace = descend(X, labels, three_point_optimum(), max_iter=5000)
    w = trace.w[-1]
    assert wrong_points(w, X, labels) == []
    assert abs(w[1]) < 0.2 and w[2] > 3.0  # a steep line: w_y ~ 0, b > 0 puts (0, -2) on the + side
    assert wrong_points(trace.w[0], X, labels) == [3]


@pytest.mark.parametrize("n, t, spoilers", [(5, 10.0, 1), (5, 10.0, 3), (10, 5.0, 2), (20, 20.0, 1)])
def test_backprop_on_spoiler_sets_misclassifies_the_spoilers(n, t, spoilers):
    X, labels = spoiler_set(n, t, spoilers)
    w0 = three_point_optimum()
    trace = descend(X, labels, w0, max_iter=1000)
    assert np.abs(trace.w - w0).max() < 1e-6
    assert wrong_points(trace.w[-1], X, labels) == list(range(2 * n, 2 * n + spoilers))
    w_p, _, separated = perceptron(X, labels)
    assert separated and wrong_points(w_p, X, labels) == []


# --- validation -------------------------------------------------------------------------------

@pytest.mark.parametrize("X, labels", [
    (np.zeros(4), np.ones(4)),  # X not 2-D
    (np.zeros((4, 2)), np.ones(3)),  # too few labels
    (np.zeros((4, 2)), np.zeros(4)),  # labels not +-1
    (np.zeros((4, 2)), 2 * np.ones(4)),
    (np.zeros((4, 2)), np.ones((4, 1))),
])
def test_bad_points_and_labels(X, labels):
    message = r"need X of shape \(T, n\) and T labels in \{-1, \+1\}"
    with pytest.raises(ValueError, match=message):
        perceptron(X, labels)
    with pytest.raises(ValueError, match=message):
        errors(np.zeros(3), X, labels)
    with pytest.raises(ValueError, match=message):
        neuron_objective(X, labels)


def test_weights_of_the_wrong_length_are_named():
    X, labels = brady_points()
    with pytest.raises(ValueError, match="w0"):
        perceptron(X, labels, w0=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"w must|w has"):
        errors([1.0, 2.0], X, labels)


@pytest.mark.parametrize("eps", [0.0, 0.5, 0.7, 1.0, -0.1])
def test_eps_outside_zero_to_half_is_rejected(eps):
    with pytest.raises(ValueError, match="eps"):
        three_point_optimum(eps)
    with pytest.raises(ValueError, match="eps"):
        neuron_objective(*brady_points(), eps=eps)
