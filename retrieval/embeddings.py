"""Embedding functions for the guideline index and business classification.

- ``MiniLMEmbedding`` (default, ``UWC_EMBEDDING_MODEL=local``): all-MiniLM-L6-v2, int8 ONNX, run offline by
  ``retrieval/minilm.py`` (no torch, no download).
- ``HashingEmbedding``: deterministic feature hashing in numpy; a fast test double.
- ``LiteLLMEmbedding``: any litellm embedding model named in settings (needs a key or a local server).

None imports chromadb: classifying a business embeds a query and searches numpy arrays, no Chroma index (~21 MB
a process). ``retrieval.index.chroma_function`` registers each with Chroma under its own ``name()`` where an index is
built or opened, so a persisted collection reopens with the same function instead of Chroma's downloading default.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import re
from collections.abc import Sequence
from typing import Any, Literal, Protocol

import numpy as np

# The model itself is retrieval/minilm.py (it imports no chromadb); its names are re-exported for importers here.
from retrieval.minilm import MAX_TOKENS, MODEL_SHA256, EmbeddingUnavailable, embed, tokenizer_sha256

__all__ = [
    "MAX_TOKENS",
    "Embedding",
    "MODEL_SHA256",
    "EmbeddingUnavailable",
    "HashingEmbedding",
    "LiteLLMEmbedding",
    "MiniLMEmbedding",
    "make_embedding",
]


class Embedding(Protocol):
    """What the index and the tools ask of an embedding function (Chroma's protocol, less what only Chroma uses)."""

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]: ...

    def embed_query(self, input: Sequence[str]) -> list[np.ndarray]: ...

    @staticmethod
    def name() -> str: ...

    def get_config(self) -> dict[str, Any]: ...


class _Queries:
    def embed_query(self, input: Sequence[str]) -> list[np.ndarray]:
        """Queries are embedded as documents are (Chroma's default)."""
        return self(input)  # type: ignore[operator]

    def default_space(self) -> Literal["cosine"]:
        return "cosine"


class MiniLMEmbedding(_Queries):
    """Offline sentence embeddings: 384 dimensions, mean-pooled and L2-normalised."""

    def __init__(self, batch_size: int = 32, max_tokens: int = MAX_TOKENS) -> None:
        self.batch_size, self.max_tokens = batch_size, max_tokens

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
        return list(embed(input, self.batch_size, self.max_tokens))

    def vector_identity(self) -> str:
        """What a vector depends on besides its text: the same identity and text give the same vector.

        Not the form of the graph (``retrieval/int8_graph.py``) nor the CPU's kernels: each moves a vector by less
        than 1e-6 (the int8 graph by 3.5e-7 at most against the folded float one, over 904 texts), the tolerance
        the shipped vectors are checked to (``tests/test_seed.py``), and keying them would make every shipped
        vector a miss."""
        runtime = importlib.metadata.version("onnxruntime")  # another runtime may round differently
        return (
            f"{self.name()} model={MODEL_SHA256} tokenizer={tokenizer_sha256()} onnxruntime={runtime} "
            f"max_tokens={self.max_tokens}"
        )

    @staticmethod
    def name() -> str:
        return "uwc-minilm-int8"

    def get_config(self) -> dict[str, Any]:
        return {"batch_size": self.batch_size, "max_tokens": self.max_tokens}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbedding:
        return MiniLMEmbedding(**config)


class HashingEmbedding(_Queries):
    """Feature hashing of word unigrams and bigrams: deterministic and instant, weak semantics."""

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
        vectors = []
        for text in input:
            v = np.zeros(self.dim, dtype=np.float32)
            words = re.findall(r"[a-z0-9]+", text.lower())
            for gram in words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]:
                h = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "little")
                v[h % self.dim] += 1.0 if (h >> 63) else -1.0
            norm = np.linalg.norm(v)
            vectors.append(v / norm if norm else v)
        return vectors

    @staticmethod
    def name() -> str:
        return "uwc-hashing"

    def get_config(self) -> dict[str, Any]:
        return {"dim": self.dim}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HashingEmbedding:
        return HashingEmbedding(**config)


class LiteLLMEmbedding(_Queries):
    """Embeddings from any litellm embedding model (e.g. ``openai/text-embedding-3-small``)."""

    def __init__(self, model: str, api_base: str | None = None) -> None:
        self.model, self.api_base = model, api_base

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
        import litellm

        try:
            response = litellm.embedding(model=self.model, input=list(input), api_base=self.api_base, timeout=30)
        except Exception as exc:  # provider errors vary; one message says what to check
            raise EmbeddingUnavailable(
                f"embedding model {self.model!r} failed ({type(exc).__name__}); check its API key and UWC_API_BASE, "
                "or set UWC_EMBEDDING_MODEL=local"
            ) from exc
        return [np.asarray(item["embedding"], dtype=np.float32) for item in response.data]

    @staticmethod
    def name() -> str:
        return "uwc-litellm"

    def get_config(self) -> dict[str, Any]:
        return {"model": self.model, "api_base": self.api_base}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> LiteLLMEmbedding:
        return LiteLLMEmbedding(**config)


def make_embedding(name: str = "local", api_base: str | None = None, max_tokens: int = MAX_TOKENS) -> Embedding:
    """The embedding function for a settings value: 'local', 'hashing', or a litellm model string."""
    if name == "local":
        return MiniLMEmbedding(max_tokens=max_tokens)
    if name == "hashing":
        return HashingEmbedding()
    return LiteLLMEmbedding(name, api_base)
