"""The LangGraph checkpointer, where every conversation's messages and steps live: SQLite next to the seeded
database, or PostgreSQL when ``UWC_DATABASE_URL`` names one (see ``graph/threads.py`` for the store of titles,
owners and feedback beside it)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from core import database
from core.database import is_postgres, libpq_url, normalize_url, write_ahead

SETUP_LOCK = 7_420_115  # pg_advisory_lock key (beside the store's MIGRATION_LOCK): replicas create the tables in turn


def open_checkpointer(target, wait: float = 10.0):
    """The LangGraph checkpointer: ``SqliteSaver`` for a path, ``PostgresSaver`` on a pool for a PostgreSQL URL.

    Both expose ``.conn.close()``. The pool checks a connection before lending it when it may be stale (idle a
    while, or a fault seen since: ``_pool_class``), so a conversation resumes once a restarted PostgreSQL answers
    again; a turn waits at most ``wait`` seconds for one (``UWC_DATABASE_WAIT``).
    """
    if isinstance(target, str) and is_postgres(target):
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row

        lent: dict = {}  # the pool, for its check
        pool = _pool_class()(
            libpq_url(target),
            min_size=1,
            max_size=40,  # a few per running turn: one holds the turn's writer lock (graph/writer_lock.py)
            kwargs={
                "autocommit": True,
                # psycopg's default: a statement run 5 times on a connection is prepared (parsed and planned once).
                # The checkpointer runs the same few statements ~30 times a turn: a quarter of a turn's time.
                "prepare_threshold": 5,
                "row_factory": dict_row,
                "connect_timeout": database.connect_timeout(wait),
            },
            check=lambda conn: _check_if_stale(conn, lent["pool"]),
            timeout=wait,
            open=False,
        )
        lent["pool"] = pool
        pool.open(wait=True, timeout=max(wait, 10.0))  # at start-up a slow first connection is no outage
        saver = PostgresSaver(pool)  # rows are dicts (row_factory)
        with pool.connection() as conn:  # replicas starting together: create the tables one at a time
            conn.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK,))
            try:
                saver.setup()
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))
        return saver
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    lite = sqlite3.connect(str(path), check_same_thread=False, timeout=database.BUSY_TIMEOUT_S)
    write_ahead(lite)
    lite_saver = SqliteSaver(lite)
    lite_saver.setup()
    return lite_saver


FRESH_S = 2.0  # a connection handed back healthy this recently, with no fault since, is lent without a check


def _pool_class():
    """psycopg's pool, knowing when each connection came back and when one last came back broken.

    Checking a connection before every loan (a round trip) was 20 of a turn's 51 round trips to PostgreSQL and half
    its time. Now a connection is checked when it has been idle a while or any connection of the pool came back
    broken since it did: after an outage the pool still replaces what the restart broke, and a restart within
    ``FRESH_S`` of a turn costs at most the one turn that meets it (told to send again, the conversation kept)."""
    from psycopg_pool import ConnectionPool

    class Pool(ConnectionPool):
        fault_at = 0.0

        def putconn(self, conn) -> None:
            now = time.monotonic()
            if conn.broken or conn.closed:
                self.fault_at = now
            else:
                conn._uwc_returned = now
            super().putconn(conn)

    return Pool


def _check_if_stale(conn, pool) -> None:
    from psycopg_pool import ConnectionPool

    returned = getattr(conn, "_uwc_returned", None)
    if returned is None or returned <= pool.fault_at or time.monotonic() - returned > FRESH_S:
        ConnectionPool.check_connection(conn)


def checkpoint_target(settings):
    return normalize_url(settings.database_url) if is_postgres(settings.database_url) else settings.checkpoint_path
