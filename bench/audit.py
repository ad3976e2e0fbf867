"""Decision record benchmark: append rate, and `verify` over 100,000 records (target < 10 s).

    .venv/bin/python -m bench.audit [--records 100000] [--backend both|sqlite|postgres]

Appends into a scratch store: ``--single`` records one transaction each (the rate a turn sees), the rest in batches
of 1,000 (``append_many``: the same chain, faster to build), each with a body the size of a real determination's
(about 3 KB: facts with sources, tool calls, rules, model and versions). Then times ``RecordStore.verify`` (every
HMAC recomputed under the key, streamed) and ``uwc audit export --format jsonl`` of the whole store. PostgreSQL is
``UWC_TEST_POSTGRES`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``); a scratch database is created
and dropped, and skipped saying so when no server answers.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

ADMIN_URL = os.environ.get("UWC_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def sample_body(i: int) -> dict:
    """A determination body shaped and sized like one ``graph/determination.py`` writes."""
    message = f"m-{uuid.UUID(int=i).hex}"
    snippet = "taxi co in Georgia, naics 485310, 12 cabs, rev 3M: can we do comm auto, and what deductible?"
    facts = {
        k: {"value": v, "source": f"user message {message}", "message_id": message, "snippet": snippet}
        for k, v in (("naics", "485310"), ("state", "GA"), ("lob", "auto"), ("vehicles", 12), ("annual_revenue", 3e6))
    }
    rules = [
        {"tool": "check_appetite", "rule": r, "outcome": "pass", "section": f"section-{r}", "detail": "d" * 90}
        for r in ("small_business", "state_exception", "appetite_guide", "vehicles")
    ]
    call = {"tool": "check_appetite", "ok": True, "arguments": {"naics": "485310", "state": "GA", "lob": "auto"}}
    return {
        "task_type": "appetite",
        "verdict": {"appetite": "qualified" if i % 3 else "yes"},
        "summary": "Qualified for Commercial Auto: 12 vehicles is within the fleet limit [auto-qualified]." * 2,
        "summary_guard": [],
        "citations": ["auto-qualified", "appetite-guide"],
        "facts": facts,
        "tool_calls": [{**call, "tool_call_id": f"call_{j}", "result": {"rules_applied": rules}} for j in range(2)],
        "rules_applied": rules,
        "model": {"name": "offline", "llm": False, "temperature": None, "max_output_tokens": 2048},
        "prompt_sha256": "a" * 64,
        "seed_inputs_sha256": "b" * 64,
        "online_check": {"status": "ok", "tool": "check_appetite", "mismatches": [], "note": ""},
        "message_id": message,
        "n": i,
    }


def run(url: str, n: int, single: int, label: str) -> None:
    import json
    import secrets

    from app.audit import export
    from graph.audit_key import from_values
    from graph.records import RecordStore

    store = RecordStore(url, key=from_values(secrets.token_hex(32)))  # every record keyed (HMAC-SHA256)
    size = len(json.dumps(sample_body(0)))
    start = time.perf_counter()
    for i in range(single):
        store.append("determination", user="bench", role="junior", body=sample_body(i), thread_id=f"t{i % 500}")
    one = time.perf_counter() - start
    start = time.perf_counter()
    for lo in range(single, n, 1000):
        store.append_many(
            [
                {
                    "kind": "determination",
                    "user": "bench",
                    "role": "junior",
                    "body": sample_body(i),
                    "thread_id": f"t{i % 500}",
                }
                for i in range(lo, min(n, lo + 1000))
            ]
        )
    bulk = time.perf_counter() - start
    cpu = time.process_time()
    report = store.verify()
    cpu = time.process_time() - cpu  # this process's share: on a loaded machine, steadier than the wall time
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        done = export(store, "export", Path(out), fmt="jsonl")
        exported = time.perf_counter() - start
    print(
        f"{label}: {report.count:,} records of ~{size:,} B bodies; single appends {single / one:,.0f}/s "
        f"({1000 * one / max(single, 1):.2f} ms each), batched {max(n - single, 0) / max(bulk, 1e-9):,.0f}/s; "
        f"verify {'ok' if report.ok else 'FAILED: ' + str(report.problem)} in {report.seconds:.2f} s "
        f"({cpu:.2f} s CPU here; target < 10 s); export to JSONL {done.records:,} records in {exported:.2f} s",
        flush=True,
    )
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--single", type=int, default=2_000, help="records appended one transaction each")
    parser.add_argument("--backend", choices=("both", "sqlite", "postgres"), default="both")
    args = parser.parse_args()
    if args.backend in ("both", "sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{Path(folder) / 'conversations.db'}", args.records, args.single, "SQLite")
    if args.backend in ("both", "postgres"):
        import psycopg
        from sqlalchemy.engine import make_url

        name = f"uwc_bench_audit_{uuid.uuid4().hex[:8]}"
        try:
            admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
        except psycopg.OperationalError as exc:
            print(f"PostgreSQL: skipped (no server at {ADMIN_URL}: {str(exc).splitlines()[0]})")
            return
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
            run(url, args.records, args.single, "PostgreSQL")
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()


if __name__ == "__main__":
    main()
