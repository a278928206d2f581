"""The live widget's kept figure (``lectures_lib.redraw``). A frame copied into the kept figure must
be, pixel for pixel, the new figure rendered by itself in the kept figure's layout (no copying
involved); a frame that cannot be copied is the new figure rendered itself. Checked on a figure
holding every kind of artist the book draws, and on every figure with controls in the book."""
import io
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from PIL import Image

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from lectures_lib import interactive, plotting, redraw  # noqa: E402

BOOK = Path(__file__).resolve().parents[1] / "book"


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def alone(fig, layout_of=None) -> np.ndarray:
    """``fig`` rendered by itself; with ``layout_of``, its panels placed where that figure's are."""
    if layout_of is not None:
        fig.set_layout_engine("none")
        for a, b in zip(fig.axes, layout_of.axes):
            a.set_position(b.get_position(original=True), which="original")
    image = pixels(redraw.render(fig))
    plt.close(fig)
    return image


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool((a == b).all())


def every_kind(a: float, color="C0", top=7.0, extra_line=False):
    """Lines, markers, a span, contours, an annotation, boxed text, a legend, bars, titles."""
    fig, (ax1, ax2) = plotting.figure(2, width=3.2, height=2.6)
    x = np.linspace(0, 1, 60)
    X, Y = np.meshgrid(x, np.linspace(-1.2, 1.2, 40))
    ax1.contour(X, Y, a * (X - 0.5) ** 2 + Y ** 2, levels=6, cmap="Blues")
    ax1.axhspan(-0.2 * a, 0.2 * a, color="C3", alpha=0.2)
    ax1.plot(x, np.sin(a * 3 * x), color=color, label="sin", lw=a)
    if extra_line:
        ax1.plot(x, x, color="k")
    ax1.scatter(x[::10], np.cos(a * x[::10]), s=10 + 10 * a, label="points", color="C2")
    ax1.annotate(f"a = {a:g}", xy=(0.5, np.sin(a * 1.5)), xytext=(0.1, 0.9), arrowprops={"arrowstyle": "->"})
    ax1.text(0.6, -0.9, f"text {a:g}", bbox={"facecolor": "w"})
    ax1.legend(loc="lower left", fontsize=7)
    ax1.set(title=f"curve {a:g}", xlim=(0, 1), ylim=(-1.2, 1.2), xlabel="x", ylabel="y")
    ax2.bar(range(3), [a, 2 * a, 1], color=[color, "C1", "C2"])
    ax2.set(title=f"bars {a:g}", ylim=(0, top), xlabel="bar")
    fig.suptitle(f"every kind, a = {a:g}")
    return fig


def test_a_frame_copied_into_the_kept_figure_is_the_new_figure_rendered_in_its_layout():
    kept = redraw.Kept()
    kept.show(every_kind(1.0))
    for a, color in [(2.0, "C1"), (1.5, "C4"), (0.5, "C0")]:
        image = pixels(kept.show(every_kind(a, color)))
        assert same(image, alone(every_kind(a, color), layout_of=kept.fig)), f"a = {a}"
    assert (kept.copied, kept.rendered) == (3, 1)


def test_new_ticks_are_copied_and_their_titles_and_labels_placed_anew():
    kept = redraw.Kept()
    kept.show(every_kind(1.0, top=7.0))
    image = pixels(kept.show(every_kind(1.0, top=3.0)))  # other y ticks on the bars
    assert kept.copied == 1
    assert same(image, alone(every_kind(1.0, top=3.0), layout_of=kept.fig))


def test_a_figure_of_another_structure_is_rendered_itself_and_kept():
    kept = redraw.Kept()
    kept.show(every_kind(1.0))
    image = pixels(kept.show(every_kind(2.0, extra_line=True)))
    assert (kept.copied, kept.rendered) == (0, 2)
    assert same(image, alone(every_kind(2.0, extra_line=True)))  # its own layout, as a new figure
    kept.show(every_kind(1.5, extra_line=True))
    assert kept.copied == 1  # the new structure is the kept one now


def test_tick_labels_that_would_leave_the_kept_layout_make_the_figure_rendered_itself():
    """Wide y tick labels (1e6) do not fit the margin laid out for 0-7: the frame is the new
    figure with its own layout, not a copy with labels cut at the edge."""
    kept = redraw.Kept()
    kept.show(every_kind(1.0, top=7.0))
    image = pixels(kept.show(every_kind(1.0, top=123456789.0)))
    assert (kept.copied, kept.rendered) == (0, 2)
    assert same(image, alone(every_kind(1.0, top=123456789.0)))


def test_a_line_in_other_coordinates_makes_the_figure_rendered_itself():
    """``axvline`` places y in the panel's coordinates, ``plot`` in the data's: a vertical line that
    replaces a sloped one is not copied into it (its y would be read as data)."""
    def sloped_or_vertical(vertical):
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.axvline(0.5) if vertical else ax.plot([0, 1], [0, 5])
        ax.set(xlim=(0, 1), ylim=(0, 5))
        return fig

    kept = redraw.Kept()
    kept.show(sloped_or_vertical(False))
    image = pixels(kept.show(sloped_or_vertical(True)))
    assert (kept.copied, kept.rendered) == (0, 2)
    assert same(image, alone(sloped_or_vertical(True)))


def test_ticks_out_of_view_on_a_log_axis_do_not_stop_the_copy():
    """A log axis's locator also returns ticks beyond its limits (10^-15 below 10^-12): those are
    not drawn and must not count as text that leaves the figure."""
    def decay(steps):
        fig, ax = plotting.figure(width=3, height=2)
        ax.semilogy(0.5 ** np.arange(steps))
        ax.set(ylim=(1e-12, 1e6), xlim=(0, steps))  # new x ticks: the panel's tick labels are checked
        return fig

    kept = redraw.Kept()
    kept.show(decay(40))
    image = pixels(kept.show(decay(60)))
    assert (kept.copied, kept.rendered) == (1, 1)
    assert same(image, alone(decay(60), layout_of=kept.fig))


def test_the_structure_names_what_cannot_be_copied():
    fig, ax = plt.subplots()
    ax.add_patch(matplotlib.patches.Circle((0.5, 0.5), 0.2))
    other, ax2 = plt.subplots()
    ax2.add_patch(matplotlib.patches.Circle((0.5, 0.5), 0.3))
    assert redraw.structure(fig) != redraw.structure(other)  # a circle is not copied: never equal
    plt.close("all")


@pytest.mark.parametrize("chapter", sorted(p.name for p in BOOK.glob("*.ipynb")))
def test_every_figure_of_the_book_copied_into_its_kept_figure_is_the_figure_itself(chapter):
    """For each figure with controls, the start frame and the two nearest: each frame the kept
    figure took by copying equals the chapter's figure rendered alone in that layout. At least one
    frame of the chapter is a copy (else this would check nothing)."""
    copies = 0
    for ex in interactive.notebook_explorables(BOOK / chapter):
        for idx in ex.nearest(ex.start())[:3]:
            before = ex.kept.copied
            image = pixels(ex.frame_bytes(idx))
            if ex.kept.copied > before:
                copies += 1
                assert same(image, alone(ex.draw(**ex.params(idx)), layout_of=ex.kept.fig)), \
                    f"{chapter}: frame {ex.params(idx)} differs from the figure drawn alone"
        plt.close("all")
    assert copies > 0, f"{chapter}: no frame was copied into a kept figure"
