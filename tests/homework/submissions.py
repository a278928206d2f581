"""Submissions beyond the single-mistake variants, each with the behaviours it must lose (every
behaviour of its part not listed must be earned) and a phrase its first message must contain.

``CASES[name] = (part, source, behaviours it loses, phrase or None)``. The expectations were
written from the rules before the grader was run on them: placeholders lose everything;
combined mistakes lose the union of what the rules that apply say; ports of torch and Keras lose
what their convention breaks and are named in the message; unusual correct styles lose nothing.
"""
from homework.variants import CORRECT, WRONG, _nesterov, _quickprop, _rprop

PARTS = {"rprop": ("step", "growth", "shrink", "clamps", "backtracking"),
         "quickprop": ("fallback", "secant", "growth_limit"),
         "nesterov": ("look_ahead", "update", "returns_w", "schedule")}
ALL = {part: set(behaviours) for part, behaviours in PARTS.items()}
HEADER = {p: CORRECT[p][: CORRECT[p].index("    def step")] for p in CORRECT}  # class, __init__, init


def _placeholder(part, body):
    return HEADER[part] + "    def step(self, objective, w, state):\n" + body


_GRADIENT = {"rprop": "objective.grad(w)", "quickprop": "objective.grad(w)",
             "nesterov": 'objective.grad(w + self.beta * state["dw"])'}
PLACEHOLDERS = {}
for _part in PARTS:
    PLACEHOLDERS.update({
        f"{_part}_returns_inputs": (_part, _placeholder(_part, "        return w, state\n")),
        f"{_part}_returns_zeros": (_part, _placeholder(_part, (
            "        return np.zeros_like(w), {key: 0 if key == 'k' else np.zeros_like(w) for key in state}\n"))),
        f"{_part}_returns_nan": (_part, _placeholder(_part, (
            "        nan = np.full_like(w, np.nan)\n"
            "        return nan, {key: state[key] + 1 if key == 'k' else nan for key in state}\n"))),
        f"{_part}_gradient_then_inputs": (_part, _placeholder(_part, (
            f"        g = {_GRADIENT[_part]}\n        return w, state\n"))),
        f"{_part}_inputs_with_new_k": (_part, _placeholder(_part, (
            "        return w.copy(), {**state, 'k': state.get('k', 0) + 1}\n"))),
    })

TORCH_RPROP = '''
class Rprop:  # torch.optim.Rprop's loop, ported to this homework's state (iRprop-)
    def __init__(self, delta0=0.1, eta_plus=1.2, eta_minus=0.5, delta_min=1e-6, delta_max=50.0):
        self.lr, self.etaminus, self.etaplus = delta0, eta_minus, eta_plus
        self.step_size_min, self.step_size_max = delta_min, delta_max

    def init(self, w):
        w = np.asarray(w, dtype=float)
        return {"delta": np.full_like(w, self.lr), "g_prev": np.zeros_like(w), "dw": np.zeros_like(w)}

    def step(self, objective, w, state):
        grad = np.array(objective.grad(w))
        sign = np.sign(grad * state["g_prev"])
        sign[sign > 0] = self.etaplus
        sign[sign < 0] = self.etaminus
        sign[sign == 0] = 1
        step_size = np.clip(state["delta"] * sign, self.step_size_min, self.step_size_max)
        grad[sign == self.etaminus] = 0
        dw = -np.sign(grad) * step_size
        return w + dw, {"delta": step_size, "g_prev": grad, "dw": dw}
'''

TORCH_NESTEROV = '''
class Nesterov:  # torch.optim.SGD(momentum=beta, nesterov=True), ported to this homework's state
    def __init__(self, lr, beta=0.9):
        self.lr, self.momentum = lr, beta

    def init(self, w):
        return {"k": 0, "dw": np.zeros_like(np.asarray(w, dtype=float))}

    def step(self, objective, w, state):
        lr = self.lr(state["k"]) if callable(self.lr) else self.lr
        buf = -state["dw"] / lr  # torch's momentum_buffer; the lecture's step is -lr * buf
        g = objective.grad(w)  # torch takes the gradient at its parameter
        buf = self.momentum * buf + g
        p = w - lr * (g + self.momentum * buf)
        return p, {"k": state["k"] + 1, "dw": -lr * buf}
'''

KERAS_NESTEROV = '''
class Nesterov:  # keras.optimizers.SGD(momentum=beta, nesterov=True)
    def __init__(self, lr, beta=0.9):
        self.lr, self.beta = lr, beta

    def init(self, w):
        return {"k": 0, "dw": np.zeros_like(np.asarray(w, dtype=float))}

    def step(self, objective, w, state):
        lr = self.lr(state["k"]) if callable(self.lr) else self.lr
        g = objective.grad(w)
        velocity = self.beta * state["dw"] - lr * g
        return w + self.beta * velocity - lr * g, {"k": state["k"] + 1, "dw": velocity}
'''

LOOPS = {
    "rprop": '''
class Rprop:  # one weight at a time, in plain Python
    def __init__(self, delta0=0.1, eta_plus=1.2, eta_minus=0.5, delta_min=1e-6, delta_max=50.0):
        self.delta0, self.up, self.down, self.lo, self.hi = delta0, eta_plus, eta_minus, delta_min, delta_max

    def init(self, w):
        n = len(w)
        return {"delta": [self.delta0] * n, "g_prev": [0.0] * n, "dw": [0.0] * n}

    def step(self, objective, w, state):
        g = list(objective.grad(w))
        new_w, delta, g_prev, dw = [], [], [], []
        for i in range(len(g)):
            d, s = float(state["delta"][i]), float(state["g_prev"][i]) * g[i]
            if s > 0:
                d = min(d * self.up, self.hi)
            elif s < 0:
                d = max(d * self.down, self.lo)
            if s < 0:
                step, gi = -float(state["dw"][i]), 0.0
            else:
                step, gi = (-d if g[i] > 0 else d if g[i] < 0 else 0.0), g[i]
            new_w.append(float(w[i]) + step)
            delta.append(d)
            g_prev.append(gi)
            dw.append(step)
        return np.array(new_w), {"delta": np.array(delta), "g_prev": np.array(g_prev), "dw": np.array(dw)}
''',
    "quickprop": '''
class Quickprop:  # one weight at a time, in plain Python
    def __init__(self, lr, max_growth=1.75):
        self.lr, self.mu = lr, max_growth

    def init(self, w):
        return {"k": 0, "dw": [0.0] * len(w), "g_prev": [0.0] * len(w)}

    def step(self, objective, w, state):
        eta = self.lr(state["k"]) if callable(self.lr) else self.lr
        g = [float(x) for x in objective.grad(w)]
        out, dws = [], []
        for i, gi in enumerate(g):
            last, before = float(state["dw"][i]), float(state["g_prev"][i])
            if last == 0.0 or before == gi:
                step = -eta * gi
            else:
                factor = gi / (before - gi)
                if self.mu is not None and (factor > self.mu or factor < -1.0):
                    factor = self.mu
                step = factor * last
            out.append(float(w[i]) + step)
            dws.append(step)
        return np.array(out), {"k": state["k"] + 1, "dw": np.array(dws), "g_prev": np.array(g)}
''',
    "nesterov": '''
class Nesterov:  # one weight at a time, in plain Python
    def __init__(self, lr, beta=0.9):
        self.lr, self.beta = lr, beta

    def init(self, w):
        return {"k": 0, "dw": [0.0] * len(w)}

    def step(self, objective, w, state):
        eta = self.lr(state["k"]) if callable(self.lr) else self.lr
        ahead = [float(wi) + self.beta * float(di) for wi, di in zip(w, state["dw"])]
        g = objective.grad(np.array(ahead))
        dw = [self.beta * float(di) - eta * float(gi) for di, gi in zip(state["dw"], g)]
        return np.array([float(wi) + di for wi, di in zip(w, dw)]), {"k": state["k"] + 1, "dw": np.array(dw)}
''',
}

SELECT = {
    "rprop": _rprop(body='''s = np.sign(product)
        cases = [s > 0, s < 0]
        delta = np.select(cases, [np.minimum(state["delta"] * self.eta_plus, self.delta_max),
                                  np.maximum(state["delta"] * self.eta_minus, self.delta_min)], state["delta"])
        dw = np.select([s < 0], [-state["dw"]], -np.sign(g) * delta)
        return w + dw, {"delta": delta, "g_prev": np.select([s < 0], [0.0], g), "dw": dw}'''),
    "quickprop": '''
class Quickprop:
    def __init__(self, lr, max_growth=1.75):
        self.lr, self.max_growth = lr, max_growth

    def init(self, w):
        z = np.zeros(np.shape(w))
        return {"k": 0, "dw": z, "g_prev": z.copy()}

    def step(self, objective, w, state):
        eta = self.lr(state["k"]) if callable(self.lr) else self.lr
        g, dw, gp = objective.grad(w), state["dw"], state["g_prev"]
        fit = (dw != 0) & (gp != g)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = g / (gp - g)
        mu = np.inf if self.max_growth is None else self.max_growth
        limited = fit & ((r > mu) | (r < -1)) & (self.max_growth is not None)
        step = np.select([~fit, limited], [-eta * g, mu * dw], r * dw)
        return w + step, {"k": state["k"] + 1, "dw": step, "g_prev": g}
''',
    "nesterov": '''
class Nesterov:
    def __init__(self, lr, beta=0.9):
        self.lr, self.beta = lr, beta

    def init(self, w):
        return dict(k=0, dw=np.zeros(len(w)))

    def step(self, objective, w, state):
        k, dw = state["k"], state["dw"]
        eta = np.select([callable(self.lr)], [self.lr(k) if callable(self.lr) else 0.0], self.lr if not callable(self.lr) else 0.0)
        new = self.beta * dw - float(eta) * objective.grad(w + self.beta * dw)
        return w + new, dict(k=k + 1, dw=new)
''',
}

CASES = {
    **{name: (part, source, ALL[part], None) for name, (part, source) in PLACEHOLDERS.items()},
    # two and three mistakes in one part: no mistake may hide another's points
    "rprop_swapped_etas_no_backtracking": ("rprop", _rprop(
        grow='np.minimum(state["delta"] * self.eta_minus, self.delta_max)',
        shrink='np.maximum(state["delta"] * self.eta_plus, self.delta_min)',
        body=WRONG["rprop_no_backtracking"][1][WRONG["rprop_no_backtracking"][1].index("dw = -np.sign"):].strip()),
        {"growth", "shrink", "clamps", "backtracking"}, None),
    "rprop_no_clamps_no_backtracking_old_delta": ("rprop", _rprop(
        grow='state["delta"] * self.eta_plus', shrink='state["delta"] * self.eta_minus', body='''dw = -np.sign(g) * state["delta"]
        return w + dw, {"delta": delta, "g_prev": g, "dw": dw}'''), {"step", "clamps", "backtracking"}, None),
    "quickprop_slides_sign_no_guard": ("quickprop", _quickprop(change='g - state["g_prev"]',
                                                               guard="np.ones_like(g, dtype=bool)"),
                                       {"fallback", "secant", "growth_limit"}, None),
    "nesterov_three_mistakes": ("nesterov", _nesterov(lr='self.lr(0) if callable(self.lr) else self.lr', point="w",
                                                      result="w + dw + self.beta * dw"),
                                {"look_ahead", "returns_w", "schedule"}, "plain momentum"),
    # Quickprop: one rule each
    "quickprop_caps_only_above": ("quickprop", CORRECT["quickprop"].replace(
        "(factor > self.max_growth) | (factor < -1.0)", "factor > self.max_growth"), {"growth_limit"}, "below -1"),
    "quickprop_limits_the_absolute_step": ("quickprop", CORRECT["quickprop"].replace(
        '''            factor = np.where((factor > self.max_growth) | (factor < -1.0), self.max_growth, factor)
        dw = np.where(secant, factor * state["dw"], -lr * g)''',
        '''            limit = self.max_growth * np.abs(state["dw"])
            dw = np.where(secant, np.clip(factor * state["dw"], -limit, limit), -lr * g)
        else:
            dw = np.where(secant, factor * state["dw"], -lr * g)'''), {"growth_limit"}, "is below -1"),
    "quickprop_first_step_by_counting": ("quickprop", _quickprop(guard='(state["k"] > 0) & (change != 0)'),
                                         {"fallback"}, "the previous step was 0"),
    # Rprop: a tiny wrong step where Δ has reached Δmin
    "rprop_tiny_wrong_step_near_delta_min": ("rprop", _rprop(body='''dw = np.where(flipped, -state["dw"], -np.sign(g) * np.where(delta < 1e-5, 1.01 * delta, delta))
        return w + dw, {"delta": delta, "g_prev": np.where(flipped, 0.0, g), "dw": dw}'''), {"step"}, "the step is -sign(g)·Δ"),
    # ports of public implementations: the points their convention keeps, and its name
    "torch_rprop": ("rprop", TORCH_RPROP, {"backtracking"}, "torch.optim.Rprop"),
    "torch_sgd_nesterov": ("nesterov", TORCH_NESTEROV, {"look_ahead", "returns_w"}, "torch's and Keras's"),
    "keras_nesterov": ("nesterov", KERAS_NESTEROV, {"look_ahead", "returns_w"}, "torch's and Keras's"),
    # correct solutions in unusual styles
    **{f"{part}_python_loops": (part, LOOPS[part], set(), None) for part in PARTS},
    **{f"{part}_np_select": (part, SELECT[part], set(), None) for part in PARTS},
}

# Implements no rule: looks for the reference's inputs and outputs in every object, frame, file,
# descriptor and variable it can reach, and returns the best match it finds (else its input).
SEARCHER = '''
import gc, os, sys


def _candidates(w, state):
    found = []
    def consider(obj):
        if isinstance(obj, dict) and "w" in obj and isinstance(obj.get("state"), dict):
            found.append((obj["w"], obj["state"]))
    for obj in gc.get_objects():
        try:
            consider(obj)
            if isinstance(obj, (list, tuple)) and len(obj) == 2 and isinstance(obj[1], dict):
                found.append(obj)
        except Exception:
            pass
    for frame in list(sys._current_frames().values()):
        while frame is not None:
            for value in list(frame.f_locals.values()):
                consider(value)
            frame = frame.f_back
    for folder in ("/grading", "/tmp", os.getcwd()):
        try:
            for name in os.listdir(folder):
                try:
                    text = open(os.path.join(folder, name)).read()
                    found.append(("file", text))
                except Exception:
                    pass
        except Exception:
            pass
    for fd in range(3, 64):
        try:
            os.set_blocking(fd, False)
            found.append(("fd", os.read(fd, 1 << 16)))
        except Exception:
            pass
    found.append(("env", dict(os.environ)))
    try:
        import lectures_lib.optim
        found.append(("reference", lectures_lib.optim))
    except Exception:
        pass
    w = np.asarray(w, dtype=float)
    for cand_w, cand_state in found:
        try:
            cw = np.asarray(cand_w, dtype=float)
            if cw.shape == w.shape and not np.array_equal(cw, w) and set(state) <= set(cand_state):
                return cw, {key: np.asarray(cand_state[key], dtype=float) if key != "k" else cand_state[key]
                            for key in state}
        except Exception:
            pass
    return w, state

'''


def searcher(part):
    return SEARCHER + HEADER[part].lstrip("\n") + (
        "    def step(self, objective, w, state):\n        return _candidates(w, state)\n")
