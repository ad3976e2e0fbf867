"""Train the product guard's judging model on the sets it is tuned on: ``python -m tests.train_guard``.

Writes ``tools/guard_weights.json`` and prints how the model does on texts it was not trained on, without reading
a held-out set: 5-fold cross-validation grouped by text (every mention of a text in the same fold), and, set by set,
a model trained on the other tuned sets only (each set was written by another hand: the fairest proxy for new
wording). Both give per-mention accuracy, Brier score and the texts' precision and recall as the bench counts them.
"""

from __future__ import annotations

import json
import random
import sys

from tests.bench_guard import TUNED, live_catalog, load
from tools import guard_model


def samples(catalog) -> list[dict]:
    """Per text: its set, the products its label says are offered, and each mention's product and features."""
    import tools.guard as guard

    seen: list[guard_model.Context] = []
    real = guard_model.judge

    def capture(contexts: list[guard_model.Context]) -> list[bool]:
        seen.extend(contexts)
        return [True] * len(contexts)  # every mention, bare words too, is a sample

    guard_model.judge = capture  # type: ignore[assignment]
    texts = []
    try:
        for name in TUNED:
            for t in load(name):
                seen.clear()
                mentions = guard.find_mentions(t["text"], catalog)
                texts.append(
                    {
                        "set": name,
                        "want": set(t["invented_products"]),
                        "mentions": [(m.product, guard_model.features(c)) for m, c in zip(mentions, seen, strict=True)],
                    }
                )
    finally:
        guard_model.judge = real  # type: ignore[assignment]
    return texts


def _fit(texts: list[dict]) -> dict:
    xs = [f for t in texts for _, f in t["mentions"]]
    ys = [int(p in t["want"]) for t in texts for p, _ in t["mentions"]]
    return guard_model.fit(xs, ys)


def evaluate(train: list[dict], test: list[dict]) -> tuple[list[float], list[int], list[tuple[set, set]]]:
    """The probabilities of ``test``'s mentions under a model fitted on ``train``, their labels, and per text
    the products flagged and wanted."""
    model = _fit(train)
    probs, labels, flagged = [], [], []
    for t in test:
        got = set()
        for p, f in t["mentions"]:
            probs.append(guard_model.probability(f, model))
            labels.append(int(p in t["want"]))
            if probs[-1] >= model["threshold"]:
                got.add(p)
        flagged.append((got, t["want"]))
    return probs, labels, flagged


def report(probs: list[float], labels: list[int], flagged: list[tuple[set, set]]) -> dict:
    tp = sum(len(g & w) for g, w in flagged)
    fp = sum(len(g - w) for g, w in flagged)
    fn = sum(len(w - g) for g, w in flagged)
    return {
        "mentions": len(labels),
        "accuracy": round(sum((p >= 0.5) == y for p, y in zip(probs, labels, strict=True)) / len(labels), 3),
        "brier": round(sum((p - y) ** 2 for p, y in zip(probs, labels, strict=True)) / len(labels), 3),
        "precision": round(tp / (tp + fp), 3) if tp + fp else 1.0,
        "recall": round(tp / (tp + fn), 3) if tp + fn else 1.0,
    }


def cross_validate(texts: list[dict], folds: int = 5) -> dict:
    order = list(range(len(texts)))
    random.Random(0).shuffle(order)
    probs: list[float] = []
    labels: list[int] = []
    flagged: list[tuple[set, set]] = []
    for f in range(folds):
        test = set(order[f::folds])
        p, y, g = evaluate([texts[k] for k in order if k not in test], [texts[k] for k in sorted(test)])
        probs, labels, flagged = probs + p, labels + y, flagged + g
    return report(probs, labels, flagged)


def leave_one_set_out(texts: list[dict]) -> dict:
    out = {}
    for name in TUNED:
        rest = [t for t in texts if t["set"] != name]
        if rest:
            out[name] = report(*evaluate(rest, [t for t in texts if t["set"] == name]))
    return out


def main() -> int:
    texts = samples(live_catalog())
    print("grouped 5-fold cross-validation:", json.dumps(cross_validate(texts)))
    for name, figures in leave_one_set_out(texts).items():
        print(f"trained without {name}:", json.dumps(figures))
    guard_model.WEIGHTS.write_text(json.dumps(_fit(texts), indent=0, sort_keys=True) + "\n")
    print(f"wrote {guard_model.WEIGHTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
