"""A slider move in a live kernel: how long the widget takes to show the new frame.

    python bench/explore.py [--tiny] [--out bench/results]

The figure is chapter 9's (momentum and Nesterov on an ill-conditioned quadratic, 5 x 4
values). Measured, per move, in one run: drawing the frame anew (what every move cost before
the widget kept its frames: draw, render at 2x, encode) and showing a kept frame (the widget's
``frames``, filled while the kernel is idle or by an earlier visit). No frontend is attached: the
time is the kernel's, up to the widget's new value; the frontend then decodes one small WebP.
"""
from __future__ import annotations

import itertools
import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import common  # noqa: E402
from lectures_lib import interactive, objectives, optim, plotting  # noqa: E402


def chapter_9_figure(steps: int):
    q = objectives.Quadratic.from_eigenvalues([1.0, 20.0], angle=np.pi / 6)
    w0 = np.array([-4.0, 3.0])

    def draw(beta, eta):
        lr = eta / q.eigenvalues[-1]
        runs = {name: optim.minimize(q, w0, opt, max_iter=steps, tol=0.0)
                for name, opt in [("gradient descent", optim.GradientDescent(lr)),
                                  ("momentum", optim.Momentum(lr, beta)), ("Nesterov", optim.Nesterov(lr, beta))]}
        fig, (ax1, ax2) = plotting.figure(2, width=4.2, height=3.4)
        plotting.contour(ax1, q, (-5, 5), (-5, 5), levels=np.geomspace(0.05, 400, 14))
        for (name, tr), color in zip(runs.items(), ["0.6", "C0", "C3"]):
            if name != "gradient descent":
                plotting.path(ax1, tr.w[:40], color=color, label=name)
            plotting.error_curve(ax2, tr.loss, 0.0, color=color, label=name)
        ax1.set_title(f"first 40 steps, β = {beta:g}")
        ax2.set(ylim=(1e-12, 1e3), title=f"η = {eta:g}/λmax")
        ax2.legend(fontsize=7)
        return fig

    return draw


def main(argv=None):
    args = common.arguments(__doc__, argv)
    betas, etas = ([0.0, 0.9], [0.5, 1.0]) if args.tiny else ([0.0, 0.5, 0.8, 0.9, 0.95], [0.5, 1.0, 1.3, 1.9])
    os.environ.pop("LECTURES_LIB_STATIC", None)
    ex = interactive.explore(chapter_9_figure(20 if args.tiny else 100), alt="momentum and Nesterov",
                             beta=interactive.Control(betas, "β"), eta=interactive.Control(etas, "η × λmax"))
    box = ex.widget()  # no running event loop here: frames are drawn on demand
    slider_beta, slider_eta = box.inputs
    grid = list(itertools.product(range(len(betas)), range(len(etas))))
    moves = [idx for idx in grid[1:]] + [grid[0]]  # visit every frame once, then come back

    def move(idx):
        t0 = time.perf_counter()
        with slider_beta.hold_trait_notifications(), slider_eta.hold_trait_notifications():
            slider_beta.value, slider_eta.value = idx
        if box.image.value != ex.frame_bytes(idx):
            raise AssertionError(f"the widget does not show frame {idx}")
        return time.perf_counter() - t0

    drawn = [move(idx) for idx in moves]          # first visits: every frame drawn anew
    kept = [move(idx) for idx in moves for _ in range(3)]   # every frame kept: shown again
    plt.close("all")
    ms = {"draw_median_ms": 1e3 * float(np.median(drawn)), "draw_max_ms": 1e3 * float(np.max(drawn)),
          "kept_median_ms": 1e3 * float(np.median(kept)), "kept_max_ms": 1e3 * float(np.max(kept))}
    ratio = ms["draw_median_ms"] / ms["kept_median_ms"]
    print(f"a move that draws its frame: median {ms['draw_median_ms']:.0f} ms (max {ms['draw_max_ms']:.0f} ms); "
          f"a move to a kept frame: median {ms['kept_median_ms']:.2f} ms (max {ms['kept_max_ms']:.2f} ms): "
          f"{ratio:.0f} times faster")
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.bar(["draw anew", "kept frame"], [ms["draw_median_ms"], ms["kept_median_ms"]], color=["0.6", "C0"])
    ax.axhline(200, color="C3", lw=1, ls="--", label="200 ms")
    ax.set(ylabel="ms per slider move (median)", yscale="log", title="live kernel: one slider move")
    ax.legend()
    common.write(args.out, "explore", {"tiny": args.tiny, "frames": len(grid), "moves_drawn": len(drawn),
                                       "moves_kept": len(kept), **ms, "draw_over_kept": ratio}, fig)


if __name__ == "__main__":
    main()
