"""The in-place kernels ``step_`` against the lecture's formulas ``step``, run in lockstep on every
optimizer (as torch.optim tests its foreach kernels against the loop): the same iterates and
every state field the same after every step, on vectors long enough to be cut into several
blocks, and on real objectives. And a pure ``step`` writes into no array the caller holds.

Each lockstep test runs on both paths of ``step_``: the numpy kernel, and the compiled loops of
``_compiled`` (numba, the optional [fast] extra) on any length; the compiled tests share one xdist
worker, so that one process compiles the loops (a few seconds)."""
import importlib.util
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from lectures_lib import objectives, optim, schedules
from lectures_lib.optim import _blockwise, _compiled
from lectures_lib.optim._blockwise import BLOCK

N = 2 * BLOCK + 7  # three blocks, the last one short
HAVE_NUMBA = importlib.util.find_spec("numba") is not None
NO_NUMBA = pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed (lectures-lib[fast])")


@pytest.fixture(autouse=True)
def numpy_kernels(monkeypatch):
    """Every test runs the numpy kernels unless it asks for ``path``."""
    monkeypatch.setattr(_compiled, "USE_JIT", False)


@pytest.fixture(params=["numpy", pytest.param("numba", marks=[NO_NUMBA, pytest.mark.xdist_group("numba")])])
def path(request, monkeypatch):
    """The kernel ``step_`` runs, as ("numpy" | "numba", the names of the compiled loops handed out)."""
    ran = []
    if request.param == "numba":
        compiled = _compiled._compiled
        monkeypatch.setattr(_compiled, "USE_JIT", True)
        monkeypatch.setattr(_compiled, "MIN_SIZE", 0)
        monkeypatch.setattr(_compiled, "_compiled", lambda name: ran.append(name) or compiled(name))
    return request.param, ran


def loops(opt):
    """The names of the compiled loops that ``opt.step_`` runs when numba is there."""
    inner = opt.opt if isinstance(opt, schedules.ReduceOnPlateau) else opt
    if isinstance(inner, optim.Rprop):
        return set() if inner.variant == "simplified" else {"rprop"}
    return {optim.GradientDescent: {"gradient_descent"}, optim.Momentum: {"momentum"},
            optim.Nesterov: {"look_ahead", "nesterov"}}.get(type(inner), set())


class Alternating:
    """An objective whose gradients are given arrays in turn (and whose loss goes up and down)."""

    def __init__(self, grads, losses=(1.0, 0.5, 0.7)):
        self.grads, self.losses, self.calls = grads, losses, 0

    def grad(self, w):
        self.calls += 1
        return self.grads[self.calls % len(self.grads)]

    def value(self, w):
        return self.losses[self.calls % len(self.losses)]


def rand(rng, n, zeros=0.2):
    x = rng.standard_normal(n) * 10.0 ** rng.integers(-6, 3, n)
    x[rng.random(n) < zeros] = 0.0
    return x


def random_state(opt, rng, n):
    """A random state of the optimizer's kind (Rprop and Quickprop), else its initial state."""
    if isinstance(opt, (optim.Rprop, optim.SimplifiedRprop)):
        delta = np.clip(np.abs(rand(rng, n, 0.0)), opt.delta_min, opt.delta_max)
        return optim.RpropState(3, delta, rand(rng, n), rand(rng, n), 0.6)
    if isinstance(opt, optim.Quickprop):
        return optim.QuickpropState(3, rand(rng, n), rand(rng, n))
    if isinstance(opt, (optim.Momentum, optim.Nesterov)):
        return optim.MomentumState(3, rand(rng, n))
    return opt.init(np.zeros(n))


def arrays(state):
    """Every field of a (possibly nested) state, flattened."""
    out = []
    for x in state:
        out.extend(arrays(x) if isinstance(x, tuple) else [x])
    return out


def copy_state(state):
    return type(state)(*[copy_state(x) if isinstance(x, tuple) and hasattr(x, "_fields")
                         else x.copy() if isinstance(x, np.ndarray) else x for x in state])


def assert_same(a, b, exact):
    if exact:
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * max(1.0, float(np.max(np.abs(b)))))


ELEMENTWISE = [optim.GradientDescent(0.3), optim.GradientDescent(schedules.exponential(0.3, 0.1)),
               optim.Momentum(0.1, 0.9), optim.Momentum(schedules.linear(0.1), 0.5), optim.Nesterov(0.1, 0.9),
               optim.Quickprop(0.3), optim.Quickprop(0.3, max_growth=None), optim.SimplifiedRprop(delta_max=5.0)] + [
    optim.Rprop(variant=v, delta_max=5.0, delta_min=1e-4) for v in ["Rprop+", "Rprop-", "iRprop+", "iRprop-",
                                                                    "simplified"]] + [
    schedules.ReduceOnPlateau(optim.Momentum(0.1, 0.9), patience=1),
    schedules.ReduceOnPlateau(optim.Quickprop(0.3), patience=1)]
ALL = ELEMENTWISE + [optim.Newton(0.5), optim.Newton(schedules.linear(1.0)), optim.BFGS(), optim.LBFGS(memory=3),
                     optim.BFGS(lr=schedules.exponential(1.0, 0.2)), optim.LBFGS(lr=schedules.linear(2.0))]
def ids(opt):
    """A test id without memory addresses (a schedule's repr has one; xdist workers must agree)."""
    return re.sub(r" at 0x[0-9a-f]+", "", repr(opt))[:60]


def exact(opt):
    """Whether ``step_`` rounds as ``step`` does: not Nesterov's (it computes (W + beta dW) - eta g),
    nor gradient descent's when BLAS's axpy runs (a fused multiply-add may round once; its
    compiled loop rounds as ``step``)."""
    inner = opt.opt if isinstance(opt, schedules.ReduceOnPlateau) else opt
    blas = _blockwise.USE_BLAS and _blockwise._daxpy() is not None and not _compiled.USE_JIT
    return not isinstance(inner, optim.Nesterov) and not (isinstance(inner, optim.GradientDescent) and blas)


def lockstep(opt, objective_pure, objective_inplace, w, state, steps):
    """Run ``step`` and ``step_`` side by side; compare w and every state field after each step."""
    exact_ = exact(opt)
    w_pure, s_pure = w.copy(), copy_state(state)
    w_fast, s_fast = w.copy(), copy_state(state)
    for k in range(steps):
        w_pure, s_pure = opt.step(objective_pure, w_pure, s_pure)
        held = w_fast
        s_fast = opt.step_(objective_inplace, w_fast, s_fast)
        assert w_fast is held  # overwritten, not replaced
        assert_same(w_fast, w_pure, exact_)
        for f_fast, f_pure in zip(arrays(s_fast), arrays(s_pure)):
            if isinstance(f_pure, np.ndarray):
                assert_same(f_fast, f_pure, exact_)
            else:
                assert f_fast == f_pure or (np.isnan(f_fast) and np.isnan(f_pure)), (k, f_fast, f_pure)


def start(opt, rng, n):
    """A random state of ``opt``'s kind, wrapped for ReduceOnPlateau."""
    state = random_state(opt.opt if isinstance(opt, schedules.ReduceOnPlateau) else opt, rng, n)
    return schedules.PlateauState(state, 0.5, 0.6, 0) if isinstance(opt, schedules.ReduceOnPlateau) else state


@pytest.mark.parametrize("opt", ELEMENTWISE, ids=ids)
def test_kernel_and_formula_agree_on_long_vectors_from_random_states(opt, path):
    rng = np.random.default_rng(0)
    grads = [rand(rng, N) for _ in range(3)]
    lockstep(opt, Alternating(grads), Alternating(grads), rand(rng, N), start(opt, rng, N), 6)
    kind, ran = path
    assert set(ran) == (loops(opt) if kind == "numba" else set())  # the path asked for is the one that ran


@NO_NUMBA
@pytest.mark.xdist_group("numba")
@pytest.mark.parametrize("opt", [o for o in ELEMENTWISE if loops(o)], ids=ids)
def test_compiled_and_numpy_kernels_agree_bit_for_bit(opt, monkeypatch):
    """Nesterov's and BLAS-free gradient descent's too, which ``step`` matches only to rounding."""
    monkeypatch.setattr(_blockwise, "USE_BLAS", False)
    rng = np.random.default_rng(6)
    grads, w0, s0 = [rand(rng, N) for _ in range(3)], rand(rng, N), start(opt, rng, N)
    ends = []
    for jit in (False, True):
        monkeypatch.setattr(_compiled, "USE_JIT", jit)
        w, state, objective = w0.copy(), copy_state(s0), Alternating(grads)
        for _ in range(6):
            state = opt.step_(objective, w, state)
        ends.append([w, *[x for x in arrays(state) if isinstance(x, np.ndarray)]])
    for numpy_, compiled in zip(*ends):
        np.testing.assert_array_equal(compiled, numpy_)


@pytest.mark.parametrize("opt", [o for o in ELEMENTWISE if loops(o)], ids=ids)
def test_the_compiled_loops_run_as_python_agree_with_the_formula(opt, monkeypatch):
    """The loops' source, interpreted by Python (no numba needed), in lockstep with ``step`` on a
    short vector from a random state: the logic the compiled kernels run, on every variant."""
    ran = []
    monkeypatch.setattr(_compiled, "USE_JIT", True)
    monkeypatch.setattr(_compiled, "MIN_SIZE", 0)
    monkeypatch.setattr(_compiled, "_numba", lambda: True)
    monkeypatch.setattr(_compiled, "_compiled", lambda name: ran.append(name) or getattr(_compiled, name))
    rng = np.random.default_rng(7)
    grads = [rand(rng, 300) for _ in range(3)]
    lockstep(opt, Alternating(grads), Alternating(grads), rand(rng, 300), start(opt, rng, 300), 6)
    assert set(ran) == loops(opt)


@pytest.mark.parametrize("blas", [True, False], ids=["BLAS", "numpy only"])
def test_axpy_is_y_plus_a_x_in_place_on_either_path(blas, monkeypatch):
    monkeypatch.setattr(_blockwise, "USE_BLAS", blas)
    rng = np.random.default_rng(4)
    for x in [rand(rng, N), rand(rng, 2 * N)[::2], rand(rng, 50)]:  # long, strided (no BLAS), short
        y = rand(rng, x.size)
        expected, held = y - 0.3 * x, y
        _blockwise.axpy(-0.3, x, y)
        assert y is held
        assert_same(y, expected, exact=not blas or not x.flags.c_contiguous)


@pytest.mark.parametrize("blas", [True, False], ids=["BLAS", "numpy only"])
def test_gradient_descent_kernel_agrees_with_its_formula_on_either_axpy_path(blas, monkeypatch):
    monkeypatch.setattr(_blockwise, "USE_BLAS", blas)
    rng = np.random.default_rng(5)
    grads = [rand(rng, N) for _ in range(3)]
    for opt in [optim.GradientDescent(0.3), optim.GradientDescent(schedules.exponential(0.3, 0.1))]:
        lockstep(opt, Alternating(grads), Alternating(grads), rand(rng, N), opt.init(np.zeros(N)), 6)


@pytest.mark.parametrize("opt", ALL, ids=ids)
def test_kernel_and_formula_agree_on_real_objectives(opt, path):
    for objective, w0 in [(objectives.Quadratic.from_eigenvalues([1.0, 3.0, 10.0], b=[1.0, -2.0, 0.5], seed=1),
                           np.array([2.0, -1.0, 3.0])), (objectives.Rosenbrock(dim=3), np.array([-1.2, 1.0, 0.8]))]:
        scale = 1e-3 if isinstance(objective, objectives.Rosenbrock) and hasattr(opt, "lr") \
            and not isinstance(opt, (optim.Newton, optim.BFGS, optim.LBFGS)) else None
        o = opt
        if scale is not None:  # a learning rate that does not diverge on Rosenbrock's valley
            inner = o.opt if isinstance(o, schedules.ReduceOnPlateau) else o
            o = type(inner)(**{**inner.__dict__, "lr": scale})
        with np.errstate(all="ignore"):
            lockstep(o, objective, objective, w0, o.init(w0), 15)


@pytest.mark.parametrize("opt", ALL, ids=ids)
def test_minimize_without_recording_ends_where_recording_ends(opt):
    q = objectives.Quadratic.from_eigenvalues([1.0, 3.0, 10.0], b=[1.0, -2.0, 0.5], seed=1)
    full = optim.minimize(q, [2.0, -1.0, 3.0], opt, max_iter=40, tol=0.0)
    last = optim.minimize(q, [2.0, -1.0, 3.0], opt, max_iter=40, tol=0.0, record=False)
    assert last.w.shape == (1, 3) and full.w.shape == (full.nit + 1, 3) and last.nit == full.nit
    assert_same(last.x, full.x, exact(opt))
    np.testing.assert_allclose(last.loss, full.loss, rtol=1e-10, atol=1e-14)
    np.testing.assert_array_equal(last.lr, full.lr)
    assert (last.nfev, last.njev) == (full.nfev, full.njev)


@pytest.mark.parametrize("n", [50, N])
@pytest.mark.parametrize("opt", ELEMENTWISE, ids=ids)
def test_a_step_writes_into_no_array_the_caller_holds(opt, n):
    rng = np.random.default_rng(2)
    w, grads = rand(rng, n), [rand(rng, n), rand(rng, n)]
    objective, state = Alternating(grads), opt.init(w)
    w1, state1 = opt.step(objective, w, state)
    held = [a.copy() for a in (w, *grads, w1, *[x for x in arrays(state1) if isinstance(x, np.ndarray)])]
    w2, state2 = opt.step(objective, w1, state1)
    after = [w, *grads, w1, *[x for x in arrays(state1) if isinstance(x, np.ndarray)]]
    for before, now in zip(held, after):
        np.testing.assert_array_equal(before, now)
    assert w2 is not w1 and not np.shares_memory(w2, w1)


@pytest.mark.parametrize("opt", ELEMENTWISE, ids=ids)
def test_a_kernel_writes_only_into_w_and_its_state(opt):
    rng = np.random.default_rng(3)
    grads = [rand(rng, N), rand(rng, N)]
    held = [g.copy() for g in grads]
    w = rand(rng, N)
    state = opt.init(w)
    fields = [x for x in arrays(state) if isinstance(x, np.ndarray)]
    assert len({id(x) for x in fields}) == len(fields)  # no two fields share an array
    objective = Alternating(grads)
    for _ in range(3):
        state = opt.step_(objective, w, state)
    for g, g0 in zip(grads, held):
        np.testing.assert_array_equal(g, g0)  # the objective's gradients are read, never written


@pytest.mark.parametrize("n", [1, 5, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK - 2])
@pytest.mark.parametrize("variant", ["Rprop+", "Rprop-", "iRprop+", "iRprop-"])
def test_rprop_kernel_agrees_with_its_formula_on_any_length_of_the_last_block(variant, n, path):
    """The blocked kernel on vectors shorter than one block, of exactly one, and cut anywhere
    (and the compiled loop on the same lengths): every variant's w, Delta, g' and dw equal the
    formula's bit for bit after each step, from a random state (flips, kept signs and zeros
    everywhere) with losses that go up and down."""
    opt = optim.Rprop(variant=variant, delta_max=5.0, delta_min=1e-4)
    rng = np.random.default_rng(n)
    grads = [rand(rng, n) for _ in range(3)]
    lockstep(opt, Alternating(grads), Alternating(grads), rand(rng, n), random_state(opt, rng, n), 6)


@pytest.mark.parametrize("opt", [o for o in ELEMENTWISE if loops(o)], ids=ids)
def test_a_gradient_that_is_not_float64_takes_the_numpy_kernel(opt, path):
    """The loops are compiled for float64; numpy's rules for a float32 gradient are kept."""
    kind, ran = path
    rng = np.random.default_rng(8)
    grads = [rand(rng, 400).astype(np.float32) for _ in range(3)]
    lockstep(opt, Alternating(grads), Alternating(grads), rand(rng, 400), start(opt, rng, 400), 4)
    assert set(ran) <= {"look_ahead"}  # Nesterov's look-ahead comes before the gradient


def test_numba_is_imported_only_for_large_vectors_and_never_when_switched_off():
    """A lecture-sized problem never imports numba; LECTURES_LIB_JIT=0 (as the grading sandbox
    sets) keeps it out for any size; and the compiled path needs no writable cache (none is used:
    the cache folder here is one nobody can write)."""
    script = textwrap.dedent("""
        import sys
        import numpy as np
        from lectures_lib import optim
        from lectures_lib.optim import _compiled

        class Alternating:
            def __init__(self, n):
                rng = np.random.default_rng(0)
                self.grads, self.calls = [rng.standard_normal(n), rng.standard_normal(n)], 0
            def grad(self, w):
                self.calls += 1
                return self.grads[self.calls % 2]
            def value(self, w):
                return 0.0

        for n in (_compiled.MIN_SIZE - 1, _compiled.MIN_SIZE):
            opt = optim.Rprop()
            w, state, w_pure, s_pure = np.zeros(n), opt.init(np.zeros(n)), np.zeros(n), opt.init(np.zeros(n))
            grad_, grad = Alternating(n), Alternating(n)
            for _ in range(3):
                state = opt.step_(grad_, w, state)
                w_pure, s_pure = opt.step(grad, w_pure, s_pure)
            assert np.array_equal(w, w_pure)
            print(n, "numba" in sys.modules)
        """)
    env = {**os.environ, "NUMBA_CACHE_DIR": "/proc/no-cache-here"}
    for flag, large in [("1", HAVE_NUMBA), ("0", False)]:
        run = subprocess.run([sys.executable, "-c", script], env={**env, "LECTURES_LIB_JIT": flag},
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        assert run.stdout.split() == [str(_compiled.MIN_SIZE - 1), "False", str(_compiled.MIN_SIZE), str(large)], \
            (flag, run.stdout)


def test_the_grading_sandbox_switches_the_compiled_kernels_off():
    from autograder import sandbox

    assert sandbox.ENV["LECTURES_LIB_JIT"] == "0"
