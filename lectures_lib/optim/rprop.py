"""Resilient propagation (Rprop): per-weight step sizes driven by the sign of the derivative."""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import numpy as np

from .. import _checks
from ._blockwise import blockwise

VARIANTS = ("Rprop+", "Rprop-", "iRprop+", "iRprop-", "simplified")


class RpropState(NamedTuple):
    k: int  # iterations done so far
    delta: np.ndarray  # per-weight step size Delta_i
    g: np.ndarray  # previous derivative, set to 0 where it must not be compared next time
    dw: np.ndarray  # previous step taken (for "simplified": the last forward step)
    loss: float  # previous loss, used by iRprop+ only


@dataclass(frozen=True)
class Rprop:
    """Rprop, per weight i, with g = dE/dw_i now and g' the stored previous derivative:

    - g' g > 0 (same sign): Delta <- min(eta_plus Delta, delta_max); step -sign(g) Delta.
    - g' g < 0 (sign changed, a minimum was overshot): Delta <- max(eta_minus Delta, delta_min);
      then, by ``variant``:
        ``"Rprop+"``  (Riedmiller & Braun 1993, the default): undo the previous step and set
                      g' <- 0, so the next iteration steps without adapting Delta;
        ``"Rprop-"``  : no backtracking; step -sign(g) Delta with the reduced Delta;
        ``"iRprop-"`` : no step for this weight and g' <- 0 (what ``torch.optim.Rprop`` does);
        ``"iRprop+"`` : undo the previous step only if the loss went up, and g' <- 0
                        (Igel & Huesken 2000; evaluates E once per step besides the gradient).
    - g' g = 0 (first step, or just after a sign change): step -sign(g) Delta.

    ``"simplified"`` is the loop printed on the slides, kept to show why it is not used: every
    weight keeps the direction of its first derivative forever (a sign change only undoes and
    shrinks the step), so once coupling moves a weight's optimum behind it, it stalls.

    ``eta_plus`` and ``eta_minus`` are the slides' alpha and beta; Delta starts at ``delta0``.
    """

    delta0: float = 0.1
    eta_plus: float = 1.2
    eta_minus: float = 0.5
    delta_min: float = 1e-6
    delta_max: float = 50.0
    variant: str = "Rprop+"

    def __post_init__(self):
        _checks.positive("delta0", self.delta0)
        _checks.in_interval("eta_plus", self.eta_plus, 1.0, np.inf, closed_low=False)
        _checks.in_interval("eta_minus", self.eta_minus, 0.0, 1.0, closed_low=False)
        _checks.positive("delta_min", self.delta_min)
        _checks.positive("delta_max", self.delta_max)
        if self.delta_min > self.delta_max:
            raise ValueError(f"delta_min must be <= delta_max, got delta_min={self.delta_min!r}, "
                             f"delta_max={self.delta_max!r}")
        if not self.delta_min <= self.delta0 <= self.delta_max:
            raise ValueError(f"delta0 must be in [delta_min, delta_max] = [{self.delta_min:g}, "
                             f"{self.delta_max:g}], got {self.delta0!r}")
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {self.variant!r}")

    def init(self, w) -> RpropState:
        zeros = np.zeros_like(_checks.flat_vector(w))
        return RpropState(k=0, delta=np.full_like(zeros, self.delta0), g=zeros, dw=zeros, loss=np.inf)

    def step(self, objective, w, state: RpropState):
        if self.variant == "simplified":
            return self._simplified_step(objective, w, state)
        loss = objective.value(w) if self.variant == "iRprop+" else np.nan
        backtrack = self.variant == "Rprop+" or (self.variant == "iRprop+" and loss > state.loss)
        w, delta, g, dw = blockwise(partial(self._update, backtrack=backtrack),
                                    w, objective.grad(w), state.g, state.delta, state.dw)
        return w, RpropState(state.k + 1, delta, g, dw, loss)

    def _update(self, w, g, g_prev, delta_prev, dw_prev, backtrack):
        """(w + dw, Delta, g', dw) for every weight, from its derivatives g now and g' before."""
        product = g_prev * g
        flipped = product < 0
        # Delta times [eta_minus, 1, eta_plus][sign(g' g) + 1]; a NaN product leaves Delta alone.
        # Masks used as 0/1 factors and in-place operations instead of np.where: the same numbers
        # for finite derivatives, several times faster on large vectors.
        delta = np.take([self.eta_minus, 1.0, self.eta_plus], (product > 0).astype(np.int8) - flipped + 1)
        delta *= delta_prev
        np.clip(delta, self.delta_min, self.delta_max, out=delta)  # Delta stays in [delta_min, delta_max]
        if self.variant != "Rprop-":
            g = g * ~flipped  # forget the derivative: no adaptation next time
        dw = np.sign(g)  # dw = -sign(g) Delta: no step where g = 0 (as after a flip in iRprop-)
        dw *= delta
        np.negative(dw, out=dw)
        if backtrack:  # Rprop+, or iRprop+ when the loss went up: undo the last step where it flipped
            dw -= np.multiply(flipped, dw_prev, out=product)
        return w + dw, delta, g, dw

    def _simplified_step(self, objective, w, state: RpropState):
        """One pass of the slides' loop, rotated so it starts with the derivative: compare signs,
        undo and shrink (keeping the direction) or grow, then take the next forward step."""
        g = objective.grad(w)
        if state.k == 0:
            direction, delta, g_prev, undo = np.sign(g), state.delta, g, 0.0
        else:
            direction = -np.sign(state.dw)
            same = np.sign(state.g) == np.sign(g)
            delta = np.where(same, np.minimum(self.eta_plus * state.delta, self.delta_max),
                             np.maximum(self.eta_minus * state.delta, self.delta_min))
            g_prev = np.where(same, g, state.g)  # the slides update prevD only on the same sign
            undo = np.where(same, 0.0, -state.dw)
        dw = -direction * delta
        return w + (undo + dw), RpropState(state.k + 1, delta, g_prev, dw, np.nan)
