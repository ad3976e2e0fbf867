"""Embedding vectors kept by content, so building the index embeds only texts that no earlier build (and no shipped
file) has seen.

A MiniLM vector is a function of the embedding's ``vector_identity()`` and the text alone: the model gives the same
bits for a text whatever batch it shares (checked in tests/test_retrieval.py). The key is the sha256 of both, so a
changed text, model, tokenizer, runtime or truncation is a miss, never a stale hit. Two layers:

- the shipped file ``assets/minilm-vectors.npz`` (read-only): every index text of the committed seed inputs, derived
  by ``python -m seed_db.vectors``, so a fresh clone embeds nothing it need not;
- ``vectors.sqlite3`` in the cache folder (``UWC_CACHE_DIR``): every vector computed here, kept for the next build.

Embedding functions without ``vector_identity`` (the instant hashing double; remote models, which may change behind a
name) are never cached. A cache folder that cannot be read or written only costs the embedding.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

SHIPPED = Path(__file__).parent / "assets" / "minilm-vectors.npz"
CACHE_FILE = "vectors.sqlite3"
BATCH = 64  # texts per embedding call: the step of the progress count

Count = Callable[[int, int], None]  # (done, total) of one step, e.g. texts embedded so far and texts to embed
Progress = Callable[[str, int, int], None]  # (step, done, total) of a whole job: ("embedding naics", 320, 1012)


def identity_of(embedding) -> str | None:
    identity = getattr(embedding, "vector_identity", None)
    return identity() if callable(identity) else None


def vector_key(identity: str, text: str) -> str:
    return hashlib.sha256(f"{identity}\0{text}".encode()).hexdigest()


@lru_cache(maxsize=2)
def load_shipped(path: Path = SHIPPED) -> dict[str, np.ndarray]:
    """The shipped vectors by key; empty when the file is missing or unreadable (they are then computed)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, vectors = data["keys"], data["vectors"]
    except (OSError, ValueError, KeyError):
        return {}
    return {str(k): v for k, v in zip(keys, vectors.astype(np.float32), strict=True)}


def write_shipped(path: Path, keys: Sequence[str], vectors: Sequence[np.ndarray]) -> None:
    """Write keys and vectors in key order, so the same vectors give the same file."""
    order = sorted(range(len(keys)), key=lambda i: keys[i])
    np.savez_compressed(
        path,
        keys=np.array([keys[i] for i in order], dtype="U64"),
        vectors=np.array([vectors[i] for i in order], dtype=np.float32),
    )


class VectorCache:
    """Looks vectors up in the shipped file, then the cache folder; embeds the rest and adds them to the folder."""

    def __init__(self, folder: Path | None, shipped: Path | None = SHIPPED) -> None:
        self.folder, self.shipped = folder, shipped
        self.computed = self.reused = 0

    def embed(self, embedding, texts: Sequence[str], progress: Count | None = None) -> list[np.ndarray]:
        identity = identity_of(embedding)
        if identity is None:
            vectors = list(self._compute(embedding, list(texts), progress))
            self.computed += len(texts)
            return vectors
        keys = [vector_key(identity, t) for t in texts]
        shipped = load_shipped(self.shipped) if self.shipped else {}
        found: dict[str, np.ndarray] = {k: shipped[k] for k in keys if k in shipped}
        found.update(self._read([k for k in keys if k not in found]))
        # Shortest first: each call's texts are of similar lengths, so little padding runs through the model.
        missing = sorted(
            {k: t for k, t in zip(keys, texts, strict=True) if k not in found}.items(), key=lambda kt: len(kt[1])
        )
        computed = self._compute(embedding, [t for _, t in missing], progress)
        new = {k: v for (k, _), v in zip(missing, computed, strict=True)}
        self._write(new)
        found.update(new)
        self.computed += len(new)
        self.reused += len(texts) - len(new)
        return [found[k] for k in keys]

    @staticmethod
    def _compute(embedding, texts: list[str], progress: Count | None) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        if progress and texts:
            progress(0, len(texts))
        for lo in range(0, len(texts), BATCH):
            out.extend(np.asarray(v, dtype=np.float32) for v in embedding(texts[lo : lo + BATCH]))
            if progress:
                progress(len(out), len(texts))
        return out

    def _connect(self) -> sqlite3.Connection | None:
        if self.folder is None:
            return None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.folder / CACHE_FILE, timeout=30)  # concurrent builds wait for each other
            conn.execute("CREATE TABLE IF NOT EXISTS vector (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        except (OSError, sqlite3.Error):
            return None
        return conn

    def _read(self, keys: list[str]) -> dict[str, np.ndarray]:
        if not keys or (conn := self._connect()) is None:
            return {}
        found: dict[str, np.ndarray] = {}
        try:
            with conn:
                for lo in range(0, len(keys), 500):
                    part = keys[lo : lo + 500]
                    rows = conn.execute(
                        f"SELECT key, vector FROM vector WHERE key IN ({','.join('?' * len(part))})", part
                    ).fetchall()
                    found.update((k, np.frombuffer(blob, dtype=np.float32).copy()) for k, blob in rows)
        except sqlite3.Error:
            return {}
        finally:
            conn.close()
        return found

    def _write(self, vectors: dict[str, np.ndarray]) -> None:
        if not vectors or (conn := self._connect()) is None:
            return
        try:
            with conn:
                conn.executemany(
                    "INSERT OR REPLACE INTO vector VALUES (?, ?)",
                    [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in vectors.items()],
                )
        except sqlite3.Error:
            pass  # a read-only or full cache folder: the next build embeds these again
        finally:
            conn.close()
