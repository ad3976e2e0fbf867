"""Observability figures: tracing overhead per offline turn (off vs on in one run), the Monitoring page's load
time over 10,000 recorded turns, the online checks over the bundled suite, and an MCP round trip.

    .venv/bin/python -m tests.bench_observability --data-dir var [--only tracing,monitoring,checks,mcp]
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

from tests.bench_agent import SCRIPT


def _median(xs: list[float]) -> float:
    return round(statistics.median(xs), 2)


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


BENCHES = {"tracing": bench_tracing}


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
