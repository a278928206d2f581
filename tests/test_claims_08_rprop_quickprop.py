"""Numeric claims of book/08_rprop_quickprop.ipynb, recomputed from the library."""
import numpy as np
import pytest

from lectures_lib import examples, mlp, objectives, optim

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
D = np.array([0.0, 1.0, 1.0, 0.0])
NET = mlp.MLP([2, 3, 1], ["tanh", "sigmoid"], divergence="l2")
XOR = NET.objective(X, D)


def rprop_loss(variant, angle):
    return examples.coupled_rprop(variant, angle).loss[-1]  # the chapter's figure: from (-4, 3), 80 steps


def test_the_coupled_bowl_is_rotated_by_the_angle():
    for angle in (0, 30, 45):
        q = examples.coupled_bowl(angle)
        lam, vecs = np.linalg.eigh(q.A)
        assert np.allclose(lam, [1.0, 10.0]) and q.minimizer() == pytest.approx([0.0, 0.0])
        assert abs(vecs[:, 0] @ [np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))]) == pytest.approx(1.0)


def test_exercise_2_the_initial_step_hardly_matters_for_irprop_minus():
    runs = [examples.coupled_rprop("iRprop-", 45, delta0=d0, steps=200) for d0 in (0.001, 1.0)]  # the solution's
    assert all(tr.loss[-1] < 1e-10 for tr in runs)  # both at the minimum E* = 0
    first = [np.abs(tr.w[1] - tr.w[0]) for tr in runs]
    np.testing.assert_allclose(first, [[0.001, 0.001], [1.0, 1.0]])  # the first steps are Delta_0: it was used
    small, large = (optim.steps_to(tr, 1e-6) for tr in runs)
    assert abs(small - large) < 0.1 * 200  # a start 1000 times smaller costs a handful of steps of 200


@pytest.mark.parametrize("variant", ["simplified", "Rprop+", "Rprop-", "iRprop+", "iRprop-"])
def test_every_variant_converges_on_uncoupled_weights(variant):
    assert rprop_loss(variant, 0) < 1e-8


@pytest.mark.parametrize("angle", [30, 45])
def test_simplified_stalls_on_coupled_weights_and_the_published_variants_do_not(angle):
    assert rprop_loss("simplified", angle) > 1e-2
    for v in ["Rprop+", "Rprop-", "iRprop+", "iRprop-"]:
        assert rprop_loss(v, angle) < 1e-4  # converging, far below the stalled loop


def test_xor_table():
    race = examples.xor_race()  # the chapter's table
    res = {n: [optim.steps_to(loss, examples.XOR_RACE_TARGET) for loss in curves] for n, curves in race.items()}
    med = {n: np.median([s for s in r if s is not None]) if any(s is not None for s in r) else None for n, r in res.items()}
    solved = {n: sum(s is not None for s in r) for n, r in res.items()}
    assert list(solved.values()) == [10, 10, 9, 8, 9, 0]  # only gradient descent solves every start
    gd1, gd10, rprop, _, qp, _ = med.values()
    assert gd1 > 5 * rprop  # several times faster than GD at eta = 1
    assert 0.7 < gd10 / rprop < 1.5  # about as fast as well-tuned GD
    assert qp < gd10


def test_delta0_sensitivity_seed0():
    net, _ = examples.xor_problem()
    X, d = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array([0.0, 1.0, 1.0, 0.0])
    for d0 in [0.001, 0.01, 0.1]:
        runs = examples.xor_initial_step(d0, seed=0, steps=300)
        gd1, gd10, rprop, irprop = runs.values()
        for tr in (rprop, irprop):
            assert 25 <= optim.steps_to(tr, 0.01) <= 55
        assert optim.steps_to(gd1, 0.01) is None and optim.steps_to(gd10, 0.01) == 65
    for tr in list(examples.xor_initial_step(1.0, seed=0, steps=300).values())[2:]:
        assert tr.loss[-1] == pytest.approx(0.125, abs=1e-3)
        assert np.sum(np.abs(net.predict(tr.w[-1], X).ravel() - d) > 0.5) == 1  # one pattern wrong


def test_quickprop_growth_limit_claims():
    for mu in (1.75, 3.0):
        for lr in (1.0, 3.0):
            assert all(tr.loss[-1] < 1e-20 for tr in examples.quickprop_xor(mu, lr))  # every run towards zero
        runs = examples.quickprop_xor(mu, 0.3)
        assert runs[0].loss[-1] == pytest.approx(0.125, abs=1e-3)  # but not at eta = 0.3, seed 0
        assert all(tr.loss[-1] < 1e-20 for tr in runs[1:])
    for lr in (0.3, 1.0, 3.0):  # without the limit every run freezes on a plateau
        assert all(tr.loss[-1] > 0.1 for tr in examples.quickprop_xor(None, lr))


def test_poll3_scenario():
    q = objectives.Quadratic([[2.0]], b=[-2.0])
    path = {v: np.round(optim.minimize(q, [1.3], optim.Rprop(delta0=0.5, variant=v), max_iter=4, tol=0.0).w[:, 0], 3)
            for v in ["Rprop+", "Rprop-", "iRprop-", "simplified"]}
    assert list(path["Rprop+"][:4]) == [1.3, 0.8, 1.3, 1.05]  # revert, then a smaller step, same direction
    assert list(path["simplified"][:3]) == [1.3, 0.8, 1.05]
    assert list(path["Rprop-"][:3]) == [1.3, 0.8, 1.05]  # no revert: straight on in the opposite direction
    assert list(path["iRprop-"][:4]) == [1.3, 0.8, 0.8, 1.05]  # pause, then the opposite direction


def test_quickprop_lands_on_the_parabola_minimum_and_the_literal_sign_goes_uphill():
    q = objectives.Quadratic([[2.0]], b=[-2.0])
    w_prev, w_k, w_next = optim.minimize(q, [-1.0], optim.Quickprop(0.1, max_growth=None), max_iter=2, tol=0.0).w[:, 0]
    assert (w_prev, w_k) == (-1.0, pytest.approx(-0.6)) and w_next == pytest.approx(1.0)
    literal = w_k - (w_next - w_k)
    assert literal == pytest.approx(-2.2)
    assert q.value(np.array([literal])) > q.value(np.array([w_k]))


def test_quickprop_without_growth_limit_saturates_on_xor():
    for seed in range(3):
        free = optim.minimize(XOR, NET.init(seed=seed), optim.Quickprop(1.0, max_growth=None), max_iter=300, tol=0.0)
        quarters = 4 * free.loss[-1]  # saturated outputs: each pattern's (y - d)^2 is 0 or 1
        assert quarters > 0.9 and abs(quarters - round(quarters)) < 1e-3
        assert np.abs(free.w).max() > 30
        for mu in [1.75, 3.0]:
            lim = optim.minimize(XOR, NET.init(seed=seed), optim.Quickprop(1.0, max_growth=mu), max_iter=300, tol=0.0)
            assert lim.loss[-1] < 1e-6


def test_simplified_lags_six_orders_at_10_degrees():
    lag = rprop_loss("simplified", 10) / max(rprop_loss(v, 10) for v in ["Rprop+", "Rprop-", "iRprop+", "iRprop-"])
    assert 1e6 < lag < 1e7  # the glued floor(log10) is 6


@pytest.mark.parametrize("angle", [30, 45])
def test_simplified_stalls_near_a_tenth(angle):
    assert 0.03 < rprop_loss("simplified", angle) < 0.3  # E of order 1e-1 after the last step


def slides_rprop_1d(dE, w, delta, steps, alpha=1.2, beta=0.5):
    """The slides' step-by-step Rprop for one weight, written out from the slides: the points visited."""
    prev_d = dE(w)
    step = np.sign(prev_d) * delta
    visited = [w]
    for _ in range(steps):
        w = w - step
        d = dE(w)
        visited.append(w)
        if np.sign(prev_d) == np.sign(d):
            step, prev_d = alpha * step, d
        else:  # return to the previous location, shrink the step (the next iteration steps forward)
            w = w + step
            step = beta * step
    return visited


def test_the_rprop_walkthrough_is_the_slides_procedure():
    walk = examples.rprop_walkthrough(w0=-6.0, delta0=0.5, steps=12)  # the chapter's slider
    soft = objectives.Softplus(mu=0.1)
    visited = slides_rprop_1d(lambda w: soft.grad(np.array([w]))[0], -6.0, 0.5, 12)
    np.testing.assert_allclose([f["w"] for f in walk] + [walk[-1]["w_next"]], visited, rtol=1e-12)
    first_flip = next(f["k"] for f in walk if not f["same_sign"])
    for f in walk[1:first_flip]:  # the step grows by alpha at every iteration until the first sign change
        assert f["delta"] == pytest.approx(1.2 * f["delta_before"])
    for f in walk:
        if not f["same_sign"]:  # returns to where the last step started and steps on in the same direction, by half
            before = walk[f["k"] - 1]
            assert f["back_to"] == pytest.approx(before["w"] if before["back_to"] is None else before["back_to"])
            assert f["delta"] == pytest.approx(0.5 * f["delta_before"])
            assert np.sign(f["w_next"] - f["back_to"]) == np.sign(f["w"] - f["back_to"])
    w_star = optim.minimize(soft, [0.0], optim.Newton(), max_iter=50, tol=1e-15).w[-1, 0]
    assert abs(soft.grad(np.array([w_star]))[0]) < 1e-12
    assert abs(walk[-1]["w_next"] - w_star) < 0.05 < abs(walk[first_flip]["w"] - w_star)  # near the minimum


def test_rprop_plus_backtracking_step_is_not_minus_sign_d_times_delta():
    q = objectives.Quadratic([[2.0]], b=[-2.0])  # Poll 3's E = (w - 1)^2 from 1.3, delta0 = 0.5
    w = optim.minimize(q, [1.3], optim.Rprop(delta0=0.5, variant="Rprop+"), max_iter=2, tol=0.0).w[:, 0]
    d_at_flip = q.grad(np.array([w[1]]))[0]  # negative: the sign flipped at 0.8
    assert d_at_flip < 0
    assert w[2] - w[1] == pytest.approx(0.5)  # the backtracking step undoes the 0.5 step ...
    assert w[2] - w[1] != pytest.approx(-np.sign(d_at_flip) * 0.25)  # ... not -sign(D) times the halved delta


def test_the_delta0_figure_and_the_growth_limit_figure_run_the_set_up_the_text_glues():
    runs = examples.xor_initial_step(0.1)  # the chapter's call: seed and budget from the constants
    assert list(runs)[:2] == [f"gradient descent, η = {lr:g}" for lr in examples.XOR_GD_LRS] == \
        ["gradient descent, η = 1", "gradient descent, η = 10"]
    assert all(tr.nit == examples.XOR_INITIAL_STEPS == 300 for tr in runs.values())
    net, xor = examples.xor_problem()
    first = optim.minimize(xor, net.init(seed=examples.XOR_INITIAL_SEED), optim.GradientDescent(1.0), max_iter=1, tol=0.0)
    np.testing.assert_array_equal(first.w[1], runs["gradient descent, η = 1"].w[1])  # seed 0's start
    assert len(examples.quickprop_xor(1.75, 1.0)) == len(examples.QUICKPROP_XOR_SEEDS) == 3
