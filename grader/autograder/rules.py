"""How a student's steps are held to a homework part's rules, per weight and step.

For every step the judge knows the input it sent (the reference's w and state), the gradient the
reference takes there, and what the student's step returned (w, state, and every point where it
took a gradient). From the *input alone* each rule decides where it applies (Rprop: same sign /
sign change / zero product; Quickprop: fallback / secant / capped above / capped below;
Nesterov: look-ahead / update / return value / schedule); a wrong value is charged to the rule
that applied there and to no other, with that rule's own numbers in the message.

A rule is evaluated over all steps of a scenario at once: arrays are (steps, weights). Each
application is recorded by ``Tally.add``: it *fails* when the student's value breaks the rule,
and it *counts as checked* only when it is not vacuous, i.e. when a step that changed nothing
could not have passed it (a rule that says "Δ stays" is enforced, but never counted). A behaviour
earns its points only when it was checked at least once and never failed (``Count.earned``).

Tolerances are relative to the quantity checked (the move, Δ, the derivative), plus a few ulps
of |w| where a move is read off w_new - w.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lectures_lib.testing import fmt  # noqa: F401 - numbers as every message shows them

RTOL = 1e-6
_EPS = np.finfo(float).eps


def close(got, want, scale, w=0.0):
    """|got - want| <= RTOL * |scale| (+ rounding of w_new - w), elementwise; NaN never passes."""
    return np.abs(np.subtract(got, want)) <= RTOL * np.abs(scale) + 8 * _EPS * np.abs(w) + 1e-300


def nonzero(x, scale):
    """Whether x is distinguishable from 0 at the tolerance used for a quantity of size ``scale``."""
    return np.abs(x) > RTOL * np.abs(scale) + 1e-300


@dataclass
class Count:
    """One behaviour's record over all scenarios."""

    checked: int = 0  # non-vacuous applications of its rule
    failed: int = 0  # applications where the student's value broke it
    first: str = ""  # the first failure, in plain words
    unchecked: str = ""  # why a rule that applied was never counted (when checked == 0)
    rules: dict = field(default_factory=dict)  # rule -> its non-vacuous applications

    @property
    def earned(self) -> bool:
        return self.checked > 0 and self.failed == 0


@dataclass
class Tally:
    """Counts per behaviour, for one scenario at a time (``name``: the problem, ``d``: its weights)."""

    behaviours: tuple
    counts: dict = field(default_factory=dict)
    name: str = ""
    d: int = 1

    def __post_init__(self):
        self.counts = {b: Count() for b in self.behaviours}

    def where(self, k=None, i=None):
        step = f", step {k + 1}" if k is not None else ""
        weight = f"weight {i}: " if i is not None and self.d > 1 else ""
        return f'On the problem "{self.name}"{step}: {weight}'

    def add(self, behaviour, applies, holds, counted, message, vacuous="", rule=""):
        """Record a rule over the (step, weight) entries where ``applies``; ``message(k, i)``
        explains a failure; ``counted`` marks the applications that are not vacuous."""
        applies = np.asarray(applies, dtype=bool)
        holds = np.broadcast_to(holds, applies.shape)
        counted = np.broadcast_to(counted, applies.shape)
        c = self.counts[behaviour]
        bad = applies & ~holds
        n = int(np.count_nonzero(applies & counted))
        c.checked += n
        c.rules[rule or behaviour] = c.rules.get(rule or behaviour, 0) + n
        if bad.any():
            c.failed += int(np.count_nonzero(bad))
            if not c.first:
                index = np.unravel_index(int(np.flatnonzero(bad)[0]), bad.shape)
                k, i = (int(index[0]), int(index[1]) if len(index) > 1 else None)
                c.first = self.where(k, i) + message(k, i)
        if vacuous and not c.unchecked and (applies & ~counted & holds).any():
            c.unchecked = vacuous

    def fail(self, behaviour, message, n=1):
        c = self.counts[behaviour]
        c.failed += n
        c.first = c.first or message

    def broken(self, b, masks):
        """Steps whose reply was unusable fail every behaviour whose rule applied at them."""
        for k in np.flatnonzero(~b.ok):
            for behaviour, mask in masks.items():
                m = np.asarray(mask)[k]
                if m.any():
                    self.fail(behaviour, self.where(int(k)) + b.problem[k], int(np.count_nonzero(m)))


def one_point(b, want, scale, what):
    """Per step: '' if exactly one gradient was taken, at ``want`` (to within ``scale``), else why not."""
    out = []
    for k, points in enumerate(b.points):
        if not b.ok[k]:
            out.append("")
        elif not points:
            out.append("your step never evaluated the gradient")
        elif len(points) > 1:
            out.append(f"your step evaluated the gradient {'twice' if len(points) == 2 else f'{len(points)} times'}; "
                       f"take it once, at {what}")
        elif points[0].shape != want[k].shape or not np.all(close(points[0], want[k], scale[k], want[k])):
            out.append(f"your step took the gradient at {fmt(points[0])}; it belongs at {what} = {fmt(want[k])}")
        else:
            out.append("")
    return np.array(out, dtype=object)

