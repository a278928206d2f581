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
    assert meta == {"width": 240, "height": 160, "alt": "Figure: t"}
    plt.close(fig)


def test_ipython_shows_figures_through_png_with_their_alt_text():
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    shell = interactiveshell.InteractiveShell.instance()
    try:
        fig, ax = plotting.figure(1, width=3.0, height=2.0)
        ax.set(title="loss", xlabel="k", ylabel="E")
        data, meta = shell.display_formatter.format(fig)
        assert meta["image/png"] == {"width": 240, "height": 160, "alt": "Figure: loss, E against k"}
        assert Image.open(io.BytesIO(data["image/png"])).size == (480, 320)
    finally:
        plt.close("all")
        interactiveshell.InteractiveShell.clear_instance()
