"""Red-team tests of the read-only SQL sandbox: every attack is refused or stopped in time, and the database
file is byte-identical afterwards."""

from __future__ import annotations

import hashlib

import pytest


@pytest.fixture
def checksum(seeded_db):
    def digest():
        return hashlib.sha256(seeded_db["db"].read_bytes()).hexdigest()

    before = digest()
    yield
    assert digest() == before, "the database changed"


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
def test_runaway_queries_hit_the_time_limit(call, checksum, sql):
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
