"""Optional compiled kernels: an in-place rule as one loop over its arrays, compiled by numba when
it is installed (``pip install lectures-lib[fast]``). The loop reads and writes each array once;
numpy takes one pass per operation. Each loop does the operations of the lecture's ``step`` in the
same order on float64 (numba fuses a multiply and an add only under fastmath, which is off), so its
results are the same bits; the tests run both paths against ``step`` in lockstep.

``kernel`` hands a loop out only when numba imports, ``USE_JIT`` is on (the environment variable
``LECTURES_LIB_JIT=0`` turns it off; the grading sandbox sets it), every array is float64 and the
vector has at least ``MIN_SIZE`` elements. Smaller problems never import numba: its import and the
compilation of a loop (about a second per process, nothing is cached on disk) would cost more than
the loop saves. Without numba every ``step_`` runs its numpy kernel."""
from __future__ import annotations

import os
from functools import cache

import numpy as np

MIN_SIZE = 32768  # elements; below this the numpy kernel takes microseconds
USE_JIT = os.environ.get("LECTURES_LIB_JIT", "1") != "0"


def gradient_descent(w, g, lr):
    """w <- w - eta g."""
    for i in range(w.size):
        w[i] = w[i] - lr * g[i]


def momentum(w, g, dw, lr, beta):
    """Delta W <- beta Delta W - eta g;  W <- W + Delta W."""
    for i in range(w.size):
        d = beta * dw[i] - lr * g[i]
        dw[i] = d
        w[i] = w[i] + d


def look_ahead(w, dw, beta):
    """Nesterov's look-ahead point, in w: w <- W + beta Delta W."""
    for i in range(w.size):
        w[i] = w[i] + beta * dw[i]


def nesterov(w, g, dw, lr, beta):
    """From the look-ahead point v in w: Delta W <- beta Delta W - eta g;  W <- v - eta g."""
    for i in range(w.size):
        t = lr * g[i]
        dw[i] = beta * dw[i] - t
        w[i] = w[i] - t


def rprop(w, g, delta, g_prev, dw, eta_plus, eta_minus, delta_min, delta_max, forget, backtrack):
    """Rprop's step for every weight (see ``Rprop``): ``forget`` sets g' <- 0 where the sign
    flipped, ``backtrack`` undoes the previous step there. Written with selects, not branches
    around stores, so that the loop vectorises."""
    for i in range(w.size):
        s = g_prev[i] * g[i]
        flipped = s < 0.0
        d = delta[i]
        grown = min(max(d * (eta_plus if s > 0.0 else eta_minus), delta_min), delta_max)
        d = d if s == 0.0 else grown
        gi = 0.0 if forget and flipped else g[i]
        step = -d if gi > 0.0 else (d if gi < 0.0 else gi * d)  # -sign(g) Delta (0, or NaN)
        step = -dw[i] if backtrack and flipped else step
        delta[i] = d
        g_prev[i] = gi
        dw[i] = step
        w[i] = w[i] + step


@cache
def _numba():
    try:
        import numba
    except ImportError:
        return None
    return numba


@cache
def _compiled(name):
    return _numba().njit(globals()[name], nogil=True)


def kernel(name: str, *arrays: np.ndarray):
    """The compiled loop ``name`` for these arrays, or None (then run the numpy kernel)."""
    if not USE_JIT or arrays[0].size < MIN_SIZE or any(a.dtype != np.float64 for a in arrays) or _numba() is None:
        return None
    return _compiled(name)
