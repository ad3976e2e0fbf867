"""Hybrid search: semantic (the Chroma collection's embeddings) fused with lexical BM25 (bm25s).

Reciprocal-rank fusion keeps each method's strength: BM25 finds exact terms ("4853", "EPLI", "monopolistic"),
embeddings find paraphrases ("fleet of 25 trucks" -> the vehicles rule).
"""

from __future__ import annotations

import re

import bm25s
import numpy as np

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
    """Search over a fixed list of documents held both in a Chroma collection and in a BM25 index."""

    def __init__(self, ids: list[str], texts: list[str], collection, embedding):
        self.ids = ids
        self.collection = collection
        self.embedding = embedding
        self.bm25 = bm25s.BM25()
        self.bm25.index([tokenize(t) for t in texts], show_progress=False)

    def lexical(self, query: str, n: int) -> list[tuple[str, float]]:
        tokens = tokenize(query)
        if not tokens:
            return []
        scores = self.bm25.get_scores(tokens)
        order = np.argsort(-scores, kind="stable")[:n]
        return [(self.ids[i], float(scores[i])) for i in order if scores[i] > 0]

    def semantic(self, query: str, n: int) -> list[tuple[str, float]]:
        vec = self.embedding.embed_query([query])
        res = self.collection.query(query_embeddings=vec, n_results=min(n, len(self.ids)), include=["distances"])
        return [(i, 1.0 - d) for i, d in zip(res["ids"][0], res["distances"][0], strict=True)]

    def search(
        self, query: str, k: int = 5, pool: int = 30, lexical_weight: float = 1.0, lexical_extra: str = ""
    ) -> list[tuple[str, float]]:
        """Top ``k`` ids by reciprocal-rank fusion of both rankings (score: higher is better).

        ``lexical_extra`` adds expansion terms to the BM25 query only.
        """
        fused: dict[str, float] = {}
        lexical = self.lexical(f"{query} {lexical_extra}".strip(), pool)
        for weight, ranking in ((1.0, self.semantic(query, pool)), (lexical_weight, lexical)):
            for rank, (doc_id, _) in enumerate(ranking):
                fused[doc_id] = fused.get(doc_id, 0.0) + weight / (RRF_K + rank + 1)
        return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
