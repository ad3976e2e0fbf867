"""The LangGraph checkpointer, where every conversation's messages and steps live: SQLite next to the seeded
database, or PostgreSQL when ``UWC_DATABASE_URL`` names one (see ``graph/threads.py`` for the store of titles,
owners and feedback beside it)."""

from __future__ import annotations

import copy
import sqlite3
import threading
import time
import typing
from collections import OrderedDict
from functools import cache
from pathlib import Path
from typing import Any

from core import database
from core.database import is_postgres, libpq_url, normalize_url, write_ahead

SETUP_LOCK = 7_420_115  # pg_advisory_lock key (beside the store's MIGRATION_LOCK): replicas create the tables in turn
SETUP_POLL_S = 0.05


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
                "options": database.async_commit(target),  # a turn's ~30 commits without an fsync each
            },
            check=lambda conn: _check_if_stale(conn, lent["pool"]),
            timeout=wait,
            open=False,
        )
        lent["pool"] = pool
        pool.open(wait=True, timeout=max(wait, 10.0))  # at start-up a slow first connection is no outage
        saver = _keeping(PostgresSaver)(pool)  # rows are dicts (row_factory)
        with pool.connection() as conn:  # replicas starting together: create the tables one at a time
            # Asked again and again, never waited for in one statement: the holder's setup runs CREATE INDEX
            # CONCURRENTLY on another connection, which waits for every open transaction to end, and a waiting
            # pg_advisory_lock is one. Two replicas started together on a new database waited for each other for
            # good (through this process, so the server saw no deadlock).
            while not conn.execute("SELECT pg_try_advisory_lock(%s) AS held", (SETUP_LOCK,)).fetchone()["held"]:
                time.sleep(SETUP_POLL_S)
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
    lite_saver = _keeping(SqliteSaver)(lite)
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


KEEP_THREADS = 64  # threads whose state at their latest loaded checkpoint a process keeps (a few MB at most)
WALK_MAX = 64  # checkpoints walked back to a kept one (a turn writes ~6); further, the saver reads it all again

# The checkpoints of a thread from the kept one to the one loaded, newest first, each with its writes to the delta
# channels asked (a left join: a checkpoint without any still gives its parent). The columns of LangGraph's own
# tables, as its savers read them; no checkpoint blob is read, so a snapshot on the way is never deserialised.
_CHAIN_SQLITE = """
WITH chain AS (
    SELECT checkpoint_id, parent_checkpoint_id FROM checkpoints
    WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id >= ? AND checkpoint_id <= ?
    ORDER BY checkpoint_id DESC LIMIT ?
)
SELECT c.checkpoint_id, c.parent_checkpoint_id, w.task_id, w.channel, w.type, w.value, {task_path}, w.idx
FROM chain c LEFT JOIN writes w
    ON w.thread_id = ? AND w.checkpoint_ns = ? AND w.checkpoint_id = c.checkpoint_id AND w.channel IN ({channels})
"""
_CHAIN_POSTGRES = """
WITH chain AS (
    SELECT checkpoint_id, parent_checkpoint_id FROM checkpoints
    WHERE thread_id = %s AND checkpoint_ns = %s AND checkpoint_id >= %s AND checkpoint_id <= %s
    ORDER BY checkpoint_id DESC LIMIT %s
)
SELECT c.checkpoint_id, c.parent_checkpoint_id, w.task_id, w.channel, w.type, w.blob AS value, w.task_path, w.idx
FROM chain c LEFT JOIN checkpoint_writes w
    ON w.thread_id = %s AND w.checkpoint_ns = %s AND w.checkpoint_id = c.checkpoint_id AND w.channel = ANY(%s)
"""


@cache
def _delta_specs() -> dict[str, Any]:
    """The delta channels of the conversation state (``graph/state.py``) by name, with their reducers."""
    from langgraph.channels.delta import DeltaChannel

    from graph.state import AgentState

    hints = typing.get_type_hints(AgentState, include_extras=True)
    return {
        name: spec
        for name, hint in hints.items()
        for spec in getattr(hint, "__metadata__", ())
        if isinstance(spec, DeltaChannel)
    }


@cache
def _keeping(saver_class):
    """``saver_class`` keeping each thread's messages and events as last loaded, so a turn reads only what is new.

    LangGraph stores a delta channel as writes and, to load a thread, deserialises every write since the last
    snapshot (every 500) and folds them: ~1 ms per turn of history, the cost that still grew with a thread's length.
    Kept here: the folded value at the checkpoint last loaded, per thread (``KEEP_THREADS``, least recently used
    dropped). Loading a later checkpoint reads, in one query, the checkpoints back to the kept one with their writes
    to these channels (``_CHAIN_*``), follows the parent links and folds only the writes between. A checkpoint
    never changes once written, so the kept value is right for any later checkpoint whose chain reaches it,
    whichever process wrote the turns between: another replica's turns are folded like this process's own. A
    snapshot between is passed over: it is the value at its checkpoint, which the kept value and the writes between
    give too, while reading from it deserialised the whole thread again (a turn's cost that grew with the thread).
    A chain that does not reach it within ``WALK_MAX`` (a fork, an older checkpoint, a thread deleted and reused)
    is read whole by the saver, as before.

    The messages in a kept value are handed to each load, not copied; nothing in the graph changes a message of the
    state in place (a node returns new messages, replacing by id).
    """
    from langgraph.checkpoint.base import writes_sort_key
    from langgraph.checkpoint.sqlite import SqliteSaver

    lite = issubclass(saver_class, SqliteSaver)

    class Keeping(saver_class):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._kept: OrderedDict[tuple[str, str], tuple[str, dict[str, Any]]] = OrderedDict()
            self._kept_lock = threading.Lock()

        def get_delta_channel_history(self, *, config, channels):
            conf = config["configurable"]
            target, specs = conf.get("checkpoint_id"), _delta_specs()
            if not target or not channels or not set(channels) <= specs.keys():
                return super().get_delta_channel_history(config=config, channels=channels)
            key = (str(conf["thread_id"]), conf.get("checkpoint_ns", ""))
            with self._kept_lock:
                kept = self._kept.get(key)
            values = kept[1] if kept and kept[0] == target and set(channels) <= kept[1].keys() else None
            if values is None:
                history = self._since(key, target, kept, channels) if kept else None
                if history is None:
                    history = super().get_delta_channel_history(config=config, channels=channels)
                values = {ch: _fold(specs[ch], history[ch]) for ch in channels}
                with self._kept_lock:
                    self._kept[key] = (target, values)
                    self._kept.move_to_end(key)
                    while len(self._kept) > KEEP_THREADS:
                        self._kept.popitem(last=False)
            # As a seed with no writes after it: the channel starts from the value. A shallow copy each: a reducer
            # returns a new list, but nothing may grow the kept one in place.
            return {ch: {"seed": copy.copy(values[ch]), "writes": []} for ch in channels}

        def _since(self, key: tuple[str, str], target: str, kept, channels) -> dict | None:
            """The history of ``channels`` at checkpoint ``target`` seeded by the kept value, or None when its chain
            does not reach the kept checkpoint within ``WALK_MAX``."""
            kept_id, kept_values = kept
            if not set(channels) <= kept_values.keys() or kept_id >= target:
                return None
            parent_of: dict[str, str | None] = {}
            writes: dict[str, list] = {}
            for cid, parent, task_id, channel, type_, value, task_path, idx in self._chain(
                key, kept_id, target, channels
            ):
                parent_of[cid] = parent
                if channel is not None:
                    writes.setdefault(cid, []).append(
                        (writes_sort_key(task_path, task_id, idx), task_id, channel, type_, value)
                    )
            chain: list[str] = []
            at = parent_of.get(target)
            while (
                at is not None and at != kept_id and at in parent_of
            ):  # the parent links: a fork's others are passed over
                chain.append(at)
                at = parent_of[at]
            if at != kept_id:
                return None
            found: dict[str, list] = {ch: [] for ch in channels}
            for cid in [kept_id, *reversed(chain)]:  # oldest first; each step's writes in LangGraph's order
                for _, task_id, channel, type_, value in sorted(writes.get(cid, ()), key=lambda w: w[0]):
                    found[channel].append((task_id, channel, self.serde.loads_typed((type_, value))))
            return {ch: {"seed": kept_values[ch], "writes": found[ch]} for ch in channels}

        def _chain(self, key: tuple[str, str], oldest: str, newest: str, channels) -> list[tuple]:
            """The rows of ``_CHAIN_*``: (checkpoint id, parent id, task id, channel, type, value, task path, idx)."""
            limit = WALK_MAX + 1
            if lite:
                task_path = "w.task_path" if self._has_task_path else "''"
                sql = _CHAIN_SQLITE.format(task_path=task_path, channels=", ".join("?" * len(channels)))
                with self.cursor(transaction=False) as cur:
                    cur.execute(sql, (*key, oldest, newest, limit, *key, *channels))
                    return cur.fetchall()
            with self._cursor() as cur:
                cur.execute(_CHAIN_POSTGRES, (*key, oldest, newest, limit, *key, list(channels)))
                return [tuple(row.values()) for row in cur.fetchall()]  # (rows are dicts: row_factory)

    Keeping.__name__ = Keeping.__qualname__ = f"Keeping{saver_class.__name__}"
    return Keeping


def _fold(spec, history) -> Any:
    """A delta channel's value from its history: LangGraph's own fold (seed, then the writes in one reducer call)."""
    channel = spec.from_checkpoint(history.get("seed"))  # None: no seed, start empty
    channel.replay_writes(history["writes"])
    return channel.get()
