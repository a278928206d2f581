"""Event loops in tests: a live widget's tests run as in a kernel, in a running asyncio loop."""
import asyncio
from concurrent.futures import ThreadPoolExecutor


def in_a_thread(f):
    """``f()`` in a thread of its own (its exception re-raised here): this worker's main thread
    may hold another test's event loop (Playwright's sync API keeps one running while its
    browser is open)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(f).result()


def live(session, timeout: float = 60):
    """``session()``, a coroutine function, run to its end (at most ``timeout`` s) in a running
    loop of its own, as a kernel runs a cell's code, in a thread of its own."""
    return in_a_thread(lambda: asyncio.run(asyncio.wait_for(session(), timeout)))
