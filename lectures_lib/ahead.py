"""A live widget's frames drawn ahead in a second process, so that the kernel stays free.

In a kernel, the frames not yet drawn are drawn before the reader asks for them. Drawn in the
kernel's own event loop, between messages (``interactive._fill_when_idle``), a frame being
drawn holds up the reader's next move until it is done (up to a second for the book's slowest
figures). ``start`` instead forks a child process that draws them, the nearest to the frame
shown first, on another core, and sends each one back as it is done; the kernel's event loop
puts it among the widget's frames, and the kernel draws a frame itself only when the reader
moves to one that is not there yet. After each move the kernel tells the child where the reader
is and which frames it has, and the child draws near there next. A move to the frame the
child is drawing at that moment waits for it (``Ahead.take``) rather than drawing it a second
time alongside, on a machine whose cores the two would share.

Forking, the child has the chapter's ``draw`` as it is (its closures, its data: nothing is
pickled but the frames), so this works where a process can fork (Linux: Colab, Binder,
JupyterHub); elsewhere ``start`` returns None and the kernel fills its frames itself. The child
writes nothing to the notebook (its output goes to /dev/null), runs at a lower priority than the
kernel, and exits once every frame is drawn or when the kernel goes (its pipe closes).
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import time
import warnings

ENABLED = True  # False: every frame is drawn in the kernel (the tests of that path set it)


class Ahead:
    """The parent's end: ``receive`` the child's frames into ``ex.frames``, ``take`` the one the
    reader moved to, ``tell`` the child where the reader is; ``stop`` it."""

    def __init__(self, ex, process, conn):
        self.ex, self.process, self.conn = ex, process, conn
        self.drawing = None  # the grid index the child is drawing now, as it last said

    def receive(self) -> bool:
        """Put a message from the child, if one is there, among the frames; False once the child
        has ended (every frame sent, or it died: the kernel draws the rest)."""
        try:
            if not self.conn.poll():
                return True
            idx, data = self.conn.recv()
        except (OSError, EOFError):
            return False
        if data is None:  # the child starts drawing idx
            self.drawing = idx
        else:
            self.ex.frames.setdefault(idx, data)
            self.drawing = None
        return True

    def take(self, idx: tuple, timeout: float = 10) -> None:
        """Before the kernel draws ``idx``: the frames the child has sent so far, and ``idx``
        itself when the child is drawing it (waited for, at most ``timeout`` s)."""
        if self.conn.closed:
            return
        while self.conn.poll() and self.receive():
            pass
        end = time.monotonic() + timeout
        while idx not in self.ex.frames and self.drawing == idx and self.conn.poll(max(0.0, end - time.monotonic())):
            if not self.receive():
                return

    def tell(self, shown: tuple, have) -> None:
        try:
            self.conn.send((shown, tuple(have)))
        except (OSError, EOFError):  # the child has finished (every frame drawn) or died
            pass

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(1)


def start(ex, shown: tuple, loop) -> Ahead | None:
    """Fork a child that draws the frames of ``ex`` (an ``interactive.Explorable``) not in
    ``ex.frames``, the nearest to ``shown`` first; ``loop`` (running) receives them into
    ``ex.frames``. None where a process cannot fork."""
    if not ENABLED or "fork" not in multiprocessing.get_all_start_methods():
        return None
    fork = multiprocessing.get_context("fork")
    ours, theirs = fork.Pipe()
    child = fork.Process(target=_draw_ahead, args=(ex, theirs, shown), daemon=True)
    with warnings.catch_warnings():  # Python 3.12 warns of fork in a process with threads (ipykernel's)
        warnings.simplefilter("ignore", DeprecationWarning)
        child.start()
    theirs.close()
    ahead = Ahead(ex, child, ours)

    def receive():
        if not ahead.receive():
            loop.remove_reader(ours.fileno())
            ours.close()
            child.join(1)

    loop.add_reader(ours.fileno(), receive)
    return ahead


def _draw_ahead(ex, conn, shown) -> None:
    """The child's whole life: ``draw_in_order``, then exit at once."""
    code = 1
    try:
        sys.stdout = sys.stderr = open(os.devnull, "w")
        os.nice(10)
        _fonts_of_its_own()
        draw_in_order(ex, conn, shown)
        code = 0
    except (OSError, EOFError):  # the kernel went
        code = 0
    finally:  # an error in ``draw`` ends the child: the kernel draws that frame, and shows the error
        os._exit(code)  # none of the kernel's exit handlers: they belong to the parent


def _fonts_of_its_own() -> None:
    """A FreeType font read by two processes is read wrong by both: it reads its file through one
    descriptor, whose offset the two share ("invalid outline", "too many hints"). Matplotlib
    drops its cache of fonts in a forked child; its cache of parsed mathtext, which holds fonts
    too, is dropped here, so that the child opens every font it uses itself."""
    from matplotlib.mathtext import MathTextParser

    MathTextParser._parse_cached.cache_clear()


def draw_in_order(ex, conn, shown) -> None:
    """Send ``(idx, frame)`` through ``conn`` for every frame nobody has yet, each time the one
    nearest to where the reader is, as last told (``Ahead.tell``) before it is drawn; and
    ``(idx, None)`` as it starts to draw one."""
    have = set(ex.frames)
    while True:
        while conn.poll():
            shown, told = conn.recv()
            have.update(told)
        todo = [idx for idx in ex.nearest(shown) if idx not in have]
        if not todo:
            return
        have.add(todo[0])
        conn.send((todo[0], None))
        conn.send((todo[0], ex.frame_bytes(todo[0])))
