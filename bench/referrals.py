"""Referral figures: the time to build and open a referral package after a turn, offline (target < 1 s).

    .venv/bin/python -m bench.referrals [--data-dir var] [--rounds 30]

Each round sends the two messages of a Qualified property question for a restaurant in a new conversation (the
offline model), then times ``refer_turn`` on the turn's determination alone: the authority check, the memo (the
product guard over the recommendation), the referral row, its decision record and the flow paused on
``interrupt``, and the line in the conversation. Then a senior's decision (approve) is timed the same way.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from bench.__main__ import pct
from core.settings import apply_offline_env

MESSAGES = ("Is NAICS 722511 in Texas in appetite for property? revenue 3M", "no idea on construction")


def bench_referrals(data_dir: Path, rounds: int = 30) -> dict:
    from core.settings import get_settings
    from graph.copilot import Copilot
    from graph.refer import determinations, refer_turn

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "var"
        shutil.copytree(data_dir, folder, ignore=shutil.ignore_patterns("conversations.db*", "checkpoints.db*"))
        cp = Copilot(get_settings(data_dir=folder, role="senior"))  # a senior's turns refer nothing: we refer by hand
        opened, decided = [], []
        try:
            for _ in range(rounds):
                tid = cp.new_thread().id
                results = [cp.send(tid, m) for m in MESSAGES]
                found = determinations(results[-1].steps)
                start = time.perf_counter()
                with cp._writing(tid, 10):
                    (ref,) = refer_turn(cp, tid, results[-1].message_id, found, "ana", "junior")
                opened.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                cp.referrals.decide(ref.id, "approve", user="sam", role="senior", note="Fine.")
                decided.append((time.perf_counter() - start) * 1000)
        finally:
            cp.close()
    return {
        "rounds": rounds,
        "referral_package_ms_p50": round(pct(opened, 0.5), 1),
        "referral_package_ms_p95": round(pct(opened, 0.95), 1),
        "referral_package_ms_max": round(max(opened), 1),
        "decision_ms_p50": round(pct(decided, 0.5), 1),
        "decision_ms_p95": round(pct(decided, 0.95), 1),
        "target_ms": 1000,
    }


def main(argv: list[str] | None = None) -> None:
    apply_offline_env()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=Path("var"), help="a seeded data folder (uwc seed)")
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args(argv)
    print(json.dumps(bench_referrals(args.data_dir, args.rounds), indent=2))


if __name__ == "__main__":
    main()
