"""Hybrid search: semantic (the Chroma collection's embeddings) fused with lexical BM25 (bm25s).

Reciprocal-rank fusion keeps each method's strength: BM25 finds exact terms ("4853", "EPLI", "monopolistic"),
embeddings find paraphrases ("fleet of 25 trucks" -> the vehicles rule).

A caller may add weighted expansions to the BM25 side (what an abbreviation stands for, the NAICS levels of a
business the query names). Each is scored on its own and added at its weight, so a long expansion is a hint that
breaks ties between sections the query itself matches, never a second query that outvotes the user's words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from retrieval.index import chunk_document

RRF_K = 60
_STOP = {
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
        if w in _STOP:
            continue
        if len(w) > 4 and w.endswith("ies"):
            w = w[:-3] + "y"
        elif len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.append(w)
    return out


class HybridIndex:
    """Search over a fixed list of documents held both in a Chroma collection and in a BM25 index.

    With ``chunks`` (a collection of passages whose ids are ``doc-id#n``), the semantic side ranks each document
    by its best vector, whole or passage: the whole keeps its gist (a section's opening states its rule), the
    passages reach the text beyond the 256 tokens the model reads.
    """

    def __init__(self, ids: list[str], texts: list[str], collection, embedding, chunks=None):
        self.ids = ids
        self.collection = collection
        self.chunks, self.chunk_count = chunks, chunks.count() if chunks is not None else 0
        self.embedding = embedding
        import bm25s  # here, not at the top: with scipy.sparse ~13 MB a process, and only an index needs it

        self.bm25 = bm25s.BM25()
        self.bm25.index([tokenize(t) for t in texts], show_progress=False)

    def lexical(self, query: str, n: int, expansions: Sequence[tuple[str, float]] = ()) -> list[tuple[str, float]]:
        """Top ``n`` ids by BM25 of ``query`` plus each expansion's BM25 times its weight."""
        scores = self.bm25_scores(query)
        for text, weight in expansions:
            if weight > 0:
                scores = scores + weight * self.bm25_scores(text)
        order = np.argsort(-scores, kind="stable")[:n]
        return [(self.ids[i], float(scores[i])) for i in order if scores[i] > 0]

    def bm25_scores(self, text: str) -> np.ndarray:
        """BM25 of ``text`` against every document, in ``ids`` order."""
        tokens = tokenize(text)
        return self.bm25.get_scores(tokens) if tokens else np.zeros(len(self.ids))

    def embed(self, query: str):
        """The query's vector, to hand to ``semantic``/``search`` of every index that shares this embedding."""
        return self.embedding.embed_query([query])

    def semantic(self, query: str, n: int, vector=None) -> list[tuple[str, float]]:
        vec = self.embed(query) if vector is None else vector
        res = self.collection.query(query_embeddings=vec, n_results=min(n, len(self.ids)), include=["distances"])
        best = {i: 1.0 - d for i, d in zip(res["ids"][0], res["distances"][0], strict=True)}
        if self.chunks is None:
            return list(best.items())
        res = self.chunks.query(query_embeddings=vec, n_results=self.chunk_count, include=["distances"])
        for chunk, distance in zip(res["ids"][0], res["distances"][0], strict=True):
            doc = chunk_document(chunk)
            best[doc] = max(best.get(doc, -1.0), 1.0 - distance)
        return sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:n]

    def search(
        self,
        query: str,
        k: int = 5,
        pool: int = 30,
        lexical_weight: float = 1.0,
        expansions: Sequence[tuple[str, float]] = (),
        vector=None,
    ) -> list[tuple[str, float]]:
        """Top ``k`` ids by reciprocal-rank fusion of both rankings (score: higher is better).

        ``expansions`` are ``(text, weight)`` pairs added to the BM25 side only (see the module docstring);
        ``vector`` is the query's embedding when the caller already has it.
        """
        fused: dict[str, float] = {}
        lexical = self.lexical(query, pool, expansions)
        for weight, ranking in ((1.0, self.semantic(query, pool, vector)), (lexical_weight, lexical)):
            for rank, (doc_id, _) in enumerate(ranking):
                fused[doc_id] = fused.get(doc_id, 0.0) + weight / (RRF_K + rank + 1)
        return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
