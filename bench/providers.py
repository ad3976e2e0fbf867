"""Provider figures, against the request-validating provider mock over the real litellm path (no key, offline).

    .venv/bin/python -m bench.providers [--data-dir var] [--turns 50] [--hang-timeout 30]

Prints: tokens sent on turns 1, 10, 30 and 50 of one thread whose every turn runs a guideline search and an
SQL query (big results), with the model's own window and inside an 8k window; the checkpoint file after 30
turns; the time from Enter to a readable error when the provider accepts the connection and never answers.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from tests.provider_mock import ProviderMock, Reply

KEY = "sk-bench-not-a-real-key-0123456789"
MARKS = (1, 10, 30, 50)


def heavy_turns(call) -> Reply:
    """Each underwriter message: search the guidelines and run an SQL query, then answer briefly."""
    from tests.test_providers import view

    texts, results = view(call)
    if not results:
        return Reply(
            tool_calls=[
                ("search_guidelines", {"query": texts[-1]}),
                ("run_sql", {"query": "SELECT * FROM naics_code LIMIT 60"}),
            ]
        )
    return Reply(content="Per the guidelines, auto for 484121 is qualified up to 20 vehicles [auto-qualified].")


def run_thread(data_dir: Path, turns: int, context_tokens: int | None) -> dict:
    from core.settings import get_settings
    from graph.copilot import Copilot
    from graph.llm import LiteLLMModel

    with tempfile.TemporaryDirectory() as tmp, ProviderMock(heavy_turns) as mock:
        work = Path(tmp) / "var"
        shutil.copytree(data_dir, work)
        settings = get_settings(data_dir=work)
        model = LiteLLMModel(
            "openai/gpt-4.1-mini", api_base=mock.url + "/v1", api_key=KEY, context_tokens=context_tokens
        )
        cp = Copilot(settings, model=model)
        thread = cp.new_thread()
        sent, checkpoint_bytes, errors = {}, None, 0
        for turn in range(1, turns + 1):
            n = len(model.usage)
            r = cp.send(thread.id, f"Turn {turn}: what do the guidelines say about trucking fleets in TX?")
            errors += r.error is not None
            if turn in MARKS:
                calls = model.usage[n:]
                sent[turn] = {"tokens": calls[-1]["sent_tokens"], "messages": calls[-1]["messages"]}
            if turn == 30:
                checkpoint_bytes = _db_bytes(settings.checkpoint_path)
        cp.close()
        return {"sent": sent, "checkpoint_bytes_30": checkpoint_bytes, "errors": errors, "violations": mock.violations}


def _db_bytes(path: Path) -> int:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def hung_provider(data_dir: Path, timeout: float) -> dict:
    from core.settings import get_settings
    from graph.copilot import Copilot
    from graph.llm import LiteLLMModel

    with (
        tempfile.TemporaryDirectory() as tmp,
        ProviderMock(lambda call: Reply(content="late", hang=timeout * 4)) as mock,
    ):
        work = Path(tmp) / "var"
        shutil.copytree(data_dir, work)
        settings = get_settings(data_dir=work, timeout=timeout)
        cp = Copilot(settings, model=LiteLLMModel.from_settings(settings, "openai/gpt-4.1-mini", api_key=KEY))
        cp.model.api_base = mock.url + "/v1"
        thread = cp.new_thread()
        start = time.perf_counter()
        r = cp.send(thread.id, "hello")
        seconds = time.perf_counter() - start
        cp.close()
        return {"seconds": round(seconds, 1), "error": r.error, "requests": len(mock.calls)}


def main() -> None:
    from core.settings import apply_offline_env

    apply_offline_env()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("var"))
    parser.add_argument("--turns", type=int, default=50)
    parser.add_argument("--hang-timeout", type=float, default=None, help="UWC_TIMEOUT for the hung provider")
    args = parser.parse_args()
    from core.settings import Settings

    out = {}
    for label, ctx in (("model window (1M)", None), ("8k window", 8192)):
        start = time.perf_counter()
        result = run_thread(args.data_dir, args.turns, ctx)
        result["seconds"] = round(time.perf_counter() - start, 1)
        out[label] = result
        print(f"{label}: tokens sent per turn {json.dumps(result['sent'])}")
        print(
            f"  checkpoint after 30 turns: {result['checkpoint_bytes_30'] / 1e6:.2f} MB; errors {result['errors']}; "
            f"request violations {len(result['violations'])}; {result['seconds']} s"
        )
    timeout = args.hang_timeout or Settings().timeout
    hung = hung_provider(args.data_dir, timeout)
    print(
        f"hung provider (UWC_TIMEOUT={timeout:g}): readable error after {hung['seconds']} s, {hung['requests']} request(s)"
    )
    print(f"  {hung['error']}")


if __name__ == "__main__":
    main()
