"""PostgreSQL as the one database (UWC_DATABASE_URL): the seed load and its swap, the SQL tool's red-team attacks,
the Alembic-versioned conversations store, two processes sharing conversations, and the faults a deployment meets.

Every test runs against the real server on a database created for it (``tests/pg.py``) and dropped afterwards.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.cli import main as uwc
from core.database import DATA_SCHEMA, explain, masked, normalize_url
from graph.threads import ThreadStore
from seed_db.build import load_seed_data, write_database
from seed_db.sources import SeedError
from tests.conftest import open_toolkit
from tests.pg import ADMIN_URL, TcpProxy, fresh_database, pg_seeded, pg_seeded_copy, pg_url, server_or_skip  # noqa: F401
from tests.test_sql_sandbox import ATTACKS

# the newest file in graph/migrations/versions (named NNNN_what.py)
NEWEST_REVISION = max(p.name[:4] for p in (Path(__file__).parents[1] / "graph/migrations/versions").glob("[0-9]*.py"))


def _data_digest(url: str) -> str:
    """Every table's row count and newest row version (``xmin``): any committed insert, update, delete or truncate
    of the insurer schema changes it (PostgreSQL writes a new row version for each), at a tenth of an md5 of
    every row's cost."""
    from seed_db import models

    engine = create_engine(normalize_url(url))
    with engine.connect() as c:
        parts = [
            c.execute(
                text(
                    f"SELECT count(*)::text || ':' || coalesce(max(xmin::text::bigint), 0)::text"
                    f' FROM {DATA_SCHEMA}."{tb.name}"'
                )
            ).scalar()
            for tb in models.Base.metadata.sorted_tables
        ]
    engine.dispose()
    return ",".join(parts)


# --- seed -------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_data():
    return load_seed_data()


def _count(url: str, table: str) -> int:
    engine = create_engine(normalize_url(url))
    with engine.connect() as c:
        n = c.execute(text(f'SELECT count(*) FROM {DATA_SCHEMA}."{table}"')).scalar()
    engine.dispose()
    return n


def test_seed_loads_every_row_and_a_failed_reload_keeps_the_old_data(pg_url, seed_data):  # noqa: F811
    write_database(pg_url, seed_data)
    for table in ("appetite", "naics_code", "applicant", "size_standard"):
        assert _count(pg_url, table) == seed_data.count(table)
    broken = type(seed_data)({k: list(v) for k, v in seed_data.tables.items()})
    broken.tables["appetite"] = broken.tables["appetite"] + [
        {**broken.tables["appetite"][0], "naics_code": "999999"}  # a foreign key that points nowhere
    ]
    broken.tables["applicant"] = broken.tables["applicant"][:10]
    with pytest.raises(Exception):  # noqa: B017 - IntegrityError from PostgreSQL's foreign-key check
        write_database(pg_url, broken)
    assert _count(pg_url, "applicant") == seed_data.count("applicant")  # the old data is still serving
    engine = create_engine(normalize_url(pg_url))
    with engine.connect() as c:
        schemas = {r[0] for r in c.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'uwc_data%'"))}
    engine.dispose()
    assert schemas == {DATA_SCHEMA}, "the failed load left its scratch schema behind"


def test_seed_count_check_refuses_a_short_load(pg_seeded_copy, seed_data, monkeypatch):  # noqa: F811
    import seed_db.postgres as pgseed

    original = pgseed._copy_all

    def lose_rows(engine, schema, data):  # a load that silently drops a row
        original(engine, schema, type(data)({**data.tables, "applicant": data.tables["applicant"][:-1]}))

    monkeypatch.setattr(pgseed, "_copy_all", lose_rows)
    with pytest.raises(SeedError, match="expected"):
        write_database(pg_seeded_copy, seed_data)
    assert _count(pg_seeded_copy, "applicant") == seed_data.count("applicant")


# --- the SQL tool -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_toolkit(pg_seeded):  # noqa: F811
    return open_toolkit(pg_seeded["dir"], database_url=pg_seeded["url"])


@pytest.fixture
def unchanged(pg_seeded):  # noqa: F811
    before = _data_digest(pg_seeded["url"])
    yield
    assert _data_digest(pg_seeded["url"]) == before, "the insurer data changed"


def test_the_digest_sees_a_committed_write_even_one_that_keeps_the_values(pg_seeded):  # noqa: F811
    before = _data_digest(pg_seeded["url"])
    engine = create_engine(normalize_url(pg_seeded["url"]))
    with engine.begin() as c:
        c.execute(text(f"UPDATE {DATA_SCHEMA}.state SET name = name WHERE code = 'AL'"))
    engine.dispose()
    assert _data_digest(pg_seeded["url"]) != before


PG_ATTACKS = [
    "SELECT set_config('default_transaction_read_only', 'off', false)",
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT * FROM pg_catalog.pg_authid",
    "SELECT * FROM pg_shadow",
    "SELECT * FROM uwc_data.state",
    "SELECT query_to_xml('DELETE FROM state', true, true, '')",
    "SELECT lo_import('/etc/passwd')",
    "SELECT current_setting('data_directory')",
    "COPY state TO '/tmp/uwc-state.csv'",
    "SET ROLE postgres",
    "RESET ROLE",
    "SELECT pg_sleep(10)",
    "SELECT * FROM state FOR UPDATE",
    "WITH d AS (DELETE FROM state RETURNING *) SELECT * FROM d",
    "SELECT dblink_exec('dbname=postgres', 'DROP DATABASE test')",
    # an escaped name the login would allow (a setting it may read): the checks must refuse the escape itself
    "SELECT U&\"\\0063urrent_setting\"('work_mem')",
    "SELECT u&\"!0063urrent_setting\" UESCAPE '!' ('work_mem')",
]


@pytest.mark.parametrize("sql", ATTACKS + PG_ATTACKS)
def test_attacks_are_refused_on_postgres(pg_toolkit, unchanged, sql):
    event = pg_toolkit.call("run_sql", {"query": sql})
    assert not event.ok, event.result
    assert event.error_kind in ("query_rejected", "invalid_argument", "timeout")


def _bypass_checks(monkeypatch) -> None:
    """Switch off every layer in the app: the parser's allow-list, the row wrapper and the SELECT-only cursor."""
    import tools.sql_postgres as sqlpg

    def plain(pg, sql, row_cap):
        cur = pg.cursor()
        cur.execute(sql.encode())
        return [d.name for d in cur.description or []], cur.fetchall() if cur.description else []

    monkeypatch.setattr(sqlpg, "check_postgres_sql", lambda sql: __import__("sqlglot").parse_one("SELECT 1"))
    monkeypatch.setattr(sqlpg, "bounded", lambda sql, row_cap: sql)
    monkeypatch.setattr(sqlpg, "_fetch", plain)


def test_server_side_limits_hold_even_past_the_checks(pg_toolkit, pg_seeded, unchanged, monkeypatch):  # noqa: F811
    """Suppose the allow-list let a write through: the read-only transaction and role still stop it."""
    _bypass_checks(monkeypatch)
    for sql in ("DELETE FROM state", "UPDATE appetite SET appetite = 'Yes'", "DROP TABLE applicant"):
        event = pg_toolkit.call("run_sql", {"query": sql})
        assert not event.ok and event.error_kind == "query_rejected", event.result


# Statements the red team ran past the parser: a role switch through an escaped name, SQL given as text, files,
# other schemas, other sessions. Here the parser and the row wrapper are switched off: the login alone must hold.
ESCAPES = [
    "SELECT set_config('role', 'postgres', true), current_user",
    "SET ROLE postgres",
    "SET SESSION AUTHORIZATION postgres",
    "SELECT pg_read_file('/etc/hostname')",
    "SELECT rolpassword FROM pg_authid",
    "SELECT * FROM public.uwc_secret",
    "SELECT ts_rewrite('a'::tsquery, 'SELECT ''a''::tsquery, ''b''::tsquery')",
    "SELECT query_to_xml('SELECT 1', true, true, '')",
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity",
    "SELECT pg_advisory_lock(1)",
    "CREATE TEMP TABLE t AS SELECT 1",
    "SELECT set_config('temp_file_limit', '-1', false)",
    # PUBLIC may run it by default, in a read-only transaction too: megabytes of WAL per call
    "SELECT pg_logical_emit_message(false, 'uwc', repeat('x', 1000))",
]


@pytest.fixture
def secret_table(pg_seeded):  # noqa: F811
    """A table of the app's own in ``public`` (like the conversations store): the SQL tool must not read it."""
    engine = create_engine(normalize_url(pg_seeded["url"]))
    with engine.begin() as c:
        c.execute(text("CREATE TABLE IF NOT EXISTS public.uwc_secret (owner text)"))
    yield
    with engine.begin() as c:
        c.execute(text("DROP TABLE public.uwc_secret"))
    engine.dispose()


@pytest.mark.parametrize("sql", ESCAPES)
def test_the_sql_login_holds_when_the_parser_is_fooled(pg_toolkit, secret_table, unchanged, monkeypatch, sql):
    _bypass_checks(monkeypatch)
    event = pg_toolkit.call("run_sql", {"query": sql})
    assert not event.ok, event.result


def test_the_sql_tool_runs_as_its_own_login_with_no_role_to_switch_to(pg_toolkit):
    event = pg_toolkit.call("run_sql", {"query": "SELECT current_user, session_user"})
    assert event.ok and event.result["rows"] == [["uwc_reader", "uwc_reader"]]
    event = pg_toolkit.call(
        "run_sql", {"query": "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member"}
    )
    assert not event.ok  # pg_ catalogs are refused by the checks; the login check below does not need them
    import psycopg

    from core.database import reader_url
    from tools.sql_postgres import PRIVILEGE_CHECK

    with psycopg.connect(reader_url(pg_toolkit.ctx.database.url)) as conn:
        assert conn.execute(PRIVILEGE_CHECK).fetchone() == (False,)
        settings = dict(conn.execute("SELECT name, setting FROM pg_settings WHERE source = 'user'").fetchall())
    assert settings["default_transaction_read_only"] == "on" and settings["temp_file_limit"] == str(64 * 1024)


def test_a_login_with_more_than_select_is_refused(pg_seeded, monkeypatch):  # noqa: F811
    """UWC_READER_URL naming a superuser: the tool refuses to run rather than trust it."""
    toolkit = open_toolkit(pg_seeded["dir"], database_url=pg_seeded["url"], reader_url=pg_seeded["url"])
    event = toolkit.call("run_sql", {"query": "SELECT 1"})
    assert not event.ok and "more than SELECT" in event.result["error"]


def test_result_rows_are_bounded_on_the_server(pg_toolkit):
    four = ", ".join(f"repeat('{c}', 25000) AS {c}" for c in "wxyz")  # a 100,000-byte row of bounded values
    event = pg_toolkit.call("run_sql", {"query": f"SELECT {four}"})
    assert not event.ok and event.error_kind == "query_rejected"
    assert "100,000" in event.result["error"] or "100,0" in event.result["error"]
    event = pg_toolkit.call("run_sql", {"query": "SELECT repeat('x', 100) FROM generate_series(1, 100000);"})
    assert event.ok and event.result["truncated"] and event.result["row_count"] == 200


def test_a_value_built_from_many_rows_is_refused_before_it_runs(pg_toolkit):
    """The server bounds no value a statement builds (one string_agg reached 862 MB): refused by the checks."""
    event = pg_toolkit.call(
        "run_sql", {"query": "SELECT length(string_agg(a.description, '')) FROM naics_code a, naics_code b"}
    )
    assert not event.ok and event.error_kind == "query_rejected" and "string_agg" in event.result["error"]


@pytest.mark.parametrize(
    "sql",
    [
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
        "SELECT count(*) FROM appetite a, appetite b",
    ],
)
def test_runaway_queries_hit_the_statement_timeout(pg_toolkit, monkeypatch, sql):
    monkeypatch.setattr("tools.sql.TIME_LIMIT_S", 0.3)  # the same server-side stop, waited for less
    event = pg_toolkit.call("run_sql", {"query": sql})
    assert not event.ok and event.error_kind == "timeout"
    assert "LIMIT" in event.result["hint"]


def test_same_answers_as_sqlite(pg_toolkit, toolkit):
    queries = [
        "SELECT code, title FROM naics_code ORDER BY code",
        "SELECT appetite FROM appetite WHERE naics_code='722511' AND state='TX' AND lob='workers_compensation'",
        "SELECT lob, count(*) AS n FROM appetite WHERE appetite = 'Qualified' GROUP BY lob ORDER BY lob",
        "SELECT * FROM appetite WHERE lob = 'Auto' AND naics_code = '722511'",
        "SELECT naics FROM appetite LIMIT 1",
    ]
    for sql in queries:
        a, b = toolkit.call("run_sql", {"query": sql}), pg_toolkit.call("run_sql", {"query": sql})
        assert (a.ok, a.error_kind) == (b.ok, b.error_kind), sql
        if a.ok:
            assert {k: a.result[k] for k in ("columns", "rows", "row_count", "truncated")} == {
                k: b.result[k] for k in ("columns", "rows", "row_count", "truncated")
            }, sql
            assert ("'auto'" in a.result.get("hint", "")) == ("'auto'" in b.result.get("hint", ""))
        else:
            assert "naics_code" in b.result["hint"]
    assert pg_toolkit.call("list_tables", {}).result == toolkit.call("list_tables", {}).result
    assert pg_toolkit.call("describe_table", {"table": "lob_synonym"}).ok


def test_domain_tools_read_postgres(pg_toolkit, toolkit):
    args = {"naics": "484121", "state": "TX", "lob": "auto"}
    assert pg_toolkit.call("get_deductible", args).result == toolkit.call("get_deductible", args).result
    a = {"query": "Harbor"}
    assert pg_toolkit.call("find_applicant", a).result == toolkit.call("find_applicant", a).result


def test_a_rule_lookup_is_one_read_only_statement_with_no_transaction_around_it(pg_toolkit, unchanged):
    """A tool's rule lookup runs its statement as its own transaction (no BEGIN before it, no ROLLBACK after): it is
    still read-only, and the connection goes back to the pool as the multi-statement readers expect it."""
    import psycopg
    from psycopg.pq import TransactionStatus
    from sqlalchemy.exc import DBAPIError

    from core.database import one_statement

    engine = pg_toolkit.ctx.engine
    with one_statement(engine) as c:
        assert c.exec_driver_sql("SHOW transaction_read_only").scalar() == "on"
        driver = c.connection.driver_connection
        assert driver.autocommit and driver.info.transaction_status == TransactionStatus.IDLE  # nothing to end
        with pytest.raises(DBAPIError) as refused:
            c.exec_driver_sql("CREATE TABLE refused_here (x int)")
        assert isinstance(refused.value.orig, psycopg.errors.ReadOnlySqlTransaction)
    with engine.connect() as c:
        c.exec_driver_sql("SELECT 1")
        assert c.connection.driver_connection.info.transaction_status == TransactionStatus.INTRANS


# --- the conversations store --------------------------------------------------------------------------------------

OLD_SCHEMA = """
CREATE TABLE thread (id TEXT PRIMARY KEY, title TEXT NOT NULL, model TEXT, applicant_id TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE feedback (id INTEGER PRIMARY KEY {auto}, thread_id TEXT NOT NULL, message_id TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)), comment TEXT, created_at TEXT NOT NULL,
    UNIQUE (thread_id, message_id));
INSERT INTO thread VALUES ('t1', 'Before the upgrade', 'offline', 'APP-0042', '2026-01-01T00:00:00+00:00',
    '2026-01-01T00:00:00+00:00');
INSERT INTO feedback (thread_id, message_id, rating, comment, created_at)
    VALUES ('t1', 'm1', 1, 'good', '2026-01-01T00:00:00+00:00');
"""


def test_a_turns_touch_of_its_conversation_is_one_statement_committed_as_it_runs(pg_url):  # noqa: F811
    """``touch`` (each turn) runs its UPDATE as its own transaction: committed when it returns, seen by another
    session at once, False for a conversation not there; the connection goes back to the pool in transactions."""
    store = ThreadStore(pg_url)
    other = create_engine(normalize_url(pg_url))
    try:
        tid = store.create().id
        assert store.touch(tid, title_if_new="Trucking deductible") and not store.touch("nothere")
        with other.connect() as c:
            assert (
                c.execute(text("SELECT title FROM thread WHERE id = :t"), {"t": tid}).scalar() == "Trucking deductible"
            )
        with store.engine.connect() as c:
            assert not c.connection.driver_connection.autocommit
    finally:
        other.dispose()
        store.close()


def _check_upgraded(store: ThreadStore) -> None:
    t = store.get("t1")
    assert (t.title, t.applicant_id, t.owner) == ("Before the upgrade", "APP-0042", None)
    assert store.feedback("t1") == {"m1": {"rating": 1, "comment": "good"}}
    with store.engine.connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == NEWEST_REVISION
    store.scoped("alice").create("after")  # the new column works


def test_upgrade_keeps_every_conversation_sqlite(tmp_path):
    path = tmp_path / "conversations.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SCHEMA.format(auto="AUTOINCREMENT"))
    store = ThreadStore(path)
    _check_upgraded(store)
    store.close()
    ThreadStore(path).close()  # reopening an upgraded store is a no-op


def test_upgrade_keeps_every_conversation_postgres(pg_url):  # noqa: F811
    engine = create_engine(normalize_url(pg_url))
    with engine.begin() as c:
        for statement in OLD_SCHEMA.replace("INTEGER PRIMARY KEY {auto}", "SERIAL PRIMARY KEY").split(";"):
            if statement.strip():
                c.execute(text(statement))
    engine.dispose()
    store = ThreadStore(normalize_url(pg_url))
    _check_upgraded(store)
    store.close()


# --- two processes, one database ----------------------------------------------------------------------------------

TURN = """
import json, sys
from core.settings import get_settings
from graph.copilot import Copilot
cp = Copilot(get_settings())
cp.send(sys.argv[1], sys.argv[2])
print(json.dumps({"messages": len(cp.history(sys.argv[1])), "feedback": cp.threads.feedback(sys.argv[1])}))
cp.close()
"""


@pytest.mark.slow
def test_two_processes_serve_the_same_conversation(pg_seeded, tmp_path):  # noqa: F811
    """A turn in this process, the next in another one: one conversation, with its feedback, in PostgreSQL."""
    from core.settings import Settings
    from graph.copilot import Copilot

    cp = Copilot(Settings(data_dir=tmp_path, database_url=pg_seeded["url"]))
    try:
        thread = cp.new_thread().id
        first = cp.send(thread, "What deductible should we offer for commercial auto, NAICS 484121?")
        cp.threads.add_feedback(thread, first.message_id, 1, "spot on")
        n_messages = len(cp.history(thread))
    finally:
        cp.close()
    env = {**os.environ, "UWC_DATABASE_URL": pg_seeded["url"], "UWC_DATA_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", TURN, thread, "And the limits for general liability?"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    second = json.loads(proc.stdout.strip().splitlines()[-1])
    assert second["messages"] == n_messages + 2
    assert list(second["feedback"].values()) == [{"rating": 1, "comment": "spot on"}]
    store = ThreadStore(normalize_url(pg_seeded["url"]))  # it lives in PostgreSQL, not in a process or a file
    assert store.get(thread).title
    store.close()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(("conversations.db", "checkpoints.db"))]


def test_the_stores_a_turn_writes_commit_without_waiting_for_the_disk(pg_seeded, tmp_path):  # noqa: F811
    """The checkpointer's and the conversations store's sessions run with ``synchronous_commit=off`` (SQLite's
    ``synchronous=NORMAL``), keeping options given in the URL; the decision records keep the server's setting."""
    from core.database import async_commit
    from core.settings import Settings
    from graph.copilot import Copilot

    assert (
        async_commit("postgresql://u@h/db?options=-c%20search_path%3Dx") == "-c search_path=x -c synchronous_commit=off"
    )
    cp = Copilot(Settings(data_dir=tmp_path, database_url=pg_seeded["url"]))
    try:
        with cp.checkpointer.conn.connection() as conn:
            assert conn.execute("SHOW synchronous_commit").fetchone()["synchronous_commit"] == "off"
        with cp.store.engine.connect() as conn:
            assert conn.execute(text("SHOW synchronous_commit")).scalar() == "off"
        with cp.records.engine.connect() as conn:
            assert conn.execute(text("SHOW synchronous_commit")).scalar() == "on"
    finally:
        cp.close()


def test_a_replica_waiting_to_create_the_checkpoint_tables_holds_no_transaction_open(pg_url):  # noqa: F811
    """Replicas starting together create the checkpoint tables one at a time. The holder's setup runs CREATE INDEX
    CONCURRENTLY, which waits for every open transaction: a replica waiting for its turn inside one statement kept
    one open, and both waited for good. Here the test holds the setup lock and builds an index concurrently while a
    checkpointer waits to set up: the index is built, then the checkpointer opens."""
    import threading

    import psycopg

    from graph.checkpoints import SETUP_LOCK, open_checkpointer

    libpq = pg_url.replace("postgresql+psycopg://", "postgresql://")
    opened: list = []
    with psycopg.connect(libpq, autocommit=True) as holder, psycopg.connect(libpq, autocommit=True) as builder:
        holder.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK,))
        waiter = threading.Thread(target=lambda: opened.append(open_checkpointer(normalize_url(pg_url))), daemon=True)
        waiter.start()
        deadline = time.monotonic() + 60
        while not holder.execute(  # the checkpointer has asked for the setup lock
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND query LIKE %s",
            ("%advisory_lock%",),
        ).fetchone()[0]:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert not opened
        builder.execute("SET statement_timeout = '20s'")
        builder.execute("CREATE TABLE t (x int)")
        builder.execute("CREATE INDEX CONCURRENTLY t_x ON t (x)")  # timed out while a waiter held a transaction
        holder.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))
        waiter.join(60)
    assert opened
    opened[0].conn.close()


def test_a_store_connection_is_checked_before_a_loan_only_when_it_may_be_stale(pg_url, monkeypatch):  # noqa: F811
    """The stores' engines ping a connection before lending it only when it may be stale: idle over ``FRESH_S``,
    or a fault seen since by any pool of the process, the checkpointer's included. A connection the server ended
    while it sat in the pool costs the one statement that meets it; the fault it shows makes every pool check what
    it lends next, so the checkpointer's connections are checked too."""
    import psycopg
    import sqlalchemy.exc
    from psycopg_pool import ConnectionPool

    from core import database
    from graph.checkpoints import open_checkpointer

    engine = database.check_when_stale(create_engine(normalize_url(pg_url), pool_size=1, max_overflow=0))
    saver = open_checkpointer(normalize_url(pg_url))
    pings: list[str] = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append("engine") or real_ping(conn))
    real_check = ConnectionPool.check_connection
    monkeypatch.setattr(
        ConnectionPool, "check_connection", staticmethod(lambda conn: pings.append("pool") or real_check(conn))
    )

    def backend() -> int:
        with engine.connect() as c:
            return c.execute(text("SELECT pg_backend_pid()")).scalar_one()

    def checkpoint_read() -> None:
        assert saver.get_tuple({"configurable": {"thread_id": "none"}}) is None

    try:
        pid = backend()
        checkpoint_read()
        assert backend() == pid and pings == []  # new, then handed back a moment ago: lent as they are
        database.fault_seen()
        assert backend() == pid and pings == ["engine"]  # a fault somewhere: checked once, then fresh again
        monkeypatch.setattr(database, "FRESH_S", 0.0)
        backend()
        assert pings == ["engine", "engine"]  # idle too long
        monkeypatch.setattr(database, "FRESH_S", 2.0)
        checkpoint_read()  # idle too long as well
        pings.clear()
        with psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(sqlalchemy.exc.OperationalError):
            backend()  # fresh, so lent unchecked: the statement meets the broken connection
        assert backend() != pid  # a new connection
        checkpoint_read()
        assert pings and set(pings) == {"pool"}  # the fault the engine met: the checkpointer's connections checked
    finally:
        engine.dispose()
        saver.conn.close()


def test_database_down_mid_conversation_then_back(pg_seeded, tmp_path, toolkit):  # noqa: F811
    from core.database import DatabaseUnavailable
    from core.settings import Settings
    from graph.copilot import Copilot

    proxy = TcpProxy()
    url = proxy.url(pg_seeded["url"])
    pg_tools = open_toolkit(pg_seeded["dir"], database_url=url)
    cp = Copilot(Settings(data_dir=tmp_path, database_url=url, database_wait=0.5), toolkit=pg_tools)
    try:
        tid = cp.new_thread().id
        cp.send(tid, "What deductible should we offer for commercial auto, NAICS 484121?")
        proxy.cut()
        with pytest.raises(DatabaseUnavailable) as info:
            cp.send(tid, "And the limits for general liability?")
        assert "not answering" in str(info.value) and "kept" in str(info.value)
        proxy.start()  # PostgreSQL is back on the same address
        cp.send(tid, "And the limits for general liability?")
        history = cp.history(tid)
        assert [m["role"] for m in history][:2] == ["user", "assistant"] and history[-1]["role"] == "assistant"
    finally:
        cp.close()
        proxy.cut()


# --- faults at start, each one line ------------------------------------------------------------------------------


def _serve_error(capsys, url: str, data_dir) -> str:
    os.environ["UWC_DATABASE_URL"] = url
    try:
        assert uwc(["serve", "--data-dir", str(data_dir), "--port", "9"]) == 1
    finally:
        del os.environ["UWC_DATABASE_URL"]
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def test_server_down_at_start_is_one_line_with_the_password_masked(capsys, tmp_path):
    from bench.ui import free_port

    port = free_port()  # nothing listens there
    err = _serve_error(capsys, f"postgresql://uwc:hunter2secret@127.0.0.1:{port}/uwc", tmp_path)
    assert f"127.0.0.1:{port}" in err and "not answering" in err and "hunter2secret" not in err


def test_missing_database_is_one_line(capsys, tmp_path):
    server_or_skip()
    from sqlalchemy.engine import make_url

    url = make_url(ADMIN_URL).set(database=f"uwc_missing_{uuid.uuid4().hex[:8]}").render_as_string(False)
    assert "does not exist" in _serve_error(capsys, url, tmp_path)


def test_read_only_user_for_the_store_is_one_line(pg_url, capsys, tmp_path):  # noqa: F811
    role = f"uwc_ro_{uuid.uuid4().hex[:8]}"
    engine = create_engine(normalize_url(pg_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text(f"CREATE ROLE {role} LOGIN"))
        c.execute(text(f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {role}"))
    from sqlalchemy.engine import make_url

    try:
        err = _serve_error(capsys, make_url(pg_url).set(username=role).render_as_string(False), tmp_path)
        assert "cannot write the conversations store" in err
    finally:
        with engine.connect() as c:
            c.execute(text(f"DROP OWNED BY {role}"))
            c.execute(text(f"DROP ROLE {role}"))
        engine.dispose()


def test_explain_names_each_fault_and_masks_secrets():
    url = "postgresql://app:s3cr3t-pass@db.internal:5432/uwc"
    assert "s3cr3t-pass" not in masked(url) and "db.internal:5432" in masked(url)
    cases = {
        'FATAL:  password authentication failed for user "app"': "wrong user name or password",
        'FATAL:  database "uwc" does not exist': "does not exist",
        "connection refused": "not answering",
        "permission denied for schema public": "cannot write the conversations store",
    }
    for message, expected in cases.items():
        line = explain(RuntimeError(message), url)
        assert expected in line and "s3cr3t-pass" not in line and "\n" not in line


KILLED_MID_TURN = """
import sys, time
from langchain_core.messages import AIMessage
from core.settings import get_settings
from graph.copilot import Copilot
from tests.fakes import ScriptedModel, tool_call, tool_results

def decide(messages):
    if not tool_results(messages):
        return tool_call("get_deductible", {"naics": "484121", "lob": "auto"})
    print("TOOL-DONE", flush=True)  # the tool result is checkpointed: now die before answering
    time.sleep(120)
    return AIMessage("never")

cp = Copilot(get_settings(), model=ScriptedModel(decide))
tid = cp.new_thread().id
print("THREAD", tid, flush=True)
cp.send(tid, "What deductible for a trucker's commercial auto?")
"""


@pytest.mark.slow
def test_a_process_killed_mid_turn_leaves_a_usable_conversation(pg_seeded, tmp_path):  # noqa: F811
    import signal
    from pathlib import Path

    from langchain_core.messages import AIMessage, ToolMessage

    from core.settings import Settings
    from graph.copilot import Copilot
    from graph.state import for_model
    from tests.fakes import ScriptedModel

    root = str(Path(__file__).resolve().parents[1])
    env = {
        **os.environ,
        "UWC_DATABASE_URL": pg_seeded["url"],
        "UWC_DATA_DIR": str(pg_seeded["dir"]),
        "PYTHONPATH": root,
    }
    proc = subprocess.Popen([sys.executable, "-c", KILLED_MID_TURN], env=env, stdout=subprocess.PIPE, text=True)
    try:
        tid = None
        for line in proc.stdout:
            if line.startswith("THREAD"):
                tid = line.split()[1]
            if line.startswith("TOOL-DONE"):
                break
        assert tid, "the child never started its turn"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(30)
    other = Copilot(
        Settings(data_dir=pg_seeded["dir"], database_url=pg_seeded["url"]),
        model=ScriptedModel(lambda messages: AIMessage("The deductible is $5,000.")),
    )
    try:
        other.history(tid)  # the checkpoint reads back
        result = other.send(tid, "Are you there?")
        assert result.answer == "The deductible is $5,000." and not result.error
        # Checkpoints are written asynchronously, so the kill may land before the tool step is saved: what the
        # next provider call is sent must still answer every tool call.
        sent = for_model(other.graph.get_state(other._config(tid)).values["messages"])
        calls = {c["id"] for m in sent if isinstance(m, AIMessage) for c in m.tool_calls}
        answered = {m.tool_call_id for m in sent if isinstance(m, ToolMessage)}
        assert calls == answered, "a tool call without its result would break the next provider call"
        assert [m["role"] for m in other.history(tid)][-2:] == ["user", "assistant"]
    finally:
        other.close()
