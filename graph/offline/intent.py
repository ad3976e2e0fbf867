"""What an underwriter's message asks for, when no unambiguous cue says it: a small trained classifier.

The rules in ``facts.py`` catch the unambiguous cues ("deductible", "appetite", "NAICS"). A message they do not
read goes to a softmax (multinomial logistic) regression trained on a labelled set of phrasings written for this
purpose (``data/intents.tsv``). Its features are three blocks, each L2-normalised: word unigrams and bigrams,
character 2-5-grams inside words (so typos and shorthand — "deductibel", "lmits", "xsell" — still share most of
their features with the word meant) and the sentence embedding of the shipped offline MiniLM model
(``retrieval/embeddings.py``), which carries meaning across wordings that share no word. Without the embedding
model (weights missing) the classifier runs on the word and character blocks alone.

Intents: the six task types, ``not_written`` (a product we do not write), ``guidelines`` (a question about the
rules), ``why`` (explain the last answer), ``recap`` (what the
underwriter has told us so far), ``smalltalk`` and ``off_topic``. The confidence is the model's
probability after temperature scaling (fitted by cross-validation on the training set, ``bench.offline``);
below ``MIN_CONFIDENCE`` the classifier abstains, so the copilot asks instead of guessing. A message of several
clauses that ask different tasks ("can we write prop and whats the ded") gets each task, in the order asked; a
message whose facts drown its one short question ("<business>, 27 staff, 3.8M. products?") is read by that question
when the whole abstains. What a follow-up naming only a line asks is the conversation's to say (``conversation.py``).

Held-out phrasings live apart from the training set (``tests/data/intents_heldout_*.tsv``) and are never trained
on; ``python -m bench.offline`` reports accuracy on them and cross-validated accuracy on the training set.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from core.vocabulary import TASK_TYPES

DATA = Path(__file__).parent / "data" / "intents.tsv"
INTENTS = (*TASK_TYPES, "not_written", "guidelines", "why", "recap", "smalltalk", "off_topic")
TEMPERATURE = 0.65  # divides the logits so the confidence is calibrated (fitted by cross-validation)
MIN_CONFIDENCE = 0.5  # below this the top intent is likelier wrong than right: abstain (the copilot asks)
SURE = 0.9  # sure enough to overrule a task cue: right 98% of the time at this confidence in cross-validation
MIN_CLAUSE_CONFIDENCE = 0.6  # a second task read from one clause of a longer message must be surer still
BLOCK_WEIGHTS = (1.0, 1.0, 1.0)  # word n-grams, character n-grams, sentence embedding
L2 = 3e-5  # ridge penalty on the weights (mean cross-entropy + L2 * |W|^2)
STEPS = 400  # gradient steps; the loss is convex and the steps are accelerated

Embed = Callable[[list[str]], list]


@dataclass(frozen=True)
class Intent:
    name: str | None  # the first intent asked; None when abstaining
    confidence: float  # the calibrated probability of ``name`` (of the top intent when abstaining)
    names: tuple[str, ...] = ()  # every intent asked, in order (two questions in one message)


def load_examples(path: Path = DATA) -> list[tuple[str, str]]:
    """(label, phrasing) pairs; a label may join several intents with "+" (a message asking two things)."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip() and not line.startswith("#"):
            label, _, text = line.partition("\t")
            if not text.strip() or any(part not in INTENTS for part in label.strip().split("+")):
                raise ValueError(f"{path.name}:{n}: want 'intent<TAB>phrasing' with an intent of {', '.join(INTENTS)}")
            out.append((label.strip(), text.strip()))
    return out


# --- features ----------------------------------------------------------------------------------------------
def normalise(text: str) -> str:
    t = (text or "").lower().replace("’", "'").replace("‘", "'")
    t = re.sub(r"\b\d{6}\b", " naicscode ", t)  # a code is a code, whichever
    return re.sub(r"\d+(?:[.,]\d+)*", " 0 ", t)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0]+(?:'[a-z]+)?|[?&/+$]", normalise(text))


def _features(text: str) -> tuple[Counter, Counter]:
    words = _words(text)
    grams = Counter(words)
    padded = ["<s>", *words, "</s>"]
    grams.update(f"{a} {b}" for a, b in zip(padded, padded[1:], strict=False))
    chars: Counter = Counter()
    for w in words:
        w = f"<{w}>"
        for n in (2, 3, 4, 5):
            chars.update(w[i : i + n] for i in range(max(1, len(w) - n + 1)))
    return grams, chars


class _Block:
    """One bag-of-features block: a vocabulary from the training phrasings, idf weights, log term counts."""

    def __init__(self, bags: list[Counter]):
        df: Counter = Counter()
        for bag in bags:
            df.update(bag.keys())
        self.index = {f: i for i, f in enumerate(sorted(df))}
        n = len(bags)
        self.idf = np.array([np.log((1 + n) / (1 + df[f])) + 1.0 for f in sorted(df)], dtype=np.float32)

    @classmethod
    def restored(cls, features: list[str], idf: np.ndarray) -> _Block:
        """A block as fitted before: its features in index order and their idf."""
        block = cls.__new__(cls)
        block.index = {f: i for i, f in enumerate(features)}
        block.idf = idf
        return block

    def matrix(self, bags: list[Counter]) -> np.ndarray:
        m = np.zeros((len(bags), len(self.index)), dtype=np.float32)
        for row, bag in enumerate(bags):
            for f, c in bag.items():
                if (j := self.index.get(f)) is not None:
                    m[row, j] = 1.0 + np.log(c)
        # in place, the same arithmetic as _unit_rows(m * idf): the training matrix is ~17 MB, each copy as much
        m *= self.idf
        m /= np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9)
        return m


def _unit_rows(m: np.ndarray) -> np.ndarray:
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def train_softmax(x: np.ndarray, y: np.ndarray, n_classes: int, l2: float = L2, steps: int = STEPS) -> np.ndarray:
    """Multinomial logistic regression, mean cross-entropy + l2 * |W|^2, by accelerated gradient descent.

    Solved in the dual (W = X^T A): with a few hundred phrasings and thousands of features, every step is a
    product with the small Gram matrix X X^T instead of the wide feature matrix, so training takes milliseconds.
    """
    n = len(x)
    gram = x @ x.T
    onehot = np.eye(n_classes, dtype=np.float32)[y]
    v = np.ones(n, dtype=np.float32)
    for _ in range(30):  # power iteration: the Gram matrix's largest eigenvalue bounds the loss's curvature
        v = gram @ v
        v /= np.linalg.norm(v) or 1.0
    lipschitz = 0.5 * float(v @ gram @ v) * 1.05 / n + 2 * l2
    step = 1.0 / lipschitz
    a = np.zeros((n, n_classes), dtype=np.float32)
    prev, t = a, 1.0
    for _ in range(steps):  # Nesterov: a linear combination of iterates, so it stays in the dual
        t_next = (1 + (1 + 4 * t * t) ** 0.5) / 2
        look = a + ((t - 1) / t_next) * (a - prev)
        grad = (_softmax(gram @ look) - onehot) / n + 2 * l2 * look
        prev, a, t = a, look - step * grad, t_next
    return x.T @ a


class IntentClassifier:
    """The trained classifier; built lazily, once per process, thread-safe. Given a ``cache`` folder, it keeps the
    fitted classifier there, so the next process loads it instead of embedding the phrasings and training."""

    def __init__(
        self,
        examples: list[tuple[str, str]] | None = None,
        embed: Embed | None = None,
        temperature: float = TEMPERATURE,
        weights: tuple[float, float, float] = BLOCK_WEIGHTS,
        l2: float = L2,
        steps: int = STEPS,
        cache: Path | None = None,
    ):
        self._examples = examples
        self._embed = embed
        self._cache = cache  # a folder for the fitted classifier (the shipped embedding only)
        self.temperature, self._block_weights, self._l2, self._steps = temperature, weights, l2, steps
        self._lock = threading.Lock()
        self._weights: np.ndarray | None = None
        self._blocks: tuple[_Block, _Block] | None = None
        self.labels: list[str] = []

    def _ready(self) -> None:
        if self._weights is not None:
            return
        with self._lock:
            if self._weights is not None:
                return
            examples = self._examples if self._examples is not None else load_examples()
            examples = [(label, text) for label, text in examples if "+" not in label]  # trained clause by clause
            texts = [text for _, text in examples]
            cache = None
            try:
                if self._embed is None:
                    from retrieval.minilm import GRAPH_FORM, MODEL_SHA256, embed, tokenizer_sha256

                    self._embed = embed  # retrieval.minilm, not retrieval.embeddings
                    cache = self._cache and _ModelCache(
                        self._cache,
                        [MODEL_SHA256, GRAPH_FORM, tokenizer_sha256(), repr(self._training()), *_flat(examples)],
                    )
                self._vectors(texts[:1])
            except Exception:  # no weights: words and characters alone
                self._embed, cache = None, None
            if cache and (fitted := cache.get()):
                self.labels, self._blocks, self._weights = fitted
                return
            self.labels = sorted({label for label, _ in examples})
            bags = [_features(t) for t in texts]
            self._blocks = (_Block([b[0] for b in bags]), _Block([b[1] for b in bags]))
            vectors = self._vectors(texts) if self._embed is not None else None
            y = np.array([self.labels.index(label) for label, _ in examples])
            x = self._matrix(texts, bags, vectors)
            del bags, vectors
            weights = train_softmax(x, y, len(self.labels), self._l2, self._steps)
            if cache:
                cache.put(self.labels, self._blocks, weights)
            self._weights = weights

    def _training(self) -> tuple:
        """What the fitted weights depend on besides the phrasings and the sentence model."""
        return (self._block_weights, self._l2, self._steps, np.__version__, _SOURCE_SHA256)

    def _vectors(self, texts: list[str]) -> np.ndarray:
        assert self._embed is not None
        return _unit_rows(np.asarray(self._embed([t.lower() for t in texts]), dtype=np.float32))

    def _matrix(
        self, texts: list[str], bags: list[tuple[Counter, Counter]] | None = None, vectors: np.ndarray | None = None
    ) -> np.ndarray:
        assert self._blocks is not None
        bags = bags or [_features(t) for t in texts]
        w_words, w_chars, w_embed = self._block_weights
        widths = [len(self._blocks[0].index), len(self._blocks[1].index)]
        if self._embed is not None:
            vectors = self._vectors(texts) if vectors is None else vectors
            widths.append(vectors.shape[1])
        # Filled block by block (no parts and hstack copy): at training, one block's matrix beside the whole.
        x = np.empty((len(texts), sum(widths)), dtype=np.float32)
        at = 0
        for n, (width, weight) in enumerate(zip(widths, (w_words, w_chars, w_embed), strict=False)):
            x[:, at : at + width] = self._blocks[n].matrix([b[n] for b in bags]) if n < 2 else vectors
            x[:, at : at + width] *= weight
            at += width
        return x

    @property
    def embedding(self) -> bool:
        """Whether the sentence embedding is one of the features (False when the model's weights are missing)."""
        self._ready()
        return self._embed is not None

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """One row per text: the calibrated probability of each of ``self.labels``."""
        self._ready()
        assert self._weights is not None
        return _softmax((self._matrix(texts) @ self._weights) / self.temperature)

    def classify(self, text: str) -> Intent:
        if not text.strip():
            return Intent(None, 0.0)
        parts = [c for c in clauses(text) if asks(c)]
        probs = self.probabilities([text, *parts] if len(parts) > 1 else [text])
        top = int(probs[0].argmax())
        name, confidence = self.labels[top], float(probs[0, top])
        asked: list[str] = []
        for row in probs[1:]:  # each clause that asks a task, surely, in order
            i = int(row.argmax())
            if self.labels[i] in TASK_TYPES and row[i] >= MIN_CLAUSE_CONFIDENCE and self.labels[i] not in asked:
                asked.append(self.labels[i])
        if len(asked) > 1:
            return Intent(asked[0], float(probs[1:, self.labels.index(asked[0])].max()), tuple(asked))
        if confidence < MIN_CONFIDENCE and (part := question_part(text)):
            # the facts around a short question drown it ("<description>, 27 staff. products?"): read it alone
            row = self.probabilities([part])[0]
            if row.max() >= MIN_CONFIDENCE:
                top = int(row.argmax())
                name, confidence = self.labels[top], float(row[top])
        if confidence < MIN_CONFIDENCE:
            return Intent(None, confidence)
        return Intent(name, confidence, (name,))


_CLAUSE = re.compile(
    r"\?|;|\s(?:and also|also|plus|and then|and|&|\+)\s|,\s*(?=(?:and |also |plus )?(?:what|whats|what's|which|how|is|are"
    r"|can|could|do|does|would|will|any|r|cn|and)\b)",
    re.I,
)


_ASKS = re.compile(
    r"\W*(?:what|whats|which|who|whose|when|where|why|how|is|are|can|could|do|does|should|would|will|must|"
    r"any|anything|ok|and)\b",
    re.I,
)


def clauses(text: str) -> list[str]:
    """A message cut where a second question may start: question marks, "and", "also", "plus", "&"."""
    return [c.strip() for c in _CLAUSE.split(text) if c and c.strip()]


def asks(clause: str) -> bool:
    """Whether a clause may ask something: one with figures and no question word ("naics 541511, rev 4M")
    states facts."""
    return bool(_words(clause)) and not (re.search(r"\d", clause) and not _ASKS.match(clause))


_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")


def question_part(text: str) -> str | None:
    """The one sentence of a message that asks, when the others state facts ("<business>, 9 staff. comp?")."""
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
    asking = [s for s in sentences if s.endswith("?")]
    return asking[0] if len(sentences) > 1 and len(asking) == 1 else None


def asking_part(text: str) -> str | None:
    """The part of a message that asks: its sentence with a question mark, else a last clause that opens the way a
    question does ("..., they want GL, anything else we'd do")."""
    last = re.split(r"[.,;!?\n]+", text.strip().rstrip(".,;!?"))[-1].strip()
    return question_part(text) or (last if len(last.split()) > 1 and opens_question(last) else None)


def opens_question(clause: str) -> bool:
    """Whether a clause starts the way a question does ("what about ...", "is ...", "and ...")."""
    return bool(_ASKS.match(clause))


def _flat(examples: list[tuple[str, str]]) -> list[str]:
    return [f"{label}\t{text}" for label, text in examples]


_SOURCE_SHA256 = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()  # features and training as written here


class _ModelCache:
    """The fitted classifier on disk (labels, each block's vocabulary and idf, the weights), so a new process
    neither embeds ~540 phrasings (0.7 s) nor trains (1-2 s and ~50 MB at its peak, the training matrix and its
    Gram matrix) before its first message. Keyed by the sentence model and the form of its graph, the tokenizer,
    the phrasings, the training settings, numpy's version and this file's source, so any change is a miss, never a
    stale hit; what is loaded is the same arrays bit for bit. A folder that cannot be written only costs the
    training."""

    def __init__(self, folder: Path, key: list[str]):
        self.folder = folder
        self.path = folder / f"intent-model-{hashlib.sha256(chr(0).join(key).encode()).hexdigest()[:20]}.npz"

    def get(self) -> tuple[list[str], tuple[_Block, _Block], np.ndarray] | None:
        try:
            with np.load(self.path, allow_pickle=False) as f:
                labels, weights = [str(x) for x in f["labels"]], f["weights"]
                blocks = (
                    _Block.restored([str(x) for x in f["words"]], f["words_idf"]),
                    _Block.restored([str(x) for x in f["chars"]], f["chars_idf"]),
                )
        except (OSError, ValueError, KeyError):
            return None
        width = len(blocks[0].index) + len(blocks[1].index)
        if weights.dtype != np.float32 or weights.ndim != 2 or weights.shape[1] != len(labels):
            return None
        if weights.shape[0] - width != 384 or any(len(b.idf) != len(b.index) for b in blocks):
            return None  # 384: the sentence vector's width (a model is only kept when trained with it)
        return labels, blocks, weights

    def put(self, labels: list[str], blocks: tuple[_Block, _Block], weights: np.ndarray) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".npz")
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(
                    f,
                    labels=np.array(labels),
                    words=np.array(list(blocks[0].index)),
                    words_idf=blocks[0].idf,
                    chars=np.array(list(blocks[1].index)),
                    chars_idf=blocks[1].idf,
                    weights=weights,
                )
            os.replace(tmp, self.path)  # whole or not at all, whichever process wins
        except OSError:
            Path(tmp).unlink(missing_ok=True)


_SHARED: IntentClassifier | None = None
_SHARED_LOCK = threading.Lock()


def shared(cache: Path | None = None) -> IntentClassifier:
    """The process's classifier; the first caller with a ``cache`` folder gives it one (the copilot does)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = IntentClassifier(cache=cache)
        elif cache and _SHARED._cache is None and _SHARED._weights is None:
            _SHARED._cache = cache
    return _SHARED


def prepare(cache: Path) -> None:
    """Fill ``cache`` with what a process's first message would build: the sentence model's optimised graph and the
    fitted classifier. ``uwc seed`` does, so a first ``uwc chat`` costs what later ones do (building them took it to
    ~490 MB at the peak; docs/measuring.md, round 8)."""
    shared(cache).embedding  # noqa: B018  (fits, or loads, the classifier: the embedding session with it)


@lru_cache(maxsize=4096)
def classify(text: str) -> Intent:
    """The shared classifier's verdict on one message (cached: the conversation is re-read on every call)."""
    return shared().classify(text)
