"""The embedded ChromaDB index of guideline sections: built by ``uwc seed``, read by the retrieval tool.

The index is built in a scratch folder and swapped in whole, so a failed build never leaves a half index.
Embeddings are computed by our own embedding function and handed to Chroma explicitly; the collection
also records that function's registered name, so reopening it never falls back to Chroma's downloader.
"""

from __future__ import annotations

import gc
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings

from guidelines import Section

COLLECTION = "guidelines"


@dataclass(frozen=True)
class IndexReport:
    path: Path
    sections: int
    embedding: str
    dimensions: int
    seconds: float


def _client(path: Path):
    return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=True))


def _release(client) -> None:
    """Close a persistent client's files so its folder can be renamed or deleted."""
    try:
        client._system.stop()  # no public close() in chromadb 1.x
    except Exception:
        pass
    chromadb.api.client.SharedSystemClient.clear_system_cache()
    gc.collect()


def section_document(section: Section) -> str:
    """What gets embedded and searched: the title carries much of a section's meaning."""
    return f"{section.title}\n{section.text}"


def build_index(sections: list[Section], index_dir: Path, embedding) -> IndexReport:
    """(Re)build the guideline collection at ``index_dir`` atomically."""
    start = time.perf_counter()
    index_dir = Path(index_dir)
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    scratch = index_dir.with_name(index_dir.name + ".building")
    shutil.rmtree(scratch, ignore_errors=True)
    client = _client(scratch)
    try:
        collection = client.create_collection(COLLECTION, embedding_function=embedding, metadata={"hnsw:space": "cosine"})
        docs = [section_document(s) for s in sections]
        vectors = embedding(docs)
        collection.add(
            ids=[s.id for s in sections],
            documents=docs,
            embeddings=vectors,
            metadatas=[{"title": s.title, "file": s.file, "document": s.document} for s in sections],
        )
        dims = len(vectors[0]) if vectors else 0
    finally:
        _release(client)
    old = index_dir.with_name(index_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if index_dir.exists():
        index_dir.rename(old)
    scratch.rename(index_dir)
    shutil.rmtree(old, ignore_errors=True)
    return IndexReport(index_dir, len(sections), embedding.name(), dims, time.perf_counter() - start)


def open_collection(index_dir: Path, embedding):
    """The guideline collection, for reading; raises FileNotFoundError when ``uwc seed`` has not built it."""
    if not (Path(index_dir) / "chroma.sqlite3").is_file():
        raise FileNotFoundError(f"no guideline index at {index_dir}; run `uwc seed` first")
    return _client(Path(index_dir)).get_collection(COLLECTION, embedding_function=embedding)
