"""Numeric claims of book/10_summary.ipynb, recomputed from the library."""
import numpy as np
import pytest

from lectures_lib import examples, optim

PROBLEMS = examples.SUMMARY_PROBLEMS


def test_race_table():
    expected = {
        "gradient descent": [69, None, None, None], "momentum": [141, 144, None, None],
        "Nesterov": [45, 62, None, None], "Rprop": [43, None, None, None], "Quickprop": [13, 88, None, None],
        "Newton": [1, 1, 1, 5], "BFGS": [6, 4, 4, 34]}
    tables = {p: examples.summary_race(p) for p in PROBLEMS}
    for m, row in expected.items():
        assert [optim.steps_to(tables[p][0][m], 1e-6, tables[p][1]) for p in PROBLEMS] == row, m
    for p in PROBLEMS:
        assert not any(tr.diverged for tr in tables[p][0].values())


def test_momentum_beats_gd_300_fold_at_kappa_1000():
    runs, f_star = examples.summary_race("quadratic, κ = 1000")
    gd = runs["gradient descent"].loss[-1] - f_star
    for m in ["momentum", "Nesterov"]:
        assert 250 < gd / (runs[m].loss[-1] - f_star) < 400
    assert gd > 1.0


def test_bfgs_needs_a_positive_tol():
    """With tol=0 BFGS keeps iterating after convergence and s.y underflows to NaN (library issue)."""
    q, w0, _, _ = examples.summary_problem("quadratic, κ = 10")
    assert optim.minimize(q, w0, optim.BFGS(), max_iter=300, tol=1e-20).converged


def test_newton_wins_every_race_in_steps_and_no_first_order_method_wins_everywhere():
    races = {p: examples.summary_race(p) for p in PROBLEMS}
    steps = {p: {m: optim.steps_to(tr, 1e-6, f_star) for m, tr in runs.items()} for p, (runs, f_star) in races.items()}
    first_order = ["gradient descent", "momentum", "Nesterov", "Rprop", "Quickprop"]
    for p, row in steps.items():
        assert all(row["Newton"] < k for m, k in row.items() if m != "Newton" and k is not None), p
    fastest = {p: min((k, m) for m, k in row.items() if m in first_order and k is not None)[1]
               if any(row[m] is not None for m in first_order) else None for p, row in steps.items()}
    assert list(fastest.values()) == ["Quickprop", "Nesterov", None, None]


def test_momentum_methods_are_not_superior_everywhere():
    steps = {}
    for p in ["quadratic, κ = 10", "quadratic, κ = 100"]:
        runs, f_star = examples.summary_race(p)
        steps[p] = {m: optim.steps_to(tr, 1e-6, f_star) for m, tr in runs.items()}
    easy, hard = steps["quadratic, κ = 10"], steps["quadratic, κ = 100"]
    assert easy["momentum"] > easy["gradient descent"]  # beta = 0.9 is too much momentum on the easy bowl
    assert easy["Quickprop"] < min(easy["momentum"], easy["Nesterov"])
    assert all(s[m] < min(s["momentum"], s["Nesterov"]) for s in (easy, hard) for m in ("Newton", "BFGS"))
    assert hard["gradient descent"] is None and hard["momentum"] is not None and hard["Nesterov"] is not None


def test_exercise_2_irprop_minus_ends_far_below_rprop_plus_on_rosenbrock():
    runs = examples.summary_rprop_variants("Rosenbrock", ("Rprop+", "iRprop-"))  # the solution's runs
    plus, minus = runs["Rprop+"], runs["iRprop-"]
    assert plus.nit == minus.nit == 300  # the race's budget, used up
    assert minus.loss[-1] < 0.1 * plus.loss[-1]  # far lower
    assert minus.loss[-1] > 1e-3 and np.linalg.norm(minus.w[-1] - 1.0) > 0.1  # neither at the minimum (1, 1)
    race, _ = examples.summary_race("Rosenbrock")
    assert plus.loss[-1] == race["Rprop"].loss[-1]  # the race's Rprop is Rprop+


def test_the_race_runs_the_set_up_the_text_glues():
    for p in PROBLEMS:
        obj, w0, eta, _ = examples.summary_problem(p)
        runs, _ = examples.summary_race(p)
        assert all(tr.nit <= examples.SUMMARY_STEPS == 300 for tr in runs.values())
        assert all(np.array_equal(tr.w[0], w0) for tr in runs.values())
        if p == "Rosenbrock":
            assert tuple(w0) == examples.SUMMARY_ROSENBROCK_START == (-1.2, 1.0) and eta == examples.SUMMARY_ROSENBROCK_LR
        else:
            assert tuple(w0) == examples.SUMMARY_QUADRATIC_START == (-4.0, 3.0) and eta == 1 / obj.eigenvalues.max()
            e_max = np.linalg.eigh(obj.A)[1][:, -1]  # the steep direction is rotated by 30 degrees from w_2
            assert np.degrees(np.arccos(abs(e_max[1]))) == pytest.approx(examples.SUMMARY_ANGLE_DEG)
