"""Blocks for the in-place kernels: an update rule applied block by block, with temporaries of
one block reused for every block, so they stay in the CPU cache instead of streaming through
main memory. Only the arrays the rule must read and write cross the memory bus."""
from __future__ import annotations

import numpy as np

BLOCK = 32768  # elements per block: a rule's temporaries (256 kB each) fit in a 2 MB L2 cache


def blocks(n: int):
    """(slice, length) pairs that cover range(n) in consecutive blocks of at most BLOCK."""
    return [(slice(start, min(start + BLOCK, n)), min(BLOCK, n - start)) for start in range(0, n, BLOCK)]


def scratch(n: int, count: int, dtype=np.float64):
    """``count`` temporaries of one block (of ``min(n, BLOCK)`` elements)."""
    return [np.empty(min(n, BLOCK), dtype=dtype) for _ in range(count)]
