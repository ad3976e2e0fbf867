"""Embedding functions for the guideline index and business classification.

- ``MiniLMEmbedding`` (default, ``UWC_EMBEDDING_MODEL=local``): all-MiniLM-L6-v2, int8 ONNX, run offline by
  ``retrieval/minilm.py`` (no torch, no download).
- ``HashingEmbedding``: deterministic feature hashing in numpy; a fast test double.
- ``LiteLLMEmbedding``: any litellm embedding model named in settings (needs a key or a local server).

Each is registered with Chroma under its own ``name()``, so a persisted collection reopens with the same
function instead of Chroma's downloading default.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import re
from typing import Any, Literal

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

# The model itself is retrieval/minilm.py (it imports no chromadb); its names are re-exported for importers here.
from retrieval.minilm import MAX_TOKENS, MODEL_SHA256, EmbeddingUnavailable, embed, tokenizer_sha256

__all__ = [
    "MAX_TOKENS",
    "MODEL_SHA256",
    "EmbeddingUnavailable",
    "HashingEmbedding",
    "LiteLLMEmbedding",
    "MiniLMEmbedding",
    "make_embedding",
]


@register_embedding_function
class MiniLMEmbedding(EmbeddingFunction[Documents]):
    """Offline sentence embeddings: 384 dimensions, mean-pooled and L2-normalised."""

    def __init__(self, batch_size: int = 32, max_tokens: int = MAX_TOKENS) -> None:
        self.batch_size, self.max_tokens = batch_size, max_tokens

    def __call__(self, input: Documents) -> Embeddings:
        return list(embed(input, self.batch_size, self.max_tokens))

    def vector_identity(self) -> str:
        """What a vector depends on besides its text: the same identity and text give the same vector."""
        runtime = importlib.metadata.version("onnxruntime")  # another runtime may round differently
        return (
            f"{self.name()} model={MODEL_SHA256} tokenizer={tokenizer_sha256()} onnxruntime={runtime} "
            f"max_tokens={self.max_tokens}"
        )

    @staticmethod
    def name() -> str:
        return "uwc-minilm-int8"

    def default_space(self) -> Literal["cosine"]:
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"batch_size": self.batch_size, "max_tokens": self.max_tokens}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbedding:
        return MiniLMEmbedding(**config)


@register_embedding_function
class HashingEmbedding(EmbeddingFunction[Documents]):
    """Feature hashing of word unigrams and bigrams: deterministic and instant, weak semantics."""

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim

    def __call__(self, input: Documents) -> Embeddings:
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

    def default_space(self) -> Literal["cosine"]:
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"dim": self.dim}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HashingEmbedding:
        return HashingEmbedding(**config)


@register_embedding_function
class LiteLLMEmbedding(EmbeddingFunction[Documents]):
    """Embeddings from any litellm embedding model (e.g. ``openai/text-embedding-3-small``)."""

    def __init__(self, model: str, api_base: str | None = None) -> None:
        self.model, self.api_base = model, api_base

    def __call__(self, input: Documents) -> Embeddings:
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

    def default_space(self) -> Literal["cosine"]:
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"model": self.model, "api_base": self.api_base}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> LiteLLMEmbedding:
        return LiteLLMEmbedding(**config)


def make_embedding(name: str = "local", api_base: str | None = None, max_tokens: int = MAX_TOKENS) -> EmbeddingFunction:
    """The embedding function for a settings value: 'local', 'hashing', or a litellm model string."""
    if name == "local":
        return MiniLMEmbedding(max_tokens=max_tokens)
    if name == "hashing":
        return HashingEmbedding()
    return LiteLLMEmbedding(name, api_base)
