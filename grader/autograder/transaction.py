"""One gradebook transaction for everything nbgrader writes about one submission.

nbgrader's Autograde converter opens a ``Gradebook`` and commits a dozen times per submission:
the student, the submission, each grade cell's score and each solution cell's comment, then the
late penalty. A grader that fails or is killed between two of them leaves the submission half
written: new scores beside old comments, some cells re-scored and others not. Inside
``one(db_url)`` every ``Gradebook`` nbgrader opens shares one connection and one transaction,
and their commits only flush (SQLAlchemy's "join an external transaction": a session bound to a
connection already in a transaction does not commit it). The submission's rows land together
when the block ends, or not at all if it raised or the process died; once that transaction is
rolled back, SQLAlchemy refuses any further statement in the block.

On SQLite the transaction is ``BEGIN IMMEDIATE``: it takes the write lock at once, so the
workers of one machine hand over one after another instead of failing on a lock upgrade, and a
waiting worker waits (``WAIT`` seconds) instead of failing after pysqlite's 5.
"""
from __future__ import annotations

import contextlib

WAIT = 600  # seconds a worker waits for SQLite's write lock (the other workers' hand-overs)


@contextlib.contextmanager
def one(db_url: str):
    """Every nbgrader ``Gradebook(db_url)`` opened in the block writes into one transaction,
    committed when the block ends, rolled back if it raises; the block gets the transaction
    (``.rollback()`` it to drop what was written)."""
    import nbgrader.api
    from sqlalchemy import create_engine, event

    sqlite = db_url.startswith("sqlite")
    engine = create_engine(db_url, future=True, **({"connect_args": {"timeout": WAIT}} if sqlite else {}))
    if sqlite:  # pysqlite's implicit BEGIN off, and the transaction taking the write lock at once
        event.listen(engine, "connect", lambda dbapi, _: setattr(dbapi, "isolation_level", None))
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))

    def shared(url, **_):
        if url != db_url:
            raise RuntimeError(f"a gradebook other than {db_url} was opened inside its transaction")
        return conn

    real = nbgrader.api.create_engine, nbgrader.api.Gradebook.close
    try:
        with engine.connect() as conn, conn.begin() as transaction:
            nbgrader.api.create_engine = shared  # Gradebook.__init__ binds its session to it
            nbgrader.api.Gradebook.close = lambda gb: gb.db.remove()  # the connection is not its to close
            yield transaction
    finally:
        nbgrader.api.create_engine, nbgrader.api.Gradebook.close = real
        engine.dispose()
