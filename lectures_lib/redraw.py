"""A figure kept on screen and redrawn with the content of another: the live widget's fast path.

A slider move in a kernel calls the chapter's ``draw``, which makes a new figure. Rendering a new
figure makes its ticks, measures its text and solves its constrained layout: 0.3-0.8 s.
``Kept.show(fig)`` instead copies the state of ``fig``'s artists (data, text, colours, limits,
locators) into the figure it kept, artist by artist, and redraws that one in its layout as it
was: a few times faster. It copies only when both figures have one structure (``structure``: the
same size, the same panels holding the same kinds of artists in the same order). Otherwise, or
when a text of the redrawn figure leaves it or runs into another panel (new limits make new tick
labels), ``fig`` is rendered itself and kept instead. ``fig`` is closed either way.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import Collection
from matplotlib.contour import ContourSet
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.spines import Spine
from matplotlib.text import Annotation, Text

from .plotting import COLORS, palette_image


class Kept:
    """The figure a live widget redraws; ``copied`` and ``rendered`` count how each frame was made."""

    def __init__(self):
        self.fig, self.copied, self.rendered = None, 0, 0

    def show(self, fig) -> bytes:
        """``fig``'s picture as a palette PNG at SCALE x DPI."""
        if self.fig is not None and structure(self.fig) == structure(fig):
            moved = copy(self.fig, fig)
            image = render(self.fig)
            if fits(self.fig, moved):
                plt.close(fig)
                self.copied += 1
                return image
        if self.fig is not None:
            plt.close(self.fig)
        self.fig = _own(fig)
        image = render(fig)  # its layout engine places the panels once, for every later frame
        fig.set_layout_engine("none")
        self.rendered += 1
        return image


def _own(fig):
    """``fig`` out of pyplot's hands, on an Agg canvas of its own. A kernel's inline backend shows
    and closes every pyplot figure when a cell ends: the kept figure would be shown again, as a
    static copy under the widget, and a closed figure is left a bare canvas that cannot draw."""
    plt.close(fig)
    FigureCanvasAgg(fig)
    return fig


def render(fig) -> bytes:
    return palette_image(fig, "PNG", COLORS, fast=True)[0]


def structure(fig) -> tuple:
    """What two figures must share for one's content to be copied into the other."""
    def axes(ax):
        return (ax.name, ax.get_xscale(), ax.get_yscale(), ax.axison, ax.get_frame_on(),
                tuple(_kind(a) for a in ax.get_children()))
    return (tuple(fig.get_size_inches()), tuple(_kind(t) for t in fig.texts), len(fig.legends),
            tuple(axes(ax) for ax in fig.axes))


def _kind(a):
    if isinstance(a, Legend):
        return ("legend", a._loc, tuple(map(_kind, a.texts)), tuple(map(_kind, a.legend_handles)))
    if isinstance(a, Annotation):
        return ("annotation", repr(a.arrowprops), repr(a.xycoords), repr(a._textcoords))
    if isinstance(a, Text):
        return ("text", a.get_bbox_patch() is None, _frame(a._transform, a))
    if isinstance(a, Spine):
        return ("spine", a.spine_type, repr(a._position), a.get_visible())
    if isinstance(a, Axis):
        return (type(a).__name__, a.get_visible(), a.get_label_position(), repr(a._major_tick_kw),
                repr(a._minor_tick_kw))
    if isinstance(a, ContourSet):
        return (type(a).__name__, a.filled, repr(a.hatches))
    if isinstance(a, Collection):
        return (type(a).__name__, _frame(a._transform, a), _frame(a.get_offset_transform(), a))
    if isinstance(a, (Line2D, Rectangle)):
        return (type(a).__name__, _frame(a._transform, a))
    return ("not copied", id(a))  # never equal: a figure holding one is rendered itself


def _frame(transform, a):
    """The coordinates ``transform`` places ``a``'s data in: a copied artist keeps its own
    transform, so both must place their data alike (``axvline``'s x in data, y in the panel is
    not ``plot``'s data coordinates)."""
    ax, fig = a.axes, a.get_figure()
    named = {} if ax is None else {"data": ax.transData, "axes": ax.transAxes,
                                   "xaxis": ax.get_xaxis_transform(), "yaxis": ax.get_yaxis_transform()}
    named["figure"] = fig.transFigure if fig is not None else None
    return next((name for name, t in named.items() if transform is t), type(transform).__name__)


def copy(kept, new) -> list:
    """Every artist of ``new`` into its counterpart in ``kept`` (``structure`` equal); returns the
    panels of ``kept`` whose ticks moved (new limits or tick positions)."""
    for k, n in zip(kept.texts, new.texts):
        _artist(k, n)
    moved = []
    for k, n in zip(kept.axes, new.axes):
        same = _ticks(k) == _ticks(n)
        placed = [t.get_position() for t in _placed(k)]
        k.set_xlim(n.get_xlim())
        k.set_ylim(n.get_ylim())
        k.set_aspect(n.get_aspect(), adjustable=n.get_adjustable())
        for a, b in zip(k.get_children(), n.get_children()):
            _artist(a, b)
        # Titles and axis labels sit clear of the tick labels: placed anew only when those change.
        k._autotitlepos = n._autotitlepos if not same else False
        k.xaxis._autolabelpos = k.yaxis._autolabelpos = not same
        if same:
            for t, xy in zip(_placed(k), placed):
                t.set_position(xy)
        else:
            moved.append(k)
    return moved


def _ticks(ax) -> tuple:
    return (tuple(ax.get_xlim()), tuple(ax.get_ylim()), tuple(ax.xaxis.get_majorticklocs()),
            tuple(ax.yaxis.get_majorticklocs()))


def _placed(ax):
    return ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label


def _artist(k, n) -> None:
    """``n``'s look and data into ``k``; ``k`` keeps its own transform and clipping, which belong
    to its figure (``update_from`` would take ``n``'s)."""
    if isinstance(k, Axis):
        _axis(k, n)
        return
    if isinstance(k, Legend):
        for a, b in zip(k.texts + k.legend_handles, n.texts + n.legend_handles):
            _artist(a, b)
        k.set_visible(n.get_visible())
        return
    place = k._transform, k._transformSet, k.clipbox, k._clippath
    k.update_from(n)
    k._transform, k._transformSet, k.clipbox, k._clippath = place
    k.set_zorder(n.get_zorder())
    if isinstance(k, Text):
        k.set_text(n.get_text())
        k.set_position(n.get_position())
        if isinstance(k, Annotation):
            k.xy = n.xy
        if k.get_bbox_patch() is not None:
            _artist(k.get_bbox_patch(), n.get_bbox_patch())
    elif isinstance(k, Line2D):
        k.set_data(n.get_xdata(orig=True), n.get_ydata(orig=True))
    elif isinstance(k, Rectangle) and not isinstance(k, Spine):
        k.set_bounds(*n.get_bbox().bounds)
        k.set_angle(n.get_angle())
    elif isinstance(k, Collection):
        if isinstance(k, ContourSet):  # its norm's callback (update_from sets the norm) maps its levels
            k.levels, k.layers, k.cvalues = n.levels, n.layers, n.cvalues
        k.set_array(n.get_array())
        k.set_paths(n.get_paths())
        k.set_offsets(n.get_offsets())
        if hasattr(n, "get_sizes"):
            k.set_sizes(n.get_sizes())


def _axis(k: Axis, n: Axis) -> None:
    k.set_major_locator(n.get_major_locator())
    k.set_minor_locator(n.get_minor_locator())
    k.set_major_formatter(n.get_major_formatter())
    k.set_minor_formatter(n.get_minor_formatter())
    _artist(k.label, n.label)


def fits(fig, moved) -> bool:
    """The titles each panel drew, the tick and axis labels of the panels in ``moved`` and the
    figure's own texts lie inside the figure and off the other panels (ticks that did not move
    fit as they did before)."""
    renderer, page = fig.canvas.get_renderer(), fig.bbox.padded(1)

    def inside(text, others=()):
        box = text.get_window_extent(renderer)
        return box.width == 0 or (page.contains(box.x0, box.y0) and page.contains(box.x1, box.y1)
                                  and not any(box.overlaps(o.bbox) for o in others))

    return (all(inside(t, [o for o in fig.axes if o is not ax]) for ax in fig.axes
                for t in _drawn_texts(ax, ticks=ax in moved))
            and all(inside(t) for t in fig.texts if t.get_visible() and t.get_text()))


def _drawn_texts(ax, ticks: bool):
    yield from (t for t in (ax.title, ax._left_title, ax._right_title) if t.get_text())
    for axis in (ax.xaxis, ax.yaxis):
        if not ticks or not axis.get_visible():
            continue
        for tick in axis._update_ticks():  # the ticks its draw drew: those in view, on its scale
            if tick.get_visible():
                yield from (t for t in (tick.label1, tick.label2) if t.get_visible() and t.get_text())
        yield from (t for t in (axis.label, axis.offsetText) if t.get_visible() and t.get_text())
