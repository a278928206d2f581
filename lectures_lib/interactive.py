"""Controls that redraw a figure: live ipywidgets in a kernel, precomputed frames on a page.

``explore(draw, lr=[...], beta=[...])`` calls ``draw(lr=..., beta=...)`` (which returns a
matplotlib figure) for every combination of the listed values. In the built book, where no
kernel runs, the page holds every frame and a few lines of JavaScript switch between them when
the reader moves a slider. In a live notebook (Jupyter, JupyterHub, Colab) the same call shows
ipywidgets sliders that redraw through the kernel. ``poll`` makes a self-checking question.

Static mode is used when the environment variable ``LECTURES_LIB_STATIC`` is set (the book's
Sphinx extension sets it) or when ipywidgets is not installed.

A control over numbers is a slider; a control over names (strings: a schedule, a variant, a
problem), whose values have no order, is a group of radio buttons. Frames are rendered once at
twice their CSS size (``SCALE``), for 2x screens, as palette WebP, all of one figure's frames the same
size. The live widget keeps every frame it has drawn, so moving back to a value costs no redraw,
and draws a new one into the figure it kept (``redraw``): a few times faster than a new figure.
In a running kernel the frames not yet drawn are drawn ahead, by a forked process where one can
fork (``ahead``), so that a reader's moves mostly show a frame already drawn.
Text in polls may hold TeX between ``$`` signs; it is typeset like the prose.
"""
from __future__ import annotations

import base64
import html
import io
import itertools
import json
import uuid
from dataclasses import dataclass
from typing import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np

from . import ahead, redraw
from .plotting import COLORS, DPI, SCALE, in_book, narrow_image, palette_image, smallest_text  # noqa: F401 - DPI: CSS px per inch

MAX_FRAMES = 120  # a page carries every frame: keep grids small
KINDS = ("slider", "choice")


@dataclass(frozen=True)
class Control:
    """A control over ``values``; ``label`` is shown beside it (plain text or Unicode).
    ``kind``: "slider" (ordered values) or "choice" (radio buttons, for values with no order);
    by default a choice when any value is a string, else a slider."""

    values: Sequence
    label: str = ""
    initial: object = None
    fmt: str = "{:g}"
    kind: str | None = None

    @property
    def choice(self) -> bool:
        if self.kind is None:
            return any(isinstance(v, str) for v in self.values)
        return self.kind == "choice"

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
        if c.kind is not None and c.kind not in KINDS:
            raise ValueError(f"control {name!r}: kind must be one of {KINDS}, got {c.kind!r}")
    if not alt.strip():
        raise ValueError("explore needs alt, a sentence saying what the figure shows (its text alternative)")
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
        self.frames: dict[tuple, bytes] = {}  # the live widget's frames (PNG) so far, by grid index
        self.kept = redraw.Kept()

    def _repr_mimebundle_(self, include=None, exclude=None):
        if _static():
            return {"text/html": self.html(), "text/plain": repr(self)}
        widget = self.widget()
        bundle = widget._repr_mimebundle_()
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self):
        return f"<explore: {', '.join(f'{k} ({len(c.values)} values)' for k, c in self.controls.items())}>"

    def params(self, idx: tuple) -> dict:
        return {k: self.controls[k].values[i] for k, i in zip(self.controls, idx)}

    def frame_bytes(self, idx: tuple) -> bytes:
        """The live widget's frame at grid index ``idx`` (one value index per control) as PNG,
        drawn once, into the figure the widget keeps when it can (``redraw.Kept``)."""
        if idx not in self.frames:
            self.frames[idx] = self.kept.show(self.draw(**self.params(idx)))
        return self.frames[idx]

    def start(self) -> tuple:
        return tuple(c.start() for c in self.controls.values())

    def grid(self) -> list[tuple]:
        """Every frame's grid index, in order."""
        return list(itertools.product(*(range(len(c.values)) for c in self.controls.values())))

    def nearest(self, at: tuple) -> list[tuple]:
        """Every frame's grid index, the fewest steps along the controls from ``at`` first."""
        return sorted(self.grid(), key=lambda idx: sum(abs(a - b) for a, b in zip(idx, at)))

    def html(self) -> str:
        """Every frame, the controls, and the script that switches frames in the page. Each frame
        is drawn once, rendered as made and, when the figure is wider than a phone's column,
        narrow too (``plotting.narrow_image``); the page shows the one its column fits."""
        frames, narrow, sizes, text_pt = {}, {}, set(), []
        for idx in self.grid():
            fig = self.draw(**self.params(idx))
            key = ",".join(map(str, idx))
            image = image_bytes(fig, close=False)
            text_pt.append(smallest_text(fig))
            small = narrow_image(fig, "WEBP", COLORS)
            plt.close(fig)
            frames[key] = _data_uri(image)
            sizes.add((_image_size(image), small and small[1]))
            if small:
                narrow[key] = _data_uri(small[0])
                text_pt.append(smallest_text(fig))
        if len(sizes) != 1:  # the figure would jump about as the reader moves a control
            raise ValueError(f"the frames of one figure must have one size (set figsize), got {sorted(sizes)}")
        ((width, height), narrow_size), = sizes
        start = ",".join(map(str, self.start()))
        data = {"frames": frames, "narrow": narrow, "labels": [[c.text(v) for v in c.values] for c in self.controls.values()]}
        group = "ll-" + uuid.uuid4().hex[:8]
        controls = "".join(_choice_html(group, k, c) if c.choice else _slider_html(k, c)
                           for k, c in self.controls.items())
        text = f"ll-text-{min(text_pt):g}pt"
        images = (f'<img class="ll-frame{" ll-wide" if narrow else ""} {text}" src="{frames[start]}" '
                  f'alt="{html.escape(self.alt)}" width="{width // SCALE}" height="{height // SCALE}">')
        if narrow:
            images += (f'<img class="ll-frame-narrow ll-narrow {text}" src="{narrow[start]}" '
                       f'alt="{html.escape(self.alt)}" width="{narrow_size[0] // SCALE}" height="{narrow_size[1] // SCALE}">')
        return (f'<div class="ll-explore" data-state="{start}">'
                f'<div class="ll-controls">{controls}</div>{images}'
                f'<script type="application/json" class="ll-data">{json.dumps(data)}</script>'
                f"<script>{_SWITCH_JS}</script></div>")

    def widget(self):
        """ipywidgets controls that redraw through the kernel. A frame is drawn once: moving back
        to values seen before shows the kept frame (``self.frames``), with no redraw."""
        import ipywidgets as widgets

        def control(k, c):
            options = [(c.text(v), i) for i, v in enumerate(c.values)]
            kind = widgets.RadioButtons if c.choice else widgets.SelectionSlider
            return kind(options=options, value=c.start(), description=c.label or k,
                        style={"description_width": "initial"},
                        **({} if c.choice else {"continuous_update": False}))

        inputs = [control(k, c) for k, c in self.controls.items()]
        first = self.frame_bytes(self.start())
        width, height = _image_size(first)
        image = widgets.Image(value=first, format="png", width=width // SCALE, height=height // SCALE)

        def shown():
            return tuple(i.value for i in inputs)

        def show(change=None):
            at = shown()
            if drawing_ahead:
                drawing_ahead.take(at)
                drawing_ahead.tell(at, {*self.frames, at})  # the kernel draws at, if the child has not
            image.value = self.frame_bytes(at)

        for i in inputs:
            i.observe(show, names="value")
        box = widgets.VBox([widgets.HBox(inputs), image])
        drawing_ahead = _fill_when_idle(self, shown)
        box.image, box.inputs, box.ahead = image, inputs, drawing_ahead  # for the benchmark and the tests
        return box


def _fill_when_idle(ex: "Explorable", shown: Callable[[], tuple]) -> "ahead.Ahead | None":
    """In a kernel (ipykernel runs an asyncio loop in the main thread), draw the frames not yet
    drawn, the nearest to the ``shown`` one first, so that later moves only show a kept frame; a
    move to a frame not yet drawn draws it at once. They are drawn in a forked process where one
    can fork (``ahead``, returned), else one at a time between the reader's messages. Outside a
    running loop: nothing."""
    import asyncio

    try:
        loop = asyncio.get_event_loop()
    except RuntimeError:
        return None
    if not loop.is_running():
        return None
    drawing = ahead.start(ex, shown(), loop)
    if drawing:
        return drawing

    def step():
        todo = [idx for idx in ex.nearest(shown()) if idx not in ex.frames]
        if todo:
            ex.frame_bytes(todo[0])
            loop.call_later(0.01, step)  # let a waiting message in first

    loop.call_later(0.1, step)
    return None


def image_bytes(fig, colors: int = COLORS, close: bool = True) -> bytes:
    """A figure as a palette WebP at SCALE x DPI (``plotting.palette_image``); it is closed
    unless ``close`` is False."""
    data, _ = palette_image(fig, "WEBP", colors)
    if close:
        plt.close(fig)
    return data


def _data_uri(data: bytes) -> str:
    return "data:image/webp;base64," + base64.b64encode(data).decode("ascii")


def _image_size(data: bytes) -> tuple[int, int]:
    from PIL import Image

    return Image.open(io.BytesIO(data)).size


def _slider_html(name, c: Control) -> str:
    label = html.escape(c.label or name)
    return (f'<label class="ll-control">{label} '
            f'<input class="ll-range ll-input" type="range" name="{html.escape(name)}" min="0" '
            f'max="{len(c.values) - 1}" step="1" value="{c.start()}" aria-label="{label}"> '
            f'<output>{html.escape(c.text(c.values[c.start()]))}</output></label>')


def _choice_html(group, name, c: Control) -> str:
    """Radio buttons in a fieldset (its legend names the group; arrows move between them)."""
    buttons = "".join(f'<label><input type="radio" name="{group}-{html.escape(name)}" value="{i}"'
                      f'{" checked" if i == c.start() else ""}> {html.escape(c.text(v))}</label>'
                      for i, v in enumerate(c.values))
    return (f'<fieldset class="ll-control ll-choice ll-input" data-name="{html.escape(name)}">'
            f'<legend>{html.escape(c.label or name)}</legend>{buttons}</fieldset>')


# Frames are data URIs in a notebook; the book's build moves them into files, which the page
# fetches only when the reader asks for them (all of one figure's at the first move, of the
# rendering the page shows: the other img, display: none and lazy, fetches nothing).
_SWITCH_JS = """(function (root) {
  var data = JSON.parse(root.querySelector('script.ll-data').textContent);
  var img = root.querySelector('img.ll-frame'), narrow = root.querySelector('img.ll-frame-narrow');
  var controls = Array.prototype.slice.call(root.querySelectorAll('.ll-input'));
  var fetched = false;
  function value(c) {
    if (c.tagName === 'INPUT') return c.value;
    var on = c.querySelector('input:checked');
    return on ? on.value : '0';
  }
  function update() {
    var key = controls.map(value).join(',');
    img.src = data.frames[key];
    if (narrow) narrow.src = data.narrow[key];
    controls.forEach(function (c, j) {
      var out = c.parentNode.querySelector('output');
      if (c.tagName === 'INPUT' && out) out.textContent = data.labels[j][c.value];
    });
    root.setAttribute('data-state', key);
    if (!fetched) {
      fetched = true;
      var shown = narrow && getComputedStyle(img).display === 'none' ? data.narrow : data.frames;
      Object.keys(shown).forEach(function (k) { (new Image()).src = shown[k]; });
    }
  }
  controls.forEach(function (c) { c.addEventListener(c.tagName === 'INPUT' ? 'input' : 'change', update); });
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
        opts = "".join(f'<li><label><input type="{kind}" name="{name}" value="{i}"> {text_html(o)}</label>'
                       + (f'<p class="ll-option-feedback" data-option="{i}" hidden>{text_html(self.feedback[i])}</p>'
                          if self.feedback else "") + "</li>"
                       for i, o in enumerate(self.options))
        note = f'<p class="ll-note" hidden><em>{text_html(self.note)}</em></p>' if self.note else ""
        return (f'<div class="ll-poll" data-correct="{",".join(map(str, sorted(self.correct)))}">'
                f'<p class="ll-question"><strong>{text_html(self.question)}</strong>'
                f'{" (mark all that are true)" if kind == "checkbox" else ""}</p>'
                f'<ul class="ll-options">{opts}</ul>'
                f'<button type="button" class="ll-check">Check my answer</button>'
                f'<p class="ll-feedback" aria-live="polite"></p>'
                f'<p class="ll-why" hidden>{text_html(self.why)}</p>{note}'
                f"<script>{_POLL_JS}</script></div>")


def text_html(text: str) -> str:
    """Poll text as HTML: escaped, with each ``$...$`` as the inline math Sphinx writes for the
    prose (``\\(...\\)`` in a ``math`` span), so that MathJax typesets it in the book and in
    Jupyter alike."""
    parts = text.split("$")
    if len(parts) % 2 == 0:
        raise ValueError(f"unbalanced $ (an odd number) in {text!r}: math goes between two $ signs")
    return "".join(html.escape(part) if i % 2 == 0 else
                   f'<span class="math notranslate nohighlight">\\({html.escape(part)}\\)</span>'
                   for i, part in enumerate(parts))


def poll(question: str, options: Sequence[str], correct, why: str, note: str = "",
         multiple: bool | None = None, feedback: Sequence[str] = ()) -> Poll:
    """``correct`` is the index (or list of indices) of the true options; ``why`` explains.
    ``multiple=True`` shows checkboxes ("mark all that are true") even when one option is true,
    so the form does not give away how many are; by default, checkboxes iff several are true.
    ``feedback``, if given, has one sentence per option, shown under each option the reader chose.
    ``why``, ``note`` and the feedback appear only once the reader has answered."""
    correct = [correct] if isinstance(correct, int) else list(correct)
    for text in [question, *options, why, note, *feedback]:
        text_html(text)  # a clear error for unbalanced $ now, not when the poll is shown
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
                f'<p class="ll-question"><strong>{text_html(self.question)}</strong></p>'
                f'<input type="text" inputmode="decimal" class="ll-answer" aria-label="your answer"> '
                f'<button type="button" class="ll-check">Check my answer</button>'
                f'<p class="ll-feedback" aria-live="polite"></p>'
                f'<p class="ll-why" hidden>{text_html(self.why)}</p>'
                f"<script>{_NUMBER_JS}</script></div>")


def number_check(question: str, answer: float, why: str, tol: float = 0.01) -> NumberCheck:
    """A self-checking exercise whose answer is a number (relative tolerance ``tol``)."""
    answer = float(answer)
    text_html(question), text_html(why)
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
    if in_book():
        return True
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return True
    return False


def notebook_explorables(path) -> list[Explorable]:
    """What a notebook's controls redraw in a live kernel: its code cells are run in order, in
    one fresh namespace, in the notebook's folder, their output discarded; each cell whose last
    expression is an ``explore(...)`` gives its Explorable (drawing nothing yet)."""
    import ast
    import contextlib
    import os
    from pathlib import Path

    path = Path(path).resolve()
    cells = [c for c in json.loads(path.read_text(encoding="utf8"))["cells"] if c["cell_type"] == "code"]
    namespace, found, here = {"__name__": "__main__"}, [], os.getcwd()
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        os.chdir(path.parent)
        try:
            for i, cell in enumerate(cells):
                tree = ast.parse("".join(cell["source"]))
                last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
                exec(compile(tree, f"{path.name} cell {i}", "exec"), namespace)
                if last is not None:
                    value = eval(compile(ast.Expression(last.value), f"{path.name} cell {i}", "eval"), namespace)
                    if isinstance(value, Explorable):
                        found.append(value)
                plt.close("all")
        finally:
            os.chdir(here)
    return found
