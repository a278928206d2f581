"""The few plots every chapter uses: contours with a path, and error curves on a log scale."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def figure(ncols: int = 1, width: float = 4.6, height: float = 3.6):
    """A figure with ``ncols`` axes side by side (a single Axes when ncols = 1)."""
    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, height), constrained_layout=True)
    return fig, axes


def contour(ax, objective, xlim, ylim, levels: int = 25, n: int = 200, log: bool = False):
    """Equal-value contours of a 2-D objective over a box (``log`` spaces them geometrically)."""
    X, Y = np.meshgrid(np.linspace(*xlim, n), np.linspace(*ylim, n))
    Z = objective.value(np.stack([X, Y], axis=-1))
    if log:
        Z = np.log10(Z - Z.min() + 1e-3)
    ax.contour(X, Y, Z, levels=levels, cmap="Blues_r", linewidths=0.8)
    ax.set(xlim=xlim, ylim=ylim, xlabel="$w_1$", ylabel="$w_2$")
    ax.set_aspect("equal")
    return ax


def path(ax, w, label=None, color="C1", **kw):
    """The iterates of a 2-D run as a line with markers, the start circled."""
    w = np.asarray(w)
    ax.plot(w[:, 0], w[:, 1], "-o", color=color, ms=3, lw=1.2, label=label, **kw)
    ax.plot(w[0, 0], w[0, 1], "o", mfc="none", mec=color, ms=9)
    return ax


def error_curve(ax, loss, f_star: float = 0.0, label=None, **kw):
    """E(w_k) - E* against k, on a log scale (non-positive gaps are left out)."""
    gap = np.asarray(loss) - f_star
    k = np.arange(len(gap))
    keep = gap > 0
    ax.semilogy(k[keep], gap[keep], label=label, **kw)
    ax.set(xlabel="iteration k", ylabel="$E(w_k) - E^*$")
    return ax
