"""Online evaluation figures for the Monitoring page, read from the embedded telemetry store and the conversations.

``load_monitoring(telemetry_db, conversations_db, filters)`` returns a ``Monitoring`` of plain pandas frames and
numbers: turns per day, p50/p95 turn latency, tokens and cost per conversation and per day, tool error rate by
tool, guard interventions, invented-product rate, feedback, determinations by task type, models, online checks.
Every row that stems from a conversation carries its id, so the page can link to it. Testable without Streamlit.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

TURN_COLUMNS = (
    "trace_id, day, start_ns, duration_ms, status, conversation_id, user_id, model, "
    "COALESCE(input_tokens, 0) AS input_tokens, COALESCE(output_tokens, 0) AS output_tokens, "
    "COALESCE(cost_usd, 0) AS cost_usd, "
    "json_extract(attributes, '$.\"uwc.finding.task_type\"') AS task_type, "
    "json_extract(attributes, '$.\"uwc.finding.verdict\"') AS verdict, "
    "COALESCE(json_extract(attributes, '$.\"uwc.turn.tool_errors\"'), 0) AS tool_errors, "
    "COALESCE(json_extract(attributes, '$.\"uwc.turn.guard_interventions\"'), 0) AS guard_interventions, "
    "json_extract(attributes, '$.\"uwc.turn.invented_products\"') AS invented_products"
)

TURN_NAMES = (
    "trace_id", "day", "start_ns", "duration_ms", "status", "conversation_id", "user_id", "model", "input_tokens",
    "output_tokens", "cost_usd", "task_type", "verdict", "tool_errors", "guard_interventions", "invented_products",
)  # fmt: skip
NUMERIC = {"start_ns", "duration_ms", "input_tokens", "output_tokens", "cost_usd", "tool_errors", "guard_interventions"}


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
    turns: pd.DataFrame  # one row per turn
    per_day: pd.DataFrame  # day, turns, p50_ms, p95_ms, tokens, cost_usd
    per_conversation: pd.DataFrame  # conversation_id, turns, tokens, cost_usd, last_day, model, user
    tools: pd.DataFrame  # tool, calls, errors, error_rate
    guards: pd.DataFrame  # where, products, action, count
    determinations: pd.DataFrame  # task_type, verdict, count
    models: pd.DataFrame  # model, turns
    checks: pd.DataFrame  # status, count
    mismatches: pd.DataFrame  # latest mismatching checks with their conversation
    feedback: dict = field(default_factory=dict)  # up, down, ratio
    comments: pd.DataFrame = field(default_factory=pd.DataFrame)
    p50_ms: float | None = None
    p95_ms: float | None = None
    invented_product_rate: float | None = None


def _read(conn: sqlite3.Connection | None, sql: str, params: list | tuple = ()) -> pd.DataFrame:
    if conn is None:
        return pd.DataFrame()
    try:
        return pd.read_sql_query(sql, conn, params=list(params))
    except (sqlite3.OperationalError, pd.errors.DatabaseError):  # an empty or older store: no such table
        return pd.DataFrame()


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


def load_monitoring(telemetry_db: Path, conversations_db: Path, filters: Filters | None = None) -> Monitoring:
    filters = filters or Filters()
    tel, conv = _open(telemetry_db), _open(conversations_db)
    try:
        where, params = filters.where()
        turns = _read(tel, f"SELECT {TURN_COLUMNS} FROM span WHERE operation = 'invoke_agent' AND {where}", params)
        if turns.empty:
            turns = pd.DataFrame({c: pd.Series(dtype="float64" if c in NUMERIC else "object") for c in TURN_NAMES})
        turns["tokens"] = turns["input_tokens"] + turns["output_tokens"]
        turns["verdict"] = turns["verdict"].map({v: _verdict_text(v) for v in turns["verdict"].unique()})
        # Tool calls of the filtered turns (not the online checks' own re-runs).
        traces = f"SELECT trace_id FROM span WHERE operation = 'invoke_agent' AND {where}"
        tools = _read(
            tel,
            "SELECT tool, COUNT(*) AS calls, "
            "SUM(status = 'error' AND COALESCE(error_type, '') != 'guard_rejected') AS errors "
            f"FROM span WHERE operation = 'execute_tool' AND trace_id IN ({traces}) "
            "AND (parent_id IS NULL OR parent_id NOT IN "
            "(SELECT span_id FROM span WHERE operation = 'online_check')) GROUP BY tool ORDER BY calls DESC",
            params,
        )
        if not tools.empty:
            tools["error_rate"] = tools["errors"] / tools["calls"]
        guards = _read(
            tel,
            'SELECT json_extract(attributes, \'$."uwc.guard.where"\') AS "where", '
            "json_extract(attributes, '$.\"uwc.guard.products\"') AS products, "
            "json_extract(attributes, '$.\"uwc.guard.action\"') AS action, COUNT(*) AS count "
            f"FROM span WHERE operation = 'guard' AND trace_id IN ({traces}) GROUP BY 1, 2, 3 ORDER BY count DESC",
            params,
        )
        cwhere, cparams = filters.where(model="model", user="user_id")
        checks = _read(
            tel, f"SELECT status, COUNT(*) AS count FROM finding_check WHERE {cwhere} GROUP BY status", cparams
        )
        mismatches = _read(
            tel,
            "SELECT checked_at, conversation_id, task_type, tool, model, user_id, mismatches FROM finding_check "
            f"WHERE status = 'mismatch' AND {cwhere} ORDER BY id DESC LIMIT 50",
            cparams,
        )
        fwhere, fparams = filters.where(day="substr(f.created_at, 1, 10)", model="t.model", user=None)
        feedback = _read(
            conv,
            "SELECT f.rating, f.comment, f.created_at, f.thread_id AS conversation_id, t.title, t.model "
            f"FROM feedback f JOIN thread t ON t.id = f.thread_id WHERE {fwhere} ORDER BY f.created_at DESC",
            fparams,
        )
    finally:
        for c in (tel, conv):
            if c is not None:
                c.close()
    return _assemble(turns, tools, guards, checks, mismatches, feedback)


@dataclass(frozen=True)
class Options:
    """What the filters can choose from: the first and last day with turns, the models and the users."""

    first_day: date | None
    last_day: date | None
    models: list[str]
    users: list[str]


def filter_options(telemetry_db: Path) -> Options:
    conn = _open(telemetry_db)
    try:
        turns = "FROM span WHERE operation = 'invoke_agent'"
        days = _read(conn, f"SELECT MIN(day) AS first, MAX(day) AS last {turns}")
        models = _read(conn, f"SELECT DISTINCT model {turns} AND model IS NOT NULL ORDER BY 1")
        users = _read(conn, f"SELECT DISTINCT user_id {turns} AND user_id IS NOT NULL ORDER BY 1")
    finally:
        if conn is not None:
            conn.close()
    first = days["first"].iloc[0] if not days.empty else None
    last = days["last"].iloc[0] if not days.empty else None
    return Options(
        date.fromisoformat(first) if first else None,
        date.fromisoformat(last) if last else None,
        models["model"].tolist() if not models.empty else [],
        users["user_id"].tolist() if not users.empty else [],
    )


def _assemble(turns, tools, guards, checks, mismatches, feedback) -> Monitoring:
    by_day = turns.groupby("day")
    per_day = pd.DataFrame(
        {
            "turns": by_day.size(),
            "p50_ms": by_day["duration_ms"].quantile(0.5),
            "p95_ms": by_day["duration_ms"].quantile(0.95),
            "tokens": by_day["tokens"].sum(),
            "cost_usd": by_day["cost_usd"].sum(),
        }
    ).reset_index()
    by_conv = turns.groupby("conversation_id")
    per_conversation = (
        pd.DataFrame(
            {
                "turns": by_conv.size(),
                "tokens": by_conv["tokens"].sum(),
                "cost_usd": by_conv["cost_usd"].sum(),
                "last_day": by_conv["day"].max(),
                "model": by_conv["model"].last(),
                "user": by_conv["user_id"].last(),
            }
        )
        .reset_index()
        .sort_values(["cost_usd", "tokens", "turns"], ascending=False)
    )
    decided = turns[turns["task_type"].notna()]
    determinations = decided.groupby(["task_type", "verdict"]).size().rename("count").reset_index()
    models = turns.groupby("model").size().rename("turns").reset_index().sort_values("turns", ascending=False)
    invented = turns["invented_products"].notna() & (turns["invented_products"] != "null")
    up = int((feedback["rating"] == 1).sum()) if not feedback.empty else 0
    down = int((feedback["rating"] == -1).sum()) if not feedback.empty else 0
    comments = feedback[feedback["comment"].notna()].head(10) if not feedback.empty else pd.DataFrame()
    return Monitoring(
        turns=turns,
        per_day=per_day,
        per_conversation=per_conversation,
        tools=tools,
        guards=guards,
        determinations=determinations,
        models=models,
        checks=checks,
        mismatches=mismatches,
        feedback={"up": up, "down": down, "ratio": up / (up + down) if up + down else None},
        comments=comments,
        p50_ms=float(turns["duration_ms"].quantile(0.5)) if len(turns) else None,
        p95_ms=float(turns["duration_ms"].quantile(0.95)) if len(turns) else None,
        invented_product_rate=float(invented.mean()) if len(turns) else None,
    )
