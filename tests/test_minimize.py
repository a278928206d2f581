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


# --- one evaluation per point ---------------------------------------------------------------

from lectures_lib import mlp, schedules  # noqa: E402

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_D = np.array([0.0, 1.0, 1.0, 0.0])


class CountingBoth:
    """Count the calls of value, grad and value_and_grad on an MLP objective."""

    def __init__(self, objective):
        self.objective, self.dim = objective, objective.dim
        self.n = {"value": 0, "grad": 0, "value_and_grad": 0}

    def value(self, w):
        self.n["value"] += 1
        return self.objective.value(w)

    def grad(self, w):
        self.n["grad"] += 1
        return self.objective.grad(w)

    def value_and_grad(self, w):
        self.n["value_and_grad"] += 1
        return self.objective.value_and_grad(w)


def test_the_mlp_objective_gives_value_and_gradient_from_one_pass():
    net = mlp.MLP([2, 3, 1], ["tanh", "sigmoid"])
    xor, w = net.objective(XOR_X, XOR_D), net.init(1)
    f, g = xor.value_and_grad(w)
    assert f == xor.value(w) and np.array_equal(g, xor.grad(w))


XOR_OPTIMIZERS = {"GD": optim.GradientDescent(1.0),
                  "ReduceOnPlateau(GD)": schedules.ReduceOnPlateau(optim.GradientDescent(1.0)),
                  "iRprop+": optim.Rprop(variant="iRprop+"), "Nesterov": optim.Nesterov(1.0)}


@pytest.mark.parametrize("record", [True, False])
@pytest.mark.parametrize("name", list(XOR_OPTIMIZERS))
def test_100_steps_on_the_xor_mlp_evaluate_each_point_once(name, record):
    # before: GD 101 value + 100 grad calls, ReduceOnPlateau(GD) and iRprop+ 201 value + 100 grad
    net = mlp.MLP([2, 3, 1], ["tanh", "sigmoid"])
    xor = CountingBoth(net.objective(XOR_X, XOR_D))
    result = optim.minimize(xor, net.init(0), XOR_OPTIMIZERS[name], max_iter=100, tol=0.0, record=record)
    assert result.nit == 100
    if name == "Nesterov":  # losses at w_0..w_100, gradients at 100 look-ahead points, the first of them w_0
        assert xor.n == {"value": 0, "grad": 0, "value_and_grad": 200}
    else:  # one forward and one backward pass per point w_0 .. w_100
        assert xor.n == {"value": 0, "grad": 0, "value_and_grad": 101}
    assert result.nfev == result.njev == xor.n["value_and_grad"]


@pytest.mark.parametrize("name", ["GD", "ReduceOnPlateau(GD)", "iRprop+"])
def test_without_value_and_grad_each_point_is_evaluated_once_too(name, counting):
    q = counting(objectives.Quadratic(np.diag([1.0, 0.3]), [0.2, -0.1]))
    opt = {"GD": optim.GradientDescent(0.5), "ReduceOnPlateau(GD)": schedules.ReduceOnPlateau(optim.GradientDescent(0.5)),
           "iRprop+": optim.Rprop(variant="iRprop+")}[name]
    result = optim.minimize(q, [1.0, 1.0], opt, max_iter=100, tol=0.0)
    moved = np.any(np.diff(result.w, axis=0) != 0, axis=1)  # iRprop+ sometimes pauses: no new point
    assert result.nit == 100 and (name == "iRprop+") == (not moved.all())
    # E once at every new point w_0 .. w_100; the gradient once at every new point w_0 .. w_99
    assert (q.n_value, q.n_grad) == (1 + moved.sum(), 1 + moved[:-1].sum()) == (result.nfev, result.njev)


def test_the_memo_answers_again_at_the_same_point_only(counting):
    q = counting(objectives.Quadratic(np.diag([1.0, 2.0])))
    memo = optim.Memo(q)
    w = np.array([1.0, 1.0])
    assert memo.value(w) == memo.value(w.copy()) == 1.5 and q.n_value == 1
    np.testing.assert_array_equal(memo.grad(w), [1.0, 2.0])
    memo.grad(w)
    assert q.n_grad == 1 and (memo.nfev, memo.njev) == (1, 1)
    w[0] = 2.0  # the same array, another point
    assert memo.value(w) == 3.0 and q.n_value == 2


# --- the result ---------------------------------------------------------------------------------

def test_the_result_has_scipys_fields_and_the_books():
    q = objectives.Quadratic(np.diag([1.0, 4.0]), [1.0, -1.0])
    lr = lambda k: 0.3 if k % 2 else 0.2  # noqa: E731
    r = optim.minimize(q, [3.0, 3.0], optim.GradientDescent(lr), max_iter=500, tol=1e-10)
    assert optim.Trace is optim.Result and r.converged and r.success and not r.diverged
    np.testing.assert_array_equal(r.x, r.w[-1])
    assert r.fun == r.loss[-1] == q.value(r.x) and r.nit == len(r.loss) - 1 == len(r.lr)
    np.testing.assert_array_equal(r.lr, [lr(k) for k in range(r.nit)])  # eta_k of every step
    assert r.state == optim.GDState(r.nit)
    assert (r.nfev, r.njev) == (r.nit + 1, r.nit)


def test_record_false_keeps_only_the_last_point_and_the_same_run():
    q = objectives.Quadratic(np.diag([1.0, 4.0]), [1.0, -1.0])
    for opt in [optim.Momentum(0.1), optim.Rprop(), optim.BFGS()]:
        full = optim.minimize(q, [3.0, 3.0], opt, max_iter=200, tol=1e-12)
        last = optim.minimize(q, [3.0, 3.0], opt, max_iter=200, tol=1e-12, record=False)
        assert last.w.shape == (1, 2) and (last.nit, last.converged, last.message) == (full.nit, full.converged, full.message)
        np.testing.assert_array_equal(last.x, full.x)
        np.testing.assert_array_equal(last.loss, full.loss)


def test_a_callback_can_stop_the_run():
    q = objectives.Quadratic(np.eye(2))
    r = optim.minimize(q, [1.0, 1.0], optim.GradientDescent(0.1), max_iter=100, tol=0.0,
                       callback=lambda k, w, loss: k == 5)
    assert r.nit == 5 and not r.converged and r.message == "stopped by the callback at step 5"
    np.testing.assert_allclose(r.x, 0.9**5)


def test_steps_to_is_the_first_step_within_eps():
    loss = np.array([5.0, 3.0, 2.5, 2.001, 2.0, 2.0])
    assert optim.steps_to(loss, 0.5, f_star=2.0) == 2 and optim.steps_to(loss, 0.0, f_star=2.0) == 4  # <= eps
    assert optim.steps_to(loss, 1e-9, f_star=2.5) == 2 and optim.steps_to(loss, 0.1, f_star=0.0) is None
    np.testing.assert_array_equal(optim.steps_to(loss, [2.9, 1.0, 1e-4, -1.0], f_star=2.0), [1, 1, 4, np.nan])
    r = optim.minimize(objectives.Quadratic(np.eye(1)), [1.0], optim.GradientDescent(0.5), max_iter=30, tol=0.0)
    # E_k = 1/2 (1/2)^(2k) <= 1e-6 first at k = 10 (1/2 * 4^-10 = 4.8e-7; k = 9: 1.9e-6)
    assert optim.steps_to(r, 1e-6) == 10
