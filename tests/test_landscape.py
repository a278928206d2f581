"""The loss surface: critical points classified by the Hessian's eigenvalues, and gradient
descent lingering at (or converging to) the saddle of the double well."""

import numpy as np
import pytest

from lectures_lib import optim
from lectures_lib.landscape import classify_critical_point
from lectures_lib.objectives import DoubleWell, MonkeySaddle, Quadratic

# --- classify_critical_point --------------------------------------------------------------------

SIGNS = {"minimum": [1, 1, 1, 1], "maximum": [-1, -1, -1, -1],
         "saddle": [1, -1, 1, 1], "saddle ": [-1, -1, -1, 1]}


@pytest.mark.parametrize("kind", sorted(SIGNS))
@pytest.mark.parametrize("seed", range(3))
def test_random_quadratics_are_classified_by_the_signs_of_their_eigenvalues(kind, seed):
    rng = np.random.default_rng(seed)
    lam = np.array(SIGNS[kind]) * rng.uniform(0.1, 5.0, 4)
    b = rng.standard_normal(4)
    q = Quadratic.from_eigenvalues(lam, b, seed=seed)
    w_star = np.linalg.solve(q.A, -b)  # the critical point A w + b = 0 (not a minimum in general)
    assert classify_critical_point(q, w_star) == kind.strip()


@pytest.mark.parametrize("lam, kind", [
    ([2.0, 0.0, 1.0], "degenerate"),  # flat in one direction, rising in the others
    ([-2.0, 0.0, -1.0], "degenerate"),
    ([2.0, 0.0, -1.0], "saddle"),  # both signs already make it a saddle
    ([1.0, 1e-9], "degenerate"),  # zero within eig_tol = 1e-8
    ([1e9, 0.5], "degenerate"),  # ... relative to the largest eigenvalue
    ([1.0, 1e-6], "minimum"),
    ([-1.0, -1e-6], "maximum"),
])
def test_degenerate_hessians(lam, kind):
    q = Quadratic(np.diag(lam))
    assert classify_critical_point(q, np.zeros(len(lam))) == kind


def test_monkey_saddle_is_degenerate():
    assert classify_critical_point(MonkeySaddle(), [0.0, 0.0]) == "degenerate"


@pytest.mark.parametrize("w, kind", [([0.0, 0.0], "saddle"), ([0.0, 1.0], "minimum"), ([0.0, -1.0], "minimum")])
def test_double_well_critical_points(w, kind):
    assert classify_critical_point(DoubleWell(), w) == kind


@pytest.mark.parametrize("objective, w", [(DoubleWell(), [0.5, 0.0]), (DoubleWell(), [0.0, 0.5]),
                                          (MonkeySaddle(), [0.1, 0.0]), (Quadratic(np.eye(2), [1, 0]), [0, 0])])
def test_a_point_that_is_not_critical_raises(objective, w):
    with pytest.raises(ValueError, match=r"w is not a critical point: \|grad E\(w\)\| = .* > grad_tol=1e-06"):
        classify_critical_point(objective, w)


def test_grad_tol_decides_what_is_critical():
    dw, w = DoubleWell(), [1e-4, 0.0]  # |grad E| = 1e-4
    with pytest.raises(ValueError, match=r"= 0.0001 > grad_tol=1e-06"):
        classify_critical_point(dw, w)
    assert classify_critical_point(dw, w, grad_tol=1e-3) == "saddle"


# --- gradient descent at the saddle of the double well ------------------------------------------

def steps_to_leave(eta, delta):
    """Steps of gradient descent from (1, delta) until |w_2| > 0.5 (it has left the saddle)."""
    trace = optim.minimize(DoubleWell(), [1.0, delta], optim.GradientDescent(lr=eta), max_iter=3000, tol=0.0)
    left = np.flatnonzero(np.abs(trace.w[:, 1]) > 0.5)
    assert left.size, "never left the saddle"
    assert np.abs(trace.w[-1] - [0.0, np.sign(delta)]).max() < 1e-6  # and it ends in the minimum
    return int(left[0])


@pytest.mark.parametrize("eta", [0.05, 0.1, 0.3, 0.5])
def test_time_near_the_saddle_grows_like_log_one_over_delta(eta):
    # near the saddle w_2 <- w_2 - eta (w_2^3 - w_2) ~ (1 + eta) w_2: 1e4 times closer costs
    # log(1e4) / log(1 + eta) more steps
    extra = steps_to_leave(eta, 1e-8) - steps_to_leave(eta, 1e-4)
    assert extra == pytest.approx(np.log(1e4) / np.log(1 + eta), abs=2)


def test_the_saddle_is_left_on_the_side_of_the_offset():
    assert steps_to_leave(0.1, -1e-6) == steps_to_leave(0.1, 1e-6)  # E is even in w_2


@pytest.mark.parametrize("eta", [0.1, 0.5])
def test_started_on_the_axis_gradient_descent_converges_to_the_saddle(eta):
    trace = optim.minimize(DoubleWell(), [1.0, 0.0], optim.GradientDescent(lr=eta), max_iter=1000, tol=1e-15)
    assert trace.converged and not trace.diverged
    w = trace.w[-1]
    assert np.all(trace.w[:, 1] == 0.0)  # w_2 never moves off the axis
    assert abs(w[0]) < 1e-6 and trace.loss[-1] == pytest.approx(0.0, abs=1e-12)  # not the minimum -1/4
    assert classify_critical_point(DoubleWell(), w) == "saddle"
