"""The product guard's precision and recall on each labelled set: ``python -m bench.guard``.

Prints only totals: the held-out sets measure the guard and must never steer it, so their misses are not shown
(``--misses`` lists those of the sets the guard is tuned on). ``--heldout FILE`` scores one more held-out set from
anywhere (a new writer's set the developers keep outside the repository, never committed nor read but to score).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
# The guard's classifier is trained on these, each written by another hand (guard_fresh_heldout and
# guard_fresh2_heldout were held out until round 3, guard_fresh3 until round 4; guard_fresh5_train is the training
# half of round 5's new writer, guard_fresh6_train those of round 6's two, guard_fresh7/8/9_train the tune parts of
# rounds 7, 8 and 9); the held-out sets are never read but to score.
TUNED = (
    "guard_texts.jsonl",
    "guard_fresh_tune.jsonl",
    "guard_fresh2_train.jsonl",
    "guard_fresh_heldout.jsonl",
    "guard_fresh2_heldout.jsonl",
    "guard_fresh3_train.jsonl",
    "guard_fresh4_train.jsonl",
    "guard_fresh5_train.jsonl",
    "guard_fresh6_train.jsonl",
    "guard_fresh7_train.jsonl",
    "guard_fresh8_train.jsonl",
    "guard_fresh9_train.jsonl",
)
# A new writer's held-out set stays outside the repository and is scored only when asked for, once, at the end of
# the round: ``python -m bench.guard --heldout /work/fresh-sets/guard_r7_heldout.jsonl``.
HELD_OUT: tuple[str | Path, ...] = ("guard_texts_heldout.jsonl",)


def _path(name: str | Path) -> Path:
    return name if isinstance(name, Path) else DATA / name


def load(name: str | Path) -> list[dict]:
    return [json.loads(line) for line in _path(name).read_text(encoding="utf-8").splitlines() if line.strip()]


def score(texts: list[dict], catalog, misses: list | None = None) -> dict:
    from tools.guard import scan_products

    tp = fp = fn = 0
    for t in texts:
        got, want = set(scan_products(t["text"], catalog)), set(t["invented_products"])
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
        if misses is not None and got != want:
            misses.append((t["id"], sorted(got), sorted(want), t["text"]))
    return {
        "texts": len(texts),
        "precision": round(tp / (tp + fp), 3) if tp + fp else 1.0,
        "recall": round(tp / (tp + fn), 3) if tp + fn else 1.0,
    }


def live_catalog():
    from seed_db.queries import readonly_engine
    from tests.conftest import cached_seed
    from tools.catalog import Catalog

    return Catalog.load(readonly_engine(cached_seed("db") / "uwc.db"))


def main(argv: list[str]) -> int:
    catalog = live_catalog()
    extra = tuple(Path(argv[k + 1]) for k, a in enumerate(argv[:-1]) if a == "--heldout")
    held_out = HELD_OUT + extra if "--tuned-only" not in argv else ()
    for name in TUNED + held_out:
        if not _path(name).is_file():
            continue
        misses: list | None = [] if "--misses" in argv and name in TUNED else None
        label = name.name if isinstance(name, Path) else name
        print(f"{label:32} {json.dumps(score(load(name), catalog, misses))}")
        for miss in misses or []:
            print("   ", json.dumps(miss, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
