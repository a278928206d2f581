"""One gradebook transaction per submission (``autograder.transaction.one``): nbgrader's many
commits inside it land together or not at all, whether the block raises, nbgrader rolls back, or
the process is killed; two machines' workers (processes) writing at once both succeed. What
landed is read with sqlite3 directly, not through the code under test."""
import multiprocessing
import os
import signal
import sqlite3

import nbgrader.api
import pytest
from nbgrader.api import Gradebook

from autograder import handover, transaction


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    handover.alembic_on_path()  # a new gradebook's alembic stamp
    Gradebook(url).close()
    return url


def students(url):
    with sqlite3.connect(url.removeprefix("sqlite:///")) as con:
        return sorted(row[0] for row in con.execute("SELECT id FROM student"))


def nbgrader_writes(url, *names):
    """As nbgrader's converter does: a Gradebook per step, each committing."""
    for name in names:
        with Gradebook(url) as gb:
            gb.update_or_create_student(name)  # commits


def test_many_commits_inside_land_together_when_the_block_ends(db):
    with transaction.one(db):
        nbgrader_writes(db, "a", "b", "c")
        assert students(db) == []  # committed by nbgrader, yet not visible outside
        with Gradebook(db) as gb:  # and visible inside
            assert [s.id for s in gb.students] == ["a", "b", "c"]
    assert students(db) == ["a", "b", "c"]


def test_nothing_lands_when_the_block_raises_and_nbgrader_is_itself_again(db):
    real = nbgrader.api.create_engine, nbgrader.api.Gradebook.close
    with pytest.raises(KeyError), transaction.one(db):
        nbgrader_writes(db, "a", "b")
        raise KeyError("the converter failed")
    assert students(db) == []
    assert (nbgrader.api.create_engine, nbgrader.api.Gradebook.close) == real
    nbgrader_writes(db, "z")  # outside a block: nbgrader's own short transactions
    assert students(db) == ["z"]


def test_rolling_the_blocks_transaction_back_drops_what_was_written(db):
    with transaction.one(db) as writes:
        nbgrader_writes(db, "a", "b")
        writes.rollback()
    assert students(db) == []


def test_a_step_nbgrader_rolls_back_does_not_end_the_transaction(db):
    """nbgrader rolls its session back on an IntegrityError, then raises: the rest must still
    be undone with the block."""
    with pytest.raises(KeyError), transaction.one(db):
        with Gradebook(db) as gb:
            gb.update_or_create_student("a")
            gb.db.rollback()
            gb.update_or_create_student("b")
        raise KeyError("the converter failed")
    assert students(db) == []


def test_once_the_transaction_is_rolled_back_nothing_more_can_land(db):
    from sqlalchemy.exc import InvalidRequestError

    with pytest.raises(InvalidRequestError, match="closed transaction"), transaction.one(db):
        with Gradebook(db) as gb:
            gb.update_or_create_student("a")
            gb.engine.rollback()  # gb.engine is the shared connection
            gb.update_or_create_student("b")  # would begin, and commit, a second transaction
    assert students(db) == []


def test_a_gradebook_other_than_the_transactions_is_refused(db, tmp_path):
    with pytest.raises(RuntimeError, match="other than"), transaction.one(db):
        Gradebook(f"sqlite:///{tmp_path / 'other.db'}")


def _killed_inside(url, ready):
    with transaction.one(url):
        nbgrader_writes(url, "a", "b")
        ready.set()
        signal.pause()


def test_a_process_killed_inside_the_block_leaves_nothing_and_a_usable_gradebook(db):
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()
    child = ctx.Process(target=_killed_inside, args=(db, ready))
    child.start()
    assert ready.wait(60)
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    assert child.exitcode == -signal.SIGKILL
    assert students(db) == []
    nbgrader_writes(db, "c")
    assert students(db) == ["c"]


def _many(url, prefix, n, start):
    start.wait()
    for i in range(n):
        with transaction.one(url):
            nbgrader_writes(url, f"{prefix}{i}a", f"{prefix}{i}b")


def test_two_processes_writing_at_once_both_succeed(db):
    """Without BEGIN IMMEDIATE two deferred transactions that both read, then write, deadlock
    on SQLite's lock upgrade and one fails at once with 'database is locked'."""
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    workers = [ctx.Process(target=_many, args=(db, p, 15, start)) for p in "xy"]
    for w in workers:
        w.start()
    start.set()
    for w in workers:
        w.join(120)
    assert [w.exitcode for w in workers] == [0, 0]
    assert len(students(db)) == 2 * 2 * 15
