"""Offline model figures: the natural conversation set's accuracy, re-asking and help-text rates, the intent
classifier's accuracy (cross-validated on its training phrasings, and on held-out phrasings it never trains on),
and the offline turn latency without classification.

    .venv/bin/python -m bench.offline [--data-dir var] [--only intent,turns] [--reading FILE ...]

``--reading`` runs reading sets (``evals/reading_set.py``: conversations written by people who have not read the
reader, e.g. the held-out sets kept outside the repository) and reports each apart: correct, re-ask rate,
false-fact rate, help-text rate. ``python -m tests.bench_offline`` is the same command.

A turn's latency is the wall time of ``Copilot.send`` minus the time spent classifying (the ``classify_business``
tool and the intent classifier), which the target leaves out; a model call's is the offline model's own decision
(re-reading the conversation, understanding, policy, wording) without the intent classifier.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NATURAL = Path(__file__).resolve().parent.parent / "evals" / "natural"
HELDOUT_INTENTS = {
    # the held-out quarter of the original labelled set, moved out of the training file unread
    "quarter": Path(__file__).resolve().parents[1] / "tests" / "data" / "intents_heldout_quarter.tsv",
    # written before the classifier was tuned; typos, shorthand, two questions in one message
    "written": Path(__file__).resolve().parents[1] / "tests" / "data" / "intents_heldout_written.tsv",
}
FOLDS = 5


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else 0.0


def _memo(embed):
    seen: dict = {}

    def cached(texts):
        missing = [t for t in texts if t not in seen]
        if missing:
            seen.update(zip(missing, embed(missing), strict=True))
        return [seen[t] for t in texts]

    return cached


def _score(read, examples) -> dict:
    """Right when every intent asked is found, in order; an abstention is wrong."""
    right = abstained = 0
    for label, text in examples:
        got = read(text)
        right += got == tuple(label.split("+"))
        abstained += not got
    return {"accuracy": round(right / len(examples), 3), "abstained": abstained, "phrasings": len(examples)}


def _as_copilot_reads(catalog):
    """What the copilot takes a first message to ask: the rules of ``facts.py`` (task cues, products we do not
    write, definitions), then the classifier for a message they do not read, as ``Conversation.on_human`` does."""
    from graph.offline.conversation import Conversation

    def read(text: str) -> tuple[str, ...]:
        conv = Conversation(catalog)
        conv.on_human(text, None)
        p = conv.parsed
        assert p is not None
        if p.not_written and "lob" not in p.facts:
            return ("not_written",)
        if p.intent and p.task is None:
            return (p.intent,)
        return tuple(dict.fromkeys([conv.task, *conv.pending])) if conv.task else ()

    return read


def intent_accuracy(data_dir: Path | None = None) -> dict:
    """The intent classifier: k-fold cross-validated on its training phrasings (each fold scored by a model trained
    on the other folds), then trained on all of them and scored on each held-out file, alone and as the copilot
    reads a first message (rules first; needs the seeded database in ``data_dir``); with the calibration the
    cross-validation measures (the temperature that fits it best, and the expected calibration error)."""
    import numpy as np

    from graph.offline import intent
    from retrieval.embeddings import make_embedding

    embed = _memo(make_embedding("local"))
    train = intent.load_examples()
    folds: list[list] = [[] for _ in range(FOLDS)]
    for i, example in enumerate(train):
        folds[i % FOLDS].append(example)
    right = 0
    logits: list = []
    gold: list[int] = []
    for k, fold in enumerate(folds):
        clf = intent.IntentClassifier([e for j, f in enumerate(folds) if j != k for e in f], embed=embed)
        right += sum(clf.classify(text).names == tuple(label.split("+")) for label, text in fold)
        single = [(label, text) for label, text in fold if "+" not in label]
        # back to the uncalibrated logits (up to a constant), to fit the temperature afresh
        logits.append(intent.TEMPERATURE * np.log(clf.probabilities([t for _, t in single])))
        gold += [clf.labels.index(label) for label, _ in single]
    z, g = np.vstack(logits), np.array(gold)

    def at(temperature: float):
        p = np.exp(z / temperature - (z / temperature).max(axis=1, keepdims=True))
        return p / p.sum(axis=1, keepdims=True)

    def nll(temperature: float) -> float:
        return float(-np.log(at(temperature)[np.arange(len(g)), g]).mean())

    best = min(np.arange(0.2, 2.01, 0.05), key=nll)
    p = at(intent.TEMPERATURE)
    conf, hit = p.max(axis=1), p.argmax(axis=1) == g
    ece = sum(
        abs(conf[m].mean() - hit[m].mean()) * m.mean()
        for lo in np.arange(0, 1, 0.1)
        if (m := (conf > lo) & (conf <= lo + 0.1)).any()
    )
    clf = intent.IntentClassifier(train, embed=embed)
    out: dict = {
        "train_phrasings": len(train),
        "train_cross_validated": {"folds": FOLDS, "accuracy": round(right / len(train), 3)},
        "calibration": {"temperature": intent.TEMPERATURE, "best_fit": round(float(best), 2), "ece": round(ece, 3)},
    }
    copilot = None
    if data_dir is not None and (data_dir / "uwc.db").exists():
        from seed_db.queries import readonly_engine
        from tools.catalog import Catalog

        copilot = _as_copilot_reads(Catalog.load(readonly_engine(data_dir / "uwc.db")))
    intent._SHARED = clf  # the copilot's reading uses the same trained classifier
    intent.classify.cache_clear()
    for name, path in HELDOUT_INTENTS.items():
        examples = intent.load_examples(path)
        out[f"heldout_{name}"] = _score(lambda t: clf.classify(t).names, examples)
        if copilot is not None:
            out[f"heldout_{name}"]["as_the_copilot_reads_it"] = _score(copilot, examples)
    return out


@contextmanager
def scratch_copilot(data_dir: Path) -> Iterator:
    """A copilot over the seeded database and index of ``data_dir``, with its conversations in a scratch folder."""
    from core.settings import get_settings
    from graph.copilot import Copilot

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "var"
        work.mkdir()
        for name in ("uwc.db", "chroma"):
            (work / name).symlink_to((data_dir / name).resolve())
        cp = Copilot(get_settings(data_dir=work))
        try:
            yield cp
        finally:
            cp.close()


def bench_offline(data_dir: Path) -> dict:
    from evals.metrics import summarize
    from evals.runner import run_conversation
    from evals.simulator import NaturalUnderwriter
    from evals.tasks import load_tasks
    from graph.offline import intent

    intent_ms: list[float] = []
    inner = intent.IntentClassifier.classify

    def timed(self, text):
        start = time.perf_counter()
        try:
            return inner(self, text)
        finally:
            intent_ms.append((time.perf_counter() - start) * 1000)

    intent.IntentClassifier.classify = timed
    out: dict = {}
    turns: list[float] = []
    with scratch_copilot(data_dir) as cp:
        send = cp.send

        def timed_send(thread_id, text, on_event=None):
            before = len(intent_ms)
            start = time.perf_counter()
            result = send(thread_id, text, on_event)
            total = (time.perf_counter() - start) * 1000
            classifying = sum(s["duration_ms"] for s in result.steps if s["tool"] == "classify_business")
            turns.append(total - classifying - sum(intent_ms[before:]))
            return result

        cp.send = timed_send
        decide_ms: list[float] = []
        invoke = cp.model.invoke

        def timed_invoke(messages, tools=None, on_token=None):
            before = len(intent_ms)
            start = time.perf_counter()
            out = invoke(messages, tools, on_token)
            decide_ms.append((time.perf_counter() - start) * 1000 - sum(intent_ms[before:]))
            return out

        cp.model.invoke = timed_invoke
        for part in ("tune", "heldout"):
            tasks = load_tasks(NATURAL / f"{part}.jsonl")
            rows = [run_conversation(cp, t, NaturalUnderwriter(t)).row for t in tasks]
            s = summarize(rows)
            out[part] = {k: round(s[k], 3) for k in ("accuracy", "reask_rate", "help_text_rate")} | {
                "conversations": len(rows),
                "wrong": [r["id"] for r in rows if not r["correct"]],
            }
    intent.IntentClassifier.classify = inner
    out["turn_ms_excluding_classification"] = {
        "p50": round(statistics.median(turns), 1),
        "p95": round(_pct(turns, 0.95), 1),
        "turns": len(turns),
    }
    out["model_call_ms_excluding_intent"] = {
        "p50": round(statistics.median(decide_ms), 1),
        "p95": round(_pct(decide_ms, 0.95), 1),
        "calls": len(decide_ms),
    }
    out["intent_ms_p50"] = round(statistics.median(intent_ms), 1) if intent_ms else None
    return out


def reading_sets(data_dir: Path, paths: list[Path], details: Path | None = None) -> dict:
    """Each reading set on a fresh copilot over the seeded data: its summary, and the ids of what went wrong."""
    from evals.reading_set import run_set

    out: dict = {}
    with scratch_copilot(data_dir) as cp:
        for path in paths:
            summary, results = run_set(cp, path)
            out[path.name] = summary | {
                "wrong": [r["id"] for r in results if not r["correct"]],
                "reasked": [r["id"] for r in results if r["reasked"]],
                "false_facts": [r["id"] for r in results if r["false_facts"]],
            }
            if details is not None:
                details.mkdir(parents=True, exist_ok=True)
                rows = "".join(json.dumps(r) + "\n" for r in results)
                (details / f"{path.stem}.results.jsonl").write_text(rows, encoding="utf-8")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=Path("var"))
    ap.add_argument("--only", default="intent,turns", help="comma-separated: intent (the classifier), turns")
    ap.add_argument("--reading", type=Path, nargs="*", default=[], help="reading sets (JSONL) to run and report apart")
    ap.add_argument("--details", type=Path, help="write each reading set's per-conversation results here")
    args = ap.parse_args()
    only = set(args.only.split(","))
    out = {"intent": intent_accuracy(args.data_dir)} if "intent" in only else {}
    if "turns" in only:
        out |= bench_offline(args.data_dir)
    if args.reading:
        out["reading"] = reading_sets(args.data_dir, args.reading, args.details)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
