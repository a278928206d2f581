"""The one grading helper students use: ``expect`` in a homework's visible tests.

    from lectures_lib.testing import expect
    expect("w after step 1", w, [-0.5])

It raises ``GradingError`` with both values (and both shapes when they differ) unless ``got``
matches ``want`` to a relative 1e-6 (plus 1e-9 absolute, for values that should be 0). The hidden
tests and the autograder are not part of this library: they are the instructor's (``autograder``).
"""
from __future__ import annotations

import numpy as np

RTOL = 1e-6


class GradingError(AssertionError):
    """A check failed; the message says what was expected and what came."""


def fmt(x) -> str:
    """Numbers as the feedback shows them: 6 significant digits, a vector in brackets."""
    x = np.asarray(x, dtype=float)
    return f"{float(x):.6g}" if x.ndim == 0 else "[" + ", ".join(f"{float(v):.6g}" for v in x.ravel()) + "]"


def expect(what: str, got, want) -> None:
    """Raise ``GradingError`` saying what was expected unless ``got`` equals ``want`` (to 1e-6)."""
    __tracebackhide__ = True  # IPython and pytest show the message, not this frame
    try:
        g = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise GradingError(f"{what}: expected numbers {fmt(want)}, got {got!r}") from None
    w = np.asarray(want, dtype=float)
    if g.shape != w.shape:
        raise GradingError(f"{what}: expected shape {w.shape} {fmt(w)}, got shape {g.shape} {fmt(g)}")
    if not np.all(np.abs(g - w) <= RTOL * (np.abs(w) + 1e-3)):
        raise GradingError(f"{what}: expected {fmt(w)}, got {fmt(g)}")
