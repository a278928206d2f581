"""The few plots every chapter uses: contours with a path, and error curves on a log scale.

A figure made by ``figure`` is shown in Jupyter (and so in the book) as a PNG rendered at twice
its size, for 2x screens, and displayed at its size, with alt text made from its titles and
axis labels (``alt_text``; the book's Sphinx extension puts it on the image).

Every rendering draws text at MIN_PT points or more: 10 CSS pixels where the figure is shown at its
size, 9 where a column shrinks it to 90 %. The book also gets a narrow rendering of each figure
wider than NARROW (``narrow_image``): its panels one under another, each at most NARROW inches
wide, which a phone's column (358 CSS pixels at 390) shows at its own size.
"""
from __future__ import annotations

import base64
import contextlib
import io
import os
import re

import matplotlib.pyplot as plt
import numpy as np

DPI, SCALE = 80, 2  # CSS pixels per inch; figures and slider frames are rendered at SCALE x DPI
COLORS = 128  # the palette of a slider frame
MIN_PT = 9.0  # the smallest text of a rendering, in points (at DPI, 10 CSS px)
NARROW = 4.4  # inches: the widest panel of a narrow rendering (352 CSS px)


def in_book() -> bool:
    """True while the book is built (its Sphinx extension sets LECTURES_LIB_STATIC for the
    kernels it starts): pages need every rendering a reader's screen may ask for."""
    return bool(os.environ.get("LECTURES_LIB_STATIC"))


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


def _texts(fig):
    from matplotlib.text import Text

    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def smallest_text(fig) -> float:
    """The size in points of the smallest text ``fig`` drew (as last drawn)."""
    return min((t.get_fontsize() for t in _texts(fig)), default=MIN_PT)


def draw_legibly(fig, draw) -> None:
    """``draw()``, which draws ``fig``, with every text of ``fig`` at least MIN_PT. Tick labels are
    made as the figure is drawn: those are raised and the figure drawn again."""
    for _ in range(2):
        for text in _texts(fig):
            text.set_fontsize(max(text.get_fontsize(), MIN_PT))
        draw()
        if smallest_text(fig) >= MIN_PT:
            return


def rendering(fig):
    """``fig`` drawn on its canvas at SCALE x DPI at its own size (no tight bounding box), every
    text at least MIN_PT, as an RGB image. (``savefig`` would lay the figure out twice, once to
    measure it and once to draw it; encoding and decoding a PNG costs as much again.)"""
    from PIL import Image

    fig.set_dpi(DPI * SCALE)
    draw_legibly(fig, fig.canvas.draw)
    return Image.frombuffer("RGBA", fig.canvas.get_width_height(), fig.canvas.buffer_rgba()).convert("RGB")


def palette_image(fig, fmt: str = "PNG", colors: int = 256, fast: bool = False) -> tuple[bytes, tuple[int, int]]:
    """``fig``'s ``rendering`` reduced to a palette of ``colors`` (small files, sharp lines; the
    octree's palette is within about 1/255 of each colour on average and ten times faster than
    median cut) and saved as ``fmt`` ("PNG", or "WEBP", lossless), with the image's size in
    pixels. ``fast``: a quickly compressed PNG, for a live widget's frames."""
    from PIL import Image

    image = rendering(fig).quantize(colors=colors, method=Image.Quantize.FASTOCTREE)
    small = io.BytesIO()
    options = ({"compress_level": 1} if fast else
               {"lossless": True, "method": 4} if fmt == "WEBP" else {"optimize": True})
    image.save(small, fmt, **options)
    return small.getvalue(), image.size


@contextlib.contextmanager
def _one_column(fig):
    """``fig`` laid out for a narrow column while the block runs: the panels of its grid one under
    another, in reading order, each at most NARROW inches wide. Yields False (and changes
    nothing) when it is one such column already, or its panels are not one grid of single cells."""
    panels = {ax: ax.get_subplotspec() for ax in fig.axes if ax.get_subplotspec() is not None}
    grids = {spec.get_gridspec() for spec in panels.values()}
    size = fig.get_size_inches().copy()
    if len(grids) != 1 or any(len(s.rowspan) != 1 or len(s.colspan) != 1 for s in panels.values()):
        yield False
        return
    nrows, ncols = grids.pop().get_geometry()
    width, height = size[0] / ncols, size[1] / nrows
    if ncols == 1 and width <= NARROW:
        yield False
        return
    narrow = min(width, NARROW)
    column = fig.add_gridspec(nrows * ncols, 1)
    for ax, spec in panels.items():
        ax.set_subplotspec(column[spec.rowspan.start * ncols + spec.colspan.start, 0])
    fig.set_size_inches(narrow, height * max(narrow / width, 0.75) * nrows * ncols)
    try:
        yield True
    finally:
        for ax, spec in panels.items():
            ax.set_subplotspec(spec)
        fig.set_size_inches(size)


def narrow_image(fig, fmt: str = "PNG", colors: int = 256):
    """``palette_image`` of ``fig`` laid out for a narrow column (``_one_column``), or None when
    it is narrow already; ``fig`` keeps its own layout."""
    with _one_column(fig) as changed:
        return palette_image(fig, fmt, colors) if changed else None


def png(fig, colors: int = 256) -> tuple[bytes, dict]:
    """``fig`` as a palette PNG at twice its size, and the output metadata Jupyter shows it with:
    its size in CSS pixels (half the image's), its alt text and its smallest text in points
    (``text_pt``). In the book also ``narrow``: the narrow rendering (``narrow_image``) as
    base64 PNG with its size in CSS pixels, for a narrow column."""
    data, (width, height) = palette_image(fig, "PNG", colors)
    meta = {"width": width // SCALE, "height": height // SCALE, "alt": alt_text(fig), "text_pt": smallest_text(fig)}
    narrow = narrow_image(fig, "PNG", colors) if in_book() else None
    if narrow is not None:
        (small, (w, h)), meta["text_pt"] = narrow, min(meta["text_pt"], smallest_text(fig))
        meta["narrow"] = {"data": base64.b64encode(small).decode("ascii"), "width": w // SCALE, "height": h // SCALE}
    return data, meta


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
