"""What a statement to the SQL tool may say, on either backend: the one set of statement checks.

sqlglot parses the text: exactly one SELECT (or WITH ... SELECT, or a UNION of SELECTs) over allow-listed tables;
no ATTACH, PRAGMA, writes or dangerous functions. A CTE may not take the name of a real table, and a name inside a
CTE's own body means the real table (as SQLite reads it), so a CTE cannot shadow its way past the allow-list.
Nesting deeper than ``MAX_NESTING`` is refused before parsing. On PostgreSQL, functions that reach outside the
query (files, settings, roles, other databases, SQL passed as text) are refused as well. Each backend
(``tools/sql_sqlite.py``, ``tools/sql_postgres.py``) keeps its own limits behind these checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING

from seed_db import models
from tools.errors import InvalidArgument, QueryRejected

if TYPE_CHECKING:
    from sqlglot import exp

# sqlglot (~8 MB a process) is imported by the first statement checked, not by the tools' import: most turns run
# no SQL.
MAX_SQL_CHARS = 5000
MAX_NESTING = 40  # parentheses; sqlglot and SQLite both recurse on nesting
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
# PostgreSQL functions that reach outside the query: files, settings, roles, other databases, SQL as text, sleep.
DENIED_PREFIXES: tuple[str, ...] = ("pg_", "lo_", "dblink", "set_config", "current_setting", "query_to_")
DENIED_PREFIXES += ("cursor_to_", "table_to_", "schema_to_", "database_to_", "txid_", "binary_upgrade_", "ts_stat")
DENIED_PREFIXES += ("ts_rewrite",)


@cache
def _writes() -> tuple[type, ...]:
    from sqlglot import exp

    return (
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
    )


def tables_hint() -> str:
    return "tables: " + ", ".join(sorted(ALLOWED_TABLES)) + " (describe_table shows columns)"


def check_sql(sql: str, dialect: str = "sqlite") -> exp.Expression:
    """Parse and vet a statement in ``dialect``; raise ``QueryRejected`` saying why it cannot run."""
    import sqlglot
    from sqlglot import exp

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
        dialect_name = "PostgreSQL" if dialect == "postgres" else "SQLite"
        raise QueryRejected(f"SQL syntax error: {first}", f"write {dialect_name} SQL: one SELECT statement") from None
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
        if isinstance(node, _writes()):
            raise QueryRejected(f"{node.key.upper()} is not allowed", "this database is read-only: SELECT only")
        if isinstance(node, exp.Func):
            fname = _func_name(node)
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
            raise QueryRejected(f"schema-qualified table {table.sql()!r} is not allowed", tables_hint())
        if name and name not in ALLOWED_TABLES and name not in ctes:
            raise QueryRejected(f"unknown table {table.name!r}", tables_hint())
    return stmt


def _check_format(node: exp.Func) -> None:
    """printf()'s width and precision loop once per character inside one step that no interrupt can stop, so
    the format must be a literal with modest widths."""
    from sqlglot import exp

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


def check_postgres_sql(sql: str) -> exp.Expression:
    """``check_sql`` in PostgreSQL's dialect, no name written with Unicode escapes, and no function that reaches
    outside the query."""
    from sqlglot import exp

    if _unicode_escaped_name(sql):
        raise QueryRejected(
            'names written with Unicode escapes (U&"...") are not allowed', "write names as plain identifiers"
        )
    stmt = check_sql(sql, dialect="postgres")
    for node in stmt.walk():
        if isinstance(node, exp.Func):
            name = _func_name(node)
            if name.startswith(DENIED_PREFIXES):
                raise QueryRejected(f"function {name}() is not allowed", "plain SELECTs over the insurer's tables")
    return stmt


# PostgreSQL bounds no session's memory: work_mem and temp_file_limit cover sorts, hashes and spilled rows, not one
# value a statement builds, and the row cap sees a value only once it is built (one string_agg over a cross join of
# naics_code reached 862 MB in the 2 s the timeout allows). So the statement may not build a value from many rows, or
# multiply one: these aggregates and ARRAY(subquery) are refused, a repeat or pad length must be a literal no longer
# than a result row, and a replace may not feed another (each level multiplies the length).
VALUE_BUILDERS: tuple[str, ...] = ("string_agg", "group_concat", "array_agg", "json_agg", "jsonb_agg", "xmlagg")
VALUE_BUILDERS += ("json_object_agg", "jsonb_object_agg", "json_arrayagg", "json_objectagg", "range_agg")
VALUE_BUILDERS += ("range_intersect_agg", "array_fill")
_MULTIPLIERS = ("replace", "regexp_replace", "overlay", "translate")


def check_built_values(stmt: exp.Expression, longest: int) -> None:
    """Refuse a checked PostgreSQL statement that would build one value past ``longest`` characters (see above)."""
    from sqlglot import exp

    builders = (exp.GroupConcat, exp.ArrayAgg, exp.JSONArrayAgg, exp.JSONObjectAgg, exp.JSONBObjectAgg)
    for node in stmt.walk():
        name = _func_name(node) if isinstance(node, exp.Func) else ""
        if isinstance(node, builders) or name.startswith(VALUE_BUILDERS):
            shown = {"group_concat": "string_agg"}.get(name, name) if not isinstance(node, builders) else _agg(node)
            raise QueryRejected(
                f"{shown}() is not allowed: it builds one value of any size from many rows",
                "select the rows themselves (up to 200 come back), with GROUP BY and count() for totals",
            )
        if isinstance(node, exp.Array) and node.find(exp.Query):
            raise QueryRejected("ARRAY(SELECT ...) is not allowed: it builds one value of any size", "select the rows")
        if isinstance(node, (exp.Repeat, exp.Pad)):
            count = node.args.get("times") or node.args.get("expression")
            if not (isinstance(count, exp.Literal) and str(count.this).isdigit() and int(count.this) <= longest):
                shown = "repeat" if isinstance(node, exp.Repeat) else "lpad" if node.args.get("is_left") else "rpad"
                raise QueryRejected(f"{shown}() needs a literal length of at most {longest:,}")
        if name in _MULTIPLIERS and any(
            _func_name(n) in _MULTIPLIERS for n in node.find_all(exp.Func) if n is not node
        ):
            raise QueryRejected(f"{name}() inside another replace is not allowed: each one multiplies the length")


def _func_name(node: exp.Func) -> str:
    """A function call's name, lower case, as written (an unknown function) or as sqlglot knows it."""
    from sqlglot import exp

    return (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()


def _agg(node: exp.Func) -> str:
    from sqlglot import exp

    names: dict[type, str] = {exp.GroupConcat: "string_agg", exp.JSONArrayAgg: "json_agg"}
    names |= {exp.JSONObjectAgg: "json_object_agg", exp.JSONBObjectAgg: "jsonb_object_agg"}
    return names.get(type(node), "array_agg")


def _unicode_escaped_name(sql: str) -> bool:
    """True when the statement writes a name as ``U&"..."``: PostgreSQL decodes it (``U&"\\0073et_config"`` is
    set_config) but sqlglot reads ``U & "..."``, a bitwise AND, so no name check could see the function it calls."""
    import sqlglot  # imported where used (a process that never checks SQL does not pay for it)

    try:
        tokens = sqlglot.tokenize(sql, read="postgres")
    except sqlglot.errors.SqlglotError:
        return False  # the parse that follows refuses it
    kinds = sqlglot.tokens.TokenType
    return any(
        a.text.lower() == "u" and b.token_type == kinds.AMP and c.token_type == kinds.IDENTIFIER
        for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False)
    )


def table_columns(table: str) -> list[str]:
    """An allow-listed table's columns, in order: from the models, which build the table on SQLite and PostgreSQL."""
    return [c.name for c in models.Base.metadata.tables[table].columns]


def tables_read(stmt: exp.Expression) -> list[str]:
    """The allow-listed tables a checked statement names, sorted."""
    from sqlglot import exp

    return sorted({t.name for t in stmt.find_all(exp.Table) if t.name in ALLOWED_TABLES})


def string_filters(stmt: exp.Expression) -> Iterator[tuple[str, str, str]]:
    """Each ``column = 'text'`` filter of a query, as (table, column, text) for every allowed table with that column:
    where a case-sensitive comparison may be why a query found nothing."""
    from sqlglot import exp

    tables = tables_read(stmt)
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
