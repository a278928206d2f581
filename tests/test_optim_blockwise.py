"""The fast paths of the elementwise optimizers change no number: a long vector (updated block by
block) gives exactly what its pieces give one at a time, Rprop's mask arithmetic gives exactly
what np.where gives, and no step writes into an array the caller holds."""
import numpy as np
import pytest

from lectures_lib import optim
from lectures_lib.optim._blockwise import BLOCK
from lectures_lib.optim.rprop import RpropState

N = 2 * BLOCK + 7  # three blocks, the last one short


class Fixed:
    """An objective with a given gradient (and loss, for iRprop+)."""

    def __init__(self, g, loss=0.0):
        self.g, self.loss = g, loss

    def grad(self, w):
        return self.g

    def value(self, w):
        return self.loss


def rand(rng, n, zeros=0.2):
    x = rng.standard_normal(n) * 10.0 ** rng.integers(-6, 3, n)
    x[rng.random(n) < zeros] = 0.0
    return x


def states(opt, rng, n):
    """A random state of the optimizer's kind, as a dict of fields."""
    if isinstance(opt, optim.Rprop):
        return dict(k=3, delta=np.clip(np.abs(rand(rng, n, 0.0)), opt.delta_min, opt.delta_max),
                    g=rand(rng, n), dw=rand(rng, n), loss=0.5)
    if isinstance(opt, optim.Quickprop):
        return dict(k=3, dw=rand(rng, n), g=rand(rng, n))
    return dict(k=3)


OPTIMIZERS = [optim.Rprop(variant=v) for v in ["Rprop+", "Rprop-", "iRprop+", "iRprop-"]] + [
    optim.Quickprop(0.3), optim.Quickprop(0.3, max_growth=None), optim.GradientDescent(0.3)]


@pytest.mark.parametrize("opt", OPTIMIZERS, ids=lambda o: getattr(o, "variant", type(o).__name__))
def test_blocks_give_the_numbers_of_the_pieces(opt):
    rng = np.random.default_rng(0)
    w, g = rand(rng, N), rand(rng, N)
    fields = states(opt, rng, N)
    state_type = type(opt.init(w[:2]))
    w_new, state_new = opt.step(Fixed(g, 1.0), w, state_type(**fields))
    for start in range(0, N, 1000):  # pieces far below BLOCK take the unblocked path
        piece = slice(start, start + 1000)
        sub = {k: (v[piece] if isinstance(v, np.ndarray) else v) for k, v in fields.items()}
        w_p, s_p = opt.step(Fixed(g[piece], 1.0), w[piece], state_type(**sub))
        np.testing.assert_array_equal(w_new[piece], w_p)
        for whole, part in zip(state_new, s_p):
            if isinstance(whole, np.ndarray):
                np.testing.assert_array_equal(whole[piece], part)


def rprop_with_where(opt, g, state, loss):
    """Rprop's update written with np.where, as before the fast path."""
    product = state.g * g
    grew, flipped = product > 0, product < 0
    delta = np.where(grew, np.minimum(state.delta * opt.eta_plus, opt.delta_max),
                     np.where(flipped, np.maximum(state.delta * opt.eta_minus, opt.delta_min), state.delta))
    if opt.variant == "Rprop-":
        dw = -np.sign(g) * delta
    else:
        g = np.where(flipped, 0.0, g)
        dw = -np.sign(g) * delta
        if opt.variant == "Rprop+" or (opt.variant == "iRprop+" and loss > state.loss):
            dw = np.where(flipped, -state.dw, dw)
    return dw, delta, g


@pytest.mark.parametrize("variant", ["Rprop+", "Rprop-", "iRprop+", "iRprop-"])
@pytest.mark.parametrize("n", [50, N])
def test_rprop_equals_its_np_where_form(variant, n):
    rng = np.random.default_rng(1)
    opt = optim.Rprop(variant=variant, delta_max=5.0, delta_min=1e-4)
    for loss in [0.1, 0.9]:  # iRprop+: the loss went down / up
        w, g = rand(rng, n), rand(rng, n)
        state = RpropState(**states(opt, rng, n))
        w_new, s = opt.step(Fixed(g, loss), w, state)
        dw, delta, g_kept = rprop_with_where(opt, g, state, loss)
        np.testing.assert_array_equal(s.delta, delta)
        np.testing.assert_array_equal(s.g, g_kept)
        np.testing.assert_array_equal(s.dw, dw)
        np.testing.assert_array_equal(w_new, w + dw)


ALL = OPTIMIZERS + [optim.Momentum(0.1, 0.9), optim.Nesterov(0.1, 0.9)]


@pytest.mark.parametrize("n", [50, N])
@pytest.mark.parametrize("opt", ALL, ids=lambda o: getattr(o, "variant", type(o).__name__))
def test_a_step_writes_into_no_array_the_caller_holds(opt, n):
    rng = np.random.default_rng(2)
    w, g = rand(rng, n), rand(rng, n)
    objective, state = Fixed(g, 1.0), opt.init(w)
    w1, state1 = opt.step(objective, w, state)
    held = [a.copy() for a in (w, g, w1, *[x for x in state1 if isinstance(x, np.ndarray)])]
    objective.g = rand(rng, n)
    w2, state2 = opt.step(objective, w1, state1)
    after = [w, g, w1, *[x for x in state1 if isinstance(x, np.ndarray)]]
    for before, now in zip(held, after):
        np.testing.assert_array_equal(before, now)
    assert w2 is not w1 and not np.shares_memory(w2, w1)
