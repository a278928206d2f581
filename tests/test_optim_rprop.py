"""Rprop and its variants against a per-weight scalar loop written from the published
pseudo-code (Riedmiller & Braun 1993; Igel & Huesken 2000), and torch.optim.Rprop."""
import numpy as np
import pytest

from lectures_lib import objectives, optim


def reference_rprop(grad, value, w0, steps, variant, delta0=0.1, up=1.2, down=0.5, dmin=1e-6, dmax=50.0):
    """A second implementation, one weight at a time, as the papers write it."""
    w = [float(x) for x in w0]
    n = len(w)
    delta, g_prev, dw = [delta0] * n, [0.0] * n, [0.0] * n
    loss_prev, out = float("inf"), [list(w)]
    for _ in range(steps):
        g = [float(x) for x in grad(np.array(w))]
        loss = value(np.array(w))
        new_w = list(w)
        for i in range(n):
            s = g_prev[i] * g[i]
            sign = (g[i] > 0) - (g[i] < 0)
            if s > 0:
                delta[i] = min(delta[i] * up, dmax)
                dw[i] = -sign * delta[i]
                new_w[i] += dw[i]
                g_prev[i] = g[i]
            elif s < 0:
                delta[i] = max(delta[i] * down, dmin)
                if variant == "Rprop-":
                    dw[i] = -sign * delta[i]
                    new_w[i] += dw[i]
                    g_prev[i] = g[i]
                elif variant == "Rprop+":
                    new_w[i] -= dw[i]
                    dw[i] = -dw[i]
                    g_prev[i] = 0.0
                elif variant == "iRprop+":
                    if loss > loss_prev:
                        new_w[i] -= dw[i]
                        dw[i] = -dw[i]
                    else:
                        dw[i] = 0.0
                    g_prev[i] = 0.0
                else:  # iRprop-
                    dw[i] = 0.0
                    g_prev[i] = 0.0
            else:
                dw[i] = -sign * delta[i]
                new_w[i] += dw[i]
                g_prev[i] = g[i]
        w, loss_prev = new_w, loss
        out.append(list(w))
    return np.array(out)


PROBLEMS = {
    "coupled": objectives.Quadratic.from_eigenvalues([0.3, 2.0, 9.0, 40.0], b=[1.0, -3.0, 2.0, 0.5], seed=1),
    "rosenbrock": objectives.Rosenbrock(dim=4),
    "separable": objectives.Quadratic(np.diag([1.0, 5.0, 0.2, 12.0]), b=[-1.0, 2.0, 0.3, -4.0]),
}


@pytest.mark.parametrize("variant", ["Rprop+", "Rprop-", "iRprop+", "iRprop-"])
@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_every_variant_matches_the_scalar_reference(variant, name, iterate):
    obj = PROBLEMS[name]
    w0 = np.random.default_rng(len(name)).normal(size=4)
    ws, _ = iterate(optim.Rprop(variant=variant), obj, w0, 200)
    np.testing.assert_allclose(ws, reference_rprop(obj.grad, obj.value, w0, 200, variant), rtol=1e-12, atol=1e-12)


def test_delta_hits_delta_max_and_delta_min(iterate):
    steep = objectives.Quadratic(np.diag([1e-6]), b=[-1.0])  # minimum at 1e6: keeps going
    _, state = iterate(optim.Rprop(delta0=0.1, delta_max=2.0), steep, [0.0], 40)
    assert state.delta[0] == 2.0  # 0.1 * 1.2^k is capped
    sharp = objectives.Quadratic(np.diag([1.0]))
    ws, state = iterate(optim.Rprop(delta0=1.0, delta_min=1e-3), sharp, [0.3], 200)
    assert state.delta[0] == 1e-3
    assert abs(ws[-1][0]) < 2e-3


def test_backtracking_undoes_the_previous_step(counting):
    q = objectives.Quadratic(np.diag([2.0]))  # minimum at 0
    opt = optim.Rprop(delta0=1.5)
    w0 = np.array([1.0])
    w1, s = opt.step(q, w0, opt.init(w0))  # g > 0: step -1.5 to -0.5, overshoots
    assert w1[0] == pytest.approx(-0.5)
    w2, s = opt.step(q, w1, s)  # sign flipped: back to 1.0, delta 0.75, derivative forgotten
    assert w2[0] == pytest.approx(1.0) and s.delta[0] == 0.75 and s.g_prev[0] == 0.0
    w3, s = opt.step(q, w2, s)  # no adaptation: step -0.75 with the same delta
    assert w3[0] == pytest.approx(0.25) and s.delta[0] == 0.75


def test_irprop_minus_equals_torch_rprop_rederived(iterate):
    """torch.optim.Rprop: sign = sign(g * prev); step *= eta+/eta-/1; clamp; g[sign<0] = 0;
    p -= sign(g) * step; prev = g."""
    obj = PROBLEMS["coupled"]
    w0 = np.array([1.0, -2.0, 0.5, 3.0])
    p, prev, step = w0.copy(), np.zeros(4), np.full(4, 0.01)
    expected = [p.copy()]
    for _ in range(100):
        g = obj.grad(p)
        sgn = np.sign(g * prev)
        step = np.clip(step * np.where(sgn > 0, 1.2, np.where(sgn < 0, 0.5, 1.0)), 1e-6, 50)
        g = np.where(sgn < 0, 0.0, g)
        p = p - np.sign(g) * step
        prev = g
        expected.append(p.copy())
    ws, _ = iterate(optim.Rprop(delta0=0.01, variant="iRprop-"), obj, w0, 100)
    np.testing.assert_allclose(ws, expected, rtol=1e-13)


def test_irprop_minus_equals_torch_when_installed(iterate):
    torch = pytest.importorskip("torch")
    obj = PROBLEMS["coupled"]
    w0 = np.array([1.0, -2.0, 0.5, 3.0])
    p = torch.tensor(w0, requires_grad=True)
    opt = torch.optim.Rprop([p], lr=0.01)
    A, b = torch.tensor(obj.A), torch.tensor(obj.b)
    ws, _ = iterate(optim.Rprop(delta0=0.01, variant="iRprop-"), obj, w0, 100)
    for k in range(100):
        opt.zero_grad()
        (0.5 * p @ A @ p + b @ p).backward()
        opt.step()
        np.testing.assert_allclose(p.detach().numpy(), ws[k + 1], rtol=1e-12)


def test_each_step_evaluates_the_gradient_once(counting):
    obj = counting(PROBLEMS["coupled"])
    for variant in ["Rprop+", "Rprop-", "iRprop-", "simplified"]:
        optim.minimize(obj, np.ones(4), optim.Rprop(variant=variant), max_iter=30, tol=0.0)
    assert obj.n_grad == 4 * 30


def test_rprop_converges_on_a_coupled_quadratic_where_the_slides_loop_stalls():
    q = objectives.Quadratic.from_eigenvalues([1.0, 10.0], angle=np.pi / 5)
    w0, w_star = np.array([3.0, 1.0]), q.minimizer()
    good = optim.minimize(q, w0, optim.Rprop(), max_iter=500, tol=1e-14)
    slides = optim.minimize(q, w0, optim.Rprop(variant="simplified"), max_iter=500, tol=0.0)
    assert np.linalg.norm(good.w[-1] - w_star) < 1e-5
    assert np.linalg.norm(slides.w[-1] - w_star) > 0.1  # stalled away from the minimum
    # its directions never change: every forward step has the sign of the first derivative
    first = np.sign(q.grad(w0))
    assert np.all(np.sign(slides.w[-1] - w0) == -first)


def test_slides_loop_on_one_weight_backs_up_and_shrinks(iterate):
    # E = w^2 from w = 1, Delta = 1.5: forward to -0.5 (overshoot); back to 1.0 and forward
    # 0.75 to 0.25; prevD was kept (= E'(1) > 0), E'(0.25) > 0 too, so grow: 0.25 - 0.9.
    q = objectives.Quadratic(np.diag([2.0]))
    ws, state = iterate(optim.Rprop(delta0=1.5, variant="simplified"), q, [1.0], 3)
    np.testing.assert_allclose(ws[:, 0], [1.0, -0.5, 0.25, 0.25 - 0.9])


@pytest.mark.parametrize("kwargs, match", [
    (dict(delta0=0.0), r"delta0 must be > 0, got 0\.0"),
    (dict(eta_plus=1.0), r"eta_plus must be in \(1, inf\), got 1\.0"),
    (dict(eta_minus=1.0), r"eta_minus must be in \(0, 1\), got 1\.0"),
    (dict(eta_minus=0.0), r"eta_minus must be in \(0, 1\)"),
    (dict(delta_min=1.0, delta_max=0.5), r"delta_min must be <= delta_max, got delta_min=1\.0, delta_max=0\.5"),
    (dict(delta0=100.0), r"delta0 must be in \[delta_min, delta_max\]"),
    (dict(variant="rprop"), r"variant must be one of"),
])
def test_bad_hyperparameters_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optim.Rprop(**kwargs)


def test_the_slides_loop_is_its_own_class_and_the_variant_name_runs_it():
    q = objectives.Quadratic.from_eigenvalues([1.0, 10.0], angle=np.deg2rad(30))
    own = optim.minimize(q, [-4.0, 3.0], optim.SimplifiedRprop(delta0=0.1), max_iter=80, tol=0.0)
    named = optim.minimize(q, [-4.0, 3.0], optim.Rprop(delta0=0.1, variant="simplified"), max_iter=80, tol=0.0)
    np.testing.assert_array_equal(own.w, named.w)
    assert own.loss[-1] > 1e-2  # it stalls on coupled weights (the published variants do not)
