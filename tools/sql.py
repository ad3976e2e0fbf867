"""Read-only SQL over the embedded SQLite database, in layers:

1. sqlglot parses the text: exactly one SELECT (or WITH ... SELECT, or a UNION of SELECTs) over allow-listed
   tables; no ATTACH, PRAGMA, writes or dangerous functions. A CTE may not take the name of a real table, and
   a name inside a CTE's own body means the real table (as SQLite reads it), so a CTE cannot shadow its way
   past the allow-list. Nesting deeper than ``MAX_NESTING`` is refused before parsing.
2. The connection is opened ``mode=ro`` with ``PRAGMA query_only``; an authorizer denies everything but reading
   allow-listed tables and ordinary functions; SQLite's own limits (``Connection.setlimit``) cap string and
   blob length, expression depth, columns, compound selects, function arguments and attached databases, so
   one operation (``printf('%.*c', 999999999, 'x')``) cannot run for minutes or take gigabytes.
3. One wall-clock deadline covers every statement the tool runs, the case-hint lookups included: a progress
   handler stops long loops and a timer thread interrupts the connection at the deadline. Memory is capped
   per connection: the page cache (which also bounds the sorter), temp tables spilled to files, no mmap, and
   the length limit. (Not SQLite's hard heap limit: it is process-wide and would change how the seed builder
   and the checkpointer in the same process behave.) Results are read one row at a time, each row at most
   ``MAX_ROW_BYTES`` (100 columns of 20 KB each once took 340 MB), and capped with a ``truncated`` flag.

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
MAX_ROW_BYTES = 32_000  # one result row's values: 201 rows stay under 7 MB in the app whatever the statement builds
MAX_NESTING = 40  # parentheses; sqlglot and SQLite both recurse on nesting
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
    if "\x00" in sql:
        raise QueryRejected("the query contains a NUL character", "write plain SQL text")
    depth = _nesting(sql)
    if depth > MAX_NESTING:
        raise QueryRejected(
            f"the query nests parentheses {depth} deep; the limit is {MAX_NESTING}",
            "flatten it, e.g. with a WITH clause",
        )
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except sqlglot.errors.ParseError as exc:
        first = str(exc).splitlines()[0][:300]
        raise QueryRejected(f"SQL syntax error: {first}", "write SQLite SQL: one SELECT statement") from None
    except (sqlglot.errors.SqlglotError, RecursionError, ValueError, TypeError):
        raise QueryRejected("cannot read this query", "write one plain SELECT statement") from None
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
            if fname in ("printf", "format"):
                _check_format(node)
    ctes = {c.alias_or_name.lower() for c in stmt.find_all(exp.CTE)}
    for name in ctes:
        if name in ALLOWED_TABLES or name.startswith("sqlite_"):
            raise QueryRejected(f"a WITH clause may not be named {name!r} like a table", "give the CTE another name")
    for table in stmt.find_all(exp.Table):
        name = table.name.lower()
        if table.args.get("db") or table.args.get("catalog"):
            raise QueryRejected(f"schema-qualified table {table.sql()!r} is not allowed", _tables_hint())
        if name and name not in ALLOWED_TABLES and name not in ctes:
            raise QueryRejected(f"unknown table {table.name!r}", _tables_hint())
    return stmt


def _check_format(node: exp.Func) -> None:
    """printf()'s width and precision loop once per character inside one step that no interrupt can stop, so
    the format must be a literal with modest widths."""
    args = node.expressions if isinstance(node, exp.Anonymous) else [node.this, *node.expressions]
    fmt = args[0] if args else None
    if not (isinstance(fmt, exp.Literal) and fmt.is_string):
        raise QueryRejected("printf() needs a literal format string", "e.g. printf('%.2f', x)")
    if "*" in fmt.this or any(len(d) > 3 for d in re.findall(r"\d+", fmt.this)):
        raise QueryRejected("printf() widths and precisions must be literal numbers below 1000")


def _nesting(sql: str) -> int:
    """The deepest parenthesis nesting outside quoted text, in one pass."""
    depth = deepest = 0
    quote = None
    for ch in sql:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"`[":
            quote = "]" if ch == "[" else ch
        elif ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth -= 1
    return deepest


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


def table_columns(table: str) -> list[str]:
    """An allow-listed table's columns, in order: from the models, which build the table on SQLite and PostgreSQL."""
    return [c.name for c in models.Base.metadata.tables[table].columns]


def string_filters(stmt: exp.Expression) -> Iterator[tuple[str, str, str]]:
    """Each ``column = 'text'`` filter of a query, as (table, column, text) for every allowed table with that column:
    where a case-sensitive comparison may be why a query found nothing."""
    tables = sorted({t.name for t in stmt.find_all(exp.Table) if t.name in ALLOWED_TABLES})
    seen: set[tuple[str, str, str]] = set()
    for eq in stmt.find_all(exp.EQ):
        col, lit = eq.left, eq.right
        if isinstance(col, exp.Literal):
            col, lit = lit, col
        if not (isinstance(col, exp.Column) and isinstance(lit, exp.Literal) and lit.is_string):
            continue
        for table in tables:
            key = (table, col.name, lit.this)
            if key not in seen and col.name in table_columns(table):
                seen.add(key)
                yield key


def case_hint(table: str, column: str, text: str, found: list) -> list[str]:
    """The hint for a text filter that matches only when case is ignored (none when nothing else matches)."""
    if not found:
        return []
    others = ", ".join(repr(r[0]) for r in found)
    return [f"{table}.{column} = {text!r} matches nothing, but {others} exists: values are case-sensitive"]


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
        tables = sorted({t.name for t in stmt.find_all(exp.Table) if t.name in ALLOWED_TABLES})
        cols = "; ".join(f"{t}({', '.join(table_columns(t))})" for t in tables)
        return InvalidArgument(f"no such column: {m[1]}", f"real columns: {cols}")
    if "not authorized" in msg or "prohibited" in msg:
        return QueryRejected("statement not authorized: only allow-listed tables can be read", _tables_hint())
    return InvalidArgument(f"SQL error: {msg[:300]}", "write SQLite SQL over " + _tables_hint())


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

        return execute_postgres(ctx, query, time_limit=TIME_LIMIT_S)
    return execute(ctx.db_path, query, time_limit=TIME_LIMIT_S)  # read here, so tests can shorten the wait


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


def row_too_big(size: int) -> QueryRejected:
    return QueryRejected(
        f"a result row is {size:,} bytes; the limit is {MAX_ROW_BYTES:,}",
        "select fewer or shorter columns (substr), or aggregate less into one value",
    )


def capped_result(columns: list[str], rows: list, row_cap: int) -> dict:
    """A query's rows as the tool returns them: at most ``row_cap`` rows, long text cells cut, a note when cut."""
    truncated = len(rows) > row_cap
    out = [
        [(v[:MAX_CELL_CHARS] + "…") if isinstance(v, str) and len(v) > MAX_CELL_CHARS else v for v in r]
        for r in rows[:row_cap]
    ]
    result: dict = {"columns": columns, "rows": out, "row_count": len(out), "truncated": truncated}
    if truncated:
        result["note"] = f"only the first {row_cap} rows are shown; add filters or aggregate"
    return result
