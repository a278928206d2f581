"""The rules of each homework part, per weight and step, and how a student's steps are held to them.

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

RTOL = 1e-6
_EPS = np.finfo(float).eps


def close(got, want, scale, w=0.0):
    """|got - want| <= RTOL * |scale| (+ rounding of w_new - w), elementwise; NaN never passes."""
    return np.abs(np.subtract(got, want)) <= RTOL * np.abs(scale) + 8 * _EPS * np.abs(w) + 1e-300


def nonzero(x, scale):
    """Whether x is distinguishable from 0 at the tolerance used for a quantity of size ``scale``."""
    return np.abs(x) > RTOL * np.abs(scale) + 1e-300


def fmt(x):
    x = np.asarray(x, dtype=float)
    return f"{float(x):.6g}" if x.ndim == 0 else "[" + ", ".join(f"{float(v):.6g}" for v in x.ravel()) + "]"


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


def _one_point(b, want, scale, what):
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
    problem = _one_point(b, w, np.abs(w) + 1.0, "w")
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
    problem = _one_point(b, w, np.abs(w) + 1.0, "w")
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


# --- Nesterov ------------------------------------------------------------------------------

NESTEROV = {
    "look_ahead": "the gradient is taken once per step, at the look-ahead point W + βΔW",
    "update": "ΔW ← βΔW - η∇E, with ∇E where your step took it (constant η)",
    "returns_w": "step returns the new W = W + βΔW - η∇E, not the look-ahead point (constant η)",
    "schedule": "with a schedule, ΔW ← βΔW - η_k∇E with η_k = lr(k), k = state['k'] the steps done so far; "
                "k + 1 stored",
}


def nesterov(t: Tally, ref, b):
    w, dwp, beta, ok = b.w, b.dw, ref.beta, b.ok
    lr, sched = b.lr[:, None], b.schedule
    look = w + beta * dwp
    every = np.ones(len(w), dtype=bool)
    t.broken(b, {"look_ahead": every, "update": every & (not sched), "returns_w": every & (not sched),
                 "schedule": every & sched})
    ws, dws, g = b.s_w, b.s_dw, b.s_grad.copy()
    none = np.isnan(g).any(axis=1) & ok  # no usable point: judge the update with the look-ahead gradient
    for k in np.flatnonzero(none):
        g[k] = b.grad(look[k])
    rows = lambda a: np.all(a, axis=1)  # noqa: E731 - a step's check holds at every weight
    moved = np.any(nonzero(ws - w, np.abs(w) * 1e-9) | nonzero(dws - dwp, np.abs(dwp) * 1e-9), axis=1)
    problem = _one_point(b, look, np.abs(beta * dwp), "the look-ahead point W + βΔW")
    at_w = np.array([ok[k] and len(p) == 1 and p[0].shape == w[k].shape and bool(np.all(close(p[0], w[k], 0.0, w[k])))
                     for k, p in enumerate(b.points)])
    torch_form = rows(close(ws, w - lr * g + beta * dws, np.abs(lr * g) + np.abs(dws), w))
    looks = rows(nonzero(beta * dwp, dwp))

    def look_message(k, i):
        if at_w[k]:
            return problem[k] + (" — that is W itself: " + (
                "your step is the Sutskever form of torch's and Keras's SGD(nesterov=True), whose parameter already "
                "is the look-ahead point; this homework's W is not, so evaluate at W + βΔW" if torch_form[k] else
                "plain momentum takes it there; Nesterov looks ahead first"))
        return problem[k]

    t.add("look_ahead", ok, problem == "", looks & moved, look_message,
          vacuous="your step never changed W or ΔW, so where it took the gradient earned nothing")
    want = beta * dwp - lr * g
    scale = np.abs(beta * dwp) + np.abs(lr * g)
    if not sched:
        t.add("update", ok, rows(close(dws, want, scale)), True, lambda k, i: (
            f"ΔW = βΔW - η∇E = {beta:g} × {fmt(dwp[k])} - {b.lr[k]:.6g} × {fmt(g[k])} = {fmt(want[k])}; yours is "
            f"{fmt(dws[k])}{_nesterov_hint(dws[k], dwp[k], g[k], beta, b.lr[k], want[k], scale[k])}"))
        t.add("returns_w", ok, rows(close(ws - w, want, scale, w)), True, lambda k, i: (
            f"step should return W + ΔW = {fmt(w[k] + want[k])}; yours is {fmt(ws[k])}"
            + _returns_hint(w[k], ws[k], want[k], beta, torch_form[k])))
        return
    t.add("schedule", ok, rows(close(dws, want, scale)), True, lambda k, i: (
        f"the learning rate of this step is lr(k) with k = {b.k[k]}: η = {b.lr[k]:.6g}, so ΔW = {fmt(want[k])}; "
        f"yours is {fmt(dws[k])}{_schedule_hint(b, ref, k, scale[k])}"))
    t.add("schedule", ok, b.s_k == b.k + 1, True, lambda k, i: (
        f"the state must count steps for lr(k): k should be {b.k[k] + 1}, yours is {b.s_k_raw[k]!r}"),
        rule="k counts steps")


def _nesterov_hint(dws, dwp, g, beta, lr, want, scale):
    if np.all(close(dws, -want, scale)):
        return " (the opposite sign: this homework stores the step ΔW itself, not its negative)"
    if np.all(close(dws, beta * dwp + g, np.abs(beta * dwp) + np.abs(g))) or np.all(
            close(dws, -(beta * dwp / lr) + g, np.abs(beta * dwp / lr) + np.abs(g))):
        return (" (a gradient buffer v = βv + ∇E, as MXNet's NAG and torch's momentum_buffer keep it: the "
                "opposite sign and no η; this homework stores the step ΔW = -ηv)")
    if np.all(close(dws, beta * dwp - g, np.abs(beta * dwp) + np.abs(g))):
        return " (without η)"
    return ""


def _returns_hint(w, ws, want, beta, torch_form):
    if np.all(close(ws, w + want + beta * want, np.abs(want) * (1 + beta), w)):
        return ("; that is the look-ahead point W + ΔW + βΔW, as torch's SGD(nesterov=True) stores its parameter: "
                "this homework's step returns W + ΔW")
    if torch_form:
        return ("; that is W - η∇E + βΔW_new, the Sutskever form of torch's and Keras's SGD(nesterov=True), whose "
                "parameter is the look-ahead point: this homework's step returns W + ΔW")
    if np.all(close(ws, w, want, w)):
        return "; that is W itself: your step did not move"
    return ""


def _schedule_hint(b, ref, k, scale):
    for j in (0, b.k[k] - 1, b.k[k] + 1):
        if j >= 0 and j != b.k[k]:
            lr_j = b.lr_of(j)
            if np.all(close(b.s_dw[k], ref.beta * b.dw[k] - lr_j * b.s_grad[k], scale)):
                return f", which is what lr({j}) = {lr_j:.6g} gives"
    return ""
