"""The homework's reference solution and plausible wrong solutions, from one source: the
assignment notebook's solution cells.

``CORRECT[part]`` is the notebook's solution cell of that part with nbgrader's
``### BEGIN SOLUTION`` / ``### END SOLUTION`` lines removed: the class as a student who solved it
would submit it. Each wrong variant is made from it by replacing named pieces of its text
(``template``: every piece must occur exactly once, else a ValueError names it, so a notebook
that drifts from the variants fails at import); ``WRONG[name] = (part, source, behaviours it must
lose)``. Instructor material: it lives in ``autograde/``, which never reaches ``release/`` nor a
student's install, and it imports nothing but the standard library (the tests and
``bench/grade.py`` load it by path).
"""
from __future__ import annotations

import json
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parents[1] / "optimizers.ipynb"
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def solution_cells(notebook: Path = NOTEBOOK) -> dict[str, str]:
    """{part: source} of the notebook's solution cells (grade id ``<part>_solution``), markers removed."""
    cells = json.loads(Path(notebook).read_text(encoding="utf8"))["cells"]
    out = {}
    for cell in cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if gid.endswith("_solution"):
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            lines = [line for line in source.splitlines() if line.strip() not in MARKERS]
            out[gid[: -len("_solution")]] = "\n".join(lines) + "\n"
    return out


def template(source: str, pieces: dict[str, str]) -> str:
    """``source`` with each piece's text replaced by its name (a placeholder); each text must
    occur exactly once."""
    for name, text in pieces.items():
        if name in source:
            raise ValueError(f"the placeholder {name} is already in the solution's text")
        if source.count(text) != 1:
            raise ValueError(f"the solution's text for {name} ({text!r}) occurs {source.count(text)} times, "
                             "not once: the notebook and the variants have drifted")
        source = source.replace(text, name)
    return source


def fill(template_: str, defaults: dict[str, str], **changes: str) -> str:
    """The template with every placeholder replaced by its change, else by its default."""
    unknown = set(changes) - {k.lower() for k in defaults}
    if unknown:
        raise ValueError(f"no such piece: {sorted(unknown)}")
    for name, text in defaults.items():
        template_ = template_.replace(name, changes.get(name.lower(), text))
    return template_


SOLUTIONS = solution_cells()

RPROP_PIECES = {
    "GROW": 'np.minimum(state["delta"] * self.eta_plus, self.delta_max)',
    "SHRINK": 'np.maximum(state["delta"] * self.eta_minus, self.delta_min)',
    "BODY": SOLUTIONS["rprop"][SOLUTIONS["rprop"].index('dw = np.where(flipped'):].rstrip("\n"),
}
QUICKPROP_PIECES = {"GUARD": '(state["dw"] != 0) & (change != 0)', "CHANGE": 'state["g_prev"] - g'}
NESTEROV_PIECES = {"LR": 'self.lr(state["k"]) if callable(self.lr) else self.lr',
                   "POINT": 'w + self.beta * state["dw"]', "RESULT": "w + dw"}
NESTEROV_PIECES_AT = {"LR": "lr = ", "POINT": "objective.grad(", "RESULT": "return "}  # where each stands
RPROP_CORRECT = template(SOLUTIONS["rprop"], RPROP_PIECES)
QUICKPROP = template(SOLUTIONS["quickprop"], QUICKPROP_PIECES)
NESTEROV = template(SOLUTIONS["nesterov"], {k: NESTEROV_PIECES_AT[k] + v for k, v in NESTEROV_PIECES.items()})


def _rprop(**changes):
    return fill(RPROP_CORRECT, RPROP_PIECES, **changes)


def _quickprop(**changes):
    return fill(QUICKPROP, QUICKPROP_PIECES, **changes)


def _nesterov(**changes):
    return fill(NESTEROV, {k: NESTEROV_PIECES_AT[k] + v for k, v in NESTEROV_PIECES.items()},
                **{k: NESTEROV_PIECES_AT[k.upper()] + v for k, v in changes.items()})


CORRECT = {"rprop": _rprop(), "quickprop": _quickprop(), "nesterov": _nesterov()}

# name: (part, the pieces it changes, behaviours it must lose)
CHANGES = {
    "rprop_no_backtracking": ("rprop", {"body": '''dw = -np.sign(g) * delta
        return w + dw, {"delta": delta, "g_prev": g, "dw": dw}'''}, {"backtracking"}),
    "rprop_swapped_etas": ("rprop", {"grow": 'np.minimum(state["delta"] * self.eta_minus, self.delta_max)',
                                     "shrink": 'np.maximum(state["delta"] * self.eta_plus, self.delta_min)'},
                           {"growth", "shrink", "clamps"}),  # where η⁺Δ passes Δmax the clamp's rule applies
    "rprop_no_clamps": ("rprop", {"grow": 'state["delta"] * self.eta_plus', "shrink": 'state["delta"] * self.eta_minus'},
                        {"clamps"}),
    # the slides' reading: Δw^(k) = Δw^(k-1) g / (g - g'), with Δw still the step taken: uphill
    # the slides' sign also misses the cap where -μ <= g/(g' - g) < -1 (its factor is then in (1, μ])
    "quickprop_slides_sign": ("quickprop", {"change": 'g - state["g_prev"]'}, {"secant", "growth_limit"}),
    "quickprop_no_zero_slope_guard": ("quickprop", {"guard": "np.ones_like(g, dtype=bool)"}, {"fallback"}),
    "nesterov_gradient_at_w": ("nesterov", {"point": "w"}, {"look_ahead"}),
    "nesterov_lr_twice": ("nesterov", {"result": "w + lr * dw"}, {"returns_w"}),  # ΔW right, W wrong
    "nesterov_returns_look_ahead": ("nesterov", {"result": "w + dw + self.beta * dw"}, {"returns_w"}),
    "nesterov_ignores_schedule": ("nesterov", {"lr": 'self.lr(0) if callable(self.lr) else self.lr'}, {"schedule"}),
}
_BUILD = {"rprop": _rprop, "quickprop": _quickprop, "nesterov": _nesterov}

# a whole class, not a change of pieces: torch.optim.SGD(momentum) in the lecture's state
NESTEROV_PLAIN_MOMENTUM = '''
class Nesterov:  # torch.optim.SGD(momentum) in the lecture's state: v = beta v + g; W -= lr v
    def __init__(self, lr, beta=0.9):
        self.lr, self.beta = lr, beta

    def init(self, w):
        return {"k": 0, "dw": np.zeros_like(np.asarray(w, dtype=float))}

    def step(self, objective, w, state):
        lr = self.lr(state["k"]) if callable(self.lr) else self.lr
        v = -state["dw"] / lr * self.beta + objective.grad(w)
        return w - lr * v, {"k": state["k"] + 1, "dw": -lr * v}
'''

WRONG = {name: (part, _BUILD[part](**changes), lost) for name, (part, changes, lost) in CHANGES.items()}
WRONG["nesterov_plain_momentum"] = ("nesterov", NESTEROV_PLAIN_MOMENTUM, {"look_ahead"})
