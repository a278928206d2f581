"""Optimizer step throughput: one step on 10^7 float64 parameters with a gradient that costs
nothing, against the memory-traffic floor and against torch.optim on the CPU, in one run.
Each optimizer is timed three times: its in-place kernel ``step_`` on the numpy path and on the
compiled path (numba's one-loop kernels, lectures_lib/optim/_compiled.py, where the optimizer has
one and numba is installed), which torch.optim is compared with, and its pure ``step``, the
lecture's formula, which returns new arrays.

    python bench/throughput.py [--tiny] [--out bench/results] [--rounds 2] [--repeats 9]

The gradient is one of two precomputed random arrays, alternating, so Rprop and Quickprop see
sign changes. Every step's time is the best of ``repeats`` single steps, and of ``rounds`` passes
over all optimizers (other work on a shared machine only ever adds time).

Floors, measured in the same run:
- memory floor: the arrays a step must read and write (counted per optimizer below), streamed at
  the speed of ``np.copyto`` (one read and one write of a preallocated 80 MB array): floor =
  (reads + writes) / 2 x t_copyto. It is not a lower bound: writing an array the step has not
  read also reads it into the cache first, so a copy moves three arrays, not two, and torch's SGD
  beats this "floor";
- stream floor: the same arrays at the speed of ``np.add(a, b, out=a)`` (reads a and b, writes a
  in place, as every in-place kernel writes only what it has read): floor = (reads + writes) / 3
  x t_add;
- API floor (of the pure ``step``; ``ratio_to_api_floor`` is the pure step's time over it): the memory floor plus, for every array the step returns new
  (the pure ``step`` never writes into the caller's arrays), the extra time a freshly allocated
  array costs over a preallocated one (``x.copy()`` versus ``np.copyto``: the kernel zeroes new
  pages).
``step_`` and torch.optim update the parameters and state in place: the stream floor is their
lower bound (every array the kernel writes it has read, so no write costs an extra read), the
memory floor a looser yardstick. The counts of arrays read and written are the in-place kernel's.
torch is timed with 1 thread (numpy's elementwise operations use one core) and with its default
number of threads, each with foreach=False (its default on the CPU) and foreach=True, keeping the
faster; BLAS (gradient descent's fused w - eta g, when scipy is installed) with one thread.
torch's allocator is given transparent huge pages (THP_MEM_ALLOC_ENABLE=1), which numpy asks for
by default for arrays of 4 MB and more: without them torch's parameter and buffers sit in 4 kB
pages and its steps are slower for that reason alone, not for its kernels
(``THP_MEM_ALLOC_ENABLE=0 make bench-throughput`` times torch as its allocator comes).
The compiled path's first step (numba's compilation, once per process) is reported apart.
"""
from __future__ import annotations

import os
import sys
import time

os.environ["OPENBLAS_NUM_THREADS"] = "1"  # before numpy and scipy load OpenBLAS: one thread, as torch's
os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")  # before torch allocates: huge pages, as numpy's

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import common  # noqa: E402
from lectures_lib import optim  # noqa: E402
from lectures_lib.optim import _blockwise, _compiled  # noqa: E402

LR, BETA = 0.01, 0.9
# name: (optimizer, arrays read, arrays written, what they are, torch counterpart, has a compiled
# kernel); the numpy path runs as the library runs it without numba (with BLAS where it is used)
# except "numpy only", run with USE_BLAS off
OURS = {
    "gradient descent": (lambda: optim.GradientDescent(LR), 2, 1, "w, g -> w'", "SGD", True),
    "gradient descent, numpy only": (lambda: optim.GradientDescent(LR), 2, 1, "w, g -> w'", "SGD", False),
    "momentum": (lambda: optim.Momentum(LR, BETA), 3, 2, "w, g, dW -> w', dW'", "SGD(momentum)", True),
    "Nesterov": (lambda: optim.Nesterov(LR, BETA), 5, 3,
                 "w, dW -> w (the look-ahead point, where the gradient is taken); w, dW, g -> w', dW'",
                 "SGD(momentum, nesterov)", True),
    "Rprop (Rprop+, default)": (lambda: optim.Rprop(), 5, 4, "w, g, g', Δ, dw -> w', Δ', g', dw'", "Rprop", True),
    "Rprop (iRprop−, torch's variant)": (lambda: optim.Rprop(variant="iRprop-"), 4, 4,
                                         "w, g, g', Δ -> w', Δ', g', dw'", "Rprop", True),
    "Quickprop": (lambda: optim.Quickprop(LR), 4, 3, "w, g, g', dw -> w', g', dw'", None, False),
}
TORCH = {  # name: (constructor, reads, writes)
    "SGD": (lambda t, p, fe: t.optim.SGD([p], lr=LR, foreach=fe), 2, 1),
    "SGD(momentum)": (lambda t, p, fe: t.optim.SGD([p], lr=LR, momentum=BETA, foreach=fe), 3, 2),
    "SGD(momentum, nesterov)": (lambda t, p, fe: t.optim.SGD([p], lr=LR, momentum=BETA, nesterov=True, foreach=fe),
                                3, 2),
    "Rprop": (lambda t, p, fe: t.optim.Rprop([p], lr=0.1, foreach=fe), 4, 3),
}


class FreeGradient:
    """An objective whose gradient costs nothing: it hands out precomputed arrays in turn."""

    def __init__(self, grads):
        self.grads, self.calls = grads, 0

    def grad(self, w):
        self.calls += 1
        return self.grads[self.calls % 2]

    def value(self, w):
        return 0.0


def best_of(step, repeats, warmup=2):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return min(times)


def time_inplace(make, grads, repeats, blas=True, jit=False):
    """(best in-place step, the first step's time, w after the steps) on the path asked for."""
    _blockwise.USE_BLAS = blas and _blockwise._daxpy() is not None
    _compiled.USE_JIT = jit
    opt, n = make(), grads[0].size
    w_fast, objective = np.zeros(n), FreeGradient(grads)
    fast = [opt.init(w_fast)]

    def step_():
        fast[0] = opt.step_(objective, w_fast, fast[0])

    t0 = time.perf_counter()
    step_()
    first = time.perf_counter() - t0
    t_fast = best_of(step_, repeats, warmup=1)
    _blockwise.USE_BLAS, _compiled.USE_JIT = True, False
    return t_fast, first, w_fast


def time_pure(make, grads, repeats):
    """(best pure step, w after as many steps as ``time_inplace`` takes)."""
    opt, n = make(), grads[0].size
    pure, objective = [np.zeros(n)], FreeGradient(grads)
    pure.append(opt.init(pure[0]))

    def step():
        pure[0], pure[1] = opt.step(objective, pure[0], pure[1])  # the old arrays are dropped, as in a loop

    return best_of(step, repeats), pure[0]


def agree(a, b):
    return bool(np.allclose(a, b, rtol=1e-12, atol=1e-12))


def time_torch(torch, make, grads, repeats, threads):
    """(best step, foreach) of the faster of torch's two implementations."""
    torch.set_num_threads(threads)
    times = {foreach: time_torch_one(torch, make, grads, repeats, foreach) for foreach in (False, True)}
    foreach = min(times, key=times.get)
    return times[foreach], foreach


def time_torch_one(torch, make, grads, repeats, foreach):
    """One implementation, with its own copy of the gradients: foreach Nesterov adds the buffer
    into p.grad in place."""
    p = torch.zeros(grads[0].size, dtype=torch.float64, requires_grad=True)
    opt, k, own = make(torch, p, foreach), [0], [torch.from_numpy(g.copy()) for g in grads]

    def step():
        k[0] += 1
        p.grad = own[k[0] % 2]
        opt.step()

    return best_of(step, repeats)


def floors(n, repeats):
    """(t_copyto, t_fresh, t_add): one read + one write of n float64 into a preallocated / new
    array; two reads and one write in place (a += b)."""
    src, dst = np.random.default_rng(1).standard_normal(n), np.empty(n)
    t_copy = best_of(lambda: np.copyto(dst, src), repeats)
    t_fresh = best_of(lambda: src.copy(), repeats)
    t_add = best_of(lambda: np.add(dst, src, out=dst), repeats)
    return t_copy, t_fresh, t_add


def main(argv=None):
    args = common.arguments(__doc__, argv, extra=[(("--rounds",), {"type": int, "default": 2}),
                                                   (("--repeats",), {"type": int, "default": 9})])
    n, rounds, repeats = (10**5, 1, 2) if args.tiny else (10**7, args.rounds, args.repeats)
    t_start = time.perf_counter()
    try:
        import torch
    except ImportError:
        torch = None
        print("torch is not installed: `make venv` installs it from requirements.txt", file=sys.stderr)
    default_threads = torch.get_num_threads() if torch else None
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(n), rng.standard_normal(n)]
    jit = _compiled._numba() is not None
    if not jit:
        print("numba is not installed: no compiled path (`make venv` installs it from requirements.txt)",
              file=sys.stderr)

    best = {}

    def keep(key, t):
        best[key] = min(t, best.get(key, np.inf))

    for r in range(rounds):
        for key, t in zip(["copyto", "fresh copy", "add"], floors(n, repeats)):
            keep(key, t)
        for name, (make, *_rest, compiled) in OURS.items():
            t_fast, _, w_fast = time_inplace(make, grads, repeats, blas="numpy only" not in name)
            t_pure, w_pure = time_pure(make, grads, repeats)
            keep(("ours", name), t_fast)
            keep(("pure", name), t_pure)
            same = agree(w_fast, w_pure)
            if compiled and jit:
                t_jit, first, w_jit = time_inplace(make, grads, repeats, jit=True)
                keep(("compiled", name), t_jit)
                if r == 0:
                    best[("first compiled step", name)] = first
                same = same and agree(w_jit, w_pure)
            best[("agree", name)] = same and best.get(("agree", name), True)
        if torch:
            for name, (make, *_rest) in TORCH.items():
                for key, threads in [("torch 1 thread", 1), ("torch default", default_threads)]:
                    t, foreach = time_torch(torch, make, grads, repeats, threads)
                    if t < best.get((key, name), np.inf):
                        best[(key, name)], best[(key, "foreach", name)] = t, foreach
            torch.set_num_threads(default_threads)

    t_copy, t_fresh, t_add = best["copyto"], best["fresh copy"], best["add"]
    ms = lambda t: None if t is None else float(f"{1e3 * t:.4g}")  # noqa: E731
    rows = []
    ratio = lambda a, b: None if a is None or b is None else a / b  # noqa: E731
    for name, (_, reads, writes, traffic, counterpart, _compiled_kernel) in OURS.items():
        ours, pure, jitted = best[("ours", name)], best[("pure", name)], best.get(("compiled", name))
        floor = (reads + writes) / 2 * t_copy
        api_floor = floor + writes * (t_fresh - t_copy)
        stream = (reads + writes) / 3 * t_add
        row = {"optimizer": name, "reads": reads, "writes": writes, "traffic": traffic,
               "ms": ms(ours), "compiled_ms": ms(jitted), "pure_ms": ms(pure), "floor_ms": ms(floor),
               "api_floor_ms": ms(api_floor), "stream_floor_ms": ms(stream), "ratio_to_stream_floor": ours / stream,
               "ratio_to_floor": ours / floor, "compiled_ratio_to_stream_floor": ratio(jitted, stream),
               "compiled_ratio_to_floor": ratio(jitted, floor),
               "first_compiled_step_s": best.get(("first compiled step", name)),
               "pure_over_inplace": pure / ours, "pure_over_compiled": ratio(pure, jitted),
               "ratio_to_api_floor": pure / api_floor, "pure_and_inplace_agree": best[("agree", name)],
               "torch": counterpart, "torch_1thread_ms": None, "torch_default_ms": None, "torch_1thread_foreach": None,
               "torch_default_foreach": None, "torch_floor_ms": None, "torch_1thread_over_ours": None,
               "torch_default_over_ours": None, "torch_1thread_over_compiled": None,
               "torch_default_over_compiled": None}
        if torch and counterpart:
            t1, td = best[("torch 1 thread", counterpart)], best[("torch default", counterpart)]
            _, tr, tw = TORCH[counterpart]
            row.update(torch_1thread_ms=ms(t1), torch_default_ms=ms(td), torch_floor_ms=ms((tr + tw) / 2 * t_copy),
                       torch_1thread_foreach=best[("torch 1 thread", "foreach", counterpart)],
                       torch_default_foreach=best[("torch default", "foreach", counterpart)],
                       torch_1thread_over_ours=t1 / ours, torch_default_over_ours=td / ours,
                       torch_1thread_over_compiled=ratio(t1, jitted), torch_default_over_compiled=ratio(td, jitted))
        rows.append(row)

    print(f"n = {n:.0e} float64; np.copyto {1e3 * t_copy:.1f} ms, fresh copy {1e3 * t_fresh:.1f} ms, "
          f"a += b {1e3 * t_add:.1f} ms; "
          f"torch {'%s, %d default threads' % (torch.__version__, default_threads) if torch else 'missing'}")
    print("step_: numpy path; jit: compiled path; /floor, /strm: over the memory and stream floors; "
          "t1/x: torch (1 thread, the faster of foreach and not) over x")
    print(f"{'optimizer':34} {'step_':>6} {'/floor':>6} {'/strm':>5} {'jit':>6} {'/floor':>6} {'/strm':>5} "
          f"{'floor':>6} {'stream':>6} {'step':>6} {'/step_':>6} {'/jit':>5} {'/API':>5} {'torch1':>6} "
          f"{'t1/np':>5} {'t1/jit':>6} {'torchN':>6} {'tN/np':>5} {'tN/jit':>6}")
    f = lambda v, spec="{:.1f}": "—" if v is None else spec.format(v)  # noqa: E731
    x = lambda v: f(v, "{:.2f}")  # noqa: E731
    for r in rows:
        print(f"{r['optimizer']:34} {f(r['ms']):>6} {x(r['ratio_to_floor']):>6} {x(r['ratio_to_stream_floor']):>5} "
              f"{f(r['compiled_ms']):>6} {x(r['compiled_ratio_to_floor']):>6} "
              f"{x(r['compiled_ratio_to_stream_floor']):>5} {f(r['floor_ms']):>6} {f(r['stream_floor_ms']):>6} "
              f"{f(r['pure_ms']):>6} {x(r['pure_over_inplace']):>6} {x(r['pure_over_compiled']):>5} "
              f"{x(r['ratio_to_api_floor']):>5} {f(r['torch_1thread_ms']):>6} {x(r['torch_1thread_over_ours']):>5} "
              f"{x(r['torch_1thread_over_compiled']):>6} {f(r['torch_default_ms']):>6} "
              f"{x(r['torch_default_over_ours']):>5} {x(r['torch_default_over_compiled']):>6}")
    firsts = {r["optimizer"]: r["first_compiled_step_s"] for r in rows if r["first_compiled_step_s"] is not None}
    if firsts:
        print("first compiled step (numba's compilation included), s: "
              + ", ".join(f"{k} {v:.2f}" for k, v in firsts.items()))

    fig = draw(rows, default_threads)
    common.write(args.out, "throughput", {
        "tiny": args.tiny, "seconds": round(time.perf_counter() - t_start, 1),
        "setup": {"n": n, "dtype": "float64", "repeats": repeats, "rounds": rounds, "lr": LR, "beta": BETA,
                  "gradient": "two precomputed standard-normal arrays, alternating",
                  "torch": torch.__version__ if torch else None, "torch_default_threads": default_threads,
                  "torch_huge_pages": os.environ["THP_MEM_ALLOC_ENABLE"] == "1",
                  "statistic": "best single step over repeats x rounds"},
        "blas": _blockwise._daxpy() is not None, "numba": jit,
        "copyto_ms": ms(t_copy), "fresh_copy_ms": ms(t_fresh), "add_ms": ms(t_add),
        "copyto_GB_per_s": 2 * 8 * n / t_copy / 1e9, "rows": rows}, fig)


def draw(rows, default_threads):
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    y = np.arange(len(rows))[::-1]
    bars = [("stream_floor_ms", "stream floor", "0.85"), ("ms", "lectures_lib step_ (numpy)", "C0"),
            ("compiled_ms", "lectures_lib step_ (compiled)", "C2"), ("pure_ms", "lectures_lib step (new arrays)", "C9"),
            ("torch_1thread_ms", "torch.optim, 1 thread", "C3"),
            ("torch_default_ms", f"torch.optim, {default_threads} threads", "C1")]
    h = 0.14
    for i, (key, label, color) in enumerate(bars):
        vals = [r[key] or 0.0 for r in rows]
        ax.barh(y + (2.5 - i) * h, vals, height=h, color=color, label=label)
    ax.set_yticks(y, [r["optimizer"] for r in rows], fontsize=8)
    ax.set(xlabel="ms per step (10^7 float64 parameters)", title="One optimizer step, gradient free")
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    sys.exit(main())
