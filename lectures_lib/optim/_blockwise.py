"""Blocks for the in-place kernels: an update rule applied block by block, with temporaries of
one block reused for every block, so they stay in the CPU cache instead of streaming through
main memory. Only the arrays the rule must read and write cross the memory bus.

And ``axpy``, y <- y + a x: numpy has no fused multiply-add, so it takes two passes (the second
reads its input from the cache); BLAS's ``daxpy`` takes one, and is used when scipy (optional)
is installed."""
from __future__ import annotations

from functools import cache

import numpy as np

BLOCK = 32768  # elements per block: a rule's temporaries (256 kB each) fit in a 2 MB L2 cache
USE_BLAS = True  # False: ``axpy`` in numpy only (the tests run both)


def blocks(n: int):
    """(slice, length) pairs that cover range(n) in consecutive blocks of at most BLOCK."""
    return [(slice(start, min(start + BLOCK, n)), min(BLOCK, n - start)) for start in range(0, n, BLOCK)]


def scratch(n: int, count: int, dtype=np.float64):
    """``count`` temporaries of one block (of ``min(n, BLOCK)`` elements)."""
    return [np.empty(min(n, BLOCK), dtype=dtype) for _ in range(count)]


@cache
def _daxpy():
    try:
        from scipy.linalg.blas import daxpy
    except ImportError:
        return None
    return daxpy


def axpy(a: float, x: np.ndarray, y: np.ndarray) -> None:
    """y <- y + a x, in place (y: a contiguous float64 vector; x: a vector of its length)."""
    daxpy = _daxpy() if USE_BLAS else None
    if (daxpy is not None and x.dtype == np.float64 and x.flags.c_contiguous and y.flags.c_contiguous
            and y.size < 2**31 and daxpy(x, y, a=a) is y):  # is y: written in place (always, for such y)
        return
    (t,) = scratch(y.size, 1)
    for b, m in blocks(y.size):
        np.multiply(a, x[b], out=t[:m])
        np.add(y[b], t[:m], out=y[b])
