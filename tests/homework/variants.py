"""Plausible wrong homework solutions, each with the behaviours it gets wrong.

Each variant is the source of one class as a student would write it in the solution cell;
``WRONG[name] = (part, source, behaviours it must lose)``.
"""

RPROP_CORRECT = '''
class Rprop:
    def __init__(self, delta0=0.1, eta_plus=1.2, eta_minus=0.5, delta_min=1e-6, delta_max=50.0):
        self.delta0, self.eta_plus, self.eta_minus = delta0, eta_plus, eta_minus
        self.delta_min, self.delta_max = delta_min, delta_max

    def init(self, w):
        w = np.asarray(w, dtype=float)
        return {"delta": np.full_like(w, self.delta0), "g_prev": np.zeros_like(w), "dw": np.zeros_like(w)}

    def step(self, objective, w, state):
        g = objective.grad(w)
        product = state["g_prev"] * g
        same, flipped = product > 0, product < 0
        delta = np.where(same, GROW, np.where(flipped, SHRINK, state["delta"]))
        BODY
'''
_GROW = 'np.minimum(state["delta"] * self.eta_plus, self.delta_max)'
_SHRINK = 'np.maximum(state["delta"] * self.eta_minus, self.delta_min)'
_BACKTRACK = '''dw = np.where(flipped, -state["dw"], -np.sign(g) * delta)
        return w + dw, {"delta": delta, "g_prev": np.where(flipped, 0.0, g), "dw": dw}'''


def _rprop(grow=_GROW, shrink=_SHRINK, body=_BACKTRACK):
    return RPROP_CORRECT.replace("GROW", grow).replace("SHRINK", shrink).replace("BODY", body)


QUICKPROP = '''
class Quickprop:
    def __init__(self, lr, max_growth=1.75):
        self.lr, self.max_growth = lr, max_growth

    def init(self, w):
        w = np.asarray(w, dtype=float)
        return {"k": 0, "dw": np.zeros_like(w), "g_prev": np.zeros_like(w)}

    def step(self, objective, w, state):
        lr = self.lr(state["k"]) if callable(self.lr) else self.lr
        g = objective.grad(w)
        change = CHANGE
        secant = GUARD
        factor = g / np.where(secant, change, 1.0)
        if self.max_growth is not None:
            factor = np.where((factor > self.max_growth) | (factor < -1.0), self.max_growth, factor)
        dw = np.where(secant, factor * state["dw"], -lr * g)
        return w + dw, {"k": state["k"] + 1, "dw": dw, "g_prev": g}
'''


def _quickprop(guard='(state["dw"] != 0) & (change != 0)', change='state["g_prev"] - g'):
    return QUICKPROP.replace("GUARD", guard).replace("CHANGE", change)


NESTEROV = '''
class Nesterov:
    def __init__(self, lr, beta=0.9):
        self.lr, self.beta = lr, beta

    def init(self, w):
        return {"k": 0, "dw": np.zeros_like(np.asarray(w, dtype=float))}

    def step(self, objective, w, state):
        lr = LR
        dw = self.beta * state["dw"] - lr * objective.grad(POINT)
        return RESULT, {"k": state["k"] + 1, "dw": dw}
'''


def _nesterov(lr='self.lr(state["k"]) if callable(self.lr) else self.lr', point='w + self.beta * state["dw"]',
              result="w + dw"):
    return NESTEROV.replace("LR", lr).replace("POINT", point).replace("RESULT", result)


CORRECT = {"rprop": _rprop(), "quickprop": _quickprop(), "nesterov": _nesterov()}

WRONG = {
    "rprop_no_backtracking": ("rprop", _rprop(body='''dw = -np.sign(g) * delta
        return w + dw, {"delta": delta, "g_prev": g, "dw": dw}'''), {"backtracking"}),
    "rprop_swapped_etas": ("rprop", _rprop(grow='np.minimum(state["delta"] * self.eta_minus, self.delta_max)',
                                           shrink='np.maximum(state["delta"] * self.eta_plus, self.delta_min)'),
                           {"growth", "shrink", "clamps"}),  # where η⁺Δ passes Δmax the clamp's rule applies
    "rprop_no_clamps": ("rprop", _rprop(grow='state["delta"] * self.eta_plus', shrink='state["delta"] * self.eta_minus'),
                        {"clamps"}),
    # the slides' reading: Δw^(k) = Δw^(k-1) g / (g - g'), with Δw still the step taken: uphill
    # the slides' sign also misses the cap where -μ <= g/(g' - g) < -1 (its factor is then in (1, μ])
    "quickprop_slides_sign": ("quickprop", _quickprop(change='g - state["g_prev"]'), {"secant", "growth_limit"}),
    "quickprop_no_zero_slope_guard": ("quickprop", _quickprop(guard="np.ones_like(g, dtype=bool)"), {"fallback"}),
    "nesterov_gradient_at_w": ("nesterov", _nesterov(point="w"), {"look_ahead"}),
    "nesterov_plain_momentum": ("nesterov", '''
class Nesterov:  # torch.optim.SGD(momentum) in the lecture's state: v = beta v + g; W -= lr v
    def __init__(self, lr, beta=0.9):
        self.lr, self.beta = lr, beta

    def init(self, w):
        return {"k": 0, "dw": np.zeros_like(np.asarray(w, dtype=float))}

    def step(self, objective, w, state):
        lr = self.lr(state["k"]) if callable(self.lr) else self.lr
        v = -state["dw"] / lr * self.beta + objective.grad(w)
        return w - lr * v, {"k": state["k"] + 1, "dw": -lr * v}
''', {"look_ahead"}),
    "nesterov_lr_twice": ("nesterov", _nesterov(result="w + lr * dw"), {"returns_w"}),  # ΔW right, W wrong
    "nesterov_returns_look_ahead": ("nesterov", _nesterov(result="w + dw + self.beta * dw"), {"returns_w"}),
    "nesterov_ignores_schedule": ("nesterov", _nesterov(lr='self.lr(0) if callable(self.lr) else self.lr'),
                                  {"schedule"}),
}
