"""Rprop+ (Part A): the rules of its behaviours, per weight and step.

See ``autograder.rules`` for how a rule is applied, counted and reported."""
from __future__ import annotations

import numpy as np

from autograder import Part, Public
from autograder.rules import Tally, close, nonzero, one_point

from . import REFERENCE

# --- Rprop+ --------------------------------------------------------------------------------

RPROP = {
    "step": "the start (Δ = Δ0, g' = 0, Δw = 0); with no sign change a step of -sign(g)·Δ, remembering g and the step",
    "growth": "when the derivative keeps its sign (g'·g > 0), Δ grows to η⁺·Δ",
    "shrink": "when the derivative changes sign (g'·g < 0), Δ shrinks to η⁻·Δ",
    "clamps": "where η⁺·Δ would pass Δmax (or η⁻·Δ fall below Δmin), Δ becomes that bound",
    "backtracking": "on a sign change the previous step is undone (Δw = -Δw'), the derivative forgotten (g' = 0)",
}


def rprop(t: Tally, ref, b):
    """``b``: a scenario's steps (``checks._Batch``): inputs, the reference's g, the replies."""
    w, g, gp, d, dwp, ok = b.w, b.g, b.g_prev, b.delta, b.dw, b.ok[:, None]
    same, flip = gp * g > 0, gp * g < 0
    zero = ~same & ~flip
    up, down = ref.eta_plus * d, ref.eta_minus * d
    grow, grow_cap = same & (up <= ref.delta_max), same & (up > ref.delta_max)
    shrink, shrink_cap = flip & (down >= ref.delta_min), flip & (down < ref.delta_min)
    bound = np.where(grow_cap, ref.delta_max, ref.delta_min)
    t.broken(b, {"step": ~flip, "growth": grow, "shrink": shrink, "clamps": grow_cap | shrink_cap,
                 "backtracking": flip})
    ws, ds, gs, dws = b.s_w, b.s_delta, b.s_g_prev, b.s_dw
    move = ws - w
    problem = one_point(b, w, np.abs(w) + 1.0, "w")
    t.add("step", problem != "", False, False, lambda k, i: problem[k])

    def was(k, i):
        return f"before {gp[k, i]:.6g}, now {g[k, i]:.6g}"

    t.add("growth", grow & ok, close(ds, up, up), True, lambda k, i: (
        f"the derivative kept its sign ({was(k, i)}), so Δ grows to η⁺·Δ = {ref.eta_plus:g} × {d[k, i]:.6g} = "
        f"{up[k, i]:.6g}; yours is {ds[k, i]:.6g}{_rprop_hint(ds[k, i], d[k, i], ref, 'grow')}"))
    t.add("shrink", shrink & ok, close(ds, down, down), True, lambda k, i: (
        f"the derivative changed sign ({was(k, i)}), so Δ shrinks to η⁻·Δ = {ref.eta_minus:g} × {d[k, i]:.6g} = "
        f"{down[k, i]:.6g}; yours is {ds[k, i]:.6g}{_rprop_hint(ds[k, i], d[k, i], ref, 'shrink')}"))
    for cap, name in ((grow_cap, "Δmax"), (shrink_cap, "Δmin")):
        t.add("clamps", cap & ok, close(ds, bound, bound), ~close(bound, d, bound), lambda k, i: (
            (f"η⁺·Δ = {ref.eta_plus:g} × {d[k, i]:.6g} = {up[k, i]:.6g} is above Δmax = {ref.delta_max:g}"
             if grow_cap[k, i] else
             f"η⁻·Δ = {ref.eta_minus:g} × {d[k, i]:.6g} = {down[k, i]:.6g} is below Δmin = {ref.delta_min:g}")
            + f", so Δ becomes {bound[k, i]:.6g}; yours is {ds[k, i]:.6g}{_rprop_hint(ds[k, i], d[k, i], ref, 'cap')}"),
            vacuous="Δ was already at the bound every time, so a step that leaves Δ alone could not fail", rule=name)
    # the step, with the student's own new Δ (a wrong Δ is growth's or shrink's fault, not the step's)
    want = -np.sign(g) * ds
    new_delta = np.where(same, np.minimum(up, ref.delta_max), d)
    right = close(move, want, ds, w) | close(move, -np.sign(g) * new_delta, new_delta, w)
    t.add("step", zero & ok, close(ds, d, d), False, lambda k, i: (
        f"with no previous derivative to compare (g'·g = 0), Δ stays {d[k, i]:.6g}; yours became {ds[k, i]:.6g}"))
    t.add("step", ~flip & ok, right, nonzero(g, g) & nonzero(ds, d), lambda k, i: (
        f"the step is -sign(g)·Δ = -sign({g[k, i]:.6g}) × {ds[k, i]:.6g}, so w becomes {w[k, i] + want[k, i]:.6g}; "
        f"yours is {ws[k, i]:.6g}"), vacuous="your Δ was never positive, so no step could be checked")
    t.add("step", ~flip & ok, close(gs, g, g), ~close(g, gp, g), lambda k, i: (
        f"the state must remember this derivative, g' = {g[k, i]:.6g}; yours holds {gs[k, i]:.6g}"))
    t.add("step", ~flip & ok, close(dws, move, move, w), nonzero(move, d), lambda k, i: (
        f"the state's Δw must be the step just taken ({move[k, i]:.6g}, so that a sign change can undo it); "
        f"yours holds {dws[k, i]:.6g}"))
    # backtracking where the sign changed
    t.add("backtracking", flip & ok, close(move, -dwp, dwp, w), dwp != 0, lambda k, i: (
        f"the derivative changed sign ({was(k, i)}): Rprop+ undoes the previous step {dwp[k, i]:.6g}, so w goes "
        f"back to {w[k, i] - dwp[k, i]:.6g}; yours is {ws[k, i]:.6g}{_backtrack_hint(b, k, i)}"))
    t.add("backtracking", flip & ok, close(gs, 0.0, gp), True, lambda k, i: (
        f"after undoing a step the derivative is forgotten (g' = 0), so the next step does not adapt Δ; "
        f"yours holds {gs[k, i]:.6g}{_backtrack_hint(b, k, i)}"))
    t.add("backtracking", flip & ok, close(dws, -dwp, dwp), dwp != 0, lambda k, i: (
        f"after undoing a step the state's Δw is the step just taken, -Δw' = {-dwp[k, i]:.6g}; yours holds "
        f"{dws[k, i]:.6g}"))


def _rprop_hint(got, d, ref, rule):
    for factor, name in ((ref.eta_plus, "η⁺·Δ"), (ref.eta_minus, "η⁻·Δ"), (1.0, "Δ unchanged")):
        if close(got, factor * d, factor * d) and not (rule == "grow" and factor == ref.eta_plus):
            return f" ({name})"
    return ""


def _backtrack_hint(b, k, i):
    w, move, gs = b.w[k, i], b.s_w[k, i] - b.w[k, i], b.s_g_prev[k, i]
    if close(move, 0.0, b.dw[k, i], w) and close(gs, 0.0, b.g_prev[k, i]):
        return (". Your step stays put and zeroes the derivative: that is iRprop⁻, what torch.optim.Rprop does; "
                "this homework's Rprop+ goes back instead")
    if close(move, -np.sign(b.g[k, i]) * b.s_delta[k, i], b.s_delta[k, i], w):
        return ". Your step goes on with -sign(g)·Δ: that is Rprop⁻ (no weight-backtracking)"
    return ""



PART = Part("rprop", reference="lectures_lib.optim:Rprop", behaviours=RPROP, state_keys=("delta", "g_prev", "dw"),
            rules=rprop, init_owner={"delta": "step", "g_prev": "step", "dw": "step"}, problems="rprop", hide=REFERENCE,
            public=(Public("torch.optim.Rprop", "torch/optim/rprop.py:_single_tensor_rprop", "BSD-3-Clause"),))
