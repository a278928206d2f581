"""A slider move in JupyterLab as a reader sees it: from the key press to the new frame on screen.

    python bench/jupyterlab.py [--tiny] [--chapters 05 09 ...] [--out bench/results]

The venv's JupyterLab serves a copy of the book (so nothing is saved into the sources); Chromium
(Playwright, headless) opens each chapter, runs all its cells, and then, as a reader would, moves
each figure's controls in turn (a slider's handle from the keyboard: ArrowRight, or ArrowLeft at
its end; radio buttons: a click on the next one), one move every GAP seconds, MOVES moves per figure, the
controls taken in turn. Each move is timed in the page, from the keydown (or pointerdown) to the widget's
image showing its new frame (its ``src`` changed and the image decoded, at the next animation
frame): the kernel's work, the messages both ways and the browser's.

Each chapter is run twice, in this order: "ahead" (as shipped: a forked process draws the frames
not yet drawn, ``lectures_lib.ahead``) and "in_kernel" (the copy's first cell sets
``ahead.ENABLED = False``: the kernel fills its frames between messages, as where no process can
fork). ``--tiny``: chapter 9, two moves, each mode.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

import common  # noqa: E402

MOVES, GAP = 8, 1.0
MODES = {"ahead": "", "in_kernel": "from lectures_lib import ahead\nahead.ENABLED = False\n"}
CHROMIUM = "/usr/bin/chromium"

# A promise of the ms from the next key press or click to ``img`` showing a new src (null after 20 s).
WATCH_JS = """img => { window.__move = new Promise(resolve => {
  let t0 = null;
  const start = () => { if (t0 === null) t0 = performance.now(); };
  document.addEventListener('keydown', start, {capture: true, once: true});
  document.addEventListener('pointerdown', start, {capture: true, once: true});
  const seen = new MutationObserver(() => {
    seen.disconnect();
    img.decode().catch(() => null).then(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
  });
  seen.observe(img, {attributes: true, attributeFilter: ['src']});
  setTimeout(() => { seen.disconnect(); resolve(null); }, 20000);
}); }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_of_the_book(into: Path, chapters, first_cell: str) -> list[Path]:
    """The chapters (and what they read: bench/results) under ``into``; ``first_cell`` is
    prepended to each chapter's code."""
    shutil.copytree(common.ROOT / "bench" / "results", into / "bench" / "results", dirs_exist_ok=True)
    (into / "book").mkdir(exist_ok=True)
    paths = []
    for source in chapters:
        nb = json.loads(source.read_text(encoding="utf8"))
        if first_cell:
            nb["cells"].insert(0, {"cell_type": "code", "metadata": {}, "execution_count": None,
                                   "outputs": [], "source": first_cell})
        path = into / "book" / source.name
        path.write_text(json.dumps(nb), encoding="utf8")
        paths.append(path)
    return paths


def jupyterlab(root: Path, port: int, settings: Path):
    """The venv's JupyterLab on ``port``, no token, the app exposed to the page, no autosave."""
    (settings / "@jupyterlab" / "docmanager-extension").mkdir(parents=True, exist_ok=True)
    (settings / "@jupyterlab" / "docmanager-extension" / "plugin.jupyterlab-settings").write_text('{"autosave": false}')
    env = {k: v for k, v in os.environ.items() if k != "LECTURES_LIB_STATIC"}
    env.update(JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTER_CONFIG_DIR=str(settings / "config"))
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("jupyter-lab")), "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         "--IdentityProvider.token=", "--ServerApp.password=", f"--ServerApp.root_dir={root}",
         "--LabApp.expose_app_in_browser=True", *(["--allow-root"] if os.geteuid() == 0 else [])],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api", timeout=1)
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("JupyterLab did not start within 60 s")


def run_all(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.sessionContext", timeout=120_000)
    page.evaluate("async () => { await window.jupyterapp.shell.currentWidget.sessionContext.ready; }")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function("""() => {
        const w = window.jupyterapp.shell.currentWidget, s = w.sessionContext.session, k = s && s.kernel;
        if (!k) return false;
        const prompts = [...w.node.querySelectorAll('.jp-InputArea-prompt')].map(p => p.textContent);
        return k.status === 'idle' && prompts.every(p => !p.includes('*')) && prompts.some(p => /\\d/.test(p));
    }""", timeout=600_000, polling=500)
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count()
    if page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']").count():
        raise RuntimeError(f"{url}: a cell failed ({errors} stderr outputs)")


def controls(figure):
    """Each control of one figure's widget: (the element that takes the key, how it moves)."""
    found = []
    for c in figure.locator(".widget-slider, .widget-radio").all():
        handle = c.locator(".noUi-handle")
        if handle.count():
            found.append(("slider", handle.first))
        else:
            found.append(("radio", c))
    return found


def move(page, kind, element) -> float | None:
    if kind == "slider":
        at, top = (element.get_attribute(a) for a in ("aria-valuenow", "aria-valuemax"))
        key = "ArrowLeft" if at is not None and float(at) >= float(top) else "ArrowRight"
        element.focus()
        page.keyboard.press(key)
    else:  # ipywidgets' radio buttons change on a click only (not on the arrow keys' change)
        radios = element.locator("input[type=radio]")
        at = next(i for i in range(radios.count()) if radios.nth(i).is_checked())
        radios.nth((at + 1) % radios.count()).click()
    return page.evaluate("window.__move")


def chapter_moves(page, url, moves) -> list[dict]:
    run_all(page, url)
    figures = [f for f in page.locator(".widget-vbox").all() if f.locator(".widget-image img, img.widget-image").count()]
    rows = []
    for n, figure in enumerate(figures):
        figure.scroll_into_view_if_needed()
        img = figure.locator("img").first
        ctrls = controls(figure)
        times = []
        for k in range(moves):
            due = time.monotonic() + GAP
            page.evaluate(WATCH_JS, img.element_handle())
            times.append(move(page, *ctrls[k % len(ctrls)]))
            time.sleep(max(0.0, due - time.monotonic()))
        rows.append({"figure": n, "ms": times})
    return rows


def histogram(every: dict, n_figures: int):
    return common.latency_histogram(
        [(every["ahead"], "C1", "frames drawn ahead (forked)"), (every["in_kernel"], "C4", "frames drawn in the kernel")],
        "ms from a key press to the new frame on screen", f"JupyterLab: {n_figures} figures, a move every {GAP:g} s")


def main(argv=None):
    args = common.arguments(__doc__, argv, extra=[(("--chapters",), {"nargs": "*", "default": None,
                                                   "help": "chapter numbers (default: every chapter)"})])
    from playwright.sync_api import sync_playwright

    wanted = ["09"] if args.tiny else args.chapters
    chapters = [c for c in sorted((common.ROOT / "book").glob("*.ipynb"))
                if wanted is None or c.name[:2] in wanted]
    moves = 2 if args.tiny else MOVES
    result = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        copies = {mode: copy_of_the_book(Path(tmp) / "root" / mode, chapters, first_cell) for mode, first_cell in MODES.items()}
        port = free_port()
        server = jupyterlab(Path(tmp) / "root", port, Path(tmp) / "settings")
        try:
            for mode, paths in copies.items():
                for path in paths:
                    page = browser.new_page(viewport={"width": 1280, "height": 900})
                    # a workspace of its own, so that JupyterLab does not reopen the chapters before
                    url = f"http://127.0.0.1:{port}/lab/workspaces/{mode}-{path.stem}/tree/{mode}/book/{path.name}"
                    rows = chapter_moves(page, url, moves)
                    page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
                    page.close()
                    for row in rows:
                        row["chapter"] = path.stem
                        ms = [t for t in row["ms"] if t is not None]
                        shown = f"median {np.median(ms):.0f} ms, worst {max(ms):.0f} ms" if ms else "no move shown"
                        print(f"{mode}: {path.stem} figure {row['figure']}: {shown} "
                              f"({len(row['ms']) - len(ms)} moves never shown)", flush=True)
                    result[mode] += rows
        finally:
            server.terminate()
            server.wait(30)
            browser.close()
    every = {mode: np.array([t if t is not None else np.inf for r in rows for t in r["ms"]]) for mode, rows in result.items()}
    summary = {}
    for mode, v in every.items():
        summary.update({f"{mode}_median_ms": float(np.median(v)), f"{mode}_p90_ms": float(np.percentile(v, 90)),
                        f"{mode}_under_200ms": float(np.mean(v <= 200)), f"{mode}_never_shown": int(np.sum(~np.isfinite(v)))})
    print(f"JupyterLab, {len(every['ahead'])} moves, a move every {GAP:g} s: frames drawn ahead: median "
          f"{summary['ahead_median_ms']:.0f} ms, p90 {summary['ahead_p90_ms']:.0f} ms, within 200 ms "
          f"{summary['ahead_under_200ms']:.0%}; drawn in the kernel: median {summary['in_kernel_median_ms']:.0f} ms, "
          f"p90 {summary['in_kernel_p90_ms']:.0f} ms, within 200 ms {summary['in_kernel_under_200ms']:.0%}")
    fig = histogram({m: v[np.isfinite(v)] for m, v in every.items()}, len(result["ahead"]))
    common.write(args.out, "jupyterlab", {"tiny": args.tiny, "chapters": [c.stem for c in chapters],
                                          "moves": {m: rows for m, rows in result.items()}, **summary}, fig)


if __name__ == "__main__":
    main()
