"""Hybrid search: semantic (the Chroma collection's embeddings) fused with lexical BM25 (bm25s).

Fusion keeps each method's strength: BM25 finds exact terms ("4853", "EPLI", "monopolistic"), embeddings find
paraphrases ("fleet of 25 trucks" -> the vehicles rule). Every document is scored by each signal, each signal's
scores are standardised over the documents (z-scores) and summed: how far a document stands out says more than
its rank (reciprocal-rank fusion gave the fifth of five near-equal sections as much as the fifth of one clear
winner), and no signal's scale outweighs another's.

A caller may add weighted expansions to the BM25 side (what an abbreviation stands for, the NAICS levels of a
business the query names). Each is scored on its own and added at its weight, so a long expansion is a hint that
breaks ties between sections the query itself matches, never a second query that outvotes the user's words.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from retrieval.index import chunk_document

STOP_WORDS = {
    "a",
    "an",
    "and",
    "are",
    "as",
    "at",
    "be",
    "by",
    "can",
    "do",
    "does",
    "for",
    "from",
    "has",
    "have",
    "how",
    "i",
    "if",
    "in",
    "is",
    "it",
    "its",
    "me",
    "my",
    "of",
    "on",
    "or",
    "our",
    "should",
    "so",
    "that",
    "the",
    "their",
    "them",
    "they",
    "this",
    "to",
    "was",
    "we",
    "what",
    "when",
    "which",
    "who",
    "will",
    "with",
    "would",
    "you",
    "your",
    "us",
    "one",
    # Words about the guidelines themselves, not about a rule: every section is "the guidelines", so they only
    # pull the overview up ("summarize the guidelines on cyber").
    "guideline",
    "guidelines",
    "summarize",
    "summarise",
    "summary",
    "explain",
    "tell",
}


def tokenize(text: str) -> list[str]:
    """Lower-case words and numbers, stop words dropped, a light plural stem ('vehicles' -> 'vehicle')."""
    words = re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower().replace("’", "'"))
    out = []
    for w in words:
        w = w.replace("'s", "").replace("'", "")
        if w not in STOP_WORDS:
            out.append(singular(w))
    return out


def singular(word: str) -> str:
    """The light plural stem of ``tokenize`` ("vehicles" -> "vehicle", "agencies" -> "agency", "glass" kept)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def word_pairs(text: str) -> list[str]:
    """Neighbouring words of ``tokenize`` joined ("not small" -> "not_small"): a phrase is matched as one term."""
    words = tokenize(text)
    return [f"{a}_{b}" for a, b in zip(words, words[1:], strict=False)]


def _interned(documents: Iterable[list[str]]) -> list[list[str]]:
    """Each document's terms, one ``str`` per distinct term: the index keeps its vocabulary's strings, and a copy per
    occurrence (~130,000 for the NAICS texts) kept them scattered among freed ones, which the allocator could not hand
    back (3 MB a process, and faster to index)."""
    return [[sys.intern(w) for w in terms] for terms in documents]


class HybridIndex:
    """Search over a fixed list of documents held both in a Chroma collection and in a BM25 index.

    With ``chunks`` (a collection of passages whose ids are ``doc-id#n``), the semantic side ranks each document
    by its best vector, whole or passage: the whole keeps its gist (a section's opening states its rule), the
    passages reach the text beyond the 256 tokens the model reads.

    ``opens`` (in place of ``collection``) opens the collection on the first semantic search: a caller that scores
    the documents itself (classification) then never loads Chroma.
    """

    def __init__(
        self,
        ids: list[str],
        texts: list[str],
        collection,
        embedding,
        chunks=None,
        opens: Callable[[], Any] | None = None,
    ):
        self.ids = ids
        self._collection, self._opens = collection, opens
        self._opening = threading.Lock()
        self.chunks, self.chunk_count = chunks, chunks.count() if chunks is not None else 0
        self.embedding = embedding
        import bm25s  # here, not at the top: with scipy.sparse ~13 MB a process, and only an index needs it

        self.bm25 = bm25s.BM25()
        self.bm25.index(_interned(tokenize(t) for t in texts), show_progress=False)
        self._texts = texts
        self._pairs: Any = None  # BM25 over word pairs, built on the first search that weighs them

    @property
    def collection(self) -> Any:
        with self._opening:
            if self._collection is None and self._opens is not None:
                self._collection = self._opens()
            return self._collection

    def lexical(self, query: str, n: int, expansions: Sequence[tuple[str, float]] = ()) -> list[tuple[str, float]]:
        """Top ``n`` ids by BM25 of ``query`` plus each expansion's BM25 times its weight."""
        scores = self.lexical_scores(query, expansions)
        order = np.argsort(-scores, kind="stable")[:n]
        return [(self.ids[i], float(scores[i])) for i in order if scores[i] > 0]

    def lexical_scores(self, query: str, expansions: Sequence[tuple[str, float]] = ()) -> np.ndarray:
        """BM25 of ``query`` plus each expansion's BM25 times its weight, for every document in ``ids`` order."""
        scores = self.bm25_scores(query)
        for text, weight in expansions:
            if weight > 0:
                scores = scores + weight * self.bm25_scores(text)
        return scores

    def bm25_scores(self, text: str) -> np.ndarray:
        """BM25 of ``text`` against every document, in ``ids`` order."""
        tokens = tokenize(text)
        return self.bm25.get_scores(tokens) if tokens else np.zeros(len(self.ids))

    def pair_scores(self, text: str) -> np.ndarray:
        """BM25 of ``text``'s word pairs against the documents' ("not small", "other line"), in ``ids`` order."""
        pairs = word_pairs(text)
        if not pairs:
            return np.zeros(len(self.ids))
        if self._pairs is None:
            import bm25s

            self._pairs = bm25s.BM25()
            self._pairs.index(_interned(word_pairs(t) for t in self._texts), show_progress=False)
        return self._pairs.get_scores(pairs)

    def embed(self, query: str):
        """The query's vector, to hand to ``semantic``/``search`` of every index that shares this embedding."""
        return self.embedding.embed_query([query])

    def semantic(self, query: str, n: int, vector=None) -> list[tuple[str, float]]:
        """Top ``n`` ids by their best cosine similarity to the query, whole document or passage."""
        whole, passages = self.similarities(query, vector)
        best = whole if passages is None else np.maximum(whole, passages)
        order = np.argsort(-best, kind="stable")[:n]
        return [(self.ids[i], float(best[i])) for i in order]

    def similarities(self, query: str, vector=None) -> tuple[np.ndarray, np.ndarray | None]:
        """Cosine similarity of the query to every document whole, and to each document's best passage (None
        without passages), in ``ids`` order (-1 where the collection has no vector for a document)."""
        vec = self.embed(query) if vector is None else vector
        position = {doc_id: i for i, doc_id in enumerate(self.ids)}
        whole = np.full(len(self.ids), -1.0)
        res = self.collection.query(query_embeddings=vec, n_results=len(self.ids), include=["distances"])
        for doc_id, distance in zip(res["ids"][0], res["distances"][0], strict=True):
            whole[position[doc_id]] = 1.0 - distance
        if self.chunks is None:
            return whole, None
        passages = np.full(len(self.ids), -1.0)
        res = self.chunks.query(query_embeddings=vec, n_results=self.chunk_count, include=["distances"])
        for chunk, distance in zip(res["ids"][0], res["distances"][0], strict=True):
            i = position.get(chunk_document(chunk))
            if i is not None:
                passages[i] = max(passages[i], 1.0 - distance)
        return whole, passages

    def search(
        self,
        query: str,
        k: int = 5,
        lexical_weight: float = 1.0,
        expansions: Sequence[tuple[str, float]] = (),
        vector=None,
        pair_weight: float = 0.0,
        words: str | None = None,
        boosts: Mapping[str, float] | None = None,
    ) -> list[tuple[str, float]]:
        """Top ``k`` ids by the sum of the signals' z-scores (see the module docstring; higher is better): the
        similarity to the whole document, to its best passage (when there are passages; they are two signals, not
        one: a short passage's cosine runs on another scale than a whole section's, and taken as one maximum the
        passages drowned the whole sections' ranking) and BM25 at ``lexical_weight``.

        ``expansions`` are ``(text, weight)`` pairs added to the BM25 side only (see the module docstring);
        ``vector`` is the query's embedding when the caller already has it; ``pair_weight`` weighs BM25 over
        neighbouring word pairs, a phrase signal: "not small" or "other lines" say more than their words apart,
        which every section uses; ``words`` is the text both BM25 signals read, when it is not ``query`` as typed;
        ``boosts`` adds a weight to a document's sum (a section the caller knows bears on the query).
        """
        words = query if words is None else words
        whole, passages = self.similarities(query, vector)
        fused = _standardised(whole) + lexical_weight * _standardised(self.lexical_scores(words, expansions))
        if passages is not None:
            fused = fused + _standardised(passages)
        if pair_weight > 0:
            fused = fused + pair_weight * _standardised(self.pair_scores(words))
        for i, doc_id in enumerate(self.ids):
            fused[i] += (boosts or {}).get(doc_id, 0.0)
        order = np.argsort(-fused, kind="stable")[:k]
        return [(self.ids[i], float(fused[i])) for i in order]


def _standardised(scores: np.ndarray) -> np.ndarray:
    """Scores as z-scores over the documents; all zeros when they do not vary (no word of the query matched)."""
    spread = float(scores.std())
    return (scores - scores.mean()) / spread if spread > 1e-12 else np.zeros_like(scores, dtype=float)
