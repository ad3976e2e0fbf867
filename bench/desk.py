"""The desk's background triage, measured: generated submissions triaged by worker processes on the embedded
engine (SQLite) and on PostgreSQL, with and without a worker killed (``kill -9``) every N submissions.

    .venv/bin/python -m bench.desk [--count 1000] [--only sqlite,pg1,pg2,pg1-kill,pg2-kill] [--kill-every 100]

Per run: throughput, p50/p95 from submit to triaged (all submitted at once, after the workers are up), lost (never
triaged), processed twice (a result written twice: ``finish`` in ``triage_step_run``), step re-runs (a step killed
between its end and its checkpoint runs again), stuck (not final when the run ends). Then the triage's determinations against the independent reference (evals/suite/reference.py,
which imports nothing from the product) per determination. PostgreSQL: ``--pg`` (default the local server, user
postgres), a scratch database per run, dropped afterwards.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

from core.settings import apply_offline_env

apply_offline_env()
REPO = Path(__file__).resolve().parents[1]
FINAL = ("ready", "needs_info", "referred", "failed")
FIGURES = ("annual_revenue", "employees", "annual_payroll", "vehicles")
# Lines as brokers write them (the catalog's synonyms) and products we do not write, for some submissions.
SPELLINGS = {"workers_compensation": "workers comp", "general_liability": "GL", "auto": "commercial auto", "bop": "BOP"}
NOT_WRITTEN = ("D&O", "EPLI", "surety bond")


def load_reference():
    spec = importlib.util.spec_from_file_location("reference", REPO / "evals" / "suite" / "reference.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sample_inputs(data_dir: Path, count: int, ref, seed: int = 27) -> list[dict]:
    """``count`` submissions from the seeded applicants: their facts, a figure left out now and then, one to three
    lines (some in brokers' words, a few we do not write), construction in words the reference knows."""
    from seed_db.queries import readonly_engine, search_applicants

    engine = readonly_engine(data_dir / "uwc.db")
    applicants = search_applicants(engine, limit=500)
    engine.dispose()
    rng = random.Random(seed)
    phrases = sorted(ref.CONSTRUCTION)
    lobs = sorted(ref.LOB_NAMES)
    out = []
    for i in range(count):
        a = applicants[i % len(applicants)]
        facts: dict = {"naics": a["naics_code"], "state": a["state"], "construction": rng.choice(phrases)}
        for key in FIGURES:
            if a[key] is not None and rng.random() > 0.08:  # now and then the application leaves a figure out
                facts[key] = a[key]
        if rng.random() < 0.05:
            facts.pop("construction")
        lines = [a["requested_lob"]] + rng.sample(
            [x for x in lobs if x != a["requested_lob"]], rng.choice((0, 0, 1, 2))
        )
        lines = [SPELLINGS.get(x, x) if rng.random() < 0.3 else x for x in lines]
        if rng.random() < 0.05:
            lines.append(rng.choice(NOT_WRITTEN))
        out.append({"submission_id": f"b{i:05d}", "facts": facts, "lines": lines, "description": a["description"]})
    return out


# --- one run ----------------------------------------------------------------------------------------------------
def run(data_dir: Path, url: str, inputs: list[dict], workers: int, kill_every: int | None) -> dict:
    from desk import results
    from desk.queue import Desk
    from desk.triage import TriageInput
    from desk.worker import Supervisor, worker_command

    desk = Desk(url)
    env = {**os.environ, "PYTHONPATH": str(REPO), "UWC_DATA_DIR": str(data_dir), "UWC_DESK_CONCURRENCY": "4"}
    sup = Supervisor(lambda slot: worker_command(slot, data_dir, url), workers, env)
    stop = threading.Event()
    supervisor = threading.Thread(target=sup.run, args=(stop,), daemon=True)
    supervisor.start()
    try:
        warm = TriageInput("warm-up", {"naics": "332710", "state": "TX", "employees": 5}, ["gl"])
        desk.enqueue(warm)
        _wait(desk, ["warm-up"], 180)
        submitted: dict[str, float] = {}
        t0 = time.time()
        for inp in inputs:
            desk.enqueue(TriageInput.from_dict(inp))
            submitted[inp["submission_id"]] = time.time()
        kills = 0
        ids = list(submitted)
        end = time.monotonic() + 1200
        while time.monotonic() < end:
            done = _count_final(desk.engine)  # a count, not the rows: the poll must not eat the workers' CPU
            if kill_every and done >= (kills + 1) * kill_every and done < len(ids):
                slot = kills % workers
                os.kill(sup.procs[slot].pid, signal.SIGKILL)  # the supervisor starts the slot again
                kills += 1
            if done == len(ids):
                break
            time.sleep(0.2)
        status = results.statuses(desk.engine)
        finished = [status[i][1] for i in ids if status.get(i, ("",))[0] in FINAL]
        latencies = sorted(status[i][1] - submitted[i] for i in ids if status.get(i, ("",))[0] in FINAL)
        runs = results.step_runs(desk.engine)
        # Processed twice: a result written twice (``finish`` runs in the transaction that checkpoints it). A step
        # killed after its end but before its checkpoint runs again (DBOS steps are at least once): its read-only
        # tool calls are repeated, nothing is written twice; counted apart as re-runs.
        twice = sorted({sid for (sid, step), n in runs.items() if n > 1 and step == "finish" and sid in submitted})
        reruns = sum(n - 1 for (sid, step), n in runs.items() if n > 1 and step != "finish" and sid in submitted)
        outcome = Counter(status[i][0] for i in ids if i in status)
        wall = (max(finished) - t0) if finished else float("nan")
        report = {
            "workers": workers,
            "submissions": len(ids),
            "throughput_per_s": round(len(finished) / wall, 1),
            "p50_s": round(_pct(latencies, 0.5), 2),
            "p95_s": round(_pct(latencies, 0.95), 2),
            "wall_s": round(wall, 1),
            "kills": kills,
            "restarts": sum(sup.restarts.values()),
            "lost": sum(1 for i in ids if i not in status),
            "processed_twice": len(twice),
            "step_reruns_after_kill": reruns,
            "stuck": sum(1 for i in ids if i in status and status[i][0] not in FINAL),
            "statuses": dict(outcome),
        }
        report["_results"] = {i: (desk.result(i) or {}).get("result") for i in ids}
        return report
    finally:
        stop.set()
        supervisor.join(60)
        desk.close()


def _count_final(engine) -> int:
    from sqlalchemy import func, select

    from desk.results import triage_result

    t = triage_result
    query = select(func.count()).where(t.c.status.in_(FINAL), t.c.submission_id != "warm-up")
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _wait(desk, ids: list[str], bound: float) -> None:
    from desk import results

    end = time.monotonic() + bound
    while time.monotonic() < end:
        status = results.statuses(desk.engine)
        if all(status.get(i, ("",))[0] in FINAL for i in ids):
            return
        time.sleep(0.1)
    raise SystemExit(f"bench.desk: the workers did not triage {ids} within {bound:.0f} s")


def _pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


# --- correctness against the independent reference --------------------------------------------------------------
def grade(inputs: list[dict], triaged: dict[str, dict | None], ref) -> dict:
    """Per determination: how many the reference can state, and how many the triage got right."""
    standards = ref.load_size_standards()
    tally: dict[str, Counter] = {}

    def check(kind: str, expected, got) -> None:
        c = tally.setdefault(kind, Counter())
        c["graded"] += 1
        c["right"] += expected == got

    for inp in inputs:
        result = triaged.get(inp["submission_id"])
        if not result:
            continue
        facts = inp["facts"]
        app = {k: facts.get(k) for k in ("naics", "state", *FIGURES, "construction")}
        written = [_lob(ref, x) for x in inp["lines"]]
        written = [x for x in dict.fromkeys(written) if x]
        steps = result["steps"]
        try:
            check("small_business", ref.is_small(app, standards), steps["small_business"]["small_business"])
        except ValueError:
            pass  # the reference cannot state it (an asset standard, the figure left out)
        for lob in written:
            try:
                expected = ref.appetite({**app, "lob": lob}, lob, standards)
            except ValueError:
                continue
            check("appetite", expected, steps["appetite"]["lines"].get(lob, {}).get("appetite"))
            limits = steps["limits"]["lines"].get(lob, {})
            check(
                "policy_limits",
                ref.limits({**app, "lob": lob}),
                {k: limits.get(k) for k in ("per_occurrence", "aggregate")},
            )
            check("deductible", ref.deductible({**app, "lob": lob}), {"deductible": limits.get("deductible")})
        if written:
            try:
                expected_lobs = [x for x in ref.recommend({**app, "lob": written[0]}, standards) if x not in written]
            except ValueError:
                expected_lobs = None
            if expected_lobs is not None:
                check("product_recommendation", sorted(expected_lobs), sorted(steps["other_lines"]["offer"]))
    return {k: {"graded": c["graded"], "accuracy": round(c["right"] / c["graded"], 4)} for k, c in tally.items()}


def _lob(ref, text: str) -> str | None:
    try:
        return ref.lob_code(text)
    except ValueError:
        return None


# --- databases --------------------------------------------------------------------------------------------------
def scratch_pg(admin_url: str):
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"uwc_bench_desk_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


RUNS = "sqlite,pg1,pg2,pg1-kill,pg2-kill"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def bench_desk(data_dir: Path, count: int = 1000, only: str = RUNS, kill_every: int = 100, pg: str = PG_ADMIN) -> dict:
    """Every run of ``only`` over the same ``count`` submissions, and the first run's results graded."""
    ref = load_reference()
    inputs = sample_inputs(data_dir, count, ref)
    report: dict = {"count": count, "kill_every": kill_every, "runs": {}}
    first: dict | None = None
    for name in only.split(","):
        workers = 2 if name.startswith("pg2") else 1
        kill = kill_every if name.endswith("-kill") else None
        with tempfile.TemporaryDirectory() as tmp:
            if name == "sqlite":
                url, drop = f"sqlite:///{Path(tmp) / 'desk.db'}", (lambda: None)
            else:
                url, drop = scratch_pg(pg)
            try:
                print(f"bench.desk: {name} ...", file=sys.stderr, flush=True)
                out = run(data_dir, url, inputs, workers, kill)
            finally:
                drop()
        triaged = out.pop("_results")
        if first is None:
            first = triaged
            report["correctness"] = grade(inputs, triaged, ref)
        out["same_results_as_first_run"] = sum(1 for k, v in triaged.items() if v == first.get(k))
        report["runs"][name] = out
        print(json.dumps({name: out}), file=sys.stderr, flush=True)
    return report


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.desk", description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="submissions per run (default 1000)")
    parser.add_argument("--only", default=RUNS, help=f"comma-separated runs (default {RUNS})")
    parser.add_argument("--kill-every", type=int, default=100, help="kill -9 a worker every N triaged (kill runs)")
    parser.add_argument("--data-dir", type=Path, default=None, help="a seeded data folder (default: the test cache's)")
    parser.add_argument("--pg", default=PG_ADMIN, help="PostgreSQL admin URL (scratch databases are made there)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # so the workers are stopped and the scratch databases dropped
    if args.data_dir is None:
        from tests.conftest import cached_seed

        args.data_dir = cached_seed("db")
    print(json.dumps(bench_desk(args.data_dir, args.count, args.only, args.kill_every, args.pg), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
