"""Rates on quadratics: iterations to shrink the error by 1e6, and the measured rate per step
beside the theoretical one, for gradient descent, heavy-ball momentum and Nesterov.

    python bench/rates.py [--tiny] [--out bench/results]

E(w) = 1/2 w^T A w + b^T w with the eigenvalues of A spread log-uniformly over [1, kappa] in 50
dimensions and rotated by a random orthogonal matrix; w starts at 0. The error is the distance
||w_k - w*|| to the minimizer. Each method runs with the parameters the theory calls optimal:

- gradient descent, eta = 2 / (lambda_1 + lambda_n): rate (kappa - 1) / (kappa + 1);
- heavy-ball momentum at Polyak's eta = 4 / (sqrt(L) + sqrt(mu))^2, beta = ((sqrt(kappa) - 1) /
  (sqrt(kappa) + 1))^2: rate (sqrt(kappa) - 1) / (sqrt(kappa) + 1);
- Nesterov at eta = 1/L, beta = (sqrt(kappa) - 1) / (sqrt(kappa) + 1): rate 1 - 1/sqrt(kappa)
  (the spectral radius of its iteration; the often-quoted (sqrt(kappa) - 1)/(sqrt(kappa) + 1) is
  the heavy ball's);
- heavy-ball momentum at Nesterov's (eta, beta), to compare the two at the same parameters.

"Theory" is the spectral radius of each method's linear iteration on the actual spectrum,
computed from the roots of r^2 - (1 + beta - eta lambda) r + beta (heavy ball) and
r^2 - (1 + beta)(1 - eta lambda) r + beta (1 - eta lambda) (Nesterov) for every eigenvalue.
"""
from __future__ import annotations

import math
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import common  # noqa: E402
from lectures_lib import convergence, experiments, objectives  # noqa: E402
from lectures_lib.experiments import SHRINK  # noqa: E402

METHODS = experiments.RATE_METHODS
COLORS = dict(zip(METHODS, ["0.45", "C0", "C3", "C2"]))


def main(argv=None):
    args = common.arguments(__doc__, argv)
    dim, kappas = (10, [10, 100]) if args.tiny else (50, [10, 100, 1000])
    t_start = time.perf_counter()
    rng = np.random.default_rng(0)
    rows, curves = [], {}
    for kappa in kappas:
        eigenvalues = np.geomspace(1.0, kappa, dim)
        obj = objectives.Quadratic.from_eigenvalues(eigenvalues, b=rng.standard_normal(dim), seed=int(kappa))
        w_star, w0 = obj.minimizer(), np.zeros(dim)
        curves[str(kappa)] = {}
        for method, (opt, eta, beta) in experiments.rate_parameters(kappa).items():
            theory = experiments.spectral_radius(method, eta, beta, eigenvalues)
            predicted = math.ceil(math.log(SHRINK) / -math.log(theory))
            errors = experiments.relative_errors(obj, w0, w_star, opt, max_iter=20 * predicted + 100)
            k = len(errors) - 1
            value, text = experiments.textbook_rate(method, kappa)
            rows.append({"kappa": kappa, "method": method, "eta": eta, "beta": beta,
                         "iterations": k if errors[-1] <= 1.0 / SHRINK else None,
                         "predicted_iterations": predicted,
                         "measured_rate": convergence.measured_rate(errors, 0.0, tail=0.5),
                         "overall_rate": float(errors[-1] ** (1.0 / k)),
                         "theory_rate": theory, "formula": text, "formula_rate": value})
            keep = np.unique(np.linspace(0, k, min(k + 1, 200)).astype(int))  # a light curve for the book
            curves[str(kappa)][method] = {"k": keep.tolist(), "log10_error": np.log10(errors[keep]).round(3).tolist()}

    ratios = {}
    for kappa in kappas:
        it = {r["method"]: r["iterations"] for r in rows if r["kappa"] == kappa}
        ratios[str(kappa)] = {
            "gradient descent / heavy ball (Polyak)": it["gradient descent"] / it["heavy ball (Polyak)"],
            "gradient descent / Nesterov": it["gradient descent"] / it["Nesterov"],
            "Nesterov / heavy ball (Polyak)": it["Nesterov"] / it["heavy ball (Polyak)"],
            "heavy ball at Nesterov's η, β / Nesterov": it["heavy ball at Nesterov's η, β"] / it["Nesterov"]}

    print(f"{'kappa':>6} {'method':32} {'iters':>7} {'pred.':>7} {'measured':>9} {'theory':>9} {'formula':>9}")
    for r in rows:
        f = f"{r['formula_rate']:.5f}" if r["formula_rate"] is not None else ""
        print(f"{r['kappa']:>6} {r['method']:32} {r['iterations']!s:>7} {r['predicted_iterations']:>7} "
              f"{r['measured_rate']:>9.5f} {r['theory_rate']:>9.5f} {f:>9}")
    for kappa, rs in ratios.items():
        print(f"kappa={kappa}: " + ", ".join(f"{k} = {v:.2f}" for k, v in rs.items()))

    fig, axes = plt.subplots(1, len(kappas), figsize=(3.6 * len(kappas), 3.2), sharey=True)
    for ax, kappa in zip(np.atleast_1d(axes), kappas):
        for method, c in curves[str(kappa)].items():
            r = next(r for r in rows if r["kappa"] == kappa and r["method"] == method)
            ax.semilogy(c["k"], 10.0 ** np.array(c["log10_error"]), color=COLORS[method], lw=1.5,
                        label=f"{method}: {r['iterations']}")
            k = np.array([0, c["k"][-1]])
            ax.semilogy(k, r["theory_rate"] ** k, color=COLORS[method], lw=0.8, ls=":")
        ax.axhline(1 / SHRINK, color="k", lw=0.5)
        ax.set(title=f"κ = {kappa}", xlabel="iteration k", ylim=(0.3 / SHRINK, 3))
        ax.legend(fontsize=6.5, loc="upper right")
    np.atleast_1d(axes)[0].set_ylabel("‖w_k − w*‖ / ‖w_0 − w*‖")
    fig.suptitle("Error per iteration (dotted: theory ρ^k)", fontsize=9)
    fig.tight_layout()

    common.write(args.out, "rates", {
        "tiny": args.tiny, "seconds": round(time.perf_counter() - t_start, 2),
        "setup": {"dim": dim, "kappas": kappas, "shrink": SHRINK, "eigenvalues": "geomspace(1, kappa, dim)",
                  "rotation": "random orthogonal (seed kappa)", "w0": "zeros", "b": "standard normal (seed 0)",
                  "error": "||w_k - w*|| / ||w_0 - w*||",
                  "measured_rate": "geometric mean of the error ratio over the second half of the run"},
        "rows": rows, "ratios": ratios, "curves": curves}, fig)


if __name__ == "__main__":
    sys.exit(main())
