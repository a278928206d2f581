"""A live widget's frames drawn ahead in a forked process (``lectures_lib.ahead``)."""
import asyncio
import contextlib
import io
import os
import multiprocessing
import time

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402

from homework.loops import live  # noqa: E402
from lectures_lib import ahead, interactive  # noqa: E402

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")


def draw(a):
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [0, a])
    ax.set_title(f"a = {a}")
    return fig


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


async def until(done):
    while not done():
        await asyncio.sleep(0.01)


@pytest.fixture
def kernel(monkeypatch):
    pytest.importorskip("ipywidgets")
    monkeypatch.delenv("LECTURES_LIB_STATIC", raising=False)


def test_the_child_draws_every_other_frame_and_they_are_the_kernels_own(kernel):
    calls = []
    ex = interactive.explore(counting(draw, calls), a=interactive.Control(list(range(7)), initial=3), alt="a line")

    async def session():
        box = ex.widget()
        assert box.ahead is not None
        await until(lambda: len(ex.frames) == 7)
        box.ahead.process.join(10)
        return box.ahead.process.exitcode

    assert live(session) == 0  # it ended by itself, every frame drawn
    assert calls == [3]  # the kernel drew the start only
    kernel_drawn = interactive.explore(draw, a=list(range(7)), alt="a line")
    for idx, frame in ex.frames.items():
        assert np.array_equal(pixels(frame), pixels(kernel_drawn.frame_bytes(idx))), idx


class Conn:
    """A pipe's end that the reader's ``moves`` reach: after the child's n-th frame, the kernel
    says where the reader is now."""

    def __init__(self, moves):
        self.moves, self.sent, self.said, self.inbox = moves, [], [], []

    def poll(self):
        return bool(self.inbox)

    def recv(self):
        return self.inbox.pop(0)

    def send(self, message):
        (a,), frame = message
        if frame is None:  # "drawing a now"
            self.said.append(a)
            return
        assert self.said[-1] == a, "a frame sent without saying first that it was being drawn"
        self.sent.append(a)
        if len(self.sent) in self.moves:
            self.inbox.append(self.moves[len(self.sent)])


def test_the_child_draws_nearest_where_the_reader_is_as_last_told():
    ex = interactive.explore(draw, a=list(range(9)), alt="a line")
    ex.frame_bytes((4,))
    conn = Conn({2: ((8,), [(4,), (8,)])})  # after two frames the reader moved to 8 (the kernel drew it)
    ahead.draw_in_order(ex, conn, (4,))
    assert conn.sent == conn.said == [3, 5, 7, 6, 2, 1, 0]  # 3, 5 near 4; then from 8 down, skipping 8 and what is done


def counting(draw_a, calls):
    def counted(a):
        calls.append(a)  # the kernel's list: the child appends to its copy
        return draw_a(a)
    return counted


def test_a_move_to_the_frame_the_child_is_drawing_waits_for_it(kernel):
    def slow(a):
        time.sleep(0.5)
        return draw(a)

    calls = []
    ex = interactive.explore(counting(slow, calls), a=interactive.Control(list(range(7)), initial=3), alt="a line")

    async def session():
        box = ex.widget()
        await until(lambda: box.ahead.drawing == (2,))  # the child said so: it draws 2, the nearest, first
        box.inputs[0].value = 2
        return box.image.value

    shown = live(session)
    assert calls == [3]  # the kernel drew the start, and took 2 from the child
    assert shown == ex.frames[(2,)] and np.array_equal(pixels(shown), pixels(interactive.explore(draw, a=list(range(7)), alt="a line").frame_bytes((2,))))


def test_a_move_takes_the_frames_already_sent_before_the_loop_has_read_them(kernel):
    calls = []
    ex = interactive.explore(counting(draw, calls), a=interactive.Control(list(range(7)), initial=3), alt="a line")

    async def session():
        box = ex.widget()
        time.sleep(3)  # the kernel busy (the loop reads nothing): the child draws 2, 4, 1, 5, ...
        assert (2,) not in ex.frames
        box.inputs[0].value = 4
        return box.image.value

    shown = live(session)
    assert calls == [3] and shown == ex.frames[(4,)]


def test_a_child_whose_draw_fails_leaves_the_kernel_drawing(kernel):
    def fails_at_5(a):
        if a == 5:
            raise ValueError("a = 5 fails")
        return draw(a)

    ex = interactive.explore(fails_at_5, a=interactive.Control(list(range(7)), initial=3), alt="a line")

    async def session():
        box = ex.widget()
        await until(lambda: box.ahead.conn.closed)  # the kernel closed its end at the child's end
        box.ahead.process.join(10)
        drawn = set(ex.frames)
        box.inputs[0].value = 6  # the child never drew 6: the kernel does now
        with pytest.raises(ValueError, match="a = 5 fails"):
            box.inputs[0].value = 5
        return box.ahead.process.exitcode, drawn

    code, drawn = live(session)
    assert code == 1
    assert drawn == {(3,), (2,), (4,), (1,)}  # nearest 3, up to the failure
    assert (6,) in ex.frames and (5,) not in ex.frames


def test_stop_ends_the_child(kernel):
    def slow(a):
        time.sleep(1)
        return draw(a)

    ex = interactive.explore(slow, a=list(range(50)), alt="a line")

    async def session():
        box = ex.widget()
        box.ahead.stop()
        return box.ahead.process.is_alive()

    assert live(session) is False


FORMULAS = [r"$\sum_k \eta_k^2 < \infty$", r"$\nabla_w E(w_k)$"]


def formulas(order):
    fig = plt.figure(figsize=(2, 1))
    for k in order:
        fig.text(0.1, 0.1 + 0.4 * k, FORMULAS[k])
    return fig


def font_offsets() -> dict:
    """The read offset of every font file this process holds open, by descriptor (Linux's /proc)."""
    offsets = {}
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/self/fd/{fd}").endswith((".ttf", ".otf")):
                with open(f"/proc/self/fdinfo/{fd}") as info:
                    offsets[fd] = int(info.readline().split()[1])
    return offsets


def test_the_child_reads_no_font_the_kernel_opened(kernel):
    """A font opened before the fork reads its file through a descriptor whose offset kernel and
    child share: were both to read it, each would read glyphs wrong ("invalid outline", wrong
    pixels). The child opens its own (``_fonts_of_its_own``): drawing every frame, it moves none
    of the kernel's offsets. The kernel draws the start (the formulas in one order, which opens
    their fonts); the child's last frame draws them the other way round."""
    ex = interactive.explore(lambda a: formulas([0, 1] if a % 2 == 0 else [1, 0]), a=list(range(4)),
                             alt="formulas")

    async def session():
        box = ex.widget()
        before = font_offsets()  # the kernel waits from here on: it reads no font
        await until(lambda: len(ex.frames) == 4)
        box.ahead.process.join(10)
        return before, font_offsets()

    before, after = live(session)
    assert before  # the formulas' fonts are open
    assert {fd: after.get(fd) for fd in before} == before
