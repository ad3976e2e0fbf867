"""Offline model figures: the natural conversation set's accuracy, re-asking and help-text rates, the intent
classifier's accuracy on its held-out split, and the offline turn latency without classification.

    .venv/bin/python -m tests.bench_offline [--data-dir var]

A turn's latency is the wall time of ``Copilot.send`` minus the time spent classifying (the ``classify_business``
tool and the intent classifier's embedding), which the target leaves out; a model call's is the offline model's own
decision (re-reading the conversation, understanding, policy, wording) without the intent embedding.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

NATURAL = Path(__file__).resolve().parent.parent / "evals" / "natural"


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else 0.0


def bench_offline(data_dir: Path) -> dict:
    from core.settings import get_settings
    from evals.metrics import summarize
    from evals.runner import run_conversation
    from evals.simulator import NaturalUnderwriter
    from evals.tasks import load_tasks
    from graph.copilot import Copilot
    from graph.offline import intent

    intent_ms: list[float] = []
    inner = intent.IntentClassifier.classify

    def timed(self, text):
        start = time.perf_counter()
        try:
            return inner(self, text)
        finally:
            intent_ms.append((time.perf_counter() - start) * 1000)

    intent.IntentClassifier.classify = timed
    out: dict = {"intent_split": {k: v for k, v in intent.split_accuracy().items() if k != "misses"}}
    turns: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "var"
        work.mkdir()
        for name in ("uwc.db", "chroma"):
            (work / name).symlink_to((data_dir / name).resolve())
        cp = Copilot(get_settings(data_dir=work))
        send = cp.send

        def timed_send(thread_id, text, on_event=None):
            before = len(intent_ms)
            start = time.perf_counter()
            result = send(thread_id, text, on_event)
            total = (time.perf_counter() - start) * 1000
            classifying = sum(s["duration_ms"] for s in result.steps if s["tool"] == "classify_business")
            turns.append(total - classifying - sum(intent_ms[before:]))
            return result

        cp.send = timed_send
        decide_ms: list[float] = []
        invoke = cp.model.invoke

        def timed_invoke(messages, tools=None, on_token=None):
            before = len(intent_ms)
            start = time.perf_counter()
            out = invoke(messages, tools, on_token)
            decide_ms.append((time.perf_counter() - start) * 1000 - sum(intent_ms[before:]))
            return out

        cp.model.invoke = timed_invoke
        for part in ("tune", "heldout"):
            tasks = load_tasks(NATURAL / f"{part}.jsonl")
            rows = [run_conversation(cp, t, NaturalUnderwriter(t)).row for t in tasks]
            s = summarize(rows)
            out[part] = {k: round(s[k], 3) for k in ("accuracy", "reask_rate", "help_text_rate")} | {
                "conversations": len(rows),
                "wrong": [r["id"] for r in rows if not r["correct"]],
            }
        cp.close()
    intent.IntentClassifier.classify = inner
    out["turn_ms_excluding_classification"] = {
        "p50": round(statistics.median(turns), 1),
        "p95": round(_pct(turns, 0.95), 1),
        "turns": len(turns),
    }
    out["model_call_ms_excluding_intent"] = {
        "p50": round(statistics.median(decide_ms), 1),
        "p95": round(_pct(decide_ms, 0.95), 1),
        "calls": len(decide_ms),
    }
    out["intent_ms_p50"] = round(statistics.median(intent_ms), 1) if intent_ms else None
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=Path("var"))
    args = ap.parse_args()
    print(json.dumps(bench_offline(args.data_dir), indent=2))


if __name__ == "__main__":
    main()
