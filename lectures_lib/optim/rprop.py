"""Resilient propagation (Rprop): per-weight step sizes driven by the sign of the derivative."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .. import _checks
from ._blockwise import blocks, scratch
from ._compiled import kernel

VARIANTS = ("Rprop+", "Rprop-", "iRprop+", "iRprop-", "simplified")


class RpropState(NamedTuple):
    k: int  # iterations done so far
    delta: np.ndarray  # per-weight step size Delta_i
    g_prev: np.ndarray  # previous derivative, set to 0 where it must not be compared next time
    dw: np.ndarray  # previous step taken (for SimplifiedRprop: the last forward step)
    loss: float  # previous loss, used by iRprop+ only


def _check(opt):
    _checks.positive("delta0", opt.delta0)
    _checks.in_interval("eta_plus", opt.eta_plus, 1.0, np.inf, closed_low=False)
    _checks.in_interval("eta_minus", opt.eta_minus, 0.0, 1.0, closed_low=False)
    _checks.positive("delta_min", opt.delta_min)
    _checks.positive("delta_max", opt.delta_max)
    if opt.delta_min > opt.delta_max:
        raise ValueError(f"delta_min must be <= delta_max, got delta_min={opt.delta_min!r}, "
                         f"delta_max={opt.delta_max!r}")
    if not opt.delta_min <= opt.delta0 <= opt.delta_max:
        raise ValueError(f"delta0 must be in [delta_min, delta_max] = [{opt.delta_min:g}, "
                         f"{opt.delta_max:g}], got {opt.delta0!r}")


def _init(opt, w) -> RpropState:
    w = _checks.flat_vector(w)
    return RpropState(0, np.full_like(w, opt.delta0), np.zeros_like(w), np.zeros_like(w), np.inf)


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
                        (Igel & Huesken 2000; reads E(w) too, which ``minimize`` already has).
    - g' g = 0 (first step, or just after a sign change): step -sign(g) Delta.

    ``variant="simplified"`` runs ``SimplifiedRprop``, the loop printed on the slides.
    ``eta_plus`` and ``eta_minus`` are the slides' alpha and beta; Delta starts at ``delta0``.
    """

    delta0: float = 0.1
    eta_plus: float = 1.2
    eta_minus: float = 0.5
    delta_min: float = 1e-6
    delta_max: float = 50.0
    variant: str = "Rprop+"

    def __post_init__(self):
        _check(self)
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {self.variant!r}")

    def init(self, w) -> RpropState:
        return _init(self, w)

    def _slides(self) -> "SimplifiedRprop":
        return SimplifiedRprop(self.delta0, self.eta_plus, self.eta_minus, self.delta_min, self.delta_max)

    def step(self, objective, w, state: RpropState):
        if self.variant == "simplified":
            return self._slides().step(objective, w, state)
        loss = objective.value(w) if self.variant == "iRprop+" else np.nan
        g = objective.grad(w)
        s = state.g_prev * g  # its sign says whether the derivative kept its sign
        delta = np.where(s == 0, state.delta,
                         np.clip(state.delta * np.where(s > 0, self.eta_plus, self.eta_minus),
                                 self.delta_min, self.delta_max))
        flipped = s < 0
        if self.variant != "Rprop-":
            g = np.where(flipped, 0.0, g)  # forget the derivative: no adaptation next time
        dw = -np.sign(g) * delta  # no step where g = 0 (as after a flip in iRprop-)
        if self.variant == "Rprop+" or (self.variant == "iRprop+" and loss > state.loss):
            dw = np.where(flipped, -state.dw, dw)  # undo the last step where the sign flipped
        return w + dw, RpropState(state.k + 1, delta, g, dw, loss)

    def step_(self, objective, w: np.ndarray, state: RpropState) -> RpropState:
        """``step`` in place: overwrite ``w`` and the state's arrays; return the new state."""
        if self.variant == "simplified":
            return self._slides().step_(objective, w, state)
        loss = objective.value(w) if self.variant == "iRprop+" else np.nan
        backtrack = self.variant == "Rprop+" or (self.variant == "iRprop+" and loss > state.loss)
        forget = self.variant != "Rprop-"
        g = objective.grad(w)
        fused = kernel("rprop", w, g, state.delta, state.g_prev, state.dw)
        if fused is not None:  # compiled: one pass, the same bits
            fused(w, g, state.delta, state.g_prev, state.dw, self.eta_plus, self.eta_minus, self.delta_min,
                  self.delta_max, forget, backtrack)
            return RpropState(state.k + 1, state.delta, state.g_prev, state.dw, loss)
        # Block by block (the temporaries stay in the cache), with masks as 0/1 floats and unmasked
        # ufuncs (where= loops are not vectorised). Each choice is exact: a mask times a number is
        # the number or 0, a maximum picks one of its arguments.
        s, factor, same, t = scratch(w.size, 4)
        for b, m in blocks(w.size):
            s_, f, keep, t_ = s[:m], factor[:m], same[:m], t[:m]
            delta, g_prev, dw, w_ = state.delta[b], state.g_prev[b], state.dw[b], w[b]
            g_ = g[b]
            np.multiply(g_prev, g_, out=s_)
            np.greater(s_, 0.0, out=f)  # 1 where the sign was kept
            np.greater_equal(s_, 0.0, out=keep)  # 1 where it did not flip (0 where it did)
            np.multiply(f, self.eta_plus, out=f)  # eta_plus where kept, else 0
            np.maximum(f, keep, out=f)  # ... 1 where there was no sign to compare
            np.maximum(f, self.eta_minus, out=f)  # ... eta_minus where it flipped
            np.multiply(delta, f, out=delta)
            np.clip(delta, self.delta_min, self.delta_max, out=delta)  # binds only where Delta changed
            if forget:
                np.multiply(g_, keep, out=g_prev)  # the derivative, 0 where it flipped
            else:
                np.copyto(g_prev, g_)
            np.sign(g_prev, out=t_)
            np.multiply(t_, delta, out=t_)  # sign(g) Delta, 0 where the derivative was forgotten
            if backtrack:
                np.subtract(keep, 1.0, out=keep)  # -1 where it flipped, else 0
                np.multiply(dw, keep, out=dw)  # where it flipped: undo the previous step
                np.subtract(dw, t_, out=dw)
            else:
                np.negative(t_, out=dw)
            np.add(w_, dw, out=w_)
        return RpropState(state.k + 1, state.delta, state.g_prev, state.dw, loss)


@dataclass(frozen=True)
class SimplifiedRprop:
    """The loop printed on the slides, kept to show why it is not used:

        repeat: for every weight: if sign(prevD) == sign(D):  Delta <- min(alpha Delta, Delta_max)
                                                               prevD <- D;  w <- w - sign(prevD) Delta
                                  else:                        undo the last step; Delta <- max(beta Delta, Delta_min)
                                                               w <- w - sign(prevD) Delta

    rotated here so that it starts with the derivative. Every weight keeps the direction of its
    first derivative forever (a sign change only undoes and shrinks the step, prevD is not
    updated), so once coupling moves a weight's optimum behind it, it stalls. ``dw`` in the
    state is the last forward step.
    """

    delta0: float = 0.1
    eta_plus: float = 1.2
    eta_minus: float = 0.5
    delta_min: float = 1e-6
    delta_max: float = 50.0

    def __post_init__(self):
        _check(self)

    def init(self, w) -> RpropState:
        return _init(self, w)

    def step(self, objective, w, state: RpropState):
        g = objective.grad(w)
        if state.k == 0:
            direction, delta, g_prev, undo = np.sign(g), state.delta, g, 0.0
        else:
            direction = -np.sign(state.dw)
            same = np.sign(state.g_prev) == np.sign(g)
            delta = np.where(same, np.minimum(self.eta_plus * state.delta, self.delta_max),
                             np.maximum(self.eta_minus * state.delta, self.delta_min))
            g_prev = np.where(same, g, state.g_prev)  # the slides update prevD only on the same sign
            undo = np.where(same, 0.0, -state.dw)
        dw = -direction * delta
        return w + (undo + dw), RpropState(state.k + 1, delta, g_prev, dw, np.nan)

    def step_(self, objective, w: np.ndarray, state: RpropState) -> RpropState:
        """``step``, copied into ``w`` and the state's arrays (a lecture example: no kernel)."""
        w_new, new = self.step(objective, w, state)
        np.copyto(w, w_new)
        for mine, theirs in zip(state[1:4], new[1:4]):
            np.copyto(mine, theirs)
        return RpropState(new.k, state.delta, state.g_prev, state.dw, new.loss)
