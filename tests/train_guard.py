"""Train the product guard's judging model on the sets it is tuned on: ``python -m tests.train_guard``.

Writes ``tools/guard_weights.json``: a logistic regression on each mention's features, and a second one that also
reads the MiniLM embedding of the mention's sentence, consulted where the first is unsure (inside a band of
probability chosen here by cross-validation). It prints how both do on texts they were not trained on, without
reading a held-out set: 5-fold cross-validation grouped by text (every mention of a text in the same fold), and,
writer by writer, models trained on the other writers' sets only, scored on each of this writer's sets: the figure
that predicts a new writer (within-mix cross-validation has seen every style and is optimistic). Each figure:
per-mention accuracy, Brier score, and the texts' precision and recall as the bench counts them.

``python -m tests.train_guard --writers`` prints only the leave-one-writer-out figures at the shipped threshold and
writes nothing: how the guard's features would do on each writer before retraining (a set of several writers, told
apart by their ids' prefixes, is scored writer by writer).
"""

from __future__ import annotations

import json
import random
import sys

from bench.guard import DATA, TUNED, live_catalog, load
from tools import guard_model

BANDS = (0.1, 0.2, 0.3)  # where the features' probability counts as unsure: the one cross-validation scores best
# Thresholds tried on the leave-one-writer-out probabilities: the one that best balances a new writer's precision
# and recall is shipped (calibrated on writers the model had not seen, not on the mix it was fitted to).
THRESHOLDS = tuple(round(0.3 + 0.05 * k, 2) for k in range(9))
# (declined, certain) for guard_model.Verdicts: a product a mention firmly declines (below the first) is offered
# only by a near-certain mention (at or above the second); (0, 1) leaves every mention to itself.
SETTLE = ((0.0, 1.0), (0.1, 0.95), (0.1, 0.99), (0.2, 0.99))
SCALE = 3.0  # the embedding's weight against the binary features (chosen by cross-validation, 1 to 8 tried)


def samples(catalog) -> list[dict]:
    """Per text: its set, the products its label says are offered, and each mention's product, features and
    sentence embedding."""
    import tools.guard as guard

    seen: list[guard_model.Context] = []
    real = guard_model.judge

    def capture(contexts: list[guard_model.Context], embed_max: int = 0) -> tuple[list[float], int]:
        seen.extend(contexts)
        return [1.0] * len(contexts), 0  # every mention, bare words too, is a sample

    guard_model.judge = capture  # type: ignore[assignment]
    texts = []
    try:
        for name in TUNED:
            if not (DATA / name).is_file():  # a writer's set not yet delivered
                continue
            for t in load(name):
                seen.clear()
                mentions = guard.find_mentions(t["text"], catalog)
                texts.append(
                    {
                        "set": part(name, t["id"]),
                        "want": set(t["invented_products"]),
                        "mentions": [(m.product, c) for m, c in zip(mentions, seen, strict=True)],
                    }
                )
    finally:
        guard_model.judge = real  # type: ignore[assignment]
    contexts = [c for t in texts for _, c in t["mentions"]]
    vectors = guard_model._embed([guard_model.sentence(c) for c in contexts])
    if vectors is None:
        raise SystemExit("the MiniLM embedding did not load: the guard's second model cannot be trained")
    by_context = {id(c): v for c, v in zip(contexts, vectors, strict=True)}
    for t in texts:
        t["mentions"] = [
            (p, guard_model.features(c), by_context[id(c)], guard_model.settle_key(p, c.words[c.i]))
            for p, c in t["mentions"]
        ]
    return texts


def fit(texts: list[dict], band: float) -> dict:
    xs = [f for t in texts for _, f, _, _ in t["mentions"]]
    ys = [int(p in t["want"]) for t in texts for p, *_ in t["mentions"]]
    model = guard_model.fit(xs, ys)
    embedded = guard_model.fit(xs, ys, [v for t in texts for _, _, v, _ in t["mentions"]], SCALE)
    model["embedded"] = {**embedded, "band": band}
    return model


def evaluate(train: list[dict], test: list[dict], bands: tuple[float, ...]) -> dict:
    """Per judge ("features", and "band <b>" for each band of the cascade): the probabilities of ``test``'s
    mentions under models fitted on ``train``, their labels, and per text the products flagged and wanted."""
    return {judge: flag(parts, 0.5) for judge, parts in probabilities(train, test, bands).items()}


def probabilities(train: list[dict], test: list[dict], bands: tuple[float, ...]) -> dict[str, list]:
    """Per judge, per text of ``test``: each mention's (product, probability, what settles it with others) under
    models fitted on ``train``, and the products the text's label wants."""
    model = fit(train, bands[0])
    out: dict[str, list] = {}
    for judge in ["features", *(f"band {b}" for b in bands)]:
        out[judge] = []
        for t in test:
            probs = []
            for p, f, v, key in t["mentions"]:
                prob = guard_model.probability(f, model)
                if judge != "features" and (b := float(judge.split()[1])) <= prob <= 1 - b:
                    prob = guard_model.probability(f, model, v)
                probs.append((p, prob, key))
            out[judge].append((probs, t["want"]))
    return out


def flag(texts: list, threshold: float, settle: tuple[float, float] = (0.0, 1.0)) -> tuple[list, list, list]:
    """The mentions' probabilities and labels, and per text the products flagged and wanted, as
    ``guard_model.Verdicts`` decides with ``threshold`` and ``settle`` (declined, certain)."""
    model = {"threshold": threshold, "declined": settle[0], "certain": settle[1]}
    probs = [prob for mentions, _ in texts for _, prob, _ in mentions]
    labels = [int(p in want) for mentions, want in texts for p, _, _ in mentions]
    flagged = []
    for mentions, want in texts:
        verdicts = guard_model.Verdicts(model)
        numbers = [verdicts.add(p, prob, key) for p, prob, key in mentions]
        flagged.append(({p for (p, _, _), k in zip(mentions, numbers, strict=True) if verdicts.offered(k)}, want))
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


def cross_validate(texts: list[dict], folds: int = 5) -> dict[str, dict]:
    order = list(range(len(texts)))
    random.Random(0).shuffle(order)
    pooled: dict[str, tuple[list, list, list]] = {}
    for f in range(folds):
        test = set(order[f::folds])
        got = evaluate([texts[k] for k in order if k not in test], [texts[k] for k in sorted(test)], BANDS)
        for judge, parts in got.items():
            old = pooled.get(judge, ([], [], []))
            pooled[judge] = (old[0] + parts[0], old[1] + parts[1], old[2] + parts[2])
    return {judge: report(*parts) for judge, parts in pooled.items()}


# Sets that hold several writers' texts, each writer's ids with their own prefix ("g6a-", "g6b-").
MIXED = frozenset({"guard_fresh6_train.jsonl"})


def part(name: str, text_id: str) -> str:
    """The set a text is scored in: its file, or in a file of several writers, its writer's part of it."""
    return f"{name}:{text_id.split('-')[0]}" if name in MIXED else name


def writer(name: str) -> str:
    """Who wrote a set (or a part of one): a writer's tuning and (formerly) held-out sets share the stem
    ("guard_fresh2"); a mixed set's parts are their writers' ("guard_fresh6:g6a")."""
    stem, _, who = name.partition(":")
    stem = stem.removesuffix(".jsonl").removesuffix("_heldout").removesuffix("_train").removesuffix("_tune")
    return f"{stem}:{who}" if who else stem


def leave_one_writer_out(texts: list[dict], band: float) -> dict[str, dict[str, list]]:
    """Per set: models trained on the other writers' sets only, their probabilities on this set (the figure that
    predicts a new writer; within-mix cross-validation is optimistic, it has seen the style)."""
    out: dict[str, dict[str, list]] = {}
    for who in dict.fromkeys(writer(t["set"]) for t in texts):
        rest = [t for t in texts if writer(t["set"]) != who]
        own = [t for t in texts if writer(t["set"]) == who]
        if rest and own:
            got = probabilities(rest, own, (band,))
            for name in {t["set"] for t in own}:
                keep = [k for k, t in enumerate(own) if t["set"] == name]
                out[name] = {judge: [parts[k] for k in keep] for judge, parts in got.items()}
    return out


def calibrate(lowo: dict[str, dict[str, list]], judge: str) -> tuple[float, tuple[float, float]]:
    """The threshold and settling bounds whose worst set (precision or recall, leave-one-writer-out) is best;
    ties to 0.5's side and to settling less."""

    def worst(th: float, settle: tuple[float, float]) -> float:
        figures = [report(*flag(j[judge], th, settle)) for j in lowo.values()]
        return min(min(f["precision"], f["recall"]) for f in figures)

    grid = [(th, settle) for th in THRESHOLDS for settle in SETTLE]
    return max(grid, key=lambda g: (round(worst(*g), 3), -abs(g[0] - 0.5), -g[1][0]))


def main(argv: list[str]) -> int:
    texts = samples(live_catalog())
    if (
        "--writers" in argv
    ):  # leave-one-writer-out with the shipped settings only: nothing fitted to all, nothing written
        model = guard_model._weights()
        th, st = model["threshold"], (model.get("declined", 0.0), model.get("certain", 1.0))
        band = model["embedded"]["band"]
        for name, judges in leave_one_writer_out(texts, band).items():
            print(
                f"trained without {writer(name)}'s sets, on {name}, band {band}, threshold {th}, settle {st}:",
                json.dumps(report(*flag(judges[f"band {band}"], th, st))),
            )
        return 0
    cv = cross_validate(texts)
    for judge, figures in cv.items():
        print(f"grouped 5-fold cross-validation, {judge}:", json.dumps(figures))
    # The narrowest band within a point of the best: each mention in the band costs an embedding.
    band = max(BANDS, key=lambda b: (round(cv[f"band {b}"]["accuracy"], 2), -b))
    print(f"band chosen by cross-validation: {band}")
    lowo = leave_one_writer_out(texts, band)
    chosen, settle = calibrate(lowo, f"band {band}")
    for th, st in dict.fromkeys([(0.5, (0.0, 1.0)), (chosen, settle)]):
        for name, judges in lowo.items():
            for judge, parts in judges.items():
                figures = report(*flag(parts, th, st))
                print(
                    f"trained without {writer(name)}'s sets, on {name}, {judge}, threshold {th}, settle {st}:",
                    json.dumps(figures),
                )
    print(f"chosen by leave-one-writer-out: threshold {chosen}, settle (declined, certain) {settle}")
    model = fit(texts, band) | {"threshold": chosen, "declined": settle[0], "certain": settle[1]}
    guard_model.WEIGHTS.write_text(json.dumps(model, indent=0, sort_keys=True) + "\n")
    print(f"wrote {guard_model.WEIGHTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
