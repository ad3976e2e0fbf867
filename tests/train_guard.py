"""Train the product guard's judging model on the sets it is tuned on: ``python -m tests.train_guard``.

Writes ``tools/guard_weights.json`` and prints the cross-validated accuracy and calibration (Brier score, and
the offered rate per band of predicted probability) of the mentions. The held-out sets are never read here.
"""

from __future__ import annotations

import json
import random
import sys

from tests.bench_guard import TUNED, live_catalog, load
from tools import guard_model


def samples(catalog) -> tuple[list[list[str]], list[int]]:
    """One sample per mention: its features, and 1 when the text's label says the product is offered."""
    import tools.guard as guard

    seen: list[list[str]] = []
    real = guard_model.offered
    guard_model.offered = lambda feats: bool(seen.append(feats))  # type: ignore[assignment,func-returns-value]
    xs, ys = [], []
    try:
        for name in TUNED:
            for t in load(name):
                seen.clear()
                mentions = guard.find_mentions(t["text"], catalog)
                for m, feats in zip(mentions, seen, strict=True):
                    xs.append(feats)
                    ys.append(int(m.product in t["invented_products"]))
    finally:
        guard_model.offered = real  # type: ignore[assignment]
    return xs, ys


def cross_validate(xs, ys, folds: int = 5) -> dict:
    order = list(range(len(xs)))
    random.Random(0).shuffle(order)
    probs = [0.0] * len(xs)
    for f in range(folds):
        test = set(order[f::folds])
        model = guard_model.fit([xs[k] for k in order if k not in test], [ys[k] for k in order if k not in test])
        for k in test:
            z = model["bias"] + sum(model["weights"].get(x, 0.0) for x in set(xs[k]))
            probs[k] = 1 / (1 + pow(2.718281828, -z))
    bands = {}
    for lo in (0.0, 0.2, 0.4, 0.6, 0.8):
        idx = [k for k, p in enumerate(probs) if lo <= p < lo + 0.2 + (lo == 0.8)]
        if idx:
            bands[f"{lo:.1f}-{lo + 0.2:.1f}"] = f"{sum(ys[k] for k in idx) / len(idx):.2f} of {len(idx)}"
    return {
        "mentions": len(xs),
        "accuracy": round(sum((p >= 0.5) == y for p, y in zip(probs, ys, strict=True)) / len(ys), 3),
        "brier": round(sum((p - y) ** 2 for p, y in zip(probs, ys, strict=True)) / len(ys), 3),
        "offered_rate_by_predicted_band": bands,
    }


def main() -> int:
    xs, ys = samples(live_catalog())
    print(json.dumps(cross_validate(xs, ys), indent=1))
    guard_model.WEIGHTS.write_text(json.dumps(guard_model.fit(xs, ys), indent=0, sort_keys=True) + "\n")
    print(f"wrote {guard_model.WEIGHTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
