"""Load benchmark (not a test): concurrent conversations over app processes that share one database.

    .venv/bin/python -m bench.load --data-dir var                      # PostgreSQL, 2 processes, then SQLite, 1
    .venv/bin/python -m bench.load --data-dir var --backend sqlite     # only the SQLite default

Each app process holds one ``Copilot`` (as one ``uwc serve`` does, warmed at start as it is; ``UWC_BENCH_COLD=1``
leaves it cold, so each process's first turns carry its loading) and runs turns on worker threads (as the app's
turn runner does). Conversation *i*'s turn *t* goes to process ``(i + t) % processes``: every turn lands on another
process than the one before, as behind a load balancer without sticky sessions, so the conversation's state can
only come from the shared database. Afterwards every conversation is read back from the database: each must hold
exactly its turns, in order (lost or duplicated messages are counted). The offline rules model answers, so the
figures measure the app and its stores, not a provider.

PostgreSQL: ``--postgres`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``) is the server; the benchmark
creates a database for the run, seeds it, and drops it.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

SCRIPT = (
    "What deductible should we offer for commercial auto for a long-distance trucker, NAICS 484121?",
    "What limits should we offer for general liability for NAICS 722511?",
    "Is a full-service restaurant, NAICS 722511, with annual revenue of $4,000,000 a small business?",
    "What limits for cyber for NAICS 518210?",
    "What deductible for property for NAICS 722511?",
)


def _worker(env: dict, requests, responses, threads: int) -> None:
    """One app process: one Copilot, ``threads`` turns at a time."""
    os.environ.update(env)
    from core.settings import get_settings
    from graph.copilot import Copilot

    copilot = Copilot(get_settings())
    if os.environ.get("UWC_BENCH_COLD") != "1":
        copilot.warm()  # as ``uwc serve`` warms its copilot at start; a cold first turn is the ``start`` row's figure
    responses.put(("ready", None, None))

    def serve() -> None:
        while True:
            item = requests.get()
            if item is None:
                requests.put(None)  # let the sibling threads stop too
                return
            req_id, op, thread_id, text = item
            start = time.perf_counter()
            try:
                if op == "new":
                    result = copilot.new_thread("load test").id
                else:
                    copilot.send(thread_id, text)
                    result = None
                responses.put((req_id, (time.perf_counter() - start, result), None))
            except Exception as exc:  # counted as an error by the driver
                responses.put((req_id, None, f"{type(exc).__name__}: {str(exc)[:200]}"))

    pool = [threading.Thread(target=serve, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    copilot.close()


def run(env: dict, processes: int, conversations: int, turns: int) -> dict:
    ctx = mp.get_context("spawn")  # a fresh interpreter per app process, like separate servers
    queues = [ctx.Queue() for _ in range(processes)]
    responses = ctx.Queue()
    per_process = max(1, conversations // processes + 1)
    procs = [ctx.Process(target=_worker, args=(env, q, responses, per_process)) for q in queues]
    for p in procs:
        p.start()
    for _ in procs:
        assert responses.get(timeout=300)[0] == "ready"

    waiting: dict[str, tuple[threading.Event, list]] = {}

    def dispatch() -> None:
        while True:
            req_id, value, error = responses.get()
            if req_id == "stop":
                return
            event, box = waiting.pop(req_id)
            box.extend([value, error])
            event.set()

    threading.Thread(target=dispatch, daemon=True).start()

    def call(process: int, op: str, thread_id: str | None = None, text: str | None = None):
        req_id, event, box = uuid.uuid4().hex, threading.Event(), []
        waiting[req_id] = (event, box)
        queues[process].put((req_id, op, thread_id, text))
        event.wait()
        return box

    latencies: list[float] = []
    errors: list[str] = []
    threads: list[str] = []
    lock = threading.Lock()

    def conversation(i: int) -> None:
        (_, tid), error = call(i % processes, "new")
        with lock:
            threads.append(tid)
        for t in range(turns):
            start = time.perf_counter()
            value, error = call((i + t) % processes, "send", tid, SCRIPT[t % len(SCRIPT)])
            with lock:
                if error:
                    errors.append(error)
                else:
                    latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    drivers = [threading.Thread(target=conversation, args=(i,)) for i in range(conversations)]
    for d in drivers:
        d.start()
    for d in drivers:
        d.join()
    wall = time.perf_counter() - start
    for q in queues:
        q.put(None)
    for p in procs:
        p.join(60)
    responses.put(("stop", None, None))

    lost = duplicated = 0
    os.environ.update(env)
    from core.settings import get_settings
    from graph.copilot import Copilot

    reader = Copilot(get_settings())  # a third process's view: only what is in the database counts
    try:
        for tid in threads:
            history = reader.history(tid)
            said = [m["content"] for m in history if m["role"] == "user"]
            answers = sum(1 for m in history if m["role"] == "assistant")
            expected = [SCRIPT[t % len(SCRIPT)] for t in range(turns)]
            lost += sum(max(0, expected.count(x) - said.count(x)) for x in set(expected)) + max(0, turns - answers)
            duplicated += max(0, len(said) - turns) + max(0, answers - turns)
    finally:
        reader.close()
    q = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else [0.0] * 19
    return {
        "processes": processes,
        "conversations": conversations,
        "turns": conversations * turns,
        "errors": len(errors),
        "first_errors": errors[:3],
        "lost": lost,
        "duplicated": duplicated,
        "p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "p95_s": round(q[18], 3),
        "wall_s": round(wall, 2),
        "turns_per_s": round(len(latencies) / wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("var"), help="a seeded data folder (index and uwc.db)")
    parser.add_argument("--backend", choices=("both", "postgres", "sqlite"), default="both")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--processes", type=int, default=2, help="app processes sharing PostgreSQL")
    args = parser.parse_args()
    from core.settings import apply_offline_env

    apply_offline_env()
    source = args.data_dir.resolve()
    if not (source / "uwc.db").is_file() or not (source / "chroma").is_dir():
        raise SystemExit(f"{source} is not a seeded data folder: run `uwc seed --data-dir {args.data_dir}` first")
    base = {"UWC_MODEL": "offline"}
    results = []
    if args.backend in ("both", "postgres"):
        import psycopg
        from sqlalchemy.engine import make_url

        from seed_db.build import load_seed_data, write_database

        name = f"uwc_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.postgres, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
        try:
            write_database(url, load_seed_data())
            with tempfile.TemporaryDirectory(prefix="uwc-bench-") as tmp:
                (Path(tmp) / "chroma").symlink_to(source / "chroma")
                env = {**base, "UWC_DATA_DIR": tmp, "UWC_DATABASE_URL": url}
                results.append(("PostgreSQL", run(env, args.processes, args.conversations, args.turns)))
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if args.backend in ("both", "sqlite"):
        with tempfile.TemporaryDirectory(prefix="uwc-bench-") as tmp:
            shutil.copy(source / "uwc.db", Path(tmp) / "uwc.db")
            (Path(tmp) / "chroma").symlink_to(source / "chroma")
            env = {**base, "UWC_DATA_DIR": tmp}
            os.environ.pop("UWC_DATABASE_URL", None)
            results.append(("SQLite", run(env, 1, args.conversations, args.turns)))
    print(
        f"{'store':<11} {'procs':>5} {'convs':>5} {'turns':>5} {'errors':>6} {'lost':>4} {'dup':>4} "
        f"{'p50 s':>6} {'p95 s':>6} {'wall s':>7} {'turns/s':>7}"
    )
    for label, r in results:
        print(
            f"{label:<11} {r['processes']:>5} {r['conversations']:>5} {r['turns']:>5} {r['errors']:>6} {r['lost']:>4} "
            f"{r['duplicated']:>4} {r['p50_s']:>6} {r['p95_s']:>6} {r['wall_s']:>7} {r['turns_per_s']:>7}"
        )
        for e in r["first_errors"]:
            print(f"  error: {e}")


if __name__ == "__main__":
    main()
