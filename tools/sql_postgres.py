"""The SQL tool on PostgreSQL: the same statement checks as on SQLite, enforced again by the server.

Layers, each enough on its own for writes: the sqlglot allow-list (one SELECT over the insurer's tables, read in
the PostgreSQL dialect, no schema-qualified names, no server-side functions that read files, change settings or
run SQL given as text); a transaction that is ``READ ONLY`` with a ``statement_timeout``; and, where
``uwc seed`` could create it, the ``uwc_reader`` role that holds only SELECT on the insurer schema. The row cap
and the error messages are those of ``tools/sql.py``.
"""

from __future__ import annotations

import re

from sqlglot import exp

from core.database import READER_ROLE
from tools.context import ToolContext
from tools.errors import InvalidArgument, QueryRejected, ToolTimeout
from tools.sql import (
    ALLOWED_TABLES,
    ROW_CAP,
    TIME_LIMIT_S,
    _tables_hint,
    capped_result,
    case_hint,
    check_sql,
    string_filters,
    table_columns,
)

# Functions that reach outside the query: files, settings, roles, other databases, SQL passed as a string, sleep.
DENIED_PREFIXES: tuple[str, ...] = ("pg_", "lo_", "dblink", "set_config", "current_setting", "query_to_")
DENIED_PREFIXES += ("cursor_to_", "table_to_", "schema_to_", "database_to_", "txid_", "binary_upgrade_", "ts_stat")


def check_postgres_sql(sql: str) -> exp.Expression:
    stmt = check_sql(sql, dialect="postgres")
    for node in stmt.walk():
        if isinstance(node, exp.Func):
            name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
            if name.startswith(DENIED_PREFIXES):
                raise QueryRejected(f"function {name}() is not allowed", "plain SELECTs over the insurer's tables")
    return stmt


def _reader_role(ctx: ToolContext) -> bool:
    """Whether this connection's user may switch to the read-only role (checked once per context)."""

    def probe() -> bool:
        with ctx.engine.connect() as conn:
            return bool(
                conn.exec_driver_sql(
                    f"SELECT pg_has_role(current_user, oid, 'MEMBER') FROM pg_roles WHERE rolname = '{READER_ROLE}'"
                ).scalar()
            )

    return ctx.lazy("pg_reader_role", probe)


def _case_hints(cur, stmt: exp.Expression) -> list[str]:
    """For `col = 'Text'` filters, values that match only when case is ignored (as on SQLite)."""
    hints: list[str] = []
    for table, column, text in string_filters(stmt):
        cur.execute(
            f'SELECT DISTINCT "{column}"::text FROM "{table}" WHERE lower("{column}"::text) = lower(%s) '
            f'AND "{column}"::text <> %s LIMIT 3',
            (text, text),
        )
        hints += case_hint(table, column, text, cur.fetchall())
    return hints


def _begin_read_only(cur, ctx: ToolContext, time_limit: float) -> None:
    cur.execute("SET TRANSACTION READ ONLY")
    cur.execute(f"SET LOCAL statement_timeout = {int(time_limit * 1000)}")
    if _reader_role(ctx):
        cur.execute(f'SET LOCAL ROLE "{READER_ROLE}"')


def execute_postgres(ctx: ToolContext, sql: str, row_cap: int = ROW_CAP, time_limit: float = TIME_LIMIT_S) -> dict:
    import psycopg
    from psycopg import errors

    stmt = check_postgres_sql(sql)
    raw = ctx.engine.raw_connection()
    pg = raw.driver_connection
    assert pg is not None  # a live psycopg connection from the pool
    try:
        pg.rollback()  # the pool's liveness ping may have opened a transaction: start a fresh, read-only one
        with pg.cursor() as cur:
            _begin_read_only(cur, ctx, time_limit)
            try:
                cur.execute(sql.encode())  # bytes: never read as a template, '%' stays a literal
                rows = cur.fetchmany(row_cap + 1)
            except errors.QueryCanceled:
                raise ToolTimeout(
                    f"query stopped after {time_limit:g} s",
                    "add WHERE filters or a LIMIT; avoid cross joins and unbounded recursion",
                ) from None
            except errors.UndefinedColumn as exc:
                pg.rollback()
                _begin_read_only(cur, ctx, time_limit)
                tables = sorted({t.name for t in stmt.find_all(exp.Table) if t.name in ALLOWED_TABLES})
                cols = "; ".join(f"{t}({', '.join(table_columns(t))})" for t in tables)
                m = re.search(r'column "?([^"\s]+)"? does not exist', str(exc))
                raise InvalidArgument(f"no such column: {m[1] if m else exc}", f"real columns: {cols}") from None
            except (errors.InsufficientPrivilege, errors.ReadOnlySqlTransaction):
                raise QueryRejected("statement not authorized: the database is read-only", "SELECT only") from None
            except psycopg.Error as exc:
                first = str(exc).splitlines()[0][:300]
                raise InvalidArgument(f"SQL error: {first}", "write PostgreSQL SQL over " + _tables_hint()) from None
            result = capped_result([d.name for d in cur.description or []], rows, row_cap)
            if not rows:
                hints = _case_hints(cur, stmt)
                if hints:
                    result["hint"] = "; ".join(hints)
            return result
    finally:
        try:
            pg.rollback()  # nothing of the tool's transaction survives, not even its settings
        finally:
            raw.close()


def list_tables_postgres(ctx: ToolContext) -> dict:
    from seed_db import models

    with ctx.engine.connect() as conn:
        out = []
        for t in models.Base.metadata.sorted_tables:
            n = conn.exec_driver_sql(f'SELECT count(*) FROM "{t.name}"').scalar()
            out.append({"table": t.name, "rows": n, "about": t.info.get("doc", "")})
    return {"tables": out}


def describe_table_postgres(ctx: ToolContext, t) -> dict:
    cols = []
    with ctx.engine.connect() as conn:
        for c in t.columns:
            samples = [
                r[0]
                for r in conn.exec_driver_sql(
                    f'SELECT DISTINCT "{c.name}" FROM "{t.name}" WHERE "{c.name}" IS NOT NULL LIMIT 3'
                )
            ]
            samples = [s[:80] + "…" if isinstance(s, str) and len(s) > 80 else s for s in samples]
            cols.append({"column": c.name, "type": str(c.type), "meaning": c.info.get("doc", ""), "samples": samples})
    return {"table": t.name, "about": t.info.get("doc", ""), "columns": cols}
