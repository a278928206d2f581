"""Quickprop (Part B): the rules of its behaviours, per weight and step.

See ``autograder.rules`` for how a rule is applied, counted and reported."""
from __future__ import annotations

import numpy as np

from autograder import Part
from autograder.rules import Tally, close, nonzero, one_point

from . import REFERENCE

# --- Quickprop -----------------------------------------------------------------------------

QUICKPROP = {
    "fallback": "a gradient step -η_k·g where no parabola can be fitted (first step, previous step 0, slope "
                "unchanged); the gradient taken once, at w; k counting steps",
    "secant": "the secant step Δw'·g/(g' - g) to the minimum of the parabola through the two slopes",
    "growth_limit": "where the factor g/(g' - g) is above μ = max_growth or below -1, the step is μ·Δw' instead",
}


def quickprop(t: Tally, ref, b):
    w, g, gp, dwp, ok = b.w, b.g, b.g_prev, b.dw, b.ok[:, None]
    k, lr, mu = b.k[:, None], b.lr[:, None], ref.max_growth
    fallback = (dwp == 0) | (gp == g)
    r = np.where(fallback, 0.0, g / np.where(fallback, 1.0, gp - g))
    above = ~fallback & (r > mu) if mu is not None else np.zeros_like(fallback)
    below = ~fallback & (r < -1.0) if mu is not None else np.zeros_like(fallback)
    secant = ~fallback & ~above & ~below
    t.broken(b, {"fallback": np.ones_like(fallback), "secant": secant, "growth_limit": above | below})
    ws, dws, gs = b.s_w, b.s_dw, b.s_g_prev
    move = ws - w
    problem = one_point(b, w, np.abs(w) + 1.0, "w")
    t.add("fallback", problem != "", False, False, lambda k_, i: problem[k_])
    t.add("fallback", b.ok, b.s_k == b.k + 1, True, lambda k_, i: (
        f"the state must count steps: k should be {b.k[k_] + 1}, yours is {b.s_k_raw[k_]!r}"), rule="k counts steps")
    grad_step = -lr * g

    def why(k_, i):
        if b.k[k_] == 0:
            return "this is the first step"
        if dwp[k_, i] == 0:
            return f"the previous step was 0, while the slope went from {gp[k_, i]:.6g} to {g[k_, i]:.6g}"
        return f"the slope did not change (g' = g = {g[k_, i]:.6g})"

    kinds = (("first step", k == 0), ("previous step 0", (k > 0) & (dwp == 0)), ("slope unchanged", (k > 0) & (dwp != 0)))
    for name, kind in kinds:
        t.add("fallback", fallback & kind & ok, close(move, grad_step, grad_step, w), nonzero(g, g), lambda k_, i: (
            f"no parabola can be fitted ({why(k_, i)}), so the step is -η_k·g = -{b.lr[k_]:.6g} × {g[k_, i]:.6g} = "
            f"{grad_step[k_, i]:.6g}; yours is {move[k_, i]:.6g}"), rule=name)
    sec = r * dwp

    def hint(k_, i):
        return _quickprop_hint(move[k_, i], dwp[k_, i], r[k_, i], lr[k_, 0] * g[k_, i], mu, w[k_, i])

    t.add("secant", secant & ok, close(move, sec, sec, w), True, lambda k_, i: (
        f"previous step Δw' = {dwp[k_, i]:.6g}, slopes g' = {gp[k_, i]:.6g} and g = {g[k_, i]:.6g}: the secant step "
        f"is Δw'·g/(g' - g) = {dwp[k_, i]:.6g} × {r[k_, i]:.6g} = {sec[k_, i]:.6g}; yours is {move[k_, i]:.6g}"
        f"{hint(k_, i)}"))
    lim = (mu if mu is not None else 0.0) * dwp
    for name, mask in (("capped above", above), ("capped below", below)):
        t.add("growth_limit", mask & ok, close(move, lim, lim, w), True, lambda k_, i: (
            f"the secant factor g/(g' - g) = {g[k_, i]:.6g}/({gp[k_, i]:.6g} - {g[k_, i]:.6g}) = {r[k_, i]:.6g} is "
            + (f"above μ = {mu:g}" if above[k_, i] else "below -1 (the slope kept its sign and grew: the parabola "
                                                         "opens downward)")
            + f", so the step is μ·Δw' = {mu:g} × {dwp[k_, i]:.6g} = {lim[k_, i]:.6g}; yours is {move[k_, i]:.6g}"
            f"{hint(k_, i)}"), rule=name)
    for behaviour, mine in (("fallback", fallback), ("secant", secant), ("growth_limit", above | below)):
        t.add(behaviour, mine & ok, close(dws, move, move, w), False, lambda k_, i: (
            f"the state's dw must be the step just taken ({move[k_, i]:.6g}); yours holds {dws[k_, i]:.6g}"))
        t.add(behaviour, mine & ok, close(gs, g, g), False, lambda k_, i: (
            f"the state's g_prev must be this step's derivative ({g[k_, i]:.6g}); yours holds {gs[k_, i]:.6g}"))


def _quickprop_hint(move, dwp, r, lr_g, mu, w):
    if close(move, -r * dwp, r * dwp, w):
        return " (that is Δw'·g/(g - g'), the slides' sign, which climbs the parabola)"
    if close(move, r * dwp, r * dwp, w):
        return " (the uncapped secant step)"
    if mu is not None and close(move, -mu * dwp, mu * dwp, w):
        return " (you limited the size, |Δw| ≤ μ|Δw'|; the rule sets the step to μ·Δw', with Δw''s sign)"
    if close(move, r * dwp - lr_g, abs(r * dwp) + abs(lr_g), w):
        return (" (you add the gradient term -η·g, as Fahlman's original Quickprop does; the lecture's, and this "
                "homework's, does not)")
    return ""



PART = Part("quickprop", reference="lectures_lib.optim:Quickprop", behaviours=QUICKPROP, state_keys=("k", "dw", "g_prev"),
            rules=quickprop, init_owner={"k": "fallback", "dw": "fallback", "g_prev": "fallback"}, problems="quickprop", hide=REFERENCE)
