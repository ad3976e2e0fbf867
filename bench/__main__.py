"""Benchmarks: the figures the issues name, measured (never asserted in tests).

    .venv/bin/python -m bench [--data-dir DIR] [--only seed,tools,quality,guard,agent]

Seeds a scratch data folder (timing it) unless --data-dir points at a seeded one, then measures retrieval
recall@3, classification top-1/top-5, guard precision/recall, and p50/p95 latency per tool. ``--only flat`` adds
issue 25's harness and long-thread figures (``python -m bench.flat`` for all its rows). ``--only desk`` adds the
desk's background triage (``python -m bench.desk``: 1,000 submissions on SQLite and PostgreSQL, workers killed;
about 10 minutes, so not run by default).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from core.settings import apply_offline_env

apply_offline_env()
DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def load_jsonl(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def bench_seed(data_dir: Path) -> dict:
    from retrieval.embeddings import make_embedding
    from seed_db.seed import run_seed

    report = run_seed(f"sqlite:///{data_dir / 'uwc.db'}", data_dir / "chroma", make_embedding("local"))
    return {
        "seed_seconds": round(report.seconds, 2),
        "index_seconds": round(report.index.seconds, 2),
        "database_mb": round(report.database_bytes / 1e6, 1),
    }


def retrieval_recall(toolkit, questions: list[dict], k: int = 3) -> tuple[int, list[str], list[float]]:
    """Questions with at least one labelled section in the top ``k``, the questions that had none, and the time of
    each search (ms)."""
    misses, times = [], []
    for q in questions:
        call = toolkit.call("search_guidelines", {"query": q["question"], "k": k})
        times.append(call.duration_ms)
        if not set(q["section_ids"]) & {s["id"] for s in call.result["sections"]}:
            misses.append(q["question"])
    return len(questions) - len(misses), misses, times


def bench_quality(toolkit) -> dict:
    # The held-out part (sha256 of the question, first 8 hex digits mod 10 < 3) is never tuned on: its misses
    # are counted, not listed.
    tune, heldout = load_jsonl("retrieval_questions.jsonl"), load_jsonl("retrieval_questions_heldout.jsonl")
    toolkit.call("search_guidelines", {"query": "warm-up"})  # the indexes are built on first use
    tune_hits, misses, tune_ms = retrieval_recall(toolkit, tune)
    heldout_hits, _, heldout_ms = retrieval_recall(toolkit, heldout)
    out = {
        "retrieval_recall_at_3": round((tune_hits + heldout_hits) / (len(tune) + len(heldout)), 3),
        "retrieval_recall_at_3_tune": round(tune_hits / len(tune), 3),
        "retrieval_recall_at_3_heldout": round(heldout_hits / len(heldout), 3),
        "retrieval_questions_tune_heldout": [len(tune), len(heldout)],
        "retrieval_tune_misses": misses,
        # Every labelled question once: the latency of varied questions, unlike the one repeated call of "tools".
        "retrieval_ms_p50": round(pct(tune_ms + heldout_ms, 0.5), 2),
        "retrieval_ms_p95": round(pct(tune_ms + heldout_ms, 0.95), 2),
    }
    descriptions = load_jsonl("classification_descriptions.jsonl")
    top1 = top5 = 0
    wrong = []
    for d in descriptions:
        cands = [
            c["naics"]
            for c in toolkit.call("classify_business", {"description": d["description"], "k": 5}).result["candidates"]
        ]
        top1 += cands[:1] == [d["naics"]]
        top5 += d["naics"] in cands
        if d["naics"] not in cands:
            wrong.append(f"{d['naics']} not in {cands}: {d['description'][:70]}")
    return out | {
        "classify_top1": round(top1 / len(descriptions), 3),
        "classify_top5": round(top5 / len(descriptions), 3),
        "classify_descriptions": len(descriptions),
        "classify_misses": wrong,
    }


def bench_guard(catalog) -> dict:
    from tools.guard import find_mentions, scan_products

    out: dict = {}
    times = []
    for name, file in (("", "guard_texts.jsonl"), ("heldout_", "guard_texts_heldout.jsonl")):
        texts = load_jsonl(file)
        tp = fp = fn = 0
        for t in texts:
            start = time.perf_counter()
            got = set(scan_products(t["text"], catalog))
            times.append((time.perf_counter() - start) * 1000)
            want = set(t["invented_products"])
            tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
        out[f"guard_{name}texts"] = len(texts)
        out[f"guard_{name}precision"] = round(tp / (tp + fp), 3) if tp + fp else 1.0
        out[f"guard_{name}recall"] = round(tp / (tp + fn), 3) if tp + fn else 1.0
    # One 1 MB answer made of the labelled texts: the scan is linear, so this is ~1,000 times one 1 KB answer.
    corpus = " ".join(t["text"] for t in load_jsonl("guard_texts.jsonl"))
    big = (corpus * (1_000_000 // len(corpus) + 1))[:1_000_000]
    cpu, wall = time.process_time(), time.perf_counter()
    find_mentions(big, catalog)
    out["guard_scan_1mb_s"] = round(time.perf_counter() - wall, 2)
    out["guard_scan_1mb_cpu_s"] = round(time.process_time() - cpu, 2)
    out["guard_scan_ms_p50"] = round(pct(times, 0.5), 3)
    out["guard_scan_ms_p95"] = round(pct(times, 0.95), 3)
    return out


TOOL_CALLS = {
    "run_sql": {"query": "SELECT appetite FROM appetite WHERE naics_code='722511' AND state='TX' AND lob='auto'"},
    "check_small_business": {"naics": "722511", "annual_revenue": 4_500_000},
    "check_appetite": {
        "naics": "721191",
        "state": "ME",
        "lob": "property",
        "annual_revenue": 900_000,
        "construction": "wood frame",
    },
    "recommend_lobs": {
        "naics": "722511",
        "state": "TX",
        "exclude_lob": "property",
        "annual_revenue": 2_000_000,
        "employees": 30,
        "annual_payroll": 900_000,
        "vehicles": 2,
        "construction": "masonry",
    },
    "get_limits": {"naics": "522110", "lob": "cyber"},
    "get_deductible": {"naics": "484121", "lob": "auto"},
    "get_naics": {"code": "515120"},
    "find_applicant": {"name_or_id": "APP-0042"},
    "calculate": {"expression": "(1720000 + 250000) * 1.03"},
    "search_guidelines": {"query": "how many vehicles can a trucking company have for auto"},
    "classify_business": {"description": "family dental practice with three dentists"},
}


def bench_tools(toolkit, repeat: int = 60) -> dict:
    out = {}
    for name, args in TOOL_CALLS.items():
        toolkit.call(name, args)  # warm caches (indexes are built on first use)
        times = [toolkit.call(name, args).duration_ms for _ in range(repeat)]
        out[name] = {"p50_ms": round(pct(times, 0.5), 2), "p95_ms": round(pct(times, 0.95), 2)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="a seeded data folder (default: seed a scratch one and time it)")
    parser.add_argument("--only", default="seed,tools,quality,guard,agent", help="comma-separated parts to run")
    args = parser.parse_args(argv)
    parts = set(args.only.split(","))
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp)
        if args.data_dir is None:
            results["seed"] = bench_seed(data_dir)
        from tests.conftest import open_toolkit

        toolkit = open_toolkit(data_dir)
        if "quality" in parts:
            results["quality"] = bench_quality(toolkit)
        if "guard" in parts:
            results["guard"] = bench_guard(toolkit.ctx.catalog)
        if "tools" in parts:
            results["tool_latency"] = bench_tools(toolkit)
        if "agent" in parts:
            from bench.agent import bench_agent

            results["agent"] = bench_agent(data_dir)
        if "flat" in parts:  # issue 25's rows that need no browser, server or PostgreSQL (all: python -m bench.flat)
            from bench.flat import measure

            results["flat"] = measure(data_dir, ["harness", "thread"])
        if "desk" in parts:
            from bench.desk import bench_desk

            results["desk"] = bench_desk(data_dir)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
