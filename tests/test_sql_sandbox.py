"""Red-team tests of the read-only SQL sandbox: every attack is refused or stopped in time, and the database
file is byte-identical afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import bytes_unchanged


@pytest.fixture
def short_limit(monkeypatch):
    """Runaway queries are stopped at 0.1 s instead of the tool's 2 s: the same stop, waited for less."""
    monkeypatch.setattr("tools.sql.TIME_LIMIT_S", 0.1)


def _signature(db: Path) -> tuple:
    """What any write to the file changes: its size, modification time and inode, and a journal left beside it."""
    st = db.stat()
    journals = sorted(p.name for p in db.parent.glob(db.name + "-*"))
    return st.st_size, st.st_mtime_ns, st.st_ino, journals


@pytest.fixture(scope="module")
def _unchanged_bytes(seeded_db):
    """The database's bytes, hashed once before this module's attacks and once after them all (36 MB)."""
    with bytes_unchanged(seeded_db["db"]):
        yield


@pytest.fixture
def checksum(seeded_db, _unchanged_bytes):
    before = _signature(seeded_db["db"])
    yield
    assert _signature(seeded_db["db"]) == before, "the database changed"


ATTACKS = [
    "DROP TABLE appetite",
    "INSERT INTO state VALUES ('ZZ', 'Nowhere')",
    "UPDATE appetite SET appetite = 'Yes'",
    "DELETE FROM applicant",
    "SELECT 1; DROP TABLE appetite",
    "COMMIT; DROP TABLE appetite",
    "SELECT * FROM state; SELECT * FROM appetite",
    "ATTACH DATABASE '/tmp/evil.db' AS evil",
    "PRAGMA writable_schema = ON",
    "PRAGMA table_info(appetite)",
    "SELECT load_extension('/tmp/evil.so')",
    "SELECT 1 /* harmless */; DROP TABLE state",
    "SELECT 1 -- comment\n; DELETE FROM state",
    "/* ; */ DELETE FROM state",
    "CREATE TABLE x AS SELECT * FROM state",
    "SELECT * FROM sqlite_master",
    "SELECT * FROM main.state",
    "VACUUM",
    "REPLACE INTO state VALUES ('TX', 'Texas')",
    "WITH x AS (SELECT 1) DELETE FROM state",
]


@pytest.mark.parametrize("sql", ATTACKS)
def test_attacks_are_refused(call, checksum, sql):
    event = call("run_sql", {"query": sql})
    assert not event.ok
    assert event.error_kind in ("query_rejected", "invalid_argument")
    assert event.result["error"]


@pytest.mark.parametrize(
    "sql",
    [
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
        "SELECT count(*) FROM appetite a, appetite b",
    ],
)
def test_runaway_queries_hit_the_time_limit(call, checksum, short_limit, sql):
    event = call("run_sql", {"query": sql})
    assert not event.ok and event.error_kind == "timeout"
    assert "LIMIT" in event.result["hint"]


def test_select_works_and_caps_rows(call):
    event = call("run_sql", {"query": "SELECT code, title FROM naics_code ORDER BY code"})
    assert event.ok
    assert event.result["columns"] == ["code", "title"]
    assert event.result["row_count"] == 200 and event.result["truncated"] is True
    small = call(
        "run_sql",
        {
            "query": "SELECT appetite FROM appetite WHERE naics_code='722511' AND state='TX' AND lob='workers_compensation'"
        },
    )
    assert small.result == {"columns": ["appetite"], "rows": [["Yes"]], "row_count": 1, "truncated": False}


def test_unknown_column_lists_the_real_columns(call):
    event = call("run_sql", {"query": "SELECT naics FROM appetite LIMIT 1"})
    assert not event.ok
    assert "naics_code" in event.result["hint"] and "appetite(" in event.result["hint"]


def test_case_mismatch_is_explained(call):
    event = call("run_sql", {"query": "SELECT * FROM appetite WHERE lob = 'Auto' AND naics_code = '722511'"})
    assert event.ok and event.result["row_count"] == 0
    assert "'auto'" in event.result["hint"] and "case-sensitive" in event.result["hint"]


def test_unknown_table_lists_tables(call):
    event = call("run_sql", {"query": "SELECT * FROM appetite_guide"})
    assert not event.ok and "appetite" in event.result["hint"]


def test_describe_and_list_tables(call):
    tables = call("list_tables", {}).result["tables"]
    assert {"table": "appetite", "rows": 309672} == {
        k: tables[[t["table"] for t in tables].index("appetite")][k] for k in ("table", "rows")
    }
    desc = call("describe_table", {"table": "Appetite"}).result
    cols = {c["column"]: c for c in desc["columns"]}
    assert "Qualified" in cols["appetite"]["meaning"] and cols["lob"]["samples"]
    assert not call("describe_table", {"table": "nope"}).ok


HOSTILE = {
    # one printf step that no interrupt stops: refused before it runs
    "printf": "SELECT length(printf('%.*c',999999999,'x'))+length(printf('%.*c',999999999,'y'))",
    "printf_dynamic": "SELECT printf('%.' || '999999999' || 'c', 'x')",
    "printf_literal": "SELECT printf('%.999999999c', 'x')",
    # a CTE that shadows an allowed table, or takes the schema table's name
    "cte_shadow": "WITH state AS (SELECT * FROM sqlite_master) SELECT * FROM state",
    "cte_schema_name": "WITH sqlite_master AS (SELECT 1) SELECT * FROM sqlite_master",
    "cte_schema_body": "WITH x AS (SELECT * FROM sqlite_schema) SELECT * FROM x",
    # nesting that would recurse in the parser or in SQLite
    "parens": "SELECT " + "(" * 1000 + "1" + ")" * 1000,
    "parens_in_strings_then_deep": "SELECT '((((' , " + "(" * 60 + "1" + ")" * 60,
    "long_chain": "SELECT " + "+".join(["1"] * 2000),
    # values that grow past SQLite's length limit
    "doubling": "WITH RECURSIVE c(s) AS (SELECT 'x' UNION ALL SELECT s||s FROM c) SELECT length(s) FROM c LIMIT 30",
    "group_concat": "SELECT length(group_concat(a.naics_code||b.naics_code)) FROM appetite a, appetite b",
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_queries_are_refused_or_stopped(call, checksum, short_limit, name):
    event = call("run_sql", {"query": HOSTILE[name]})
    assert not event.ok
    assert event.error_kind in ("query_rejected", "timeout"), event.result
    assert "internal" not in (event.error_kind or "") and "Traceback" not in event.result["error"]


WIDE_ROWS = (
    "WITH RECURSIVE c(x, s) AS (SELECT 1, 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' UNION ALL "
    "SELECT x + 1, substr(s, 1, 9900) || substr(s, 1, 9900) FROM c WHERE x < 300) SELECT "
    + ", ".join(["s"] * 99)
    + " FROM c"
)


def test_result_rows_are_bounded_while_they_are_read(call):
    """99 columns of 19.8 KB in 300 rows: the red team's run took the app to 340 MB before the cap; now the first
    row over the limit stops the read."""
    import tracemalloc

    tracemalloc.start()
    try:
        event = call("run_sql", {"query": WIDE_ROWS})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not event.ok and event.error_kind == "query_rejected" and "bytes; the limit is" in event.result["error"]
    assert peak < 20 * 2**20, f"{peak / 2**20:.0f} MB"
    narrow = call("run_sql", {"query": WIDE_ROWS.replace(", ".join(["s"] * 99), "x, length(s)")})
    assert narrow.ok and narrow.result["row_count"] == 200 and narrow.result["truncated"]


def test_parentheses_inside_strings_do_not_count_as_nesting(call):
    event = call("run_sql", {"query": "SELECT '" + "(" * 100 + "' AS p"})
    assert event.ok and event.result["rows"] == [["(" * 100]]


def test_connection_limits_and_authorizer_hold_without_the_parser(seeded):
    import sqlite3

    from tools.sql_sqlite import LIMITS, connect_readonly

    conn = connect_readonly(seeded["db"])
    try:
        assert conn.getlimit(sqlite3.SQLITE_LIMIT_ATTACHED) == 0
        assert conn.getlimit(sqlite3.SQLITE_LIMIT_LENGTH) == LIMITS[sqlite3.SQLITE_LIMIT_LENGTH]
        with pytest.raises(sqlite3.DatabaseError, match="prohibited|not authorized"):
            conn.execute("SELECT * FROM sqlite_master").fetchall()
        with pytest.raises(sqlite3.DatabaseError):
            conn.execute("SELECT hex(zeroblob(1000000))").fetchall()
        assert conn.execute("WITH x AS (SELECT code FROM state) SELECT count(*) FROM x").fetchone()[0] == 51
    finally:
        conn.close()


def test_case_hints_stop_at_the_deadline_and_are_few(seeded):
    import sqlglot

    from tools.sql_sqlite import MAX_HINT_LOOKUPS, _case_hints, connect_readonly

    conn = connect_readonly(seeded["db"])
    stmt = sqlglot.parse_one(
        "SELECT * FROM appetite WHERE " + " AND ".join(f"lob = 'Auto{i}'" for i in range(30)), read="sqlite"
    )
    looked = []
    conn.set_trace_callback(looked.append)
    try:
        assert _case_hints(conn, stmt, lambda: True) == [] and looked == []  # past the deadline: no lookup at all
        _case_hints(conn, stmt, lambda: False)
        assert len(looked) == MAX_HINT_LOOKUPS
    finally:
        conn.close()


def test_timeout_covers_the_hint_lookups(seeded, monkeypatch):
    """A query that returns nothing leaves the hint lookups the deadline's remaining time, not a fresh budget."""
    from contextlib import contextmanager

    import tools.sql_sqlite as sql

    seen = []

    @contextmanager
    def spent(conn, seconds):
        seen.append(seconds)
        yield lambda: True  # the main query used the whole budget

    monkeypatch.setattr(sql, "deadline", spent)
    result = sql.execute(seeded["db"], "SELECT * FROM appetite WHERE lob = 'Auto' AND naics_code = '722511'")
    assert seen == [sql.TIME_LIMIT_S] and result["row_count"] == 0 and "hint" not in result


# PostgreSQL bounds no value one statement builds (work_mem covers sorts and hashes): the red team's string_agg over
# a cross join of naics_code took the server's session to 862 MB, two string_aggs of generate_series to 1.3 GB.
VALUE_BUILDING = [
    "SELECT length(string_agg(a.description, '')) FROM naics_code a, naics_code b",
    "SELECT string_agg(state, ',' ORDER BY state) OVER () FROM appetite",
    "SELECT array_agg(company_name) FROM applicant",
    "SELECT json_agg(a) FROM applicant a",
    "SELECT jsonb_agg(a) FROM applicant a",
    "SELECT jsonb_object_agg(id, state) FROM applicant",
    'SELECT "array_agg"(state) FROM appetite',
    "SELECT xmlagg(xmlelement(name x, state)) FROM applicant",
    "SELECT cardinality(array_fill(1, ARRAY[100000000]))",
    "SELECT cardinality(ARRAY(SELECT a.description FROM naics_code a, naics_code b))",
    "SELECT length(repeat('x', 1000000000))",
    "SELECT repeat('x', n) FROM (SELECT 5 AS n) s",
    "SELECT lpad('', 900000000, 'x')",
    "SELECT length(replace(replace('xxxxxxxxxx', 'x', 'xxxxxxxxxx'), 'x', 'xxxxxxxxxx'))",
]


@pytest.mark.parametrize("sql", VALUE_BUILDING)
def test_postgres_statements_that_build_one_unbounded_value_are_refused(sql):
    from tools.errors import QueryRejected
    from tools.sql_checks import check_built_values, check_postgres_sql

    with pytest.raises(QueryRejected):
        check_built_values(check_postgres_sql(sql), 32_000)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT repeat('-', 40), rpad(state, 12) FROM appetite LIMIT 3",
        "SELECT replace(company_name, 'Inc', 'Incorporated') FROM applicant",
        "SELECT state, count(*) FROM appetite GROUP BY state",
        "SELECT * FROM applicant WHERE state = ANY(ARRAY['TX', 'CA'])",
    ],
)
def test_postgres_statements_of_bounded_values_pass(sql):
    from tools.sql_checks import check_built_values, check_postgres_sql

    check_built_values(check_postgres_sql(sql), 32_000)
