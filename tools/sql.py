"""Read-only SQL over the embedded SQLite database, in layers:

1. sqlglot parses the text: exactly one SELECT (or WITH ... SELECT, or a UNION of SELECTs) over allow-listed
   tables; no ATTACH, PRAGMA, writes or dangerous functions.
2. The connection is opened ``mode=ro`` with ``PRAGMA query_only``, and an authorizer denies everything but
   reading and ordinary functions.
3. A progress handler stops any statement after a time limit; results are capped with a ``truncated`` flag.

Errors say what to do: an unknown column lists the table's real columns; a text filter that matches nothing
but would match ignoring case says so.
"""

from __future__ import annotations

import re
import sqlite3
import time
from typing import Annotated

import sqlglot
from pydantic import Field
from sqlglot import exp

from seed_db import models
from tools.context import ToolContext
from tools.errors import InvalidArgument, NotFound, QueryRejected, ToolTimeout
from tools.registry import tool

ROW_CAP = 200
TIME_LIMIT_S = 2.0
MAX_SQL_CHARS = 5000
MAX_CELL_CHARS = 1500
ALLOWED_TABLES = {t.name for t in models.Base.metadata.sorted_tables}
DENIED_FUNCTIONS = {
    "load_extension",
    "readfile",
    "writefile",
    "edit",
    "fts3_tokenizer",
    "zipfile",
    "sqlar_compress",
    "sqlar_uncompress",
    "randomblob",
    "zeroblob",
}
READ_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}


def _tables_hint() -> str:
    return "tables: " + ", ".join(sorted(ALLOWED_TABLES)) + " (describe_table shows columns)"


def check_sql(sql: str, dialect: str = "sqlite") -> exp.Expression:
    """Parse and vet a statement in ``dialect``; raise ``QueryRejected`` saying why it cannot run."""
    if not isinstance(sql, str) or not sql.strip():
        raise InvalidArgument("query is empty", "write one SELECT statement")
    if len(sql) > MAX_SQL_CHARS:
        raise QueryRejected(f"query is {len(sql)} characters; the limit is {MAX_SQL_CHARS}")
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except sqlglot.errors.ParseError as exc:
        first = str(exc).splitlines()[0][:300]
        raise QueryRejected(f"SQL syntax error: {first}", "write SQLite SQL: one SELECT statement") from None
    if len(statements) != 1:
        raise QueryRejected(
            f"{len(statements)} statements given; exactly one SELECT is allowed",
            "send one SELECT statement, no ';' chains",
        )
    stmt = statements[0]
    if not isinstance(stmt, (exp.Select, exp.SetOperation)):
        raise QueryRejected(f"only SELECT queries are allowed, not {stmt.key.upper()}", "this database is read-only")
    for node in stmt.walk():
        if isinstance(
            node,
            (
                exp.Insert,
                exp.Update,
                exp.Delete,
                exp.Drop,
                exp.Create,
                exp.Alter,
                exp.Command,
                exp.Pragma,
                exp.Attach,
                exp.Detach,
                exp.Transaction,
                exp.Commit,
                exp.Rollback,
            ),
        ):
            raise QueryRejected(f"{node.key.upper()} is not allowed", "this database is read-only: SELECT only")
        if isinstance(node, exp.Func):
            fname = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
            if fname in DENIED_FUNCTIONS:
                raise QueryRejected(f"function {fname}() is not allowed")
    ctes = {c.alias_or_name.lower() for c in stmt.find_all(exp.CTE)}
    for table in stmt.find_all(exp.Table):
        name = table.name.lower()
        if table.args.get("db") or table.args.get("catalog"):
            raise QueryRejected(f"schema-qualified table {table.sql()!r} is not allowed", _tables_hint())
        if name and name not in ALLOWED_TABLES and name not in ctes:
            raise QueryRejected(f"unknown table {table.name!r}", _tables_hint())
    return stmt


def _authorizer(action, arg1, arg2, dbname, source):
    if action in READ_ACTIONS:
        if action == sqlite3.SQLITE_FUNCTION and arg2 and arg2.lower() in DENIED_FUNCTIONS:
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def connect_readonly(db_path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    conn.set_authorizer(_authorizer)
    return conn


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    conn.set_authorizer(None)
    try:
        return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
    finally:
        conn.set_authorizer(_authorizer)


def _case_hints(conn: sqlite3.Connection, stmt: exp.Expression) -> list[str]:
    """For `col = 'Text'` filters, find values that match only when case is ignored."""
    hints = []
    tables = [t.name for t in stmt.find_all(exp.Table) if t.name in ALLOWED_TABLES]
    for eq in stmt.find_all(exp.EQ):
        col, lit = eq.left, eq.right
        if isinstance(col, exp.Literal):
            col, lit = lit, col
        if not (isinstance(col, exp.Column) and isinstance(lit, exp.Literal) and lit.is_string):
            continue
        for table in tables:
            if col.name not in _columns(conn, table):
                continue
            rows = conn.execute(
                f'SELECT DISTINCT "{col.name}" FROM "{table}" WHERE lower("{col.name}") = lower(?) AND "{col.name}" != ? LIMIT 3',
                (lit.this, lit.this),
            ).fetchall()
            if rows:
                hints.append(
                    f"{table}.{col.name} = {lit.this!r} matches nothing, but {', '.join(repr(r[0]) for r in rows)} exists: values are case-sensitive"
                )
    return hints


def execute(db_path, sql: str, row_cap: int = ROW_CAP, time_limit: float = TIME_LIMIT_S) -> dict:
    stmt = check_sql(sql)
    conn = connect_readonly(db_path)
    deadline = time.monotonic() + time_limit
    conn.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 2000)
    try:
        try:
            cur = conn.execute(sql)
            rows = cur.fetchmany(row_cap + 1)
        except sqlite3.OperationalError as exc:
            msg = str(exc)
            if "interrupted" in msg:
                raise ToolTimeout(
                    f"query stopped after {time_limit:g} s",
                    "add WHERE filters or a LIMIT; avoid cross joins and unbounded recursion",
                ) from None
            m = re.match(r"no such column: (.+)", msg)
            if m:
                tables = sorted({t.name for t in stmt.find_all(exp.Table) if t.name in ALLOWED_TABLES})
                cols = "; ".join(f"{t}({', '.join(_columns(conn, t))})" for t in tables)
                raise InvalidArgument(f"no such column: {m[1]}", f"real columns: {cols}") from None
            if "not authorized" in msg:
                raise QueryRejected("statement not authorized: the database is read-only", "SELECT only") from None
            raise InvalidArgument(f"SQL error: {msg}", "write SQLite SQL over " + _tables_hint()) from None
        columns = [d[0] for d in cur.description or []]
        truncated = len(rows) > row_cap
        rows = rows[:row_cap]
        out = [
            [(v[:MAX_CELL_CHARS] + "…") if isinstance(v, str) and len(v) > MAX_CELL_CHARS else v for v in r]
            for r in rows
        ]
        result = {"columns": columns, "rows": out, "row_count": len(out), "truncated": truncated}
        if truncated:
            result["note"] = f"only the first {row_cap} rows are shown; add filters or aggregate"
        if not rows:
            conn.set_progress_handler(None, 0)
            hints = _case_hints(conn, stmt)
            if hints:
                result["hint"] = "; ".join(hints)
        return result
    finally:
        conn.close()


@tool
def run_sql(ctx: ToolContext, query: Annotated[str, Field(max_length=MAX_SQL_CHARS)]) -> dict:
    """Run one read-only SQLite SELECT over the insurer's database and return columns and rows.

    Prefer the domain tools (check_appetite, check_small_business, get_limits, ...) for decisions: they apply
    every rule. Use SQL for lookups they do not cover. Results are capped at 200 rows (`truncated` says so);
    text comparisons are case-sensitive (LOB codes are lower case, appetite values 'Yes'/'No'/'Qualified',
    states upper case). Call list_tables and describe_table first if unsure of names.

    Args:
        query: one SELECT statement (WITH and UNION allowed), e.g. "SELECT appetite FROM appetite WHERE naics_code='722511' AND state='TX' AND lob='auto'"
    """
    if ctx.db_path is None:  # the insurer data is in PostgreSQL: same checks, server-side limits
        from tools.sql_postgres import execute_postgres

        return execute_postgres(ctx, query)
    return execute(ctx.db_path, query)


@tool
def list_tables(ctx: ToolContext) -> dict:
    """List the database tables with what each holds and its row count."""
    if ctx.db_path is None:
        from tools.sql_postgres import list_tables_postgres

        return list_tables_postgres(ctx)
    conn = connect_readonly(ctx.db_path)
    try:
        out = []
        for t in models.Base.metadata.sorted_tables:
            n = conn.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0]
            out.append({"table": t.name, "rows": n, "about": t.info.get("doc", "")})
        return {"tables": out}
    finally:
        conn.close()


@tool
def describe_table(ctx: ToolContext, table: str) -> dict:
    """Describe a table: each column's type and meaning, with sample values.

    Args:
        table: table name from list_tables, e.g. "appetite"
    """
    name = table.strip().lower() if isinstance(table, str) else table
    t = models.Base.metadata.tables.get(name)
    if t is None:
        raise NotFound(f"unknown table {table!r}", _tables_hint())
    if ctx.db_path is None:
        from tools.sql_postgres import describe_table_postgres

        return describe_table_postgres(ctx, t)
    conn = connect_readonly(ctx.db_path)
    try:
        cols = []
        for c in t.columns:
            samples = [
                r[0]
                for r in conn.execute(f'SELECT DISTINCT "{c.name}" FROM "{name}" WHERE "{c.name}" IS NOT NULL LIMIT 3')
            ]
            samples = [s[:80] + "…" if isinstance(s, str) and len(s) > 80 else s for s in samples]
            cols.append({"column": c.name, "type": str(c.type), "meaning": c.info.get("doc", ""), "samples": samples})
        return {"table": name, "about": t.info.get("doc", ""), "columns": cols}
    finally:
        conn.close()
