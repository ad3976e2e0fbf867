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
            check=_check_if_stale,
            timeout=wait,
            open=False,
        )
        pool.open(wait=True, timeout=max(wait, 10.0))  # at start-up a slow first connection is no outage
        saver = _keeping(PostgresSaver)(pool)  # rows are dicts (row_factory)
        # PostgresSaver holds one lock per saver around every statement (meant for one shared connection). Kept on
        # purpose: without it a process's turns write side by side on more connections, and `bench.load` ran ~20%
        # fewer turns a second (more server backends on the same cores; docs/measuring.md, round 11).
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


def _pool_class():
    """psycopg's pool, knowing when each connection came back, and telling the process's fault clock
    (``core.database.fault_seen``) when one came back broken.

    Checking a connection before every loan (a round trip) was 20 of a turn's 51 round trips to PostgreSQL and half
    its time. Now a connection is checked when it has been idle a while or any connection of the process's pools
    came back broken since it did (``core.database.may_be_stale``): after an outage the pool still replaces what the
    restart broke, and a restart within ``FRESH_S`` of a turn costs at most the one turn that meets it (told to send
    again, the conversation kept)."""
    from psycopg_pool import ConnectionPool

    class Pool(ConnectionPool):
        checked_at = 0.0

        def getconn(self, timeout: float | None = None):
            # The first loan after a fault checks every idle connection at once. psycopg's own loan checks one,
            # and after a failed check waits (backing off, ~1 s) before the next: with two or more connections
            # broken by a restart, a turn's wait ran out before it reached a good one.
            if database.fault_after(self.checked_at):
                self.checked_at = time.monotonic()
                self.check()
            return super().getconn(timeout)

        @staticmethod
        def check_connection(conn) -> None:  # ``check``'s own test of each idle connection
            ConnectionPool.check_connection(conn)
            conn._uwc_returned = time.monotonic()  # checked just now: lent without another check

        def putconn(self, conn) -> None:
            if conn.broken or conn.closed:
                database.fault_seen()
            else:
                conn._uwc_returned = time.monotonic()
            super().putconn(conn)

    return Pool


def _check_if_stale(conn) -> None:
    from psycopg_pool import ConnectionPool

    if database.may_be_stale(getattr(conn, "_uwc_returned", None)):
        try:
            ConnectionPool.check_connection(conn)
        except Exception:
            database.fault_seen()
            raise


def checkpoint_target(settings):
    return normalize_url(settings.database_url) if is_postgres(settings.database_url) else settings.checkpoint_path


KEEP_THREADS = 64  # threads whose state at their latest loaded checkpoint a process keeps (a few MB at most)
LIST_MAX = 24  # checkpoints listed in one query when this process wrote the target (a turn writes ~6)
WALK_MAX = 64  # checkpoints walked back to a kept one (a turn writes ~6); further, the saver reads it all again


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
    dropped). Loading a later checkpoint walks its parents back to the kept one and folds only the writes between
    (the base saver's own walk, stopping early; in one query when this process put the loaded checkpoint). A checkpoint never changes once written, so the kept value is right
    for any later checkpoint whose chain reaches it, whichever process wrote the turns between: another replica's
    turns are walked and folded like this process's own. A chain that does not reach it within ``WALK_MAX``
    (a fork, a thread deleted and reused, a snapshot between) is read whole by the saver, as before.

    The messages in a kept value are handed to each load, not copied; nothing in the graph changes a message of the
    state in place (a node returns new messages, replacing by id).
    """

    class Keeping(saver_class):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._kept: OrderedDict[tuple[str, str], tuple[str, dict[str, Any]]] = OrderedDict()
            self._kept_lock = threading.Lock()
            self._parents: OrderedDict[str, str | None] = OrderedDict()  # checkpoint id -> parent's, as put here

        def put(self, config, checkpoint, metadata, new_versions):
            saved = super().put(config, checkpoint, metadata, new_versions)
            with self._kept_lock:
                self._parents[checkpoint["id"]] = config["configurable"].get("checkpoint_id")
                while len(self._parents) > KEEP_THREADS * WALK_MAX:
                    self._parents.popitem(last=False)
            return saved

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
                history = self._since(config, kept, channels) if kept else None
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

        def _since(self, config, kept, channels) -> dict | None:
            """The history of ``channels`` at ``config`` seeded by the kept value, or None when its chain does not
            reach the kept checkpoint (within ``WALK_MAX``, before a stored snapshot)."""
            kept_id, kept_values = kept
            if not set(channels) <= kept_values.keys():
                return None
            found: dict[str, list] = {ch: [] for ch in channels}
            with self._kept_lock:
                parent = self._parents.get(config["configurable"]["checkpoint_id"], "")
            if parent:  # put here: the checkpoints since the kept one in one query (a round trip each on PostgreSQL)
                return self._listed(config, parent, kept, found)
            target = self.get_tuple(config)
            cursor = target.parent_config if target else None
            if cursor and cursor["configurable"].get("checkpoint_id"):
                # put by another process (a replica's turn): its parent read here, then the rest listed in one query
                # too; a walk below only when the listing does not reach the kept checkpoint
                listed = self._listed(config, cursor["configurable"]["checkpoint_id"], kept, found)
                if listed is not None:
                    return listed
                found = {ch: [] for ch in channels}
            for _ in range(WALK_MAX):
                tup = self.get_tuple(cursor) if cursor else None
                if tup is None:
                    return None
                for write in reversed(tup.pending_writes or ()):  # newest first, as the walk goes
                    if write[1] in found:
                        found[write[1]].append(write)
                if tup.config["configurable"]["checkpoint_id"] == kept_id:
                    return {ch: {"seed": kept_values[ch], "writes": found[ch][::-1]} for ch in channels}
                if any(ch in tup.checkpoint["channel_values"] for ch in channels):
                    return None  # a snapshot nearer than the kept value: the saver's own walk stops there
                cursor = tup.parent_config
            return None

        def _listed(self, config, parent: str, kept, found: dict[str, list]) -> dict | None:
            """``_since`` over the thread's checkpoints before ``config``, newest first, following the parent links
            (a fork's other checkpoints are passed over)."""
            kept_id, kept_values = kept
            thread = {
                "configurable": {
                    k: config["configurable"][k] for k in ("thread_id", "checkpoint_ns") if k in config["configurable"]
                }
            }
            expected: str | None = parent
            for tup in self.list(thread, before=config, limit=LIST_MAX):
                at = tup.config["configurable"]["checkpoint_id"]
                if expected is None or at < expected:
                    return None  # the chain left the listing (or ended): the saver's own walk
                if at > expected:
                    continue
                for write in reversed(tup.pending_writes or ()):
                    if write[1] in found:
                        found[write[1]].append(write)
                if at == kept_id:
                    return {ch: {"seed": kept_values[ch], "writes": writes[::-1]} for ch, writes in found.items()}
                if any(ch in tup.checkpoint["channel_values"] for ch in found):
                    return None
                expected = tup.parent_config["configurable"]["checkpoint_id"] if tup.parent_config else None
            return None

    Keeping.__name__ = Keeping.__qualname__ = f"Keeping{saver_class.__name__}"
    return Keeping


def _fold(spec, history) -> Any:
    """A delta channel's value from its history: LangGraph's own fold (seed, then the writes in one reducer call)."""
    channel = spec.from_checkpoint(history.get("seed"))  # None: no seed, start empty
    channel.replay_writes(history["writes"])
    return channel.get()
