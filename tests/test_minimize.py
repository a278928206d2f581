"""The minimize driver: the slides' stopping rule, divergence, the trace, and the contract."""
import warnings

import numpy as np
import pytest

from lectures_lib import objectives, optim


def test_stops_at_the_first_step_where_the_loss_changes_by_at_most_tol():
    q = objectives.Quadratic(np.diag([1.0, 4.0]), [1.0, -1.0])
    trace = optim.minimize(q, [3.0, 3.0], optim.GradientDescent(0.1), max_iter=1000, tol=1e-6)
    # independent loop with the slides' rule
    w, losses = np.array([3.0, 3.0]), [q.value([3.0, 3.0])]
    while True:
        w = w - 0.1 * (q.A @ w + q.b)
        losses.append(q.value(w))
        if abs(losses[-1] - losses[-2]) <= 1e-6:
            break
    assert trace.converged and not trace.diverged
    assert trace.nit == len(losses) - 1
    np.testing.assert_allclose(trace.loss, losses)
    assert trace.w.shape == (trace.nit + 1, 2) and trace.loss.shape == (trace.nit + 1,)
    assert np.all(np.diff(trace.loss[:-1]) < -1e-6)  # every earlier step changed it by more


def test_max_iter_ends_unconverged():
    q = objectives.Quadratic(np.diag([1.0]))
    trace = optim.minimize(q, [1.0], optim.GradientDescent(1e-3), max_iter=5, tol=1e-12)
    assert not trace.converged and trace.nit == 5 and "max_iter" in trace.message


@pytest.mark.parametrize("opt", [optim.GradientDescent(2.5), optim.Momentum(2.5, 0.9), optim.Nesterov(3.0)], ids=lambda o: type(o).__name__)
def test_divergence_ends_quietly(opt):
    q = objectives.Quadratic(np.diag([1.0, 2.0]), [1.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any RuntimeWarning (overflow) would fail the test
        trace = optim.minimize(q, [1.0, 1.0], opt, max_iter=100_000, tol=1e-8)
    assert trace.diverged and not trace.converged and "diverged" in trace.message
    assert trace.nit < 1000  # stopped when the loss exploded, not at max_iter


def test_overflow_to_inf_is_divergence_without_warnings():
    quartic = objectives.Function(lambda w: w[0] ** 4, lambda w: 4 * w**3, dim=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = optim.minimize(quartic, [10.0], optim.GradientDescent(1.0), max_iter=50)
    assert trace.diverged and trace.nit < 10


def test_a_step_that_does_not_move_is_not_convergence():
    # iRprop- pauses a weight after its derivative flips; in 1-D the whole w stays put once.
    q = objectives.Quadratic(np.diag([2.0]))
    trace = optim.minimize(q, [1.0], optim.Rprop(delta0=1.5, variant="iRprop-"), max_iter=200, tol=1e-10)
    assert trace.converged and abs(trace.w[-1, 0]) < 1e-4
    assert np.any(np.all(np.diff(trace.w, axis=0) == 0, axis=1))  # it did pause on the way


def test_shape_mismatch_is_a_clear_error():
    q = objectives.Quadratic(np.eye(3))
    with pytest.raises(ValueError, match=r"w has shape \(2,\), but this Quadratic expects a flat vector of shape \(3,\)"):
        optim.minimize(q, [1.0, 2.0], optim.GradientDescent(0.1))
    with pytest.raises(ValueError, match=r"w0 must be a flat 1-D vector"):
        optim.minimize(q, np.ones((3, 1)), optim.GradientDescent(0.1))


@pytest.mark.parametrize("kwargs, match", [
    (dict(max_iter=-1), r"max_iter must be an integer >= 0, got -1"),
    (dict(max_iter=2.5), r"max_iter must be an integer"),
    (dict(tol=-1e-3), r"tol must be in \[0, inf\), got -0\.001"),
])
def test_bad_driver_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optim.minimize(objectives.Quadratic(np.eye(1)), [1.0], optim.GradientDescent(0.1), **kwargs)


def test_callback_sees_every_step():
    seen = []
    q = objectives.Quadratic(np.eye(2))
    trace = optim.minimize(q, [1.0, 1.0], optim.GradientDescent(0.5), max_iter=7, tol=0.0,
                           callback=lambda k, w, loss: seen.append((k, loss)))
    assert [k for k, _ in seen] == list(range(1, trace.nit + 1))
    np.testing.assert_allclose([loss for _, loss in seen], trace.loss[1:])


ONE_GRADIENT = [optim.GradientDescent(1e-3), optim.Momentum(1e-3), optim.Nesterov(1e-3), optim.Rprop(),
                optim.Quickprop(1e-3), optim.Newton()]


@pytest.mark.parametrize("opt", ONE_GRADIENT, ids=lambda o: type(o).__name__)
def test_each_step_evaluates_the_gradient_exactly_once(opt, counting):
    obj = counting(objectives.Rosenbrock())
    w, state = np.array([-1.0, 1.5]), opt.init([-1.0, 1.5])
    for k in range(1, 11):
        w, state = opt.step(obj, w, state)
        assert obj.n_grad == k
    assert obj.n_value == 0


def test_steps_do_not_modify_their_input(iterate):
    q = objectives.Quadratic(np.diag([1.0, 3.0]))
    for opt in ONE_GRADIENT + [optim.BFGS(), optim.LBFGS(), optim.Rprop(variant="simplified")]:
        w = np.array([1.0, -1.0])
        state = opt.init(w)
        w1, state = opt.step(q, w, state)
        opt.step(q, w1, state)
        assert w.tolist() == [1.0, -1.0] and w1 is not w
