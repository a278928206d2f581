"""Controls and polls for pages with no kernel behind them."""
import json
import re

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from lectures_lib import interactive  # noqa: E402


def draw(a, b="x"):
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [0, a])
    ax.set_title(b)
    return fig


def test_static_html_holds_every_frame_and_starts_at_the_initial_value(monkeypatch):
    monkeypatch.setenv("LECTURES_LIB_STATIC", "1")
    ex = interactive.explore(draw, a=interactive.Control([1, 2, 3], "a", initial=2), b=["x", "y"])
    bundle = ex._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    page = bundle["text/html"]
    data = json.loads(re.search(r'<script type="application/json" class="ll-data">(.*?)</script>', page).group(1))
    assert sorted(data["frames"]) == [f"{i},{j}" for i in range(3) for j in range(2)]
    assert len(set(data["frames"].values())) == 6  # every combination is its own figure
    assert 'data-state="1,0"' in page and f'src="{data["frames"]["1,0"]}"' in page
    assert data["labels"] == [["1", "2", "3"], ["x", "y"]]
    assert page.count('type="range"') == 2


def test_live_mode_gives_a_widget(monkeypatch):
    pytest.importorskip("ipywidgets")
    monkeypatch.delenv("LECTURES_LIB_STATIC", raising=False)
    bundle = interactive.explore(draw, a=[1, 2])._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


@pytest.mark.parametrize("kwargs, match", [
    ({}, "at least one control"),
    ({"a": []}, "control 'a' has no values"),
    ({"a": interactive.Control([1, 2], initial=5)}, "initial 5 is not one of its values"),
    ({"a": list(range(11)), "b": list(range(11))}, "121 frames is too many"),
])
def test_bad_controls_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        interactive.explore(draw, **kwargs)


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
