"""Where triage writes what it found: ``triage_result`` (one row per submission: status, reason, the result as JSON,
the workflow that made it) and ``triage_step_run`` (how many times each step of a submission ran to its end: the
benchmark's proof that nothing ran twice). Both live in the engine's database (SQLite file or PostgreSQL)."""

from __future__ import annotations

import json
import time

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

metadata = MetaData()
triage_result = Table(
    "triage_result",
    metadata,
    Column("submission_id", String(200), primary_key=True),
    Column("status", String(20), nullable=False),  # triaging | needs_info | ready | referred | failed
    Column("reason", Text, nullable=False, default=""),
    Column("result", Text),  # TriageResult as JSON, once triaged
    Column("workflow_id", String(250)),
    Column("updated_at", Float, nullable=False),
)
step_run = Table(
    "triage_step_run",
    metadata,
    Column("submission_id", String(200), primary_key=True),
    Column("step", String(40), primary_key=True),
    Column("runs", Integer, nullable=False),
)


def ensure_tables(engine: Engine) -> None:
    metadata.create_all(engine, checkfirst=True)


def _upsert_statement(dialect: str, table: Table, values: dict, update: dict):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    keys = [c.name for c in table.primary_key.columns]
    return insert(table).values(**values).on_conflict_do_update(index_elements=keys, set_=update)


def _upsert(engine: Engine, table: Table, values: dict, update: dict) -> None:
    with engine.begin() as conn:
        conn.execute(_upsert_statement(engine.dialect.name, table, values, update))


def set_status(engine: Engine, submission_id: str, status: str, reason: str = "", workflow_id: str | None = None):
    values = {"submission_id": submission_id, "status": status, "reason": reason, "updated_at": time.time()}
    update = {k: v for k, v in values.items() if k != "submission_id"}
    if workflow_id:
        values["workflow_id"] = update["workflow_id"] = workflow_id
    _upsert(engine, triage_result, values, update)


def save_result(conn: Session, submission_id: str, result: dict, reason: str = "") -> None:
    """The result, its status and one more run of ``finish``, in session ``conn``: the engine's transaction that also
    records the step as done, so a result is written exactly once."""
    dialect = conn.get_bind().dialect.name
    values = {
        "submission_id": submission_id,
        "status": result["status"],
        "reason": reason,
        "result": json.dumps(result, sort_keys=True),
        "updated_at": time.time(),
    }
    conn.execute(
        _upsert_statement(dialect, triage_result, values, {k: v for k, v in values.items() if k != "submission_id"})
    )
    run = {"submission_id": submission_id, "step": "finish", "runs": 1}
    conn.execute(_upsert_statement(dialect, step_run, run, {"runs": step_run.c.runs + 1}))


def count_run(engine: Engine, submission_id: str, step: str) -> None:
    """One more run of a step that reached its end (a step killed before its checkpoint runs again: counted twice)."""
    _upsert(
        engine,
        step_run,
        {"submission_id": submission_id, "step": step, "runs": 1},
        {"runs": step_run.c.runs + 1},
    )


def load(engine: Engine, submission_id: str) -> dict | None:
    """The row of a submission: status, reason, workflow_id, updated_at and ``result`` (a dict, or None)."""
    with engine.connect() as conn:
        row = conn.execute(select(triage_result).where(triage_result.c.submission_id == submission_id)).first()
    if row is None:
        return None
    out = dict(row._mapping)
    out["result"] = json.loads(out["result"]) if out["result"] else None
    return out


def load_all(engine: Engine) -> dict[str, dict]:
    """Every submission's row, as ``load`` gives one (one query, for the desk's queue)."""
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(triage_result))]
    for out in rows:
        out["result"] = json.loads(out["result"]) if out["result"] else None
    return {r["submission_id"]: r for r in rows}


def statuses(engine: Engine) -> dict[str, tuple[str, float]]:
    """Every submission's status and when it was last set."""
    with engine.connect() as conn:
        rows = conn.execute(select(triage_result.c.submission_id, triage_result.c.status, triage_result.c.updated_at))
        return {sid: (status, at) for sid, status, at in rows}


def step_runs(engine: Engine) -> dict[tuple[str, str], int]:
    with engine.connect() as conn:
        return {(sid, step): runs for sid, step, runs in conn.execute(select(step_run))}
