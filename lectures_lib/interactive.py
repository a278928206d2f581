"""Controls that redraw a figure: live ipywidgets in a kernel, precomputed frames on a page.

``explore(draw, lr=[...], beta=[...])`` calls ``draw(lr=..., beta=...)`` (which returns a
matplotlib figure) for every combination of the listed values. In the built book, where no
kernel runs, the page holds every frame and a few lines of JavaScript switch between them when
the reader moves a slider. In a live notebook (Jupyter, JupyterHub, Colab) the same call shows
ipywidgets sliders that redraw through the kernel. ``poll`` makes a self-checking question.

Static mode is used when the environment variable ``LECTURES_LIB_STATIC`` is set (the book's
Sphinx extension sets it) or when ipywidgets is not installed.
"""
from __future__ import annotations

import base64
import html
import io
import itertools
import json
import os
import uuid
from dataclasses import dataclass
from typing import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np

MAX_FRAMES = 120  # a page carries every frame: keep grids small


@dataclass(frozen=True)
class Control:
    """A slider over ``values``; ``label`` is shown beside it (plain text or Unicode)."""

    values: Sequence
    label: str = ""
    initial: object = None
    fmt: str = "{:g}"

    def text(self, v) -> str:
        return self.fmt.format(v) if isinstance(v, (int, float)) else str(v)

    def start(self) -> int:
        return list(self.values).index(self.initial) if self.initial is not None else 0


def explore(draw: Callable, *, alt: str = "", **controls) -> "Explorable":
    """``draw(**params) -> Figure`` over a grid; each keyword is a ``Control`` or a list of values."""
    controls = {k: c if isinstance(c, Control) else Control(list(c), k) for k, c in controls.items()}
    if not controls:
        raise ValueError("explore needs at least one control, e.g. lr=[0.1, 0.5, 1.0]")
    for name, c in controls.items():
        if len(c.values) == 0:
            raise ValueError(f"control {name!r} has no values")
        if c.initial is not None and c.initial not in list(c.values):
            raise ValueError(f"control {name!r}: initial {c.initial!r} is not one of its values")
    n = 1
    for c in controls.values():
        n *= len(c.values)
    if n > MAX_FRAMES:
        raise ValueError(f"{n} frames is too many for one page (at most {MAX_FRAMES}); use fewer values")
    return Explorable(draw, controls, alt)


class Explorable:
    """The object ``explore`` returns; displaying it shows the figure and its controls."""

    def __init__(self, draw, controls, alt):
        self.draw, self.controls, self.alt = draw, controls, alt

    def _repr_mimebundle_(self, include=None, exclude=None):
        if _static():
            return {"text/html": self.html(), "text/plain": repr(self)}
        widget = self.widget()
        bundle = widget._repr_mimebundle_()
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self):
        return f"<explore: {', '.join(f'{k} ({len(c.values)} values)' for k, c in self.controls.items())}>"

    def frame(self, **params) -> str:
        """One figure as a PNG data URI."""
        fig = self.draw(**params)
        return png_data_uri(fig)

    def html(self) -> str:
        """Every frame, the sliders, and the script that switches frames in the page."""
        names = list(self.controls)
        frames = {}
        for idx in itertools.product(*(range(len(self.controls[k].values)) for k in names)):
            params = {k: self.controls[k].values[i] for k, i in zip(names, idx)}
            frames[",".join(map(str, idx))] = self.frame(**params)
        start = ",".join(str(self.controls[k].start()) for k in names)
        data = {"frames": frames, "labels": [[c.text(v) for v in c.values] for c in self.controls.values()]}
        sliders = "".join(_slider_html(k, c) for k, c in self.controls.items())
        return (f'<div class="ll-explore" data-state="{start}">'
                f'<div class="ll-controls">{sliders}</div>'
                f'<img class="ll-frame" src="{frames[start]}" alt="{html.escape(self.alt)}" '
                f'style="max-width:100%">'
                f'<script type="application/json" class="ll-data">{json.dumps(data)}</script>'
                f"<script>{_SWITCH_JS}</script></div>")

    def widget(self):
        """ipywidgets sliders that redraw through the kernel."""
        import ipywidgets as widgets
        from IPython.display import display

        sliders = {k: widgets.SelectionSlider(options=[(c.text(v), v) for v in c.values],
                                              value=c.values[c.start()], description=c.label or k,
                                              continuous_update=False, style={"description_width": "initial"})
                   for k, c in self.controls.items()}

        def show(**params):
            fig = self.draw(**params)
            display(fig)
            plt.close(fig)

        out = widgets.interactive_output(show, sliders)
        return widgets.VBox([widgets.HBox(list(sliders.values())), out])


def png_data_uri(fig, dpi: int = 80, colors: int = 128) -> str:
    """A figure as a small PNG data URI (a palette of ``colors`` keeps a page of frames light)."""
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    buf.seek(0)
    small = io.BytesIO()
    Image.open(buf).convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT).save(small, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(small.getvalue()).decode("ascii")


def _slider_html(name, c: Control) -> str:
    label = html.escape(c.label or name)
    return (f'<label class="ll-control" style="margin-right:1.5em">{label} '
            f'<input class="ll-range" type="range" name="{html.escape(name)}" min="0" '
            f'max="{len(c.values) - 1}" step="1" value="{c.start()}" aria-label="{label}"> '
            f'<output>{html.escape(c.text(c.values[c.start()]))}</output></label>')


_SWITCH_JS = """(function (root) {
  var data = JSON.parse(root.querySelector('script.ll-data').textContent);
  var img = root.querySelector('img.ll-frame');
  var inputs = Array.prototype.slice.call(root.querySelectorAll('input.ll-range'));
  function update() {
    var key = inputs.map(function (i) { return i.value; }).join(',');
    img.src = data.frames[key];
    inputs.forEach(function (i, j) { i.parentNode.querySelector('output').textContent = data.labels[j][i.value]; });
    root.setAttribute('data-state', key);
  }
  inputs.forEach(function (i) { i.addEventListener('input', update); });
})(document.currentScript.parentNode);"""


@dataclass(frozen=True)
class Poll:
    """A multiple-choice question that marks itself in the page, with no kernel. Its ``why``,
    its ``note`` and the ``feedback`` on each chosen option stay hidden until the reader answers."""

    question: str
    options: Sequence[str]
    correct: Sequence[int]
    why: str
    note: str = ""
    multiple: bool = False
    feedback: Sequence[str] = ()

    def _repr_html_(self) -> str:
        kind = "checkbox" if self.multiple else "radio"
        name = "poll-" + uuid.uuid4().hex[:8]
        opts = "".join(f'<li><label><input type="{kind}" name="{name}" value="{i}"> {html.escape(o)}</label>'
                       + (f'<p class="ll-option-feedback" data-option="{i}" hidden>{html.escape(self.feedback[i])}</p>'
                          if self.feedback else "") + "</li>"
                       for i, o in enumerate(self.options))
        note = f'<p class="ll-note" hidden><em>{html.escape(self.note)}</em></p>' if self.note else ""
        return (f'<div class="ll-poll" data-correct="{",".join(map(str, sorted(self.correct)))}">'
                f'<p class="ll-question"><strong>{html.escape(self.question)}</strong>'
                f'{" (mark all that are true)" if kind == "checkbox" else ""}</p>'
                f'<ul style="list-style:none">{opts}</ul>'
                f'<button type="button" class="ll-check">Check my answer</button>'
                f'<p class="ll-feedback" aria-live="polite"></p>'
                f'<p class="ll-why" hidden>{html.escape(self.why)}</p>{note}'
                f"<script>{_POLL_JS}</script></div>")


def poll(question: str, options: Sequence[str], correct, why: str, note: str = "",
         multiple: bool | None = None, feedback: Sequence[str] = ()) -> Poll:
    """``correct`` is the index (or list of indices) of the true options; ``why`` explains.
    ``multiple=True`` shows checkboxes ("mark all that are true") even when one option is true,
    so the form does not give away how many are; by default, checkboxes iff several are true.
    ``feedback``, if given, has one sentence per option, shown under each option the reader chose.
    ``why``, ``note`` and the feedback appear only once the reader has answered."""
    correct = [correct] if isinstance(correct, int) else list(correct)
    if not correct or any(not 0 <= i < len(options) for i in correct):
        raise ValueError(f"correct must index the {len(options)} options, got {correct!r}")
    if feedback and len(feedback) != len(options):
        raise ValueError(f"feedback needs one entry per option ({len(options)}), got {len(feedback)}")
    return Poll(question, list(options), correct, why, note, len(correct) > 1 if multiple is None else multiple,
                list(feedback))


# Options are compared as integer indices (as strings, "10" sorts before "2").
_POLL_JS = """(function (root) {
  var button = root.querySelector('button.ll-check');
  function indices(list) {
    return list.map(function (v) { return parseInt(v, 10); }).sort(function (a, b) { return a - b; });
  }
  var correct = indices(root.getAttribute('data-correct').split(','));
  button.addEventListener('click', function () {
    var chosen = indices(Array.prototype.slice.call(root.querySelectorAll('input:checked'))
      .map(function (i) { return i.value; }));
    var right = chosen.length === correct.length && chosen.every(function (v, j) { return v === correct[j]; });
    var fb = root.querySelector('.ll-feedback');
    var answered = chosen.length > 0;
    fb.textContent = answered ? (right ? 'Correct.' : 'Not quite.') : 'Choose an answer first.';
    fb.className = 'll-feedback ' + (answered ? (right ? 'll-right' : 'll-wrong') : '');
    Array.prototype.slice.call(root.querySelectorAll('.ll-option-feedback')).forEach(function (p) {
      p.hidden = chosen.indexOf(parseInt(p.getAttribute('data-option'), 10)) < 0;
    });
    Array.prototype.slice.call(root.querySelectorAll('.ll-why, .ll-note')).forEach(function (p) {
      p.hidden = !answered;
    });
  });
})(document.currentScript.parentNode);"""


@dataclass(frozen=True)
class NumberCheck:
    """A question answered with a number, marked in the page with no kernel: right when the
    entered value is within ``tol`` (relative) of ``answer``. ``why`` appears once answered."""

    question: str
    answer: float
    why: str
    tol: float = 0.01

    def _repr_html_(self) -> str:
        return (f'<div class="ll-number" data-answer="{self.answer!r}" data-tol="{self.tol!r}">'
                f'<p class="ll-question"><strong>{html.escape(self.question)}</strong></p>'
                f'<input type="text" inputmode="decimal" class="ll-answer" aria-label="your answer"> '
                f'<button type="button" class="ll-check">Check my answer</button>'
                f'<p class="ll-feedback" aria-live="polite"></p>'
                f'<p class="ll-why" hidden>{html.escape(self.why)}</p>'
                f"<script>{_NUMBER_JS}</script></div>")


def number_check(question: str, answer: float, why: str, tol: float = 0.01) -> NumberCheck:
    """A self-checking exercise whose answer is a number (relative tolerance ``tol``)."""
    answer = float(answer)
    if not np.isfinite(answer):
        raise ValueError(f"answer must be a finite number, got {answer!r}")
    if not 0 < tol < 1:
        raise ValueError(f"tol is a relative tolerance in (0, 1), got {tol!r}")
    return NumberCheck(question, answer, why, float(tol))


_NUMBER_JS = """(function (root) {
  var answer = parseFloat(root.getAttribute('data-answer')), tol = parseFloat(root.getAttribute('data-tol'));
  root.querySelector('button.ll-check').addEventListener('click', function () {
    var text = root.querySelector('input.ll-answer').value.trim().replace(',', '.');
    var value = Number(text), fb = root.querySelector('.ll-feedback');
    if (text === '' || !isFinite(value)) {
      fb.textContent = 'Enter a number first.';
      fb.className = 'll-feedback';
      return;
    }
    var right = Math.abs(value - answer) <= tol * Math.max(Math.abs(answer), 1e-12);
    fb.textContent = right ? 'Correct.' : 'Not quite.';
    fb.className = 'll-feedback ' + (right ? 'll-right' : 'll-wrong');
    root.querySelector('.ll-why').hidden = false;
  });
})(document.currentScript.parentNode);"""


def _static() -> bool:
    if os.environ.get("LECTURES_LIB_STATIC"):
        return True
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return True
    return False
