"""The SQL tool's answer, the same on either backend: one time limit per call, at most ``ROW_CAP`` rows of at most
``MAX_ROW_BYTES`` each (a row of 100 columns of 20 KB once took 340 MB), long text cells cut, and a hint when a
text filter matches nothing only because values are case-sensitive."""

from __future__ import annotations

from tools.errors import QueryRejected

ROW_CAP = 200
TIME_LIMIT_S = 2.0
MAX_CELL_CHARS = 1500
MAX_ROW_BYTES = 32_000  # one result row's values: 201 rows stay under 7 MB in the app whatever the statement builds


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


def case_hint(table: str, column: str, text: str, found: list) -> list[str]:
    """The hint for a text filter that matches only when case is ignored (none when nothing else matches)."""
    if not found:
        return []
    others = ", ".join(repr(r[0]) for r in found)
    return [f"{table}.{column} = {text!r} matches nothing, but {others} exists: values are case-sensitive"]


def sample_sql(table: str, column: str) -> str:
    """Up to three distinct non-null values of a column: the same statement on SQLite and PostgreSQL."""
    return f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL LIMIT 3'


def table_description(t, samples_of) -> dict:
    """What describe_table returns for the model's table ``t``; ``samples_of(column)`` runs ``sample_sql``."""
    cols = []
    for c in t.columns:
        samples = [s[:80] + "…" if isinstance(s, str) and len(s) > 80 else s for s in samples_of(c.name)]
        cols.append({"column": c.name, "type": str(c.type), "meaning": c.info.get("doc", ""), "samples": samples})
    return {"table": t.name, "about": t.info.get("doc", ""), "columns": cols}
