"""Hostile SQL benchmark: how long the slowest hostile query takes to stop, and the process's peak memory.

    .venv/bin/python -m bench.sql [--data-dir var]

Each query goes through ``run_sql``'s ``execute`` (parser checks, SQLite limits, one deadline for the query and
its case-hint lookups). Target: every query stops in under 3 s; memory stays flat.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from tools.errors import ToolError
from tools.sql_sqlite import execute

_EQS = " OR ".join(f"a.lob = 'X{i}' AND b.state = 'Q{i}'" for i in range(25))
HOSTILE = {
    "printf 1e9 chars x2": "SELECT length(printf('%.*c',999999999,'x'))+length(printf('%.*c',999999999,'y'))",
    "printf built format": "SELECT printf('%.' || '999999999' || 'c', 'x')",
    "cross join count": "SELECT count(*) FROM appetite a, appetite b",
    "cross join sort": "SELECT a.naics_code FROM appetite a, appetite b ORDER BY a.naics_code || b.state LIMIT 1",
    "cross join distinct": "SELECT count(DISTINCT a.naics_code || b.state || b.lob) FROM appetite a, appetite b",
    "cross join group_concat": "SELECT length(group_concat(a.naics_code || b.naics_code)) FROM appetite a, appetite b",
    "cross join LIKE": "SELECT count(*) FROM appetite a, appetite b WHERE a.naics_code || b.naics_code LIKE '%1%2%3%4%5%x'",
    "unbounded recursion": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
    "string doubling": "WITH RECURSIVE c(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM c) SELECT length(s) FROM c",
    "ltrim n*m": "WITH RECURSIVE r(s, n) AS (SELECT 'x', 0 UNION ALL SELECT s || s, n + 1 FROM r WHERE n < 13) "
    "SELECT length(ltrim(a.s, replace(b.s, 'x', 'y') || 'x')) FROM r a, r b WHERE a.n = 13 AND b.n = 13",
    "empty result + 50 hint filters": "SELECT * FROM appetite a, appetite b WHERE " + _EQS,
    "expression depth 2000": "SELECT " + "+".join(["1"] * 2000),
    "parentheses 1000 deep": "SELECT " + "(" * 1000 + "1" + ")" * 1000,
    "CTE shadowing a table": "WITH state AS (SELECT * FROM sqlite_master) SELECT * FROM state",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("var"))
    db = parser.parse_args().data_dir / "uwc.db"
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    slowest = (0.0, "")
    for name, sql in HOSTILE.items():
        start = time.perf_counter()
        try:
            execute(db, sql)
            outcome = "ran"
        except ToolError as exc:
            outcome = f"{exc.kind}: {exc.message[:70]}"
        seconds = time.perf_counter() - start
        slowest = max(slowest, (seconds, name))
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{name:32s} {seconds:6.2f} s  peak RSS {rss:6.0f} MB  {outcome}", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"slowest stop: {slowest[0]:.2f} s ({slowest[1]}); peak RSS {peak:.0f} MB (+{peak - rss0:.0f} MB)")


if __name__ == "__main__":
    main()
