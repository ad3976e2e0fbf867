"""Online evaluation figures for the Monitoring page, read from the embedded telemetry store and the conversations.

``load_monitoring(telemetry_db, store, filters)`` returns a ``Monitoring`` of totals and small pandas frames: turns
per day, p50/p95 turn latency, tokens and cost per conversation and per day, tool error rate by tool, guard
interventions, invented-product rate, feedback, determinations by task type, models with their retries, online
checks. The selected turns are read from the span table once, into a small in-memory table every figure is grouped
from in SQL; only the latency percentiles take one column per turn into pandas (SQLite has no percentile function),
never whole rows or spans. Feedback comes from the conversations store (``ThreadStore``: SQLite or PostgreSQL), which
owns its queries. ``last_write`` is the marker the page caches the figures on. Every row that stems from a
conversation carries its id, so the page can link to it. Testable without Streamlit.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from core.database import database_errors, explain
from graph.threads import FeedbackFigures, ThreadStore

CONVERSATIONS_SHOWN = 500  # the costliest conversations of the selection
COMMENTS_SHOWN = 10


def _attr(name: str) -> str:
    """A span attribute not copied into a column, read from the attributes JSON."""
    return f"json_extract(attributes, '$.\"{name}\"')"


TASK_TYPE, VERDICT = _attr("uwc.finding.task_type"), _attr("uwc.finding.verdict")
INVENTED, RETRIES, FALLBACK = _attr("uwc.turn.invented_products"), _attr("uwc.retries"), _attr("uwc.fallback.model")
TOKENS = "COALESCE(input_tokens, 0) + COALESCE(output_tokens, 0)"


@dataclass(frozen=True)
class Filters:
    start: date | None = None
    end: date | None = None
    models: tuple[str, ...] = ()
    users: tuple[str, ...] = ()

    def where(self, day: str = "day", model: str | None = "model", user: str | None = "user_id") -> tuple[str, list]:
        """SQL conditions and parameters for these filters on the given columns."""
        sql, params = [], []
        if self.start:
            sql.append(f"{day} >= ?")
            params.append(self.start.isoformat())
        if self.end:
            sql.append(f"{day} <= ?")
            params.append(self.end.isoformat())
        for column, values in ((model, self.models), (user, self.users)):
            if column and values:
                sql.append(f"{column} IN ({', '.join('?' * len(values))})")
                params += list(values)
        return (" AND ".join(sql) or "1=1"), params


@dataclass
class Monitoring:
    turns: int
    tokens: int
    cost_usd: float
    per_day: pd.DataFrame  # day, turns, p50_ms, p95_ms, tokens, cost_usd, invented, model_calls, retries
    per_conversation: pd.DataFrame  # the costliest: conversation_id, turns, tokens, cost_usd, last_day, model, user
    tools: pd.DataFrame  # tool, calls, errors, error_rate
    guards: pd.DataFrame  # where, products, action, count
    determinations: pd.DataFrame  # task_type, verdict, count
    models: pd.DataFrame  # model, turns, model_calls, retries, retried_calls, fallbacks
    checks: pd.DataFrame  # status, count
    mismatches: pd.DataFrame  # latest mismatching checks with their conversation
    feedback: dict = field(default_factory=dict)  # up, down, ratio
    comments: pd.DataFrame = field(
        default_factory=pd.DataFrame
    )  # rating comment created_at conversation_id title model
    feedback_problem: str | None = None  # the conversations store did not answer: one readable line
    conversations: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    invented_product_rate: float | None = None


def _read(conn: sqlite3.Connection | None, sql: str, params: list | tuple = (), columns: str = "") -> pd.DataFrame:
    """A query as a frame; with no store (or an older one without the table) an empty frame of ``columns``."""
    empty = pd.DataFrame(columns=columns.split())
    if conn is None:
        return empty
    try:
        return pd.read_sql_query(sql, conn, params=list(params))
    except (sqlite3.OperationalError, pd.errors.DatabaseError):  # an empty or older store: no such table
        return empty


def _open(path: Path) -> sqlite3.Connection | None:
    path = Path(path)
    if not path.is_file():
        return None
    return sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, timeout=10)


def _verdict_text(v: str | None) -> str:
    if not v:
        return ""
    try:
        d = json.loads(v)
    except (TypeError, ValueError):
        return str(v)
    return ", ".join(f"{k}={'/'.join(map(str, x)) if isinstance(x, list) else x}" for k, x in d.items())


def _select(tel: sqlite3.Connection | None, where: str, params: list) -> sqlite3.Connection | None:
    """The selection as two small in-memory tables every figure is grouped from: ``turn`` (the selected turns, the
    one pass over the span table that reads their attributes) and ``calls`` (their model calls and retries per day
    and model); None when the store has no spans yet."""
    if tel is None:
        return None
    try:
        tel.execute("PRAGMA temp_store = MEMORY")
        tel.execute(
            "CREATE TEMP TABLE turn AS SELECT span_id, trace_id, day, start_ns, duration_ms, conversation_id, model, "
            f"user_id, {TOKENS} AS tokens, COALESCE(cost_usd, 0) AS cost_usd, {TASK_TYPE} AS task_type, "
            f"{VERDICT} AS verdict, {INVENTED} IS NOT NULL AS invented "
            f"FROM span WHERE operation = 'invoke_agent' AND {where}",
            params,
        )
        # A chat span carries the model, user and day of its turn.
        tel.execute(
            f"CREATE TEMP TABLE calls AS SELECT day, model, COUNT(*) AS model_calls, SUM(COALESCE({RETRIES}, 0)) AS "
            f"retries, SUM(COALESCE({RETRIES}, 0) > 0) AS retried_calls, SUM({FALLBACK} IS NOT NULL) AS fallbacks "
            f"FROM span WHERE operation = 'chat' AND {where} GROUP BY day, model",
            params,
        )
    except sqlite3.OperationalError:  # an empty or older store: no such table
        return None
    return tel


def load_monitoring(telemetry_db: Path, store: ThreadStore | None, filters: Filters | None = None) -> Monitoring:
    """The figures of ``filters``' selection; feedback from ``store`` (None: no feedback figures)."""
    filters = filters or Filters()
    tel = _open(telemetry_db)
    try:
        where, params = filters.where()
        turn = _select(tel, where, params)
        per_day = _read(
            turn,
            "SELECT day, COUNT(*) AS turns, SUM(tokens) AS tokens, SUM(cost_usd) AS cost_usd, "
            "SUM(invented) AS invented, "
            "COALESCE((SELECT SUM(model_calls) FROM calls c WHERE c.day = t.day), 0) AS model_calls, "
            "COALESCE((SELECT SUM(retries) FROM calls c WHERE c.day = t.day), 0) AS retries "
            "FROM turn t GROUP BY day ORDER BY day",
            columns="day turns tokens cost_usd invented model_calls retries",
        )
        # SQLite has no percentile function, and ranking in window functions costs four times what pandas takes over
        # one column: latency percentiles are the one figure computed from per-turn values (two columns).
        durations = _read(turn, "SELECT day, duration_ms FROM turn", columns="day duration_ms")
        per_conversation = _read(
            turn,
            # The one MAX() makes SQLite take the bare columns (day, model, user) from each conversation's last turn.
            "SELECT conversation_id, COUNT(*) AS turns, SUM(tokens) AS tokens, SUM(cost_usd) AS cost_usd, "
            "MAX(start_ns) AS last_ns, day AS last_day, model, user_id AS user, COUNT(*) OVER () AS of FROM turn "
            f"GROUP BY conversation_id ORDER BY cost_usd DESC, tokens DESC, turns DESC LIMIT {CONVERSATIONS_SHOWN}",
            columns="conversation_id turns tokens cost_usd last_ns last_day model user of",
        )
        determinations = _read(
            turn,
            "SELECT task_type, verdict, COUNT(*) AS count FROM turn WHERE task_type IS NOT NULL GROUP BY 1, 2",
            columns="task_type verdict count",
        )
        models = _read(
            turn,
            "SELECT t.model, t.turns, COALESCE(SUM(c.model_calls), 0) AS model_calls, COALESCE(SUM(c.retries), 0) AS "
            "retries, COALESCE(SUM(c.retried_calls), 0) AS retried_calls, COALESCE(SUM(c.fallbacks), 0) AS fallbacks "
            "FROM (SELECT model, COUNT(*) AS turns FROM turn GROUP BY model) t LEFT JOIN calls c ON c.model IS t.model "
            "GROUP BY t.model ORDER BY t.turns DESC",
            columns="model turns model_calls retries retried_calls fallbacks",
        )
        # The selected turns' own tool calls: children of the turn span (the online check's re-runs are children of
        # its span), read from the covering index ix_span_tool alone.
        tools = _read(
            turn,
            "SELECT tool, COUNT(*) AS calls, "
            "SUM(status = 'error' AND COALESCE(error_type, '') != 'guard_rejected') AS errors "
            "FROM span WHERE operation = 'execute_tool' AND parent_id IN (SELECT span_id FROM turn) "
            "GROUP BY tool ORDER BY calls DESC",
            columns="tool calls errors",
        )
        tools["error_rate"] = tools["errors"] / tools["calls"]
        guards = _read(
            turn,
            f'SELECT {_attr("uwc.guard.where")} AS "where", {_attr("uwc.guard.products")} AS products, '
            f"{_attr('uwc.guard.action')} AS action, COUNT(*) AS count FROM span "
            "WHERE operation = 'guard' AND trace_id IN (SELECT trace_id FROM turn) "
            "GROUP BY 1, 2, 3 ORDER BY count DESC",
            columns="where products action count",
        )
        cwhere, cparams = filters.where(model="model", user="user_id")
        checks = _read(
            tel,
            f"SELECT status, COUNT(*) AS count FROM finding_check WHERE {cwhere} GROUP BY status",
            cparams,
            "status count",
        )
        mismatches = _read(
            tel,
            "SELECT checked_at, conversation_id, task_type, tool, model, user_id, mismatches FROM finding_check "
            f"WHERE status = 'mismatch' AND {cwhere} ORDER BY id DESC LIMIT 50",
            cparams,
            "checked_at conversation_id task_type tool model user_id mismatches",
        )
    finally:
        if tel is not None:
            tel.close()
    m = _assemble(per_day, durations, per_conversation, determinations, models, tools, guards, checks, mismatches)
    _add_feedback(m, store, filters)
    return m


COMMENT_COLUMNS = ["rating", "comment", "created_at", "conversation_id", "title", "model"]


def _add_feedback(m: Monitoring, store: ThreadStore | None, filters: Filters) -> None:
    """The ratings of the selection into ``m``, by date and model; not by user, as before: without sign-in a rating's
    owner is NULL where its spans say ``local``."""
    figures = FeedbackFigures(0, 0, ())
    if store is not None:
        try:
            figures = store.feedback_figures(filters.start, filters.end, filters.models, COMMENTS_SHOWN)
        except database_errors() as exc:  # e.g. PostgreSQL restarting: the traces' figures are still worth showing
            m.feedback_problem = f"No feedback figures: {explain(exc, store.url)}."
    up, down = figures.up, figures.down
    m.feedback = {"up": up, "down": down, "ratio": up / (up + down) if up + down else None}
    rows = [(c.rating, c.comment, c.created_at, c.thread_id, c.title, c.model) for c in figures.comments]
    m.comments = pd.DataFrame(rows, columns=COMMENT_COLUMNS)


def last_write(telemetry_db: Path, store: ThreadStore | None) -> tuple:
    """A marker that changes whenever a span, a check or a rating is written (the page caches its figures on it):
    the newest row ids of the telemetry store and the ratings' count and latest time. A few index lookups."""
    marker: list = []
    conn = _open(telemetry_db)
    try:
        sql = "SELECT (SELECT MAX(rowid) FROM span), (SELECT MAX(id) FROM finding_check)"
        marker += list(conn.execute(sql).fetchone()) if conn is not None else [None]
    except sqlite3.OperationalError:  # an empty or older store
        marker.append(None)
    finally:
        if conn is not None:
            conn.close()
    try:
        marker.append(store.feedback_marker() if store is not None else None)
    except database_errors():  # unreachable now: figures without feedback, new ones once it answers again
        marker.append("unreachable")
    return tuple(marker)


@dataclass(frozen=True)
class Options:
    """What the filters can choose from: the first and last day with turns, the models and the users."""

    first_day: date | None
    last_day: date | None
    models: list[str]
    users: list[str]


def filter_options(telemetry_db: Path) -> Options:
    conn = _open(telemetry_db)
    try:  # one pass: a row per model and user
        rows = (
            conn.execute(
                "SELECT model, user_id, MIN(day), MAX(day) FROM span WHERE operation = 'invoke_agent' GROUP BY 1, 2"
            ).fetchall()
            if conn is not None
            else []
        )
    except sqlite3.OperationalError:  # an empty or older store
        rows = []
    finally:
        if conn is not None:
            conn.close()
    return Options(
        date.fromisoformat(min(r[2] for r in rows)) if rows else None,
        date.fromisoformat(max(r[3] for r in rows)) if rows else None,
        sorted({r[0] for r in rows if r[0] is not None}),
        sorted({r[1] for r in rows if r[1] is not None}),
    )


def _assemble(
    per_day, durations, per_conversation, determinations, models, tools, guards, checks, mismatches
) -> Monitoring:
    """The figures from the aggregated frames, with the latency percentiles of each day (``per_day`` is by day)."""
    durations = durations.astype({"duration_ms": float})  # an empty result comes back untyped
    latency = durations.groupby("day")["duration_ms"]
    per_day.insert(2, "p50_ms", latency.median().to_numpy())
    per_day.insert(3, "p95_ms", latency.quantile(0.95).to_numpy())
    # Equal verdicts serialized differently are one row once written out.
    determinations["verdict"] = determinations["verdict"].map(_verdict_text)
    determinations = determinations.groupby(["task_type", "verdict"], as_index=False)["count"].sum()
    n = int(per_day["turns"].sum())
    return Monitoring(
        turns=n,
        tokens=int(per_day["tokens"].sum()),
        cost_usd=float(per_day["cost_usd"].sum()),
        per_day=per_day,
        per_conversation=per_conversation.drop(columns=["last_ns", "of"]),
        tools=tools,
        guards=guards,
        determinations=determinations,
        models=models,
        checks=checks,
        mismatches=mismatches,
        conversations=int(per_conversation["of"].iloc[0]) if len(per_conversation) else 0,
        p50_ms=float(durations["duration_ms"].median()) if n else None,
        p95_ms=float(durations["duration_ms"].quantile(0.95)) if n else None,
        invented_product_rate=float(per_day["invented"].sum()) / n if n else None,
    )
