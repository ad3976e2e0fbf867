"""``python -m bench.reader``: the reader's span F1 per label and its speed.

Span F1 (exact start, end and label) of the tagger on a held-out generated split (another seed than training)
and on the hand-written tune openings (labelled by finding the applicant's values; they are also in training, so
that figure says how well the model fits them, not how it generalises); p50/p95 ms per message for the whole
``read`` (tagging and invariants) over both; the model file size.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter

from graph.reader import corpus, tagger
from graph.reader.read import read
from graph.reader.tokens import chunks
from graph.reader.train import HELD_OUT_SEED, HELD_OUT_SIZE


def _spans(labels: list[str]) -> set[tuple[int, int, str]]:
    out, start = set(), None
    for i, lab in enumerate([*labels, "O"]):
        if start is not None and not lab.startswith("I-"):
            out.add((start, i, labels[start][2:]))
            start = None
        if lab.startswith("B-") or (lab.startswith("I-") and start is None):
            start = i
    return out


def f1(examples) -> dict[str, tuple[float, int]]:
    tp, fp, fn = Counter(), Counter(), Counter()
    for text, asked, spans in examples:
        tokens, gold = corpus.bio(text, spans)
        feats = tagger.features(text, tokens, asked)
        pred: list[str] = []
        for a, b in chunks(text, tokens):
            pred += tagger.tag_features(feats[a:b])
        g, p = _spans(gold), _spans(pred)
        for s in p & g:
            tp[s[2]] += 1
        for s in p - g:
            fp[s[2]] += 1
        for s in g - p:
            fn[s[2]] += 1
    out = {}
    for lab in sorted(set(tp) | set(fn)):
        prec = tp[lab] / max(1, tp[lab] + fp[lab])
        rec = tp[lab] / max(1, tp[lab] + fn[lab])
        out[lab] = (2 * prec * rec / max(1e-9, prec + rec), tp[lab] + fn[lab])
    total_tp, total = sum(tp.values()), sum(tp.values()) + sum(fp.values())
    total_gold = sum(tp.values()) + sum(fn.values())
    p, r = total_tp / max(1, total), total_tp / max(1, total_gold)
    out["ALL"] = (2 * p * r / max(1e-9, p + r), total_gold)
    return out


def main() -> None:
    held = list(corpus.generated(HELD_OUT_SEED, HELD_OUT_SIZE))
    tune = corpus.tune_examples()
    a, b = f1(held), f1(tune)
    print(f"{'label':8} {'held-out F1':>12} {'(n)':>6} {'tune F1':>9} {'(n)':>5}")
    for lab in sorted(set(a) | set(b), key=lambda x: (x == "ALL", x)):
        fa, na = a.get(lab, (0.0, 0))
        fb, nb = b.get(lab, (0.0, 0))
        print(f"{lab:8} {fa:12.3f} {na:6d} {fb:9.3f} {nb:5d}")
    read("warm up", None)
    times = []
    for text, asked, _ in held + tune:
        t0 = time.perf_counter()
        read(text, None, asked)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    print(
        f"read(): {len(times)} messages, p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms"
    )
    big = "x9 $5M 75 emps 512-555-0143 " * 2000
    t0 = time.perf_counter()
    read(big, None)
    print(
        f"read() of a {len(big):,}-character text (bounded to the first 8,000): {(time.perf_counter() - t0) * 1000:.0f} ms"
    )
    print(f"model file: {tagger.MODEL.name}, {tagger.MODEL.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
