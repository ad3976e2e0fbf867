"""The SQL tool: role escapes and unbounded results on PostgreSQL, result memory on SQLite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.redteam import Outcome, attack

ROOT = Path(__file__).resolve().parents[2]
PEAK_LIMIT_MB = 300  # what one call may add to the process's peak

# Each must fail, or return nothing of the server's, the app's or another role's.
ESCAPES = {
    "escaped set_config to the superuser": "SELECT U&\"\\0073et_config\"('role', 'postgres', true), current_user",
    "SQL as text through ts_rewrite": "SELECT ts_rewrite('a'::tsquery, 'SELECT pg_read_file(''/etc/hostname'')')",
    "conversations in public.thread": "SELECT id, owner, title FROM public.thread",
    "pg_authid": "SELECT rolname, rolpassword FROM pg_authid",
    "terminate other sessions": "SELECT pg_terminate_backend(pid) FROM pg_stat_activity",
    "WAL writes through pg_logical_emit_message (r5)": "SELECT pg_logical_emit_message(false, 'uwc', repeat('x', 100000))",
}


def _run_tool(url: str | None, data_dir: Path, queries: list[str], past_the_parser: bool = False) -> list[dict]:
    """Run queries through the tool boundary in a child process; each result with how much the call raised that
    process's peak RSS. ``past_the_parser``: the statement allow-list is switched off, as if it misread them all."""
    code = f"""
import json, resource, sys
import sqlglot
import tools.sql_postgres
from tests.conftest import open_toolkit
if {past_the_parser!r}:
    tools.sql_postgres.check_postgres_sql = lambda sql: sqlglot.parse_one("SELECT 1")
tk = open_toolkit({str(data_dir)!r}, embedding_model="hashing", database_url={url!r})
out = []
for q in json.loads(sys.stdin.read()):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    e = tk.call("run_sql", {{"query": q}})
    out.append({{"ok": e.ok, "result": str(e.result)[:300], "kind": e.error_kind,
                "rss_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024}})
print(json.dumps(out))
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code], input=json.dumps(queries), capture_output=True, text=True, env=env, timeout=120
    )
    if proc.returncode != 0:
        return [{"ok": True, "result": "crashed: " + proc.stderr[-300:], "kind": None, "rss_mb": 0}] * len(queries)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _seeded_dir() -> Path:
    from tests.conftest import cached_seed

    return cached_seed("db")


def _pg_results(queries: list[str], past_the_parser: bool = False) -> list[dict]:
    from tests.pg import fresh_database

    with fresh_database("uwc_redteam", seeded=True) as url:
        _conversations_store(url)
        return _run_tool(url, _seeded_dir(), queries, past_the_parser)


def _conversations_store(url: str) -> None:
    """The app's conversations store in ``public`` with one conversation, as the app creates it."""
    from graph.threads import ThreadStore

    store = ThreadStore(url, 10.0)
    try:
        store.create("Ann's bakery question", owner="ann@example.org")
    finally:
        store.close()


def _escape(name: str):
    def run() -> Outcome:
        (r,) = _pg_results([ESCAPES[name]], past_the_parser=True)
        leaked = r["ok"] and ("postgres" in r["result"] or "rolpassword" in r["result"] or "True" in r["result"])
        return Outcome(not r["ok"] and not leaked, f"{'answered' if r['ok'] else 'refused'}: {r['result'][:120]}")

    return run


for _name in ESCAPES:
    attack("sql", f"PostgreSQL, past the parser: {_name}")(_escape(_name))


@attack("sql", "PostgreSQL: a name in Unicode escapes, the parser on (r5)")
def _escaped_name() -> Outcome:
    """The login allows reading a setting: only the statement checks can refuse this, so it shows they see it."""
    (r,) = _pg_results(["SELECT U&\"\\0063urrent_setting\"('work_mem')"])
    return Outcome(not r["ok"], f"{'answered' if r['ok'] else 'refused'}: {r['result'][:120]}")


@attack("sql", "PostgreSQL: the tool's session is its own login")
def _whoami() -> Outcome:
    (r,) = _pg_results(["SELECT current_user, session_user"])
    return Outcome(r["ok"] and "uwc_reader" in r["result"] and "postgres" not in r["result"], r["result"][:120])


@attack("sql", f"PostgreSQL: a 1 GB string_agg adds under {PEAK_LIMIT_MB} MB to the app")
def _pg_big_result() -> Outcome:
    queries = [
        "SELECT string_agg(repeat('x',1000),'') FROM generate_series(1,1000000)",
        "SELECT repeat('x', 200000000)",
        "SELECT repeat('x', 40000) FROM generate_series(1, 100000)",
    ]
    rs = _pg_results(queries)
    peak = max(r["rss_mb"] for r in rs)
    return Outcome(not any(r["ok"] for r in rs) and peak < PEAK_LIMIT_MB, f"peak {peak:.0f} MB; {rs[0]['result'][:80]}")


@attack("sql", f"SQLite: 99 wide columns in a recursive CTE add under {PEAK_LIMIT_MB} MB")
def _sqlite_wide() -> Outcome:
    wide = (
        "WITH RECURSIVE c(x, s) AS (SELECT 1, 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' UNION ALL "
        "SELECT x + 1, substr(s, 1, 9900) || substr(s, 1, 9900) FROM c WHERE x < 300) SELECT "
        + ", ".join(["s"] * 99)
        + " FROM c"
    )
    (r,) = _run_tool(None, _seeded_dir(), [wide])
    return Outcome(not r["ok"] and r["rss_mb"] < PEAK_LIMIT_MB, f"peak {r['rss_mb']:.0f} MB; {r['result'][:80]}")


# r6: PostgreSQL bounds no value one statement builds (work_mem covers sorts and hashes): these took the server's
# session to 862 MB (string_agg over a cross join of naics_code), 1.3 GB (two string_aggs) and 234 MB in 2 s
# (nested replace); each must be refused before it runs.
VALUE_BUILDERS = [
    "SELECT length(string_agg(a.description, '')) FROM naics_code a, naics_code b",
    "SELECT length(string_agg(repeat('x', 100000), '')) a, length(string_agg(repeat('y', 100000), '')) b "
    "FROM generate_series(1, 10000)",
    "SELECT cardinality(ARRAY(SELECT a.description FROM naics_code a, naics_code b))",
    "SELECT length(replace(replace(replace('xxxxxxxxxx', 'x', 'xxxxxxxxxx'), 'x', 'xxxxxxxxxx'), 'x', 'xxxxxxxxxx'))",
    "SELECT length(repeat('x', 1000000000))",
]


@attack("sql", "PostgreSQL: statements that build one value of any size on the server are refused (r6)")
def _pg_value_builders() -> Outcome:
    rs = _pg_results(VALUE_BUILDERS)
    ran = [q[:50] for q, r in zip(VALUE_BUILDERS, rs, strict=True) if r["kind"] != "query_rejected"]
    return Outcome(not ran, f"{len(rs) - len(ran)}/{len(rs)} refused before running" + (f"; ran: {ran}" if ran else ""))
