"""Decay schedules (closed forms) and the loss-driven 'reduce on plateau'."""
import numpy as np
import pytest

from lectures_lib import objectives, optim, schedules

K = np.arange(50)


def test_schedules_are_the_slides_formulas():
    np.testing.assert_allclose([schedules.linear(0.3)(k) for k in K], 0.3 / (K + 1))
    np.testing.assert_allclose([schedules.quadratic(0.3)(k) for k in K], 0.3 / (K + 1) ** 2)
    np.testing.assert_allclose([schedules.exponential(0.3, 0.1)(k) for k in K], 0.3 * np.exp(-0.1 * K))
    assert schedules.linear(1.0)(0) == 1.0 and schedules.exponential(2.0, 5.0)(0) == 2.0


@pytest.mark.parametrize("make, match", [
    (lambda: schedules.linear(0.0), r"eta0 must be > 0, got 0\.0"),
    (lambda: schedules.quadratic(-1), r"eta0 must be > 0, got -1"),
    (lambda: schedules.exponential(0.1, 0.0), r"beta must be > 0, got 0\.0"),
    (lambda: schedules.ReduceOnPlateau(optim.GradientDescent(0.1), alpha=1.0), r"alpha must be in \(0, 1\), got 1\.0"),
    (lambda: schedules.ReduceOnPlateau(optim.GradientDescent(0.1), patience=0), r"patience must be an integer >= 1"),
    (lambda: schedules.ReduceOnPlateau(optim.Rprop()), r"Rprop has no learning rate"),
])
def test_bad_arguments_are_named(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_a_decaying_rate_converges_where_a_fixed_divergent_one_does_not():
    q = objectives.Quadratic(np.diag([1.0]))
    fixed = optim.minimize(q, [1.0], optim.GradientDescent(2.5), max_iter=300, tol=1e-12)
    decayed = optim.minimize(q, [1.0], optim.GradientDescent(schedules.exponential(2.5, 0.05)), max_iter=2000, tol=1e-14)
    assert fixed.diverged and decayed.converged and abs(decayed.w[-1, 0]) < 1e-5


def reference_plateau(q, w0, eta, alpha, patience, rel_tol, steps):
    """The slides' recipe as a plain loop: fixed eta until the loss stagnates, then eta *= alpha."""
    w, best, wait, out = np.array(w0, dtype=float), np.inf, 0, []
    for _ in range(steps):
        loss = q.value(w)
        wait += 1
        if best == np.inf or loss < best - rel_tol * abs(best):
            best, wait = loss, 0
        elif wait >= patience:
            eta, wait = max(eta * alpha, 1e-8 * 2.0), 0
        out.append(eta)
        w = w - eta * q.grad(w)
    return w, out


def test_reduce_on_plateau_matches_the_slides_recipe():
    # eta = 2/a makes gradient descent bounce for ever at the same loss: a plateau.
    q = objectives.Quadratic(np.diag([1.0, 0.2]), [0.5, 0.0])
    opt = schedules.ReduceOnPlateau(optim.GradientDescent(2.0), alpha=0.1, patience=3)
    w, state = np.array([1.0, 1.0]), opt.init([1.0, 1.0])
    lrs = []
    for k in range(1000):
        w, state = opt.step(q, w, state)
        lrs.append(opt.lr(state, k))
    w_ref, lrs_ref = reference_plateau(q, [1.0, 1.0], 2.0, 0.1, 3, 1e-4, 1000)
    np.testing.assert_allclose(w, w_ref, rtol=1e-12)
    np.testing.assert_allclose(lrs, lrs_ref)
    assert lrs[0] == 2.0 and lrs[-1] < 2.0
    assert lrs[-1] == pytest.approx(2e-8)  # reduced down to the floor, min_scale * eta
    assert q.value(w) < q.min_value() + 1e-5  # where eta = 2/a alone bounces at E = 1 for ever


def test_plateau_can_watch_a_held_out_objective():
    train = objectives.Quadratic(np.eye(1), [-1.0])  # minimum at 1
    held_out = objectives.Quadratic(np.eye(1), [-0.5])  # minimum at 0.5: gets worse past it
    opt = schedules.ReduceOnPlateau(optim.GradientDescent(0.3), alpha=0.5, patience=2, monitor=held_out)
    w, state = np.array([0.0]), opt.init([0.0])
    for _ in range(30):
        w, state = opt.step(train, w, state)
    assert state.scale < 1.0  # the held-out loss stopped improving, so eta was reduced
    assert opt.lr(state, 0) == pytest.approx(0.3 * state.scale)


def test_plateau_scales_a_schedule_and_keeps_momentum_state():
    q = objectives.Quadratic(np.diag([1.0, 5.0]))
    opt = schedules.ReduceOnPlateau(optim.Momentum(schedules.linear(0.1), beta=0.5), patience=1)
    state = opt.init([1.0, 1.0])
    w, state = opt.step(q, np.array([1.0, 1.0]), state)
    np.testing.assert_allclose(state.inner.dw, -0.1 * q.grad([1.0, 1.0]))
    assert opt.lr(state, 4) == pytest.approx(0.1 / 5)


# --- the learning-rate contract ----------------------------------------------------------------

LR_OPTIMIZERS = {"GradientDescent": lambda lr: optim.GradientDescent(lr), "Momentum": lambda lr: optim.Momentum(lr, 0.5),
                 "Nesterov": lambda lr: optim.Nesterov(lr, 0.5), "Quickprop": lambda lr: optim.Quickprop(lr),
                 "Newton": lambda lr: optim.Newton(lr), "BFGS": lambda lr: optim.BFGS(lr=lr),
                 "LBFGS": lambda lr: optim.LBFGS(lr=lr)}


@pytest.mark.parametrize("name", list(LR_OPTIMIZERS))
def test_every_optimizer_with_an_lr_takes_a_schedule(name):
    q = objectives.Quadratic.from_eigenvalues([1.0, 3.0], b=[0.5, -1.0], angle=0.3)
    make, w0 = LR_OPTIMIZERS[name], [2.0, -1.0]
    fixed = optim.minimize(q, w0, make(0.3), max_iter=20, tol=0.0)
    constant = optim.minimize(q, w0, make(lambda k: 0.3), max_iter=20, tol=0.0)
    np.testing.assert_array_equal(constant.w, fixed.w)  # a constant schedule is the float
    decayed = optim.minimize(q, w0, make(schedules.exponential(0.2, 0.5)), max_iter=20, tol=0.0)
    np.testing.assert_allclose(decayed.lr, 0.2 * np.exp(-0.5 * np.arange(decayed.nit)))
    assert not np.allclose(decayed.w[1:3], fixed.w[1:3])  # and the schedule is used
    with pytest.raises(ValueError, match=r"lr\(0\) must be a finite float > 0, got -1"):
        optim.minimize(q, w0, make(lambda k: -1), max_iter=3)
    assert schedules.ScalarOrSchedule is not None


def test_bfgs_schedule_is_its_first_trial_step():
    q = objectives.Quadratic(np.diag([1.0, 10.0]))
    w0 = np.array([1.0, 1.0])
    opt = optim.BFGS(lr=lambda k: 1e-3)
    w1, _ = opt.step(q, w0, opt.init(w0))
    np.testing.assert_allclose(w1, w0 - 1e-3 * q.grad(w0))  # H_0 = I, the trial step accepted


class PlainGD:
    """A gradient-descent optimizer that is not a dataclass, as a user might write one."""

    def __init__(self, lr):
        self.lr = lr

    def init(self, w):
        return optim.GDState(0)

    def step(self, objective, w, state):
        return w - self.lr * objective.grad(w), optim.GDState(state.k + 1)


def test_plateau_wraps_any_optimizer_with_an_lr_and_keeps_its_scale_in_state():
    q = objectives.Quadratic(np.diag([1.0, 0.2]), [0.5, 0.0])
    ours = schedules.ReduceOnPlateau(optim.GradientDescent(2.0), alpha=0.1, patience=3)
    theirs = schedules.ReduceOnPlateau(PlainGD(2.0), alpha=0.1, patience=3)
    a = optim.minimize(q, [1.0, 1.0], ours, max_iter=300, tol=0.0)
    b = optim.minimize(q, [1.0, 1.0], theirs, max_iter=300, tol=0.0)
    np.testing.assert_array_equal(a.w, b.w)
    assert a.state.scale < 1.0 and theirs.opt.lr == 2.0  # the wrapped optimizer is never changed
    w, state = np.array([1.0, 1.0]), a.state
    assert ours.step(q, w, state)[1] == ours.step(q, w, state)[1]  # stepping twice: the same answer


def test_plateau_says_what_it_needs():
    with pytest.raises(ValueError, match=r"Rprop has no learning rate to reduce: ReduceOnPlateau needs an optimizer "
                                         r"whose step reads an attribute lr"):
        schedules.ReduceOnPlateau(optim.Rprop())
