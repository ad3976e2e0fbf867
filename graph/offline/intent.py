"""What an underwriter's message asks for, when no unambiguous cue says it: a nearest-neighbour classifier.

The rules in ``facts.py`` catch the unambiguous cues ("deductible", "appetite", "NAICS"). A message they do not
read is embedded with the shipped offline MiniLM model (``retrieval/embeddings.py``) and compared with a labelled
set of phrasings (``data/intents.tsv``, written for this purpose); the k nearest vote, weighted by similarity.
Intents: the six task types, ``not_written`` (a product we do not write), ``guidelines`` (a question about the
rules), ``why`` (explain the last answer), ``smalltalk`` and ``off_topic``. Without the embedding model (weights
missing) the classifier abstains and only the rules apply.

``split_accuracy()`` scores it on a held-out quarter of the labelled set (``python -m tests.bench_offline``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data" / "intents.tsv"
K = 5
MIN_SIMILARITY = 0.3  # below this the nearest phrasing is too far to trust: no intent
MIN_SHARE = 0.4  # the winning intent's share of the neighbours' weighted vote


@dataclass(frozen=True)
class Intent:
    name: str | None
    confidence: float  # the winner's share of the weighted vote (0 when abstaining)
    similarity: float  # cosine similarity of the nearest labelled phrasing


def load_examples(path: Path = DATA) -> list[tuple[str, str]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, text = line.split("\t", 1)
            out.append((label.strip(), text.strip()))
    return out


class IntentClassifier:
    """k-nearest neighbours over sentence embeddings; built lazily, once per process, thread-safe."""

    def __init__(self, examples: list[tuple[str, str]] | None = None, embed=None):
        self._examples = examples
        self._embed = embed
        self._lock = threading.Lock()
        self._matrix: np.ndarray | None = None
        self._labels: list[str] = []
        self.available = True

    def _ready(self) -> bool:
        if self._matrix is not None or not self.available:
            return self.available
        with self._lock:
            if self._matrix is None and self.available:
                try:
                    if self._embed is None:
                        from retrieval.embeddings import make_embedding

                        self._embed = make_embedding("local")
                    examples = self._examples if self._examples is not None else load_examples()
                    self._labels = [label for label, _ in examples]
                    self._matrix = self._vectors([text for _, text in examples])
                except Exception:  # no weights: the rules alone decide
                    self.available = False
        return self.available

    def _vectors(self, texts: list[str]) -> np.ndarray:
        m = np.asarray(self._embed(texts), dtype=np.float32)
        return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9)

    def classify(self, text: str) -> Intent:
        if not text.strip() or not self._ready():
            return Intent(None, 0.0, 0.0)
        sims = self._matrix @ self._vectors([text.lower()])[0]
        top = np.argsort(-sims)[:K]
        votes: dict[str, float] = {}
        for i in top:
            votes[self._labels[i]] = votes.get(self._labels[i], 0.0) + max(float(sims[i]), 0.0)
        name, weight = max(votes.items(), key=lambda kv: kv[1])
        share, nearest = weight / (sum(votes.values()) or 1.0), float(sims[top[0]])
        if nearest < MIN_SIMILARITY or share < MIN_SHARE:
            return Intent(None, share, nearest)
        return Intent(name, share, nearest)


_SHARED: IntentClassifier | None = None


def shared() -> IntentClassifier:
    global _SHARED
    if _SHARED is None:
        _SHARED = IntentClassifier()
    return _SHARED


@lru_cache(maxsize=4096)
def classify(text: str) -> Intent:
    """The shared classifier's verdict on one message (cached: the conversation is re-read on every call)."""
    return shared().classify(text)


def split_accuracy(every: int = 4) -> dict:
    """Train on 3 of every 4 phrasings of each intent, score the 4th (never seen in training)."""
    examples = load_examples()
    train: list[tuple[str, str]] = []
    test: list[tuple[str, str]] = []
    counts: dict[str, int] = {}
    for label, text in examples:
        counts[label] = counts.get(label, 0) + 1
        (test if counts[label] % every == 0 else train).append((label, text))
    clf = IntentClassifier(train)
    right = abstained = 0
    misses = []
    for label, text in test:
        got = clf.classify(text).name
        right += got == label
        abstained += got is None
        if got != label:
            misses.append((text, label, got))
    return {
        "train": len(train),
        "test": len(test),
        "accuracy": right / len(test),
        "abstained": abstained,
        "misses": misses,
    }
