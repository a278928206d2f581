"""Encoder/decoder and parity problems of the classic papers: epochs until every output is
within 0.4 of its target, over 100 random initialisations, for gradient descent, momentum,
Nesterov, Rprop and Quickprop.

    python bench/encoders.py [--tiny] [--out bench/results] [--jobs 2]

Problems (full batch, sigmoid units everywhere, 0/1 inputs and targets): the 10-5-10 and 8-3-8
encoders (one-hot patterns reproduced through a narrow hidden layer), XOR on a 2-2-1 network and
3-bit parity on a 3-3-1 network. Loss: ``MLP(..., divergence="l2")``, 1/T sum_t ||y_t - d_t||^2,
the squared error of the classic papers up to the constant factor 2/T (their E = 1/2 sum_t
sum_j (d_tj - y_tj)^2): the constant rescales gradient descent's learning rate and changes
nothing for Rprop (signs only) or for Quickprop's secant steps.

Weights and biases start uniform in [-1, 1] (initialisation i of problem p uses seed (p, i), the
same for every method). An epoch is one full-batch gradient and one step; a run fails if the
criterion is not met within MAX_EPOCHS epochs or the weights stop being finite.

Gradient descent, momentum, Nesterov and Quickprop (Fahlman's growth limit mu = 1.75; eta is its
first and fallback gradient step) take the learning rate from LR_GRID (momentum and Nesterov also
beta from BETAS) with the lowest median epochs over the first GRID_SEEDS initialisations; Rprop
runs at its defaults (Rprop+, Delta_0 = 0.1, eta+ = 1.2, eta- = 0.5). Medians and quartiles count
failures as infinitely slow. A failed run is classified by where it ended: "saturated" (every output that
misses the criterion is within 0.1 of the wrong target: a flat spot), "stuck" (otherwise, with
||grad E|| < 1e-4: a local minimum or a plateau), "still descending", or "diverged".
"""
from __future__ import annotations

import math
import multiprocessing
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import common  # noqa: E402
from lectures_lib import optim  # noqa: E402
from lectures_lib.experiments import (CRITERION, FAILURES, INIT_RANGE, PROBLEMS, QUICKPROP_MAX_GROWTH,  # noqa: E402
                                      SATURATED_WITHIN, STUCK_GRADIENT)
from lectures_lib.experiments import ENCODER_METHODS as METHODS  # noqa: E402
from lectures_lib.experiments import encoder_run as run  # noqa: E402

MAX_EPOCHS = 3000
N_SEEDS = 100
GRID_SEEDS = 20
LR_GRID = [2.0 ** e for e in range(-4, 7)]  # 1/16 ... 64
BETAS = [0.5, 0.9]  # 0.9: the slides' typical value
TUNED = ["gradient descent", "momentum", "Nesterov", "Quickprop"]
COLORS = dict(zip(METHODS, ["0.45", "C0", "C3", "C2", "C1"]))


def settings(method, grid):
    """The (lr, beta) pairs a method is tried with."""
    if method == "Rprop":
        return [(None, None)]
    betas = BETAS if method in ("momentum", "Nesterov") else [None]
    return [(lr, beta) for beta in betas for lr in grid]


def _task(args):
    problem, method, setting, seeds, max_epochs = args
    return problem, method, setting, {s: run(problem, method, setting, s, max_epochs) for s in seeds}


def summary(epochs):
    """Median and quartiles counting failures (None) as infinite, failures, mean of successes."""
    x = np.array([np.inf if e is None else e for e in epochs], dtype=float)
    q1, med, q3 = np.percentile(x, [25, 50, 75], method="lower") if len(x) else (np.inf,) * 3
    ok = x[np.isfinite(x)]
    finite = lambda v: None if not math.isfinite(v) else float(v)  # noqa: E731
    return {"median": finite(med), "q1": finite(q1), "q3": finite(q3), "failures": int(np.sum(~np.isfinite(x))),
            "runs": len(x), "mean_of_successes": float(ok.mean()) if ok.size else None}


def main(argv=None):
    args = common.arguments(__doc__, argv, extra=[(("--jobs",), {"type": int, "default": 2})])
    t_start = time.perf_counter()
    if args.tiny:
        n_seeds, grid_seeds, grid, max_epochs = 4, 2, [2.0, 8.0], 150
    else:
        n_seeds, grid_seeds, grid, max_epochs = N_SEEDS, GRID_SEEDS, LR_GRID, MAX_EPOCHS
    jobs = max(1, min(args.jobs, multiprocessing.cpu_count()))
    chunk = 5

    def chunks(seeds):
        return [seeds[i:i + chunk] for i in range(0, len(seeds), chunk)]

    results = {}  # (problem, method, (lr, beta)) -> {seed: epochs}
    with multiprocessing.Pool(jobs) as pool:
        # 1. the grid on the first grid_seeds initialisations (Rprop: all runs at once)
        tasks = [(p, m, st, c, max_epochs) for p in PROBLEMS for m in TUNED for st in settings(m, grid)
                 for c in chunks(list(range(grid_seeds)))]
        tasks += [(p, "Rprop", (None, None), c, max_epochs) for p in PROBLEMS for c in chunks(list(range(n_seeds)))]
        for p, m, st, part in pool.imap_unordered(_task, tasks):
            results.setdefault((p, m, st), {}).update(part)

        def grid_summary(p, m, st):
            return summary([results[(p, m, st)][i][0] for i in range(grid_seeds)])

        best = {(p, "Rprop"): (None, None) for p in PROBLEMS}
        for p in PROBLEMS:
            for m in TUNED:
                def score(st, p=p, m=m):
                    s = grid_summary(p, m, st)
                    return (s["median"] if s["median"] is not None else math.inf, s["failures"],
                            s["mean_of_successes"] or math.inf)
                best[(p, m)] = min(settings(m, grid), key=score)
        # 2. the remaining initialisations at the chosen setting
        tasks = [(p, m, best[(p, m)], c, max_epochs) for p in PROBLEMS for m in TUNED
                 for c in chunks(list(range(grid_seeds, n_seeds)))]
        for p, m, st, part in pool.imap_unordered(_task, tasks):
            results[(p, m, st)].update(part)

    table = {}
    for p in PROBLEMS:
        table[p] = {}
        for m in METHODS:
            lr, beta = best[(p, m)]
            runs = results[(p, m, (lr, beta))]
            epochs = [runs[s][0] for s in range(n_seeds)]
            kinds = [runs[s][1] for s in range(n_seeds) if runs[s][1] is not None]
            failure_kinds = {k: kinds.count(k) for k in FAILURES if k in kinds}
            grid_medians = None
            if m in TUNED:
                grid_medians = [{"lr": g, "beta": b, "median": grid_summary(p, m, (g, b))["median"],
                                 "failures": grid_summary(p, m, (g, b))["failures"]} for g, b in settings(m, grid)]
            table[p][m] = {"lr": lr, "beta": beta, **summary(epochs), "failure_kinds": failure_kinds,
                           "epochs": epochs, "grid": grid_medians}
        gd = table[p]["gradient descent"]
        for m in METHODS:
            row = table[p][m]
            row["speedup_median"] = (gd["median"] / row["median"]
                                     if gd["median"] is not None and row["median"] is not None else None)
            row["speedup_mean_of_successes"] = (gd["mean_of_successes"] / row["mean_of_successes"]
                                                if gd["mean_of_successes"] and row["mean_of_successes"] else None)

    print(f"{'problem':22} {'method':17} {'lr':>6} {'beta':>5} {'median':>7} {'q1':>6} {'q3':>6} {'fail':>5} "
          f"{'mean ok':>8} {'GD/med':>7}")
    for p, rows in table.items():
        for m, r in rows.items():
            fmt = lambda v, f="{:.0f}": "∞" if v is None else f.format(v)  # noqa: E731
            print(f"{p:22} {m:17} {fmt(r['lr'], '{:g}') if r['lr'] else 'def.':>6} "
                  f"{fmt(r['beta'], '{:g}') if r['beta'] else '':>5} {fmt(r['median']):>7} "
                  f"{fmt(r['q1']):>6} {fmt(r['q3']):>6} {r['failures']:>5} {fmt(r['mean_of_successes']):>8} "
                  f"{fmt(r['speedup_median'], '{:.2f}'):>7}")

    fig, axes = plt.subplots(2, 2, figsize=(8.5, 6.2))
    for ax, p in zip(axes.flat, PROBLEMS):
        draw_ecdf(ax, p, table[p], max_epochs)
    fig.tight_layout()

    rp = optim.Rprop()  # the defaults Rprop runs with
    common.write(args.out, "encoders", {
        "tiny": args.tiny, "seconds": round(time.perf_counter() - t_start, 1), "jobs": jobs,
        "setup": {"max_epochs": max_epochs, "runs": n_seeds, "grid_runs": grid_seeds, "lr_grid": grid,
                  "criterion": f"max |y - d| < {CRITERION} over every output and pattern",
                  "loss": "MLP divergence 'l2': 1/T sum_t ||y_t - d_t||^2", "activations": "sigmoid",
                  "init": f"uniform [-{INIT_RANGE:g}, {INIT_RANGE:g}], weights and biases", "betas": BETAS,
                  "quickprop_max_growth": QUICKPROP_MAX_GROWTH,
                  "rprop": f"defaults: Rprop+, delta0 {rp.delta0:g}, eta+ {rp.eta_plus:g}, eta- {rp.eta_minus:g}",
                  "saturated_within": SATURATED_WITHIN, "stuck_gradient": STUCK_GRADIENT,
                  "problems": {p: {"sizes": s, "patterns": len(X)} for p, (s, X, _) in PROBLEMS.items()}},
        "results": table}, fig)


def draw_ecdf(ax, problem, rows, max_epochs):
    """The fraction of runs that met the criterion by each epoch (log scale), per method."""
    for m, r in rows.items():
        e = np.sort([x for x in r["epochs"] if x is not None])
        frac = np.arange(1, e.size + 1) / len(r["epochs"])
        med = "∞" if r["median"] is None else f"{r['median']:.0f}"
        ax.step(np.r_[1, e, max_epochs], np.r_[0, frac, frac[-1] if frac.size else 0], where="post",
                color=COLORS[m], lw=1.5, label=f"{m}: median {med}, {r['failures']} failed")
    ax.set(xscale="log", xlim=(1, max_epochs), ylim=(0, 1.02), title=problem, xlabel="epochs",
           ylabel="fraction of runs at criterion")
    ax.legend(fontsize=6.5, loc="upper left")


if __name__ == "__main__":
    sys.exit(main())
