"""The SQL tool on PostgreSQL: least privilege by construction, the statement checks of SQLite as a second layer.

Each statement runs in a session of its own as the tool's own login (``uwc_reader``, set up by ``uwc seed``, see
``seed_db/reader_role.py``, or ``UWC_READER_URL``): SELECT on the insurer schema and nothing else, a member of no
role, read-only by default, with its own statement timeout, work memory and temporary-file cap. The session checks
that its login holds no more before it runs anything. So a statement the parser misreads (an escaped function
name, SQL given as text) still runs as that login and cannot reach the app's data, other schemas or files.
The statement checks of ``tools/sql_checks.py`` stay in front (one SELECT over the insurer's tables, no
schema-qualified names, no functions that read files, change settings or run SQL as text). Results are bounded on
the server: at most ``ROW_CAP + 1`` rows of at most ``MAX_ROW_BYTES`` each reach the app. The row cap and the result
shape are those of the SQLite backend (``tools/sql_results.py``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import Table
from sqlalchemy.engine import Engine

from core.database import DATA_SCHEMA
from core.redact import redact
from seed_db import models
from tools.context import PostgresDatabase
from tools.errors import InvalidArgument, QueryRejected, ToolTimeout
from tools.sql_checks import (
    check_built_values,
    check_postgres_sql,
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

ROW_CAP_MARK = "uwc-row-bytes:"
FETCH_CHUNK = 50
# True when the login could do more than read: superuser, role or database creator, replication, RLS bypass, or a
# member of any role (which SET ROLE could switch to).
PRIVILEGE_CHECK = (
    "SELECT r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication OR r.rolbypassrls "
    "OR EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.member = r.oid) FROM pg_roles r WHERE r.rolname = current_user"
)


def _connect_reader(database: PostgresDatabase, time_limit: float):
    """A new session as the SQL tool's own login (nothing carries over from an earlier statement), after checking
    that the login holds no more than it should: a misconfigured ``UWC_READER_URL`` is refused, not trusted."""
    import psycopg

    from core.database import libpq_url

    if not database.reader_url:
        raise QueryRejected("the SQL tool has no database login", "use the domain tools; an admin runs `uwc seed`")
    options = f"-c search_path={DATA_SCHEMA} -c default_transaction_read_only=on"
    options += f" -c statement_timeout={int(time_limit * 1000)} -c idle_in_transaction_session_timeout=10000"
    try:
        pg = psycopg.connect(libpq_url(database.reader_url), connect_timeout=5, options=options)
    except psycopg.OperationalError as exc:
        first = redact(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)[:200]
        raise QueryRejected(
            f"the SQL tool cannot sign in to the database as its read-only login ({first})",
            "use the domain tools; an admin runs `uwc seed` (it creates the login) or sets UWC_READER_URL",
        ) from None
    row = pg.execute(PRIVILEGE_CHECK).fetchone()
    if not row or row[0]:
        pg.close()
        raise QueryRejected(
            "the SQL tool's login holds more than SELECT (a superuser, a role creator or a member of another role)",
            "an admin gives UWC_READER_URL a user with LOGIN and nothing else",
        )
    pg.rollback()
    return pg


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


def _begin_read_only(cur, time_limit: float) -> None:
    cur.execute("SET TRANSACTION READ ONLY")
    cur.execute(f"SET LOCAL statement_timeout = {int(time_limit * 1000)}")


def bounded(sql: str, row_cap: int) -> str:
    """The statement as a subquery that returns at most ``row_cap + 1`` rows of at most ``MAX_ROW_BYTES`` each: a
    larger row stops the statement on the server with an error naming its size, so the app never receives it.
    The newlines keep a trailing ``--`` comment from swallowing the closing parenthesis."""
    body = re.sub(r"[\s;]+$", "", sql)
    size = "pg_column_size(uwc_q.*)"  # the row as one datum: a memory copy, where ::text would escape it
    return (
        f"SELECT CASE WHEN {size} > {MAX_ROW_BYTES} THEN ('{ROW_CAP_MARK}' || {size})::int END AS uwc_row_cap, "
        f"uwc_q.* FROM (\n{body}\n) AS uwc_q LIMIT {row_cap + 1}"
    )


def _fetch(pg, sql: str, row_cap: int) -> tuple[list[str], list[tuple]]:
    """Run ``sql`` through a server-side cursor (``DECLARE``: exactly one statement, sent through the extended
    protocol) and fetch its rows in chunks; the first column is the row-size check of ``bounded``."""
    rows: list[tuple] = []
    with pg.cursor(name="uwc_sql") as server:
        server.execute(sql.encode())  # bytes: never read as a template, '%' stays a literal
        while len(rows) <= row_cap:
            chunk = server.fetchmany(FETCH_CHUNK)
            if not chunk:
                break
            rows += [r[1:] for r in chunk]
        return [d.name for d in (server.description or [])[1:]], rows[: row_cap + 1]


def execute(database: PostgresDatabase, sql: str, row_cap: int = ROW_CAP, time_limit: float = TIME_LIMIT_S) -> dict:
    import psycopg
    from psycopg import errors

    stmt = check_postgres_sql(sql)
    check_built_values(stmt, MAX_ROW_BYTES)  # the server bounds no value a statement builds: this does
    pg = _connect_reader(database, time_limit)
    try:
        with pg.cursor() as cur:
            _begin_read_only(cur, time_limit)
            try:
                columns, rows = _fetch(pg, bounded(sql, row_cap), row_cap)
            except errors.QueryCanceled:
                raise ToolTimeout(
                    f"query stopped after {time_limit:g} s",
                    "add WHERE filters or a LIMIT; avoid cross joins and unbounded recursion",
                ) from None
            except errors.InvalidTextRepresentation as exc:
                m = re.search(ROW_CAP_MARK + r"(\d+)", str(exc))
                if not m:
                    raise InvalidArgument(f"SQL error: {str(exc).splitlines()[0][:300]}", tables_hint()) from None
                raise row_too_big(int(m[1])) from None
            except errors.ProgramLimitExceeded:
                raise QueryRejected("a value exceeds the server's size limit", "build shorter values") from None
            except errors.UndefinedColumn as exc:
                pg.rollback()
                _begin_read_only(cur, time_limit)
                tables = tables_read(stmt)
                cols = "; ".join(f"{t}({', '.join(table_columns(t))})" for t in tables)
                m = re.search(r'column "?([^"\s]+)"? does not exist', str(exc))
                raise InvalidArgument(f"no such column: {m[1] if m else exc}", f"real columns: {cols}") from None
            except (errors.InsufficientPrivilege, errors.ReadOnlySqlTransaction):
                raise QueryRejected(
                    "statement not authorized: the SQL tool's login may only read the insurer's tables", "SELECT only"
                ) from None
            except psycopg.Error as exc:
                first = str(exc).splitlines()[0][:300]
                raise InvalidArgument(f"SQL error: {first}", "write PostgreSQL SQL over " + tables_hint()) from None
            result = capped_result(columns, rows, row_cap)
            if not rows:
                hints = _case_hints(cur, stmt)
                if hints:
                    result["hint"] = "; ".join(hints)
            return result
    finally:
        pg.close()  # a session per statement: nothing it set survives it


def list_tables(engine: Engine) -> dict:
    with engine.connect() as conn:
        out = []
        for t in models.Base.metadata.sorted_tables:
            n = conn.exec_driver_sql(f'SELECT count(*) FROM "{t.name}"').scalar()
            out.append({"table": t.name, "rows": n, "about": t.info.get("doc", "")})
    return {"tables": out}


def describe_table(engine: Engine, t: Table) -> dict:
    with engine.connect() as conn:
        return table_description(t, lambda column: [r[0] for r in conn.exec_driver_sql(sample_sql(t.name, column))])
