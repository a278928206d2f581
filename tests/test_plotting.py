"""Static figures on a page: 2x PNGs shown at their size, with alt text from their own text."""
import io

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402

from lectures_lib import plotting  # noqa: E402


def test_alt_text_names_every_panel_from_its_title_and_labels():
    fig, (ax1, ax2) = plotting.figure(2)
    ax1.set(title="threshold: $\\sigma(x)$", xlabel="$w_1$", ylabel="$E(w)$")
    ax2.set(xlabel="iteration k")
    im = ax2.imshow([[0, 1], [1, 0]])
    fig.colorbar(im, ax=ax2, label="ρ")
    assert plotting.alt_text(fig) == ("Figure, 3 panels: (1) threshold: σ(x), E(w) against w_1; "
                                      "(2) iteration k; (3) colour bar: ρ")
    one, ax = plotting.figure()
    assert plotting.alt_text(one) == "Figure: a plot"
    one.suptitle("Rosenbrock")
    ax.set_title("Newton")
    assert plotting.alt_text(one) == "Figure: Rosenbrock: Newton"
    plt.close("all")


def test_png_is_twice_the_size_it_is_shown_at():
    fig, ax = plotting.figure(1, width=3.0, height=2.0)
    ax.set_title("t")
    data, meta = plotting.png(fig)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == (3 * 80 * 2, 2 * 80 * 2)
    assert meta == {"width": 240, "height": 160, "alt": "Figure: t", "text_pt": 10.0}
    plt.close(fig)


def test_a_rendering_is_the_figure_savefig_draws_and_its_palette_is_close():
    """``rendering`` draws on the canvas instead of through ``savefig``: the same picture (a
    constrained layout, contours, lines, text) pixel for pixel; its palette image is within 2/255."""
    import numpy as np

    def made():
        fig, (a, b) = plotting.figure(2, width=3.0, height=2.4)
        x = np.linspace(-2, 2, 60)
        a.contourf(x, x, x[:, None] ** 2 + 3 * x[None, :] ** 2, levels=12)
        b.plot(x, np.sin(3 * x), label="sin 3x")
        b.set(title="a line", xlabel="x", ylabel="y")
        b.legend()
        return fig

    fig = made()
    saved = io.BytesIO()
    fig.savefig(saved, format="png", dpi=plotting.DPI * plotting.SCALE)
    expected = np.asarray(Image.open(saved).convert("RGB"), dtype=float)
    plt.close(fig)
    fig = made()
    drawn = np.asarray(plotting.rendering(fig), dtype=float)
    assert drawn.shape == expected.shape == (2.4 * 160, 6.0 * 160, 3)
    assert np.array_equal(drawn, expected)
    data, size = plotting.palette_image(fig)
    assert size == (960, 384)
    assert np.abs(np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=float) - drawn).mean() < 2
    plt.close(fig)


def test_every_rendering_draws_text_at_least_min_pt():
    """Legends, notes and tick labels set smaller than MIN_PT are drawn at MIN_PT (10 CSS px at
    the figure's own size); larger text keeps its size."""
    fig, ax = plotting.figure(1, width=3.0, height=2.0)
    ax.plot([0, 1], [0, 1], label="line")
    ax.legend(fontsize=7)
    ax.text(0.5, 0.5, "note", fontsize=6)
    ax.set_title("title", fontsize=12)
    ax.tick_params(labelsize=5)
    data, meta = plotting.png(fig)
    assert meta["text_pt"] == plotting.MIN_PT == plotting.smallest_text(fig)
    assert ax.title.get_fontsize() == 12
    plt.close(fig)


def test_the_book_gets_a_narrow_rendering_with_the_panels_one_under_another(monkeypatch):
    """Building the book (LECTURES_LIB_STATIC), a figure wider than NARROW gets a second rendering:
    its grid's panels in reading order in one column, each at most NARROW inches wide; the figure
    keeps its own layout. A figure that is one narrow column already gets none."""
    fig, axes = plotting.figure(2, width=4.0, height=3.0, nrows=2)
    for k, ax in enumerate(axes.flat):
        ax.set_title(f"panel {k}")
    monkeypatch.delenv("LECTURES_LIB_STATIC", raising=False)
    assert "narrow" not in plotting.png(fig)[1]  # a live notebook: the figure as made only
    monkeypatch.setenv("LECTURES_LIB_STATIC", "1")
    specs = [ax.get_subplotspec().get_geometry() for ax in axes.flat]
    data, meta = plotting.png(fig)
    narrow = meta["narrow"]
    assert (narrow["width"], narrow["height"]) == (4 * 80, 4 * 3 * 80)
    image = Image.open(io.BytesIO(__import__("base64").b64decode(narrow["data"])))
    assert image.size == (2 * narrow["width"], 2 * narrow["height"])
    with plotting._one_column(fig):
        assert [ax.get_subplotspec().rowspan.start for ax in axes.flat] == [0, 1, 2, 3]
    assert [ax.get_subplotspec().get_geometry() for ax in axes.flat] == specs
    assert tuple(fig.get_size_inches()) == (8.0, 6.0)
    wide, ax = plotting.figure(1, width=7.5, height=4.0)
    assert plotting.png(wide)[1]["narrow"]["width"] == plotting.NARROW * 80
    small, ax = plotting.figure(1, width=4.0, height=3.0)
    assert "narrow" not in plotting.png(small)[1]
    plt.close("all")


def test_ipython_shows_figures_through_png_with_their_alt_text():
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    shell = interactiveshell.InteractiveShell.instance()
    try:
        fig, ax = plotting.figure(1, width=3.0, height=2.0)
        ax.set(title="loss", xlabel="k", ylabel="E")
        data, meta = shell.display_formatter.format(fig)
        assert meta["image/png"] == {"width": 240, "height": 160, "alt": "Figure: loss, E against k", "text_pt": 10.0}
        assert Image.open(io.BytesIO(data["image/png"])).size == (480, 320)
    finally:
        plt.close("all")
        interactiveshell.InteractiveShell.clear_instance()
