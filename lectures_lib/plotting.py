"""The few plots every chapter uses: contours with a path, and error curves on a log scale.

A figure made by ``figure`` is shown in Jupyter (and so in the book) as a PNG rendered at twice
its size, for 2x screens, and displayed at its size, with alt text made from its titles and
axis labels (``alt_text``; the book's Sphinx extension puts it on the image).
"""
from __future__ import annotations

import io
import re

import matplotlib.pyplot as plt
import numpy as np

DPI, SCALE = 80, 2  # CSS pixels per inch; figures and slider frames are rendered at SCALE x DPI


def figure(ncols: int = 1, width: float = 4.6, height: float = 3.6, nrows: int = 1):
    """A figure with ``nrows`` x ``ncols`` panels of ``width`` x ``height`` inches each (a single
    Axes when both are 1)."""
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), constrained_layout=True)
    _show_figures_with_alt()
    return fig, axes


def plain(text: str) -> str:
    """Matplotlib's mathtext as plain text: ``$\\sigma(x)^2$`` -> ``σ(x)^2``."""
    from matplotlib._mathtext_data import tex2uni

    text = re.sub(r"\\([A-Za-z]+)", lambda m: chr(tex2uni[m.group(1)]) if m.group(1) in tex2uni else m.group(1), text)
    return re.sub(r"[${}]", "", text).replace("\n", " ").strip()


def alt_text(fig) -> str:
    """A text alternative for ``fig``: its title and, per panel, the panel's title and what it
    plots against what (colour bars are named by their label)."""
    panels = []
    for ax in fig.axes:
        x, y = plain(ax.get_xlabel()), plain(ax.get_ylabel())
        if ax.get_label() == "<colorbar>":
            panels.append(f"colour bar{': ' + (y or x) if y or x else ''}")
            continue
        title = plain(" ".join(t for t in (ax.get_title("left"), ax.get_title(), ax.get_title("right")) if t))
        axes = f"{y} against {x}" if x and y else (x or y)
        panels.append(", ".join(t for t in (title, axes) if t) or "a plot")
    head = plain(fig._suptitle.get_text()) + ": " if fig._suptitle is not None and fig._suptitle.get_text() else ""
    if len(panels) == 1:
        return f"Figure: {head}{panels[0]}"
    return f"Figure, {len(panels)} panels: {head}" + "; ".join(f"({i}) {t}" for i, t in enumerate(panels, 1))


def palette_image(fig, fmt: str = "PNG", colors: int = 256) -> tuple[bytes, tuple[int, int]]:
    """``fig`` rendered at SCALE x DPI at its own size (no tight bounding box), reduced to a
    palette of ``colors`` (small files, sharp lines) and saved as ``fmt`` ("PNG", or "WEBP",
    lossless); and the image's size in pixels."""
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI * SCALE)
    image = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    small = io.BytesIO()
    options = {"lossless": True, "method": 4} if fmt == "WEBP" else {"optimize": True}
    image.quantize(colors=colors, method=Image.Quantize.MEDIANCUT).save(small, fmt, **options)
    return small.getvalue(), image.size


def png(fig, colors: int = 256) -> tuple[bytes, dict]:
    """``fig`` as a palette PNG at twice its size, and the output metadata Jupyter shows it with:
    its size in CSS pixels (half the image's) and its alt text."""
    data, (width, height) = palette_image(fig, "PNG", colors)
    return data, {"width": width // SCALE, "height": height // SCALE, "alt": alt_text(fig)}


def _show_figures_with_alt():
    """In IPython, show every figure through ``png`` (registered after the inline backend's own
    formatter, which the first figure of a session installs, so that it wins)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    from matplotlib.figure import Figure

    shell.display_formatter.formatters["image/png"].for_type(Figure, png)


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
