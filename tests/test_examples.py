"""The lecture's examples reproduce in one call."""
import numpy as np
import pytest

from lectures_lib import convergence as C
from lectures_lib import examples, optim


def test_two_learning_rates_is_the_slides_setting():
    ex = examples.two_learning_rates()
    np.testing.assert_allclose(C.optimal_rates(ex["objective"].A), [1.0, 0.91])
    assert ex["lr"] == 1.9 * 0.91 < C.max_stable_lr(ex["objective"].A)


def test_nesterov_converges_much_faster_than_momentum():
    ex = examples.nesterov_vs_momentum()
    m, n = ex["momentum"].loss, ex["nesterov"].loss
    assert n[-1] < 0.05 * m[-1]
    assert optim.steps_to(n, 1e-3) < 0.7 * optim.steps_to(m, 1e-3)


def test_envelope_is_the_largest_value_over_each_window():
    v = np.array([5.0, 1.0, 4.0, 0.5, 3.0, 0.1])
    np.testing.assert_array_equal(examples.envelope(v, 2), [5.0, 4.0, 4.0, 3.0, 3.0])
    np.testing.assert_array_equal(examples.envelope(v, 1), v)
    brute = [max(v[k:k + 3]) for k in range(len(v) - 2)]
    np.testing.assert_array_equal(examples.envelope(v, 3), brute)
    for bad in (0, 7):
        with pytest.raises(ValueError, match="envelope needs a 1-D array"):
            examples.envelope(v, bad)


def test_two_point_logistic_gradient_hessian_and_minimiser():
    from lectures_lib import numdiff

    ex = examples.two_point_logistic()
    f = ex["objective"]
    for w in ([-3.0], [0.4], [1.0], [5.0]):
        w = np.array(w)
        np.testing.assert_allclose(f.grad(w), numdiff.grad(f.value, w), atol=1e-7)
        np.testing.assert_allclose(f.hess(w), numdiff.hess(f.grad, w), atol=1e-6)
    assert abs(f.grad(ex["w_star"])[0]) < 1e-15
    grid = np.linspace(-30, 30, 2001)
    h = np.array([f.hess(np.array([x]))[0, 0] for x in grid])
    assert np.all(h > 0) and h.max() <= ex["L"]  # convex, L-smooth with L = 1/2
    assert f.value(np.array([-40.0])) > 39 and f.value(np.array([40.0])) > 37  # coercive: w* is finite


def test_one_over_k_bound_refuses_a_step_beyond_one_over_l():
    with pytest.raises(ValueError, match="eta <= 1/L = 2"):
        examples.one_over_k_bound(etas=(3.0,))


def test_summary_problem_names_its_problems():
    with pytest.raises(ValueError, match="unknown problem 'quadratic, κ = 5'"):
        examples.summary_problem("quadratic, κ = 5")
    q, w0, eta, f_star = examples.summary_problem("quadratic, κ = 100")
    assert eta == 0.01 and np.allclose(np.linalg.eigvalsh(q.A), [1.0, 100.0]) and f_star == q.min_value()
