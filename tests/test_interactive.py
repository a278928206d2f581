"""Controls and polls for pages with no kernel behind them."""
import json
import re

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from homework.loops import in_a_thread, live  # noqa: E402
from lectures_lib import interactive  # noqa: E402


def draw(a, b="x"):
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [0, a])
    ax.set_title(b)
    return fig


def frame_data(page):
    return json.loads(re.search(r'<script type="application/json" class="ll-data">(.*?)</script>', page).group(1))


def test_static_html_holds_every_frame_and_starts_at_the_initial_value(monkeypatch):
    monkeypatch.setenv("LECTURES_LIB_STATIC", "1")
    ex = interactive.explore(draw, a=interactive.Control([1, 2, 3], "a", initial=2), b=[0.5, 1.5], alt="a line")
    bundle = ex._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    page = bundle["text/html"]
    data = frame_data(page)
    assert sorted(data["frames"]) == [f"{i},{j}" for i in range(3) for j in range(2)]
    assert len(set(data["frames"].values())) == 6  # every combination is its own figure
    assert 'data-state="1,0"' in page and f'src="{data["frames"]["1,0"]}"' in page
    assert data["labels"] == [["1", "2", "3"], ["0.5", "1.5"]]
    assert page.count('type="range"') == 2 and 'alt="a line"' in page


def test_frames_are_2x_webp_shown_at_half_size_and_all_one_size(monkeypatch):
    """A frame is rendered at SCALE times the size it is shown at (sharp on 2x screens); every
    frame has the same size, so the figure does not move as the reader switches frames (titles
    of different lengths changed a tight bounding box before)."""
    import base64
    import io

    from PIL import Image

    monkeypatch.setenv("LECTURES_LIB_STATIC", "1")
    page = interactive.explore(draw, a=[1, 2], b=["short", "a much, much longer title"], alt="a line").html()
    sizes = set()
    for uri in frame_data(page)["frames"].values():
        assert uri.startswith("data:image/webp;base64,")
        image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
        assert image.format == "WEBP"
        sizes.add(image.size)
    assert sizes == {(2 * interactive.DPI * interactive.SCALE, int(1.5 * interactive.DPI * interactive.SCALE))}
    (w, h), = sizes
    assert f'width="{w // 2}" height="{h // 2}"' in page


def test_frames_wider_than_a_phone_are_also_drawn_narrow(monkeypatch):
    """A control whose figure is wider than plotting.NARROW carries a narrow rendering of every
    frame (panels one under another) in a second image, which the page's script switches with
    the first; both say how small their text is."""
    monkeypatch.setenv("LECTURES_LIB_STATIC", "1")

    def two(a):
        fig, axes = plt.subplots(1, 2, figsize=(8, 3))
        axes[0].plot([0, 1], [0, a])
        return fig

    page = interactive.explore(two, a=[1, 2], alt="two panels").html()
    data = frame_data(page)
    assert sorted(data["narrow"]) == sorted(data["frames"]) == ["0", "1"]
    assert re.search(r'<img class="ll-frame ll-wide ll-text-10pt" [^>]*width="640" height="240">', page)
    assert re.search(r'<img class="ll-frame-narrow ll-narrow ll-text-10pt" src="data:image/webp;base64,[^"]+" '
                     r'alt="two panels" width="320" height="480">', page)
    assert "narrow.src = data.narrow[key]" in page
    assert frame_data(interactive.explore(draw, a=[1, 2], alt="one").html())["narrow"] == {}


def test_frames_of_changing_size_are_refused(monkeypatch):
    monkeypatch.setenv("LECTURES_LIB_STATIC", "1")

    def grows(a):
        fig, ax = plt.subplots(figsize=(a, 1.5))
        return fig

    with pytest.raises(ValueError, match="frames of one figure must have one size"):
        interactive.explore(grows, a=[2, 3], alt="a box").html()


def test_controls_over_names_are_radio_buttons_over_numbers_sliders(monkeypatch):
    monkeypatch.setenv("LECTURES_LIB_STATIC", "1")
    page = interactive.explore(draw, a=interactive.Control([1, 2], "a"),
                               b=interactive.Control(["x", "y", "z"], "schedule", initial="y"), alt="a line").html()
    assert page.count('type="range"') == 1 and page.count('type="radio"') == 3
    assert '<fieldset class="ll-control ll-choice ll-input" data-name="b"><legend>schedule</legend>' in page
    names = set(re.findall(r'type="radio" name="([^"]+)"', page))
    assert len(names) == 1  # one group: arrows move within it
    assert re.search(r'value="1" checked> y</label>', page)  # the initial value is chosen
    ordered = interactive.explore(draw, a=[1, 2], b=interactive.Control(["x", "y"], kind="slider"), alt="l").html()
    assert ordered.count('type="range"') == 2
    with pytest.raises(ValueError, match="kind must be one of"):
        interactive.explore(draw, a=interactive.Control([1, 2], kind="dial"), alt="l")


def test_explore_needs_alt_text():
    with pytest.raises(ValueError, match="explore needs alt"):
        interactive.explore(draw, a=[1, 2])


def test_live_mode_gives_a_widget(monkeypatch):
    pytest.importorskip("ipywidgets")
    monkeypatch.delenv("LECTURES_LIB_STATIC", raising=False)
    bundle = in_a_thread(interactive.explore(draw, a=[1, 2], alt="a line")._repr_mimebundle_)
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_live_widget_keeps_the_frames_it_has_drawn(monkeypatch):
    """Moving back to a value shows the kept frame: draw runs once per combination."""
    pytest.importorskip("ipywidgets")
    monkeypatch.delenv("LECTURES_LIB_STATIC", raising=False)
    calls = []

    def counted(a, b):
        calls.append((a, b))
        return draw(a, b)

    ex = interactive.explore(counted, a=[1, 2, 3], b=interactive.Control(["x", "y"]), alt="a line")
    box = in_a_thread(ex.widget)  # no event loop (this worker's may run one): nothing is drawn ahead
    slider, radio = box.inputs
    assert type(radio).__name__ == "RadioButtons" and type(slider).__name__ == "SelectionSlider"
    first = box.image.value
    slider.value = 2
    radio.value = 1
    assert box.image.value != first and box.image.value == ex.frame_bytes((2, 1))
    slider.value, radio.value = 0, 0
    assert box.image.value == first
    assert sorted(calls) == [(1, "x"), (1, "y"), (3, "x"), (3, "y")]  # (1, x) drawn once, not twice


def test_live_widget_leaves_no_pyplot_figure_and_redraws_after_the_cell_closed_them(monkeypatch):
    """A kernel's inline backend shows and closes every pyplot figure open when a cell ends: the
    widget's figure must not be among them (it would be shown twice, and a closed figure cannot
    draw), so the next move draws."""
    pytest.importorskip("ipywidgets")
    monkeypatch.delenv("LECTURES_LIB_STATIC", raising=False)
    def steady(a):  # the same ticks in every frame: each is copied into the kept figure
        fig = draw(a)
        fig.axes[0].set(ylim=(0, 4), title="")  # (draw's title lies above this small figure: it would not fit)
        return fig

    plt.close("all")
    ex = interactive.explore(steady, a=[1, 2, 3], alt="a line")
    box = in_a_thread(ex.widget)  # no event loop: nothing is drawn ahead
    assert plt.get_fignums() == []
    plt.close("all")  # what the inline backend does at the cell's end
    box.inputs[0].value = 1
    assert box.image.value == ex.frames[(1,)] and ex.kept.copied == 1


def test_live_widget_fills_the_other_frames_when_idle_nearest_the_shown_one_first(monkeypatch):
    """In a running event loop (as in ipykernel), the frames not yet drawn are drawn between
    messages, nearest (along the controls) to the frame shown at that moment first, where no
    process draws them ahead (``ahead``: where a process cannot fork)."""
    import asyncio

    from lectures_lib import ahead

    pytest.importorskip("ipywidgets")
    monkeypatch.delenv("LECTURES_LIB_STATIC", raising=False)
    monkeypatch.setattr(ahead, "ENABLED", False)
    calls = []

    def counted(a):
        calls.append(a)
        return draw(a)

    ex = interactive.explore(counted, a=interactive.Control(list(range(7)), initial=3), alt="a line")

    async def session():
        box = ex.widget()  # draws a = 3
        box.inputs[0].value = 6  # the reader moves at once: a = 6 is drawn now, then filling starts near it
        while len(ex.frames) < 7:
            await asyncio.sleep(0.01)

    live(session)
    assert calls[:2] == [3, 6]
    assert calls[2:] == [5, 4, 2, 1, 0]  # by distance from the shown 6
    assert len(calls) == 7 == len(ex.frames)


def test_outside_a_running_loop_nothing_is_drawn_in_the_background(monkeypatch):
    pytest.importorskip("ipywidgets")
    monkeypatch.delenv("LECTURES_LIB_STATIC", raising=False)
    ex = interactive.explore(draw, a=[1, 2, 3], alt="a line")
    in_a_thread(ex.widget)  # a new thread has no event loop
    assert list(ex.frames) == [(0,)]


@pytest.mark.parametrize("kwargs, match", [
    ({}, "at least one control"),
    ({"a": []}, "control 'a' has no values"),
    ({"a": interactive.Control([1, 2], initial=5)}, "initial 5 is not one of its values"),
    ({"a": list(range(11)), "b": list(range(11))}, "121 frames is too many"),
])
def test_bad_controls_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        interactive.explore(draw, alt="a line", **kwargs)


def test_poll_math_is_typeset_like_the_prose():
    """$...$ becomes Sphinx's inline math (a "math" span around \\( \\)), which MathJax typesets;
    the rest is escaped; an odd number of $ is refused."""
    page = interactive.poll(r"Which is $y_{k-1}^T$ & why?", [r"$\nabla_{z_k} E < 0$", "b"], correct=0,
                            why="w", feedback=["$a$", "b"])._repr_html_()
    assert r'<span class="math notranslate nohighlight">\(y_{k-1}^T\)</span> &amp; why?' in page
    assert r'<span class="math notranslate nohighlight">\(\nabla_{z_k} E &lt; 0\)</span>' in page
    assert r'data-option="0" hidden><span class="math notranslate nohighlight">\(a\)</span>' in page
    for bad in [{"question": "costs $5"}, {"why": "a $b"}, {"options": ["$x", "y"]}]:
        with pytest.raises(ValueError, match="unbalanced"):
            interactive.poll(**{"question": "Q?", "options": ["a", "b"], "correct": 0, "why": "w", **bad})
    with pytest.raises(ValueError, match="unbalanced"):
        interactive.number_check("$x", 1.0, why="w")


def test_polls_mark_themselves_and_can_hide_how_many_answers_are_true():
    one = interactive.poll("Q?", ["a", "b", "c"], correct=1, why="because")._repr_html_()
    assert 'data-correct="1"' in one and one.count('type="radio"') == 3
    hidden = interactive.poll("Mark all true", ["a", "b"], correct=0, why="w", multiple=True)._repr_html_()
    assert hidden.count('type="checkbox"') == 2 and "mark all that are true" in hidden
    many = interactive.poll("Q?", ["a", "b", "c"], correct=[2, 0], why="w")._repr_html_()
    assert 'data-correct="0,2"' in many and many.count('type="checkbox"') == 3
    with pytest.raises(ValueError, match="correct must index the 2 options"):
        interactive.poll("Q?", ["a", "b"], correct=2, why="w")


def test_poll_why_note_and_feedback_are_hidden_until_answered():
    page = interactive.poll("Q?", ["a", "b"], correct=1, why="because", note="careful",
                            feedback=["not a", "yes b"])._repr_html_()
    assert '<p class="ll-why" hidden>because</p>' in page
    assert '<p class="ll-note" hidden><em>careful</em></p>' in page
    assert page.count('class="ll-option-feedback"') == 2 and page.count("hidden>") == 4
    assert 'data-option="0" hidden>not a</p>' in page and 'data-option="1" hidden>yes b</p>' in page
    assert "parseInt" in page  # chosen options are compared as numbers, not strings
    with pytest.raises(ValueError, match="feedback needs one entry per option"):
        interactive.poll("Q?", ["a", "b"], correct=1, why="w", feedback=["only one"])


def test_number_check_carries_its_answer_and_hides_why():
    page = interactive.number_check("How many?", 576, why="because", tol=0.005)._repr_html_()
    assert 'data-answer="576.0"' in page and 'data-tol="0.005"' in page
    assert '<p class="ll-why" hidden>because</p>' in page and 'class="ll-answer"' in page
    for bad, match in [({"answer": float("nan")}, "answer must be a finite number"), ({"tol": 0.0}, "tol is a relative")]:
        with pytest.raises(ValueError, match=match):
            interactive.number_check("Q?", **{"answer": 1.0, "why": "w", **bad})
