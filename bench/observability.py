"""Observability figures: tracing overhead per offline turn (off vs on in one run), the Monitoring page's load
time over 10,000 recorded turns, the online checks over the bundled suite, and an MCP round trip.

    .venv/bin/python -m bench.observability --data-dir var [--only tracing,monitoring,checks,mcp]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.agent import SCRIPT


def _median(xs: list[float], digits: int = 2) -> float:
    return round(statistics.median(xs), digits)


def bench_tracing(data_dir: Path, rounds: int = 12) -> dict:
    """The same scripted conversation with tracing off and on, interleaved round by round (same load for both)."""
    from core import tracing
    from core.settings import get_settings
    from graph.copilot import Copilot

    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(data_dir, Path(tmp) / "var", ignore=shutil.ignore_patterns("telemetry.db*", "runs"))
        settings = get_settings(data_dir=Path(tmp) / "var")
        cp = Copilot(settings)
        times: dict[str, list[float]] = {"off": [], "on": []}
        cpu: dict[str, float] = {"off": 0.0, "on": 0.0}
        for i in range(rounds + 1):
            for mode in ("off", "on") if i % 2 else ("on", "off"):
                tracing.configure(settings.telemetry_path if mode == "on" else None)
                t = cp.new_thread()
                cpu_start = time.process_time()  # the whole process: includes the span export thread
                for text in SCRIPT:
                    start = time.perf_counter()
                    cp.send(t.id, text)
                    if i:  # round 0 warms caches for both modes
                        times[mode].append((time.perf_counter() - start) * 1000)
                tracing.flush()  # the export work of this conversation is counted in its CPU time
                if i:
                    cpu[mode] += time.process_time() - cpu_start
        tracing.configure(None)
        cp.close()
    off, on = _median(times["off"]), _median(times["on"])
    n = len(times["on"])
    cpu_off, cpu_on = 1000 * cpu["off"] / n, 1000 * cpu["on"] / n
    return {
        "turns_each": n,
        "turn_ms_p50_tracing_off": off,
        "turn_ms_p50_tracing_on": on,
        "wall_ratio_on_over_off": round(on / off, 3),
        "cpu_ms_per_turn_tracing_off": round(cpu_off, 2),
        "cpu_ms_per_turn_tracing_on": round(cpu_on, 2),
        "cpu_ratio_on_over_off": round(cpu_on / cpu_off, 3),
    }


def synthetic_telemetry(data_dir: Path, n_turns: int = 10_000, seed: int = 7) -> None:
    """A telemetry store and conversations with ``n_turns`` traced turns over 30 days, shaped like real traces: per
    turn 1-5 tool calls, 1-3 model calls (``chat``, some retried) for the LLMs, an online check (with its own tool
    re-run) for each finding, a guard span for each invented product; about 7 spans a turn."""
    import random
    import sqlite3
    from datetime import UTC, datetime, timedelta

    from core.telemetry_store import INSERT_SPAN, connect
    from graph.threads import ThreadStore

    rng = random.Random(seed)
    tools = ["find_applicant", "check_appetite", "get_limits", "get_deductible", "classify_business", "run_sql"]
    tasks = [
        ("appetite", {"appetite": "yes"}),
        ("deductible", {"deductible": 500}),
        ("classification", {"naics": "722511"}),
    ]
    models, users = ["offline", "openai/gpt-4.1-mini", "anthropic/claude-sonnet-4-5"], ["ana", "ben", "chloe", "local"]
    threads = ThreadStore(data_dir / "conversations.db")
    conversations = [threads.create(f"conversation {i}", rng.choice(models)).id for i in range(n_turns // 4)]
    t0 = datetime.now(UTC) - timedelta(days=30)
    rows, checks, n = [], [], 0

    def row(trace, parent, name, op, ns, day, ms, conv, user, attrs, status="unset", **cols) -> str:
        nonlocal n
        n += 1
        span_id = f"{n:016x}"
        rows.append(
            (span_id, trace, parent, name, op, ns, day, ms, status, conv, user, cols.get("model"), cols.get("tool"))
            + (cols.get("error_type"), cols.get("tin"), cols.get("tout"), cols.get("cost"), json.dumps(attrs))
        )
        return span_id

    for i in range(n_turns):
        trace = f"{i:032x}"
        start = t0 + timedelta(seconds=i * 30 * 86400 / n_turns)
        ns, day = int(start.timestamp() * 1e9), start.date().isoformat()
        conv, model, user = rng.choice(conversations), rng.choice(models), rng.choice(users)
        task, verdict = rng.choice(tasks) if rng.random() < 0.6 else (None, None)
        attrs: dict = {"gen_ai.operation.name": "invoke_agent"}
        if task:
            attrs |= {"uwc.finding.task_type": task, "uwc.finding.verdict": json.dumps(verdict)}
        invented = rng.random() < 0.02
        if invented:
            attrs["uwc.turn.invented_products"] = ["umbrella"]
        tin, tout = (0, 0) if model == "offline" else (rng.randint(2000, 9000), rng.randint(50, 400))
        turn_id = row(
            trace, None, "invoke_agent underwriting-copilot", "invoke_agent", ns, day, rng.lognormvariate(5.5, 0.6),
            conv, user, attrs, model=model, tin=tin, tout=tout, cost=tin * 4e-7 + tout * 1.6e-6,
        )  # fmt: skip
        calls = 0 if model == "offline" else rng.randint(1, 3)
        for _ in range(calls):
            retries = 0 if rng.random() < 0.93 else rng.choice([1, 1, 2])
            chat = {"gen_ai.operation.name": "chat", "gen_ai.request.model": model, "uwc.retries": retries}
            if retries:
                chat["uwc.retry.reasons"] = [rng.choice(["rate_limit", "unavailable", "stall"])] * retries
            row(
                trace, turn_id, f"chat {model}", "chat", ns, day, rng.lognormvariate(6.5, 0.5), conv, user, chat,
                model=model, tin=tin // calls, tout=tout // calls, cost=(tin * 4e-7 + tout * 1.6e-6) / calls,
            )  # fmt: skip
        for _ in range(rng.randint(1, 5)):
            tool = rng.choice(tools)
            err = rng.random() < 0.03
            row(
                trace, turn_id, f"execute_tool {tool}", "execute_tool", ns, day, rng.uniform(0.2, 20), conv, user,
                {}, "error" if err else "unset", tool=tool, error_type="invalid_argument" if err else None,
            )  # fmt: skip
        if invented:
            guard = {"uwc.guard.where": "answer", "uwc.guard.products": ["umbrella"], "uwc.guard.action": "removed"}
            row(trace, turn_id, "guard product", "guard", ns, day, 0.0, conv, user, guard)
        if task:
            check = row(trace, turn_id, "online_check", "online_check", ns, day, 3.0, conv, user, {})
            row(
                trace,
                check,
                "execute_tool check_appetite",
                "execute_tool",
                ns,
                day,
                2.0,
                conv,
                user,
                {},
                tool="check_appetite",
            )
            status = "mismatch" if rng.random() < 0.01 else "ok"
            checks.append((conv, None, start.isoformat(), day, task, status, "[]", "check_appetite", model, user))
    conn = connect(data_dir / "telemetry.db")
    with conn:
        conn.executemany(INSERT_SPAN, rows)
        conn.executemany(
            "INSERT INTO finding_check (conversation_id, message_id, checked_at, day, task_type, status, mismatches, "
            "tool, model, user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            checks,
        )
    conn.close()
    for conv in conversations[:300]:
        threads.add_feedback(conv, "m1", rng.choice([1, 1, 1, -1]), rng.choice([None, "wrong deductible", "great"]))
    threads.close()
    sqlite3.connect(data_dir / "telemetry.db").close()


def _p95(xs: list[float], digits: int = 3) -> float:
    return round(sorted(xs)[round(0.95 * (len(xs) - 1))], digits)


def bench_monitoring(data_dir: Path, n_turns: int = 10_000, runs: int = 12) -> dict:
    """The Monitoring page over ``n_turns`` recorded turns: the figures alone, then the whole page (AppTest), cold
    (nothing cached: the first view after new spans) and warm (a rerun with nothing new: a click, a refresh).

    Each AppTest run is a fresh session; its wall time includes the harness (a mock runtime, a component scan), so
    the CPU time, less sensitive to other processes' load, is reported beside it, and ``page_script_*`` rerun one
    session (cache cleared, or kept): the page script's own time."""
    import os

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    import guidelines  # noqa: F401  (the page's imports, as the app has them loaded)
    from evals.monitoring import load_monitoring
    from graph.threads import ThreadStore

    page = str(Path(__file__).resolve().parents[1] / "app" / "views" / "monitoring.py")

    def run_page(clear: bool, at: AppTest | None = None) -> tuple[float, float]:
        if clear:
            st.cache_data.clear()
        start, cpu_start = time.perf_counter(), time.process_time()
        at = (AppTest.from_file(page, default_timeout=120) if at is None else at).run()
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        assert not at.exception, [e.value for e in at.exception]
        assert at.metric[0].value == f"{n_turns:,}"
        return wall, cpu

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        synthetic_telemetry(d, n_turns)
        figures = []
        store = ThreadStore(d / "conversations.db")  # opened once, as the page's cached resource is
        for _ in range(runs):
            start = time.perf_counter()
            load_monitoring(d / "telemetry.db", store)
            figures.append(time.perf_counter() - start)
        store.close()
        os.environ["UWC_DATA_DIR"] = str(d)
        first = run_page(clear=True)
        cold = [run_page(clear=True) for _ in range(runs)]
        warm = [run_page(clear=False) for _ in range(runs)]
        session = AppTest.from_file(page, default_timeout=120)  # one session rerun: the page's own time, no harness
        rerun = [run_page(clear=True, at=session) for _ in range(runs + 1)][1:]
        rerun_warm = [run_page(clear=False, at=session) for _ in range(runs)]
        spans = sum(1 for _ in __import__("sqlite3").connect(d / "telemetry.db").execute("SELECT 1 FROM span"))
    return {
        "turns": n_turns,
        "spans": spans,
        "figures_seconds_p50": _median(figures, 3),
        "figures_seconds_p95": _p95(figures),
        "page_seconds_first_run": round(first[0], 2),
        **_timings("page_cold", cold),
        **_timings("page_warm", warm),
        **_timings("page_script_cold", rerun),
        **_timings("page_script_warm", rerun_warm),
    }


def _timings(name: str, runs: list[tuple[float, float]]) -> dict:
    """p50 and p95 of the wall times and p50 of the CPU times of (wall, cpu) pairs."""
    wall, cpu = [w for w, _ in runs], [c for _, c in runs]
    return {
        f"{name}_seconds_p50": _median(wall, 3),
        f"{name}_seconds_p95": _p95(wall),
        f"{name}_cpu_seconds_p50": _median(cpu, 3),
    }


def bench_mcp(data_dir: Path, calls: int = 50) -> dict:
    """Round trips to ``uwc mcp`` over stdio (a real subprocess) with the SDK's client: a lookup and a guard refusal."""
    import asyncio
    import os

    from mcp import Client, StdioServerParameters

    env = {**os.environ, "UWC_TRACING": "false"}
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "app.cli", "mcp", "--data-dir", str(data_dir)], env=env
    )

    async def go() -> dict:
        start = time.perf_counter()
        async with Client(params) as client:
            await client.list_tools()
            ready = time.perf_counter() - start
            times: dict[str, list[float]] = {"get_deductible": [], "guard_refusal": []}
            for _ in range(calls):
                for name, args in (
                    ("get_deductible", {"naics": "484121", "lob": "auto"}),
                    ("guard_refusal", {"naics": "722511", "lob": "umbrella"}),
                ):
                    t = time.perf_counter()
                    await client.call_tool("get_limits" if name == "guard_refusal" else name, args)
                    times[name].append((time.perf_counter() - t) * 1000)
        return {
            "start_and_list_tools_seconds": round(ready, 2),
            **{f"{k}_ms_p50": _median(v) for k, v in times.items()},
            **{f"{k}_ms_p95": round(sorted(v)[int(0.95 * (len(v) - 1))], 2) for k, v in times.items()},
        }

    return asyncio.run(go())


BENCHES = {"tracing": bench_tracing, "monitoring": bench_monitoring, "mcp": bench_mcp}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path("var"), help="a seeded data folder")
    parser.add_argument("--only", default=",".join(BENCHES), help=f"comma-separated: {','.join(BENCHES)}")
    args = parser.parse_args(argv)
    if not (args.data_dir / "uwc.db").is_file():
        print(f"no seeded data folder at {args.data_dir}: run `uwc seed` first", file=sys.stderr)
        return 2
    for name in args.only.split(","):
        if name not in BENCHES:
            print(f"unknown bench {name!r}; choose from {', '.join(BENCHES)}", file=sys.stderr)
            return 2
        print(json.dumps({name: BENCHES[name](args.data_dir)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
