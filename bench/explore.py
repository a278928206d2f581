"""A slider move in a live kernel: how long the widget takes to show the new frame, for every
figure with controls in the book.

    python bench/explore.py [--tiny] [--out bench/results]

Each chapter's controls are made as a live kernel makes them (``interactive.notebook_explorables``).
For each figure, in one run, moves to the frames nearest its start (each a frame not yet drawn)
are timed three ways, in this order:
  - "kept figure", first (nothing the chapter's code may cache is warm yet): the widget's path, ``frame_bytes``: the new figure's content is copied into the
    figure the widget keeps and that one is redrawn (``redraw.Kept``), or, when it cannot be, the
    new figure is rendered itself;
  - "anew": the chapter's ``draw`` makes a new figure, rendered at 2x and encoded (what every move
    cost before the widget kept a figure);
  - "kept frame": moving back to a frame already drawn;
  - "session": a reader's moves as a live kernel sees them, a fresh widget in a running event loop
    (so the frames not yet drawn are drawn ahead by a forked process, ``ahead``), one move every
    GAP seconds through the same frames: the time from a move's arrival to the new image,
    including any wait for a frame being drawn in the background;
  - "session_in_kernel": the same where no process can fork, the frames filled by the kernel
    between messages (``interactive._fill_when_idle``);
  - "session_fast": the forked process, a quicker reader (a move every FAST_GAP seconds).
The first two include the chapter's own ``draw`` (its computation and the new figure's making),
timed alone as "draw". No frontend is attached: the time is the kernel's, up to the widget's new
value. ``--tiny``: chapter 9's figure, three moves.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import common  # noqa: E402
from lectures_lib import ahead, interactive  # noqa: E402

MOVES = 8  # first moves per figure
GAP, FAST_GAP = 1.0, 0.3  # seconds between a reader's moves in the sessions
KINDS = ("anew", "kept_figure", "draw", "kept_frame", "session", "session_in_kernel", "session_fast")


def timed(f, *args):
    t0 = time.perf_counter()
    f(*args)
    return 1e3 * (time.perf_counter() - t0)


def mover(ex, box):
    def move(idx):  # every control at once: the widget draws the one frame
        with contextlib.ExitStack() as held:
            for i in box.inputs:
                held.enter_context(i.hold_trait_notifications())
            for i, v in zip(box.inputs, idx):
                i.value = v
        if box.image.value != ex.frames[idx]:
            raise AssertionError(f"the widget does not show frame {idx}")
    return move


def session(ex, moves, gap, fork=True) -> list[float]:
    """ms from each move's arrival (every ``gap`` s) to its image, in a running event loop; the
    frames drawn ahead by a forked process, or (``fork`` False) by the loop between moves."""
    ahead.ENABLED = fork
    fresh = interactive.Explorable(ex.draw, ex.controls, ex.alt)  # nothing drawn yet

    async def reader():
        loop = asyncio.get_running_loop()
        move = mover(fresh, fresh.widget())  # draws the start; filling begins 0.1 s later
        t0, waited = loop.time(), []
        for n, idx in enumerate(moves[1:], 1):
            due = t0 + n * gap
            await asyncio.sleep(due - loop.time())  # resumes once the loop is free after ``due``
            move(idx)
            waited.append(max(0.0, 1e3 * (loop.time() - due)))  # asyncio may wake up to its clock resolution early
        return waited

    return asyncio.run(reader())


def figure_moves(ex, moves, gap):
    box = ex.widget()  # draws the start frame; no event loop runs here, so nothing fills in the background
    move = mover(ex, box)

    row = {"anew": [], "kept_figure": [], "draw": [], "kept_frame": []}
    for idx in moves[1:]:
        params = ex.params(idx)
        row["kept_figure"].append(timed(move, idx))
        row["draw"].append(timed(lambda p: plt.close(ex.draw(**p)), params))
        row["anew"].append(timed(lambda p: interactive.image_bytes(ex.draw(**p)), params))
    row["kept_frame"] = [timed(move, idx) for idx in moves for _ in range(3)]
    plt.close("all")
    for kind, gap_, fork in [("session", gap, True), ("session_in_kernel", gap, False),
                             ("session_fast", gap * FAST_GAP / GAP, True)]:
        row[kind] = session(ex, moves, gap_, fork)
        plt.close("all")
    return row


def histogram(every: dict, n_figures: int):
    """The moves' times, each kind a step histogram on a log axis."""
    return common.latency_histogram(
        [(every[k], color, label) for k, color, label in [
            ("anew", "0.6", "new figure"), ("kept_figure", "C0", "kept figure"), ("draw", "C2", "chapter's draw alone"),
            ("session", "C1", f"a reader, a move every {GAP:g} s"),
            ("session_in_kernel", "C4", "the same, frames drawn in the kernel"),
            ("session_fast", "C5", f"a reader, a move every {FAST_GAP:g} s")]],
        "ms from a move to its image", f"live kernel: {n_figures} figures of the book")


def main(argv=None):
    args = common.arguments(__doc__, argv)
    os.environ.pop("LECTURES_LIB_STATIC", None)
    chapters = sorted((common.ROOT / "book").glob("*.ipynb"))
    if args.tiny:
        chapters = [c for c in chapters if c.name.startswith("09")]
    figures = []
    for chapter in chapters:
        for n, ex in enumerate(interactive.notebook_explorables(chapter)):
            moves = ex.nearest(ex.start())[:4 if args.tiny else MOVES + 1]  # the start and the frames nearest it
            if len(moves) < 2:
                continue
            row = figure_moves(ex, moves, 0.2 if args.tiny else GAP)
            figures.append({"chapter": chapter.stem, "figure": n, "frames": len(moves),
                            "copied": ex.kept.copied, "rendered": ex.kept.rendered,
                            **{f"{k}_median_ms": float(np.median(v)) for k, v in row.items()},
                            **{f"{k}_ms": v for k, v in row.items()}})
            f = figures[-1]
            print(f"{chapter.stem} figure {n}: a move to a new frame {f['kept_figure_median_ms']:.0f} ms "
                  f"(anew {f['anew_median_ms']:.0f} ms, the chapter's draw alone {f['draw_median_ms']:.0f} ms); "
                  f"{ex.kept.copied} of {len(moves) - 1} copied into the kept figure; in a reader's session "
                  f"{f['session_median_ms']:.0f} ms (worst {max(f['session_ms']):.0f} ms; frames drawn in the kernel "
                  f"{f['session_in_kernel_median_ms']:.0f}, worst {max(f['session_in_kernel_ms']):.0f} ms; a move every "
                  f"{FAST_GAP:g} s {f['session_fast_median_ms']:.0f}, worst {max(f['session_fast_ms']):.0f} ms)", flush=True)
    every = {k: np.concatenate([f[f"{k}_ms"] for f in figures]) for k in KINDS}
    summary = {f"{k}_median_ms": float(np.median(v)) for k, v in every.items()}
    summary.update({f"{k}_p90_ms": float(np.percentile(v, 90)) for k, v in every.items()})
    summary.update({f"{k}_under_200ms": float(np.mean(v <= 200)) for k, v in every.items()})
    summary["anew_over_kept_figure"] = float(np.median(every["anew"] / every["kept_figure"]))
    summary["draw_over_200ms"] = float(np.mean(every["draw"] > 200))  # the chapter's computation alone is over
    print(f"over {len(figures)} figures, {len(every['anew'])} moves to a frame not yet drawn: median "
          f"{summary['kept_figure_median_ms']:.0f} ms (anew {summary['anew_median_ms']:.0f} ms; median ratio "
          f"{summary['anew_over_kept_figure']:.1f}); within 200 ms: {summary['kept_figure_under_200ms']:.0%} "
          f"(anew {summary['anew_under_200ms']:.0%}); the chapter's draw alone is over 200 ms in "
          f"{summary['draw_over_200ms']:.0%}; a move to a kept frame: median {summary['kept_frame_median_ms']:.2f} ms; "
          f"a reader's session, a move every {GAP:g} s: median {summary['session_median_ms']:.1f} ms, within 200 ms: "
          f"{summary['session_under_200ms']:.0%}, p90 {summary['session_p90_ms']:.0f} ms, worst "
          f"{every['session'].max():.0f} ms (frames drawn in the kernel instead: within 200 ms "
          f"{summary['session_in_kernel_under_200ms']:.0%}, p90 {summary['session_in_kernel_p90_ms']:.0f} ms); "
          f"a move every {FAST_GAP:g} s: within 200 ms {summary['session_fast_under_200ms']:.0%}, p90 "
          f"{summary['session_fast_p90_ms']:.0f} ms")
    fig = histogram(every, len(figures))
    common.write(args.out, "explore", {"tiny": args.tiny, "figures": figures, **summary}, fig)


if __name__ == "__main__":
    main()
