"""Durable conversations: the LangGraph SQLite checkpointer plus a small store of thread titles and feedback.

Both live in the data folder next to (not inside) the seeded database, so re-seeding never loses a
conversation. One thread per conversation; a thread resumes after the app or the process restarts.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from langgraph.checkpoint.sqlite import SqliteSaver

from core.redact import redact

SCHEMA = """
CREATE TABLE IF NOT EXISTS thread (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, model TEXT, applicant_id TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, thread_id TEXT NOT NULL, message_id TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)), comment TEXT, created_at TEXT NOT NULL,
    UNIQUE (thread_id, message_id)
);
CREATE INDEX IF NOT EXISTS ix_thread_updated ON thread (updated_at);
"""
MAX_TITLE = 120
BUSY_TIMEOUT_S = 5.0  # how long a write waits for another process's lock before the turn reports it
MAX_COMMENT = 2000


class ThreadNotFound(LookupError):
    pass


@dataclass(frozen=True)
class ThreadInfo:
    id: str
    title: str
    model: str | None
    applicant_id: str | None
    created_at: str
    updated_at: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def open_checkpointer(path: Path) -> SqliteSaver:
    """A SqliteSaver on its own connection, usable from Streamlit's threads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=BUSY_TIMEOUT_S)
    conn.execute("PRAGMA journal_mode=WAL")
    saver = SqliteSaver(conn)
    saver.setup()
    return saver


class ThreadStore:
    """Thread titles, timestamps and feedback, in ``conversations.db`` in the data folder."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self.conn = sqlite3.connect(str(path), check_same_thread=False, timeout=BUSY_TIMEOUT_S)
        self.conn.row_factory = sqlite3.Row
        with self._lock, self.conn:
            self.conn.executescript(SCHEMA)

    def create(
        self, title: str = "New conversation", model: str | None = None, applicant_id: str | None = None
    ) -> ThreadInfo:
        tid, now = uuid.uuid4().hex[:12], _now()
        with self._lock, self.conn:
            self.conn.execute(
                "INSERT INTO thread VALUES (?, ?, ?, ?, ?, ?)",
                (tid, _clean_title(title), model, applicant_id, now, now),
            )
        return self.get(tid)

    def get(self, thread_id: str) -> ThreadInfo:
        row = self.conn.execute("SELECT * FROM thread WHERE id = ?", (thread_id,)).fetchone()
        if row is None:
            raise ThreadNotFound(f"no conversation with id {thread_id!r}")
        return ThreadInfo(**dict(row))

    def exists(self, thread_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM thread WHERE id = ?", (thread_id,)).fetchone() is not None

    def list(self, limit: int = 200) -> list[ThreadInfo]:
        rows = self.conn.execute(
            "SELECT * FROM thread ORDER BY updated_at DESC, created_at DESC LIMIT ?", (limit,)
        ).fetchall()
        return [ThreadInfo(**dict(r)) for r in rows]

    def touch(self, thread_id: str, title_if_new: str | None = None) -> None:
        with self._lock, self.conn:
            self.conn.execute("UPDATE thread SET updated_at = ? WHERE id = ?", (_now(), thread_id))
            if title_if_new:
                self.conn.execute(
                    "UPDATE thread SET title = ? WHERE id = ? AND title = 'New conversation'",
                    (_clean_title(title_if_new), thread_id),
                )

    def rename(self, thread_id: str, title: str) -> ThreadInfo:
        self.get(thread_id)
        if not title or not title.strip():
            raise ValueError("a title cannot be empty")
        with self._lock, self.conn:
            self.conn.execute(
                "UPDATE thread SET title = ?, updated_at = ? WHERE id = ?", (_clean_title(title), _now(), thread_id)
            )
        return self.get(thread_id)

    def delete(self, thread_id: str, checkpointer: SqliteSaver | None = None) -> None:
        self.get(thread_id)
        with self._lock, self.conn:
            self.conn.execute("DELETE FROM feedback WHERE thread_id = ?", (thread_id,))
            self.conn.execute("DELETE FROM thread WHERE id = ?", (thread_id,))
        if checkpointer is not None:
            checkpointer.delete_thread(thread_id)

    def add_feedback(self, thread_id: str, message_id: str, rating: int, comment: str | None = None) -> None:
        self.get(thread_id)
        if rating not in (-1, 1):
            raise ValueError("rating is 1 (thumbs up) or -1 (thumbs down)")
        comment = redact((comment or "").strip())[:MAX_COMMENT] or None  # stored: never a pasted key
        with self._lock, self.conn:
            self.conn.execute(
                "INSERT INTO feedback (thread_id, message_id, rating, comment, created_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (thread_id, message_id) DO UPDATE SET rating = excluded.rating, comment = excluded.comment, created_at = excluded.created_at",
                (thread_id, message_id, rating, comment, _now()),
            )

    def feedback(self, thread_id: str) -> dict[str, dict]:
        rows = self.conn.execute(
            "SELECT message_id, rating, comment FROM feedback WHERE thread_id = ?", (thread_id,)
        ).fetchall()
        return {r["message_id"]: {"rating": r["rating"], "comment": r["comment"]} for r in rows}


def _clean_title(title: str) -> str:
    title = redact(" ".join(str(title).split()))
    return title[: MAX_TITLE - 1] + "…" if len(title) > MAX_TITLE else title
