"""Evaluate an elementwise update rule block by block, so its temporaries stay in the cache."""
from __future__ import annotations

import numpy as np

BLOCK = 32768  # elements per block: a rule's temporaries (256 kB each) fit in a 2 MB L2 cache


def blockwise(rule, *arrays):
    """``rule(*arrays)`` for a ``rule`` that works elementwise on 1-D arrays and returns a tuple
    of arrays. Vectors longer than ``BLOCK`` are fed to the rule in consecutive blocks and the
    results assembled into new arrays: the same numbers, but the rule's temporaries stay in the
    CPU cache instead of streaming through main memory."""
    n = np.size(arrays[0])
    if n <= BLOCK:
        return rule(*arrays)
    out = None
    for start in range(0, n, BLOCK):
        block = slice(start, start + BLOCK)
        results = rule(*(a[block] for a in arrays))
        if out is None:
            out = tuple(np.empty(n, dtype=r.dtype) for r in results)
        for whole, part in zip(out, results):
            whole[block] = part
    return out
