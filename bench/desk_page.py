"""What the Desk page pays on each render and each 2 s refresh while triage runs: ``DeskService.rows()`` (the queue
with its triage and owners) and ``refer_pending`` (referrals for referred submissions), over generated submissions
triaged in this process (``run_all``, as the worker writes them), on a scratch copy of a seeded data folder.

    .venv/bin/python -m bench.desk_page [--samples 5,20,80] [--data-dir DIR]

``--samples N`` generates N sample files (``desk/samples.py``: an account list holds 6 submissions), so 5 files make
15 submissions, 20 make 60, 80 make 240.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from core.settings import apply_offline_env

apply_offline_env()


def measure(data_dir: Path, samples: int, repeat: int = 5) -> dict:
    from sqlalchemy.orm import Session

    from core.settings import Settings
    from desk import results
    from desk.samples import generate, load_applicants
    from desk.service import DeskService, triage_input
    from desk.triage import run_all, toolkit_call
    from graph.copilot import Copilot

    with tempfile.TemporaryDirectory(prefix="uwc-desk-page-") as tmp:
        data = Path(tmp)
        (data / "uwc.db").symlink_to(Path(data_dir) / "uwc.db")
        if (Path(data_dir) / "chroma").is_dir():
            shutil.copytree(Path(data_dir) / "chroma", data / "chroma")
        settings = Settings(data_dir=data, embedding_model="local", database_url=None, reader_url=None)
        copilot = Copilot(settings)
        desk = DeskService(settings, copilot.toolkit.ctx.catalog)
        try:
            applicants, lobs = load_applicants(data / "uwc.db")
            subs = list(desk.submit([(s.file_name, s.data) for s in generate(applicants, lobs, samples)]).submissions)
            for sub in subs:
                result = run_all(triage_input(sub), toolkit_call(copilot.toolkit)).as_dict()
                with Session(desk.queue.engine) as s, s.begin():
                    results.save_result(s, sub.id, result)
            start = time.perf_counter()
            opened = desk.refer_pending(copilot.referrals, copilot.toolkit.ctx.catalog)
            first = time.perf_counter() - start
            rows, again = [], []
            for _ in range(repeat):
                start = time.perf_counter()
                desk.rows()
                rows.append(time.perf_counter() - start)
                start = time.perf_counter()
                desk.refer_pending(copilot.referrals, copilot.toolkit.ctx.catalog)
                again.append(time.perf_counter() - start)
        finally:
            desk.close()
            copilot.close()
    return {
        "submissions": len(subs),
        "rows_ms_median": round(statistics.median(rows) * 1000, 1),
        "refer_pending_first_ms": round(first * 1000, 1),
        "referrals_opened": opened,
        "refer_pending_again_ms_median": round(statistics.median(again) * 1000, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.desk_page", description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", default="5,20,80", help="sample files per run, comma-separated (default 5,20,80)")
    parser.add_argument("--data-dir", type=Path, default=None, help="a seeded data folder (default: the test cache's)")
    args = parser.parse_args(argv)
    if args.data_dir is None:
        from tests.conftest import cached_seed

        args.data_dir = cached_seed("db")
    print(json.dumps([measure(args.data_dir, int(n)) for n in args.samples.split(",")], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
