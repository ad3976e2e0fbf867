"""One writer per conversation: a turn holds its thread's lock from its first read of the checkpoint to its last
write, so two processes on one conversation (two `uwc chat --thread T`, two app replicas, two browser tabs) take
turns instead of losing messages. LangGraph writes each checkpoint as the child of the one it read: two writers
at once fork the thread, and the newest fork hides every message of the other.

- SQLite: ``flock`` on a file per thread in ``<data folder>/locks/``. The OS releases it when the process dies, so
  a crash needs no lease or heartbeat to expire, and two opens conflict even inside one process (two tabs of one
  server). Lock files are never deleted: unlinking a lock file races a waiter that already opened it.
- PostgreSQL: a session-level advisory lock keyed by the thread id, on a connection of the checkpointer's pool
  held for the turn. It spans every replica of the database, waits in the server's queue (first come, first
  served) and is released by the server when the connection ends, however the process ended. Sharing the pool
  keeps one view of an outage: a turn that finds a connection broken replaces it for the checkpointer too.

A second writer waits up to ``UWC_THREAD_WAIT`` seconds, then gets ``LockTimeout``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.database import is_postgres

THREAD_LOCK_SPACE = 7_420_116  # first key of pg_advisory_lock(int, int), beside the stores' other advisory keys
POLL_S = 0.01  # how often a waiting SQLite writer tries the lock again
log = logging.getLogger("uwc.writer_lock")


class LockTimeout(TimeoutError):
    """Another writer held the conversation for the whole wait."""


def _digest(thread_id: str) -> bytes:
    return hashlib.sha256(thread_id.encode("utf-8", "surrogatepass")).digest()


class FileLocks:
    """Per-thread ``flock`` files beside the SQLite checkpoints."""

    def __init__(self, folder: Path):
        self.folder = folder

    @contextmanager
    def hold(self, thread_id: str, wait: float) -> Iterator[None]:
        import fcntl

        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / f"{_digest(thread_id).hex()[:32]}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise LockTimeout from None
                    time.sleep(POLL_S)
            yield
        finally:
            os.close(fd)  # releases the lock

    def close(self) -> None:
        pass


class AdvisoryLocks:
    """Per-thread advisory locks in PostgreSQL, each on a connection of the checkpointer's pool for the turn."""

    def __init__(self, pool):
        self.pool = pool  # autocommit, dict rows (graph/checkpoints.py)

    @contextmanager
    def hold(self, thread_id: str, wait: float) -> Iterator[None]:
        import psycopg

        key = int.from_bytes(_digest(thread_id)[:4], "big", signed=True)
        with self.pool.connection() as conn:
            try:
                if wait > 0:  # lock_timeout 0 would mean "forever"
                    # The timeout ends with the transaction; a session-level lock outlives it. In a pipeline: BEGIN,
                    # the timeout, the lock and COMMIT go in one round trip (they took four, each turn).
                    with conn.pipeline(), conn.transaction():
                        conn.execute(
                            "SELECT set_config('lock_timeout', %s, true)", (f"{max(1, round(wait * 1000))}ms",)
                        )
                        conn.execute("SELECT pg_advisory_lock(%s, %s)", (THREAD_LOCK_SPACE, key))
                else:
                    row = conn.execute(
                        "SELECT pg_try_advisory_lock(%s, %s) AS held", (THREAD_LOCK_SPACE, key)
                    ).fetchone()
                    if not (row and row["held"]):
                        raise LockTimeout
            except psycopg.errors.LockNotAvailable:
                raise LockTimeout from None
            try:
                yield
            finally:
                try:
                    conn.execute("SELECT pg_advisory_unlock(%s, %s)", (THREAD_LOCK_SPACE, key))
                except psycopg.Error as exc:  # the lock went with a broken connection; never pool one that may hold it
                    log.warning("releasing the lock of conversation %s failed: %s", thread_id, exc)
                    conn.close()

    def close(self) -> None:
        pass  # the pool is the checkpointer's


def open_writer_locks(target, checkpointer) -> FileLocks | AdvisoryLocks:
    """The writer locks that go with a checkpointer and its target (``graph.checkpoints.checkpoint_target``)."""
    if isinstance(target, str) and is_postgres(target):
        return AdvisoryLocks(checkpointer.conn)
    return FileLocks(Path(target).parent / "locks")
