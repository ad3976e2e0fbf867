"""Agent figures: harness overhead per turn with the offline model, prompt + tool-schema tokens, `uwc` import time.

Run through `python -m bench --only agent` (or `make bench`).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = [
    "Can you check if this one is in the small business bucket?",
    "NAICS 722511",
    "Revenue is about $4.5M",
    "What deductible for a trucking company's auto? NAICS 484121",
    "Is it in appetite for auto? It's in Texas with 12 trucks.",
]


def bench_agent(data_dir: Path, rounds: int = 8) -> dict:
    from core.settings import get_settings
    from graph import prompts
    from graph.copilot import Copilot
    from graph.llm import count_tokens

    with tempfile.TemporaryDirectory() as tmp:
        import shutil

        shutil.copytree(data_dir, Path(tmp) / "var")
        cp = Copilot(get_settings(data_dir=Path(tmp) / "var"))
        totals, overheads = [], []
        for _ in range(rounds):
            t = cp.new_thread()
            for text in SCRIPT:
                start = time.perf_counter()
                r = cp.send(t.id, text)
                total = (time.perf_counter() - start) * 1000
                totals.append(total)
                overheads.append(total - sum(s["duration_ms"] for s in r.steps))
        catalog = cp.toolkit.ctx.catalog
        system = prompts.system_prompt(catalog.insurer, catalog.lobs)
        tokens = count_tokens(
            "gpt-4.1-mini", [{"role": "system", "content": system}], tools=cp.toolkit.openai_schemas()
        )
        cp.close()
    imports = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "app.cli", "--help"], capture_output=True, check=True)
        imports.append(time.perf_counter() - start)
    q = lambda xs, p: sorted(xs)[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]  # noqa: E731
    return {
        "turns": len(totals),
        "turn_ms_p50": round(statistics.median(totals), 1),
        "turn_ms_p95": round(q(totals, 0.95), 1),
        "harness_overhead_ms_p50": round(statistics.median(overheads), 1),
        "harness_overhead_ms_p95": round(q(overheads, 0.95), 1),
        "system_prompt_plus_tool_schema_tokens": tokens,
        "uwc_help_seconds_best_of_3": round(min(imports), 2),
    }
