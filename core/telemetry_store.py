"""The embedded telemetry store: ``telemetry.db`` in the data folder, nothing to run.

- ``span``: every finished span (the OTel exporter below writes them from the SDK's export thread), with the fields
  the Monitoring page filters and sums on copied into columns (conversation, user, model, tool, tokens, cost).
- ``finding_check``: the online re-verification of each recorded finding (``graph/online_checks.py``).

Kept apart from the seeded database (re-seeding never loses it) and from the conversations (spans are many).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from core.database import write_ahead

SCHEMA = """
CREATE TABLE IF NOT EXISTS span (
    span_id TEXT PRIMARY KEY, trace_id TEXT NOT NULL, parent_id TEXT, name TEXT NOT NULL, operation TEXT,
    start_ns INTEGER NOT NULL, day TEXT NOT NULL, duration_ms REAL NOT NULL, status TEXT NOT NULL,
    conversation_id TEXT, user_id TEXT, model TEXT, tool TEXT, error_type TEXT,
    input_tokens INTEGER, output_tokens INTEGER, cost_usd REAL, attributes TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_span_op_day ON span (operation, day);
CREATE INDEX IF NOT EXISTS ix_span_trace ON span (trace_id);
-- The Monitoring page's tool calls per turn (calls, errors) from the index alone, never the rows.
CREATE INDEX IF NOT EXISTS ix_span_tool ON span (operation, parent_id, tool, status, error_type);
CREATE TABLE IF NOT EXISTS finding_check (
    id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id TEXT NOT NULL, message_id TEXT,
    checked_at TEXT NOT NULL, day TEXT NOT NULL, task_type TEXT, status TEXT NOT NULL,
    mismatches TEXT NOT NULL, tool TEXT, model TEXT, user_id TEXT
);
CREATE INDEX IF NOT EXISTS ix_check_conv ON finding_check (conversation_id, message_id);
CREATE INDEX IF NOT EXISTS ix_check_day ON finding_check (day);
"""
_COLUMNS = {
    "gen_ai.operation.name": "operation",
    "gen_ai.conversation.id": "conversation_id",
    "user.id": "user_id",
    "gen_ai.request.model": "model",
    "gen_ai.tool.name": "tool",
    "error.type": "error_type",
    "gen_ai.usage.input_tokens": "input_tokens",
    "gen_ai.usage.output_tokens": "output_tokens",
    "uwc.cost_usd": "cost_usd",
}


def connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    """A connection to the store (created with its schema unless ``readonly``)."""
    path = Path(path)
    if readonly:
        conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, check_same_thread=False, timeout=10)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=10)
        write_ahead(conn)
        conn.executescript(SCHEMA)
    conn.row_factory = sqlite3.Row
    return conn


def _day(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).date().isoformat()


def span_row(s) -> tuple:
    """One ReadableSpan as a row of ``span``."""
    attrs = dict(s.attributes or {})
    cols = {col: attrs.get(key) for key, col in _COLUMNS.items()}
    parent = s.parent.span_id if s.parent is not None else None
    return (
        format(s.context.span_id, "016x"),
        format(s.context.trace_id, "032x"),
        format(parent, "016x") if parent is not None else None,
        s.name,
        cols["operation"],
        s.start_time,
        _day(s.start_time),
        (s.end_time - s.start_time) / 1e6,
        s.status.status_code.name.lower(),
        cols["conversation_id"],
        cols["user_id"],
        cols["model"],
        cols["tool"],
        cols["error_type"],
        cols["input_tokens"],
        cols["output_tokens"],
        cols["cost_usd"],
        json.dumps({k: (list(v) if isinstance(v, tuple) else v) for k, v in attrs.items()}, default=str),
    )


INSERT_SPAN = f"INSERT OR REPLACE INTO span VALUES ({', '.join('?' * 18)})"


class SQLiteSpanExporter:
    """An OpenTelemetry ``SpanExporter`` writing to the embedded store (runs on the SDK's export thread)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def export(self, spans):
        from opentelemetry.sdk.trace.export import SpanExportResult

        try:
            with self._lock:
                if self._conn is None:
                    self._conn = connect(self.path)
                with self._conn:
                    self._conn.executemany(INSERT_SPAN, [span_row(s) for s in spans])
            return SpanExportResult.SUCCESS
        except sqlite3.Error:
            return SpanExportResult.FAILURE

    def shutdown(self):
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class CheckStore:
    """Online finding checks: written after each turn that recorded a finding, read by the card and the page."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self.conn = connect(self.path)

    def add(
        self,
        conversation_id: str,
        message_id: str | None,
        task_type: str | None,
        status: str,
        mismatches: list[dict],
        tool: str | None = None,
        model: str | None = None,
        user: str | None = None,
    ) -> None:
        self.add_many([(conversation_id, message_id, task_type, status, mismatches, tool, model, user)])

    def add_many(self, checks: list[tuple]) -> None:
        """Store several checks (each the arguments of ``add``, in order) in one transaction: all or none."""
        now = datetime.now(UTC)
        at, day = now.isoformat(timespec="seconds"), now.date().isoformat()
        rows = [
            (conversation_id, message_id, at, day, task_type, status, json.dumps(mismatches, default=str), *rest)
            for conversation_id, message_id, task_type, status, mismatches, *rest in checks
        ]
        with self._lock, self.conn:
            self.conn.executemany(
                "INSERT INTO finding_check (conversation_id, message_id, checked_at, day, task_type, status, "
                "mismatches, tool, model, user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def for_conversation(self, conversation_id: str) -> dict[str, dict]:
        """{message_id: the latest check of the finding answered by that message}."""
        rows = self.conn.execute(
            "SELECT message_id, status, mismatches, tool, checked_at FROM finding_check "
            "WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        ).fetchall()
        return {
            r["message_id"]: {
                "status": r["status"],
                "mismatches": json.loads(r["mismatches"]),
                "tool": r["tool"],
                "checked_at": r["checked_at"],
            }
            for r in rows
        }

    def by_message(self, conversation_id: str) -> dict[str, list[dict]]:
        """{message_id: the checks of the findings answered by that message, in the order they were made}."""
        rows = self.conn.execute(
            "SELECT message_id, task_type, status, mismatches, tool, checked_at FROM finding_check "
            "WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        ).fetchall()
        out: dict[str, list[dict]] = {}
        for r in rows:
            out.setdefault(r["message_id"], []).append(
                {
                    "task_type": r["task_type"],
                    "status": r["status"],
                    "mismatches": json.loads(r["mismatches"]),
                    "tool": r["tool"],
                    "checked_at": r["checked_at"],
                }
            )
        return out

    def close(self) -> None:
        self.conn.close()
