"""The SQL tool on the embedded SQLite file, behind the statement checks of ``tools/sql_checks.py``:

1. The connection is opened ``mode=ro`` with ``PRAGMA query_only``; an authorizer denies everything but reading
   allow-listed tables and ordinary functions; SQLite's own limits (``Connection.setlimit``) cap string and
   blob length, expression depth, columns, compound selects, function arguments and attached databases, so
   one operation (``printf('%.*c', 999999999, 'x')``) cannot run for minutes or take gigabytes.
2. One wall-clock deadline covers every statement the tool runs, the case-hint lookups included: a progress
   handler stops long loops and a timer thread interrupts the connection at the deadline. Memory is capped
   per connection: the page cache (which also bounds the sorter), temp tables spilled to files, no mmap, and
   the length limit. (Not SQLite's hard heap limit: it is process-wide and would change how the seed builder
   and the checkpointer in the same process behave.) Results are read one row at a time, each row at most
   ``MAX_ROW_BYTES``, and capped with a ``truncated`` flag (``tools/sql_results.py``).

Errors say what to do: an unknown column lists the table's real columns; a text filter that matches nothing
but would match ignoring case says so.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Table

from seed_db import models
from tools.errors import InvalidArgument, QueryRejected, ToolTimeout
from tools.sql_checks import (
    ALLOWED_TABLES,
    DENIED_FUNCTIONS,
    MAX_SQL_CHARS,
    check_sql,
    string_filters,
    table_columns,
    tables_hint,
    tables_read,
)
from tools.sql_results import (
    MAX_ROW_BYTES,
    ROW_CAP,
    TIME_LIMIT_S,
    capped_result,
    case_hint,
    row_too_big,
    sample_sql,
    table_description,
)

if TYPE_CHECKING:
    from sqlglot import exp

MAX_HINT_LOOKUPS = 4
# SQLite's own limits on our connection: no value, expression or statement can grow past them, whatever the SQL.
LIMITS = {
    # bytes in one string or blob: the longest stored value is ~2.5 KB; O(n*m) string functions (trim, instr) on
    # values this size finish in well under a second, and they run in one step no interrupt can stop
    sqlite3.SQLITE_LIMIT_LENGTH: 20_000,
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: 4 * MAX_SQL_CHARS,
    sqlite3.SQLITE_LIMIT_COLUMN: 100,
    sqlite3.SQLITE_LIMIT_EXPR_DEPTH: 60,
    sqlite3.SQLITE_LIMIT_COMPOUND_SELECT: 20,
    sqlite3.SQLITE_LIMIT_VDBE_OP: 100_000,
    sqlite3.SQLITE_LIMIT_FUNCTION_ARG: 16,
    sqlite3.SQLITE_LIMIT_ATTACHED: 0,
    sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 200,
    sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER: 16,
    sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH: 1,
    sqlite3.SQLITE_LIMIT_WORKER_THREADS: 0,
}
CACHE_KIB = 8192  # page cache per connection; it also bounds the sorter's memory before it spills
READ_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}


def _authorizer(action, arg1, arg2, dbname, source):
    if action in READ_ACTIONS:
        if action == sqlite3.SQLITE_FUNCTION and arg2 and arg2.lower() in DENIED_FUNCTIONS:
            return sqlite3.SQLITE_DENY
        # A real table (dbname set) must be allow-listed; CTEs and subqueries have no dbname.
        if action == sqlite3.SQLITE_READ and dbname is not None and (arg1 or "").lower() not in ALLOWED_TABLES:
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def connect_readonly(db_path) -> sqlite3.Connection:
    """A connection that can only read allow-listed tables, within SQLite's limits and a memory cap."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
    for limit, value in LIMITS.items():
        conn.setlimit(limit, value)
    conn.execute("PRAGMA query_only = ON")
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    conn.execute("PRAGMA temp_store = FILE")
    conn.execute("PRAGMA mmap_size = 0")
    conn.set_authorizer(_authorizer)
    return conn


@contextmanager
def deadline(conn: sqlite3.Connection, seconds: float) -> Iterator[Callable[[], bool]]:
    """Stop every statement on ``conn`` at one wall-clock deadline; yields ``expired()``.

    The progress handler stops long loops between VDBE steps; the timer thread interrupts the connection in
    case one step runs long. SQLite's length limit keeps any single step (e.g. building a string) short.
    """
    end = time.monotonic() + seconds

    def expired() -> bool:
        return time.monotonic() > end

    conn.set_progress_handler(lambda: 1 if expired() else 0, 1000)
    timer = threading.Timer(seconds, conn.interrupt)
    timer.daemon = True
    timer.start()
    try:
        yield expired
    finally:
        timer.cancel()
        conn.set_progress_handler(None, 0)


def _case_hints(conn: sqlite3.Connection, stmt: exp.Expression, expired: Callable[[], bool]) -> list[str]:
    """For `col = 'Text'` filters, find values that match only when case is ignored (a few, within the deadline)."""
    hints: list[str] = []
    for n, (table, column, text) in enumerate(string_filters(stmt)):
        if n >= MAX_HINT_LOOKUPS or expired():
            return hints
        try:
            rows = conn.execute(
                f'SELECT DISTINCT "{column}" FROM "{table}" WHERE lower("{column}") = lower(?) AND "{column}" != ? LIMIT 3',
                (text, text),
            ).fetchall()
        except sqlite3.Error:  # the deadline or a limit: hints are a courtesy, the result stands
            return hints
        hints += case_hint(table, column, text, rows)
    return hints


def _sql_error(exc: Exception, conn: sqlite3.Connection, stmt: exp.Expression, time_limit: float) -> Exception:
    """The tool error for a failed statement: what went wrong and what to do instead."""
    msg = str(exc)
    if isinstance(exc, MemoryError) or "out of memory" in msg:
        return QueryRejected("the query needs more memory than allowed", "aggregate, filter or add a LIMIT")
    if "interrupted" in msg:
        return ToolTimeout(
            f"query stopped after {time_limit:g} s",
            "add WHERE filters or a LIMIT; avoid cross joins and unbounded recursion",
        )
    if "too big" in msg:
        return QueryRejected(
            f"a value would exceed {LIMITS[sqlite3.SQLITE_LIMIT_LENGTH]:,} bytes",
            "build shorter strings; select columns",
        )
    if "too large" in msg or "too many" in msg or "too deep" in msg:
        return QueryRejected(f"the query exceeds a size limit ({msg})", "write a simpler query")
    m = re.match(r"no such column: (.+)", msg)
    if m:
        tables = tables_read(stmt)
        cols = "; ".join(f"{t}({', '.join(table_columns(t))})" for t in tables)
        return InvalidArgument(f"no such column: {m[1]}", f"real columns: {cols}")
    if "not authorized" in msg or "prohibited" in msg:
        return QueryRejected("statement not authorized: only allow-listed tables can be read", tables_hint())
    return InvalidArgument(f"SQL error: {msg[:300]}", "write SQLite SQL over " + tables_hint())


def execute(db_path, sql: str, row_cap: int = ROW_CAP, time_limit: float = TIME_LIMIT_S) -> dict:
    stmt = check_sql(sql)
    conn = connect_readonly(db_path)
    try:
        with deadline(conn, time_limit) as expired:
            try:
                cur = conn.execute(sql)
                rows = []
                for row in cur:  # one row at a time, each checked before the next is read
                    size = sum(len(v) if isinstance(v, (str, bytes)) else 8 for v in row)
                    if size > MAX_ROW_BYTES:
                        raise row_too_big(size)
                    rows.append(row)
                    if len(rows) > row_cap:
                        break
            except (sqlite3.Error, MemoryError, OverflowError) as exc:
                raise _sql_error(exc, conn, stmt, time_limit) from None
            result = capped_result([d[0] for d in cur.description or []], rows, row_cap)
            if not rows:
                hints = _case_hints(conn, stmt, expired)
                if hints:
                    result["hint"] = "; ".join(hints)
            return result
    finally:
        conn.close()


def list_tables(db_path: Path) -> dict:
    conn = connect_readonly(db_path)
    try:
        out = []
        for t in models.Base.metadata.sorted_tables:
            n = conn.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0]
            out.append({"table": t.name, "rows": n, "about": t.info.get("doc", "")})
        return {"tables": out}
    finally:
        conn.close()


def describe_table(db_path: Path, t: Table) -> dict:
    conn = connect_readonly(db_path)
    try:
        return table_description(t, lambda column: [r[0] for r in conn.execute(sample_sql(t.name, column))])
    finally:
        conn.close()
