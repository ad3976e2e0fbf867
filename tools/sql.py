"""The SQL tools: read-only SELECTs over the insurer's database, and its tables described.

Every statement passes the same checks (``tools/sql_checks.py``) and comes back in the same shape
(``tools/sql_results.py``) on either backend; the backend the context names runs it within its own limits:
``tools/sql_sqlite.py`` (a read-only connection, an authorizer, SQLite's limits, a deadline) or
``tools/sql_postgres.py`` (the tool's own login, server-side limits).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from seed_db import models
from tools import sql_postgres, sql_sqlite
from tools.context import PostgresDatabase, ToolContext
from tools.errors import NotFound
from tools.spec import tool
from tools.sql_checks import MAX_SQL_CHARS, tables_hint
from tools.sql_results import TIME_LIMIT_S


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
    # TIME_LIMIT_S is read here, so tests can shorten the wait
    if isinstance(ctx.database, PostgresDatabase):
        return sql_postgres.execute(ctx.database, query, time_limit=TIME_LIMIT_S)
    return sql_sqlite.execute(ctx.database.path, query, time_limit=TIME_LIMIT_S)


@tool
def list_tables(ctx: ToolContext) -> dict:
    """List the database tables with what each holds and its row count."""
    if isinstance(ctx.database, PostgresDatabase):
        return sql_postgres.list_tables(ctx.engine)
    return sql_sqlite.list_tables(ctx.database.path)


@tool
def describe_table(ctx: ToolContext, table: str) -> dict:
    """Describe a table: each column's type and meaning, with sample values.

    Args:
        table: table name from list_tables, e.g. "appetite"
    """
    name = table.strip().lower() if isinstance(table, str) else table
    t = models.Base.metadata.tables.get(name)
    if t is None:
        raise NotFound(f"unknown table {table!r}", tables_hint())
    if isinstance(ctx.database, PostgresDatabase):
        return sql_postgres.describe_table(ctx.engine, t)
    return sql_sqlite.describe_table(ctx.database.path, t)
