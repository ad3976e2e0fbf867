"""Search quality, one line per labelled set: ``classify_business`` top-1/top-3 and ``search_guidelines``
top-1/recall@3.

    .venv/bin/python -m bench.search --data-dir var [--classify FILE ...] [--guidelines FILE ...] [--misses]

Without files it runs the project's own sets (``tests/data/classification_descriptions.jsonl`` and
``classification_names.jsonl``, ``tests/data/retrieval_questions.jsonl``) and the fresh tune sets in
``/work/fresh-sets`` (or ``$UWC_FRESH_SETS``) when they are there. Held-out files are never read unless named on the
command line; ``--misses`` lists what a set got wrong, and is refused for a file whose name says it is held out.

A classification row is ``{"description" or "text", "naics"}`` (the right code; ``"also"`` or ``"also_ok"``: other
codes counted right); a guideline row is ``{"question", "section_ids" or "sections"}`` (any of them in the top 3 is
a hit).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from core.settings import apply_offline_env

apply_offline_env()
OWN = Path(__file__).resolve().parents[1] / "tests" / "data"
FRESH = Path(os.environ.get("UWC_FRESH_SETS", "/work/fresh-sets"))
# classification_names.jsonl: short names of businesses ("coffee shop", "cpa firm"), written with the index-entry
# classifier (issue 23) and tuned on: a tune set, like the rest here.
OWN_CLASSIFY = [OWN / "classification_descriptions.jsonl", OWN / "classification_names.jsonl"]
OWN_GUIDELINES = [OWN / "retrieval_questions.jsonl"]
FRESH_CLASSIFY = [FRESH / "classification_tune.jsonl"]
FRESH_GUIDELINES = [FRESH / "guideline_questions_tune.jsonl"]


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _field(row: dict, *names: str):
    return next((row[n] for n in names if n in row), None)


def classify_set(toolkit, rows: list[dict]) -> tuple[dict, list[str]]:
    top1 = top3 = 0
    misses = []
    for row in rows:
        text = _field(row, "description", "text", "query")
        want = {str(_field(row, "naics", "code", "expected_naics"))} | {
            str(c) for c in row.get("also", row.get("also_ok", []))
        }
        got = [
            c["naics"] for c in toolkit.call("classify_business", {"description": text, "k": 3}).result["candidates"]
        ]
        top1 += got[:1] != [] and got[0] in want
        top3 += bool(want & set(got))
        if not got or got[0] not in want:
            misses.append(f"{'/'.join(sorted(want))} got {got}: {text[:90]}")
    n = max(len(rows), 1)
    return {"n": len(rows), "top1": round(top1 / n, 3), "top3": round(top3 / n, 3)}, misses


def guideline_set(toolkit, rows: list[dict]) -> tuple[dict, list[str]]:
    top1 = hit3 = 0
    misses = []
    for row in rows:
        text = _field(row, "question", "query", "text")
        want = set(_field(row, "section_ids", "sections", "expected_sections") or [])
        got = [s["id"] for s in toolkit.call("search_guidelines", {"query": text, "k": 3}).result["sections"]]
        top1 += got[:1] != [] and got[0] in want
        hit3 += bool(want & set(got))
        if not want & set(got):
            misses.append(f"{sorted(want)} got {got}: {text[:90]}")
    n = max(len(rows), 1)
    return {"n": len(rows), "top1": round(top1 / n, 3), "recall_at_3": round(hit3 / n, 3)}, misses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("var"), help="a seeded data folder")
    parser.add_argument("--classify", type=Path, nargs="*", help="classification sets (default: own + fresh tune)")
    parser.add_argument("--guidelines", type=Path, nargs="*", help="guideline question sets (default: own + tune)")
    parser.add_argument("--misses", action="store_true", help="list each miss (never for a held-out file)")
    args = parser.parse_args(argv)
    from tests.conftest import open_toolkit

    toolkit = open_toolkit(args.data_dir)
    plans = [
        (
            "classify_business",
            classify_set,
            args.classify if args.classify is not None else OWN_CLASSIFY + FRESH_CLASSIFY,
        ),
        (
            "search_guidelines",
            guideline_set,
            args.guidelines if args.guidelines is not None else OWN_GUIDELINES + FRESH_GUIDELINES,
        ),
    ]
    for tool, measure, paths in plans:
        for path in paths:
            if not path.is_file():
                continue
            figures, misses = measure(toolkit, _rows(path))
            print(f"{tool:18} {path.name:42} " + "  ".join(f"{k} {v}" for k, v in figures.items()), flush=True)
            if args.misses and "heldout" not in path.name:
                for miss in misses:
                    print("    miss", miss)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
