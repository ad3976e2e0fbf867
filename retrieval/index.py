"""The embedded ChromaDB index: guideline sections and NAICS 2022 industries, built by ``uwc seed`` and read
by the retrieval and classification tools.

The index is built in a scratch folder and swapped in whole, so a failed build never leaves a half index.
Embeddings are computed by our own embedding function and handed to Chroma explicitly; the collection
also records that function's registered name, so reopening it never falls back to Chroma's downloader. Each
collection's vectors are also kept beside the index (``collection_vectors``): classification scores every NAICS code
with numpy and needs no Chroma at all.
"""

from __future__ import annotations

import atexit
import functools
import gc
import shutil
import stat
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.vectors import Progress, VectorCache

GUIDELINES = "guidelines"
GUIDELINE_CHUNKS = "guideline_chunks"  # passages of each section, for the semantic side of guideline search
NAICS = "naics"
CHUNK_WORDS = 60


@dataclass(frozen=True)
class Doc:
    id: str
    text: str
    metadata: dict


@dataclass(frozen=True)
class IndexReport:
    path: Path
    counts: dict[str, int]
    embedding: str
    dimensions: int
    seconds: float
    embedded: int = 0  # texts the model embedded; the rest came from the shipped or cached vectors

    @property
    def sections(self) -> int:
        return self.counts.get(GUIDELINES, 0)


def _client(path: Path):
    # chromadb (~50 MB a process) is imported where an index is opened: the tools import this module for its names
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(
        path=str(path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    )


def chroma_function(embedding) -> Any:
    """``embedding`` as a Chroma embedding function, registered under its ``name()`` (Chroma reopens a collection
    with the function of the name it recorded). The same object embeds: Chroma only wraps it."""
    name = embedding.name()
    with _REGISTERING:
        if name not in _CHROMA_CLASSES:
            _CHROMA_CLASSES[name] = _chroma_class(type(embedding))
    return _CHROMA_CLASSES[name](embedding)


_CHROMA_CLASSES: dict[str, Any] = {}  # by name: a registered Chroma embedding function wrapping ours
_REGISTERING = threading.Lock()


def _chroma_class(cls: Any) -> Any:
    from chromadb.api.types import EmbeddingFunction
    from chromadb.utils.embedding_functions import register_embedding_function

    class Chroma(EmbeddingFunction):
        def __init__(self, embedding) -> None:
            self.embedding = embedding

        def __call__(self, input):
            return self.embedding(input)

        @staticmethod
        def name() -> str:
            return cls.name()

        def default_space(self):
            return "cosine"

        def get_config(self) -> dict[str, Any]:
            return self.embedding.get_config()

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> Chroma:
            return Chroma(cls.build_from_config(config))

    Chroma.__name__ = Chroma.__qualname__ = f"Chroma{cls.__name__}"
    return register_embedding_function(Chroma)


def collection_vectors(index_dir: Path, name: str, embedding) -> tuple[list[str], np.ndarray] | None:
    """The ids and float32 vectors of collection ``name`` as the index was built with them, read without Chroma;
    None for an index built before they were kept, or by another embedding function than ``embedding`` (whose
    queries would not be comparable: opening the collection says so)."""
    try:
        with np.load(Path(index_dir) / _vectors_file(name), allow_pickle=False) as data:
            if str(data["embedding"]) != embedding.name():
                return None
            return [str(i) for i in data["ids"]], data["vectors"]
    except (OSError, ValueError, KeyError):
        return None


def _vectors_file(name: str) -> str:
    return f"{name}-vectors.npz"


def _release(client) -> None:
    """Close a persistent client's files so its folder can be renamed or deleted."""
    try:
        client._system.stop()  # no public close() in chromadb 1.x
    except Exception:
        pass
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    gc.collect()


def section_document(title: str, text: str) -> str:
    """What gets embedded and searched for a guideline section: the title carries much of its meaning."""
    return f"{title}\n{text}"


def section_chunks(document: str, title: str, text: str, max_words: int = CHUNK_WORDS) -> list[str]:
    """A section cut into short passages, each headed by what it sits under: the file's and the section's titles,
    its H3 heading, the list item a nested item continues ("23 Construction" above "Subsector 237 ...") and the
    header row of a table it continues.

    The embedding model reads at most 256 tokens, and every section is longer: embedded whole, only its opening
    would count. Passages end at a line (a list item, a table row) once they reach ``max_words`` words.
    """
    chunks: list[str] = []
    # The H3 heading, the top-level list item and the table header row the current line sits under.
    subheading = parent = header = ""
    previous = ""
    lines: list[str] = []
    context: list[str] = []  # what the passage being filled sits under, fixed at its first line

    def close() -> None:
        if any(line.strip() for line in lines):
            chunks.append("\n".join([f"{document}: {title}", *context, "\n".join(lines).strip("\n")]))
        lines.clear()

    for line in text.splitlines():
        if line.startswith("### "):
            close()
            subheading, parent = line, ""
        elif line.startswith(("- ", "* ")) or (line[:1].isdigit() and ". " in line[:4]):
            parent = line  # nested items below it continue it
        elif line.startswith("|") and not previous.startswith("|"):
            header = line
        if not any(x.strip() for x in lines):
            under = parent if line.startswith(" ") else header if line.startswith("|") else ""
            context = [x for x in (subheading, under) if x and x != line]
        lines.append(line)
        previous = line
        if len(" ".join(lines).split()) >= max_words:
            close()
    close()
    return chunks


def chunk_id(section_id: str, n: int) -> str:
    return f"{section_id}#{n}"


def chunk_document(chunk: str) -> str:
    """The document (section) id a chunk id belongs to."""
    return chunk.split("#", 1)[0]


def naics_document(code: str, title: str, description: str) -> str:
    """Title first (the embedding truncates long descriptions), then the official description."""
    return f"{title}. {description}"


def build_index(
    collections: dict[str, list[Doc]],
    index_dir: Path,
    embedding,
    per_collection: dict | None = None,
    vectors: VectorCache | None = None,
    progress: Progress | None = None,
) -> IndexReport:
    """(Re)build every collection at ``index_dir`` atomically: in a scratch folder, then swapped in.

    ``per_collection`` may give a collection its own embedding function (e.g. shorter truncation). ``vectors``
    reuses vectors computed before (default: the shipped ones only); ``progress`` hears the texts embedded.
    """
    start = time.perf_counter()
    vectors = vectors or VectorCache(None)
    computed_before = vectors.computed
    index_dir = Path(index_dir)
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    scratch = index_dir.with_name(index_dir.name + ".building")
    shutil.rmtree(scratch, ignore_errors=True)
    client = _client(scratch)
    dims = 0
    try:
        for name, docs in collections.items():
            embed = (per_collection or {}).get(name, embedding)
            collection = client.create_collection(
                name, embedding_function=chroma_function(embed), metadata={"hnsw:space": "cosine"}
            )
            step = functools.partial(progress, f"embedding {name}") if progress else None
            embedded = vectors.embed(embed, [d.text for d in docs], step)
            for lo in range(0, len(docs), 1000):  # below Chroma's max batch size
                chunk = slice(lo, lo + 1000)
                collection.add(
                    ids=[d.id for d in docs[chunk]],
                    documents=[d.text for d in docs[chunk]],
                    embeddings=embedded[chunk],
                    metadatas=[d.metadata for d in docs[chunk]],
                )
            dims = len(embedded[0]) if embedded else dims
            if docs:  # in the scratch folder: swapped in with the index, never stale
                # As Chroma holds them, not as given: it normalises each again for the cosine space, which moves the
                # last bit of ~13% of the values, and the classifier's scores are Chroma's vectors' bit for bit.
                held = collection.get(include=["embeddings"])
                np.savez(
                    scratch / _vectors_file(name),
                    embedding=np.array(embed.name()),
                    ids=np.array(held["ids"]),
                    vectors=np.asarray(held["embeddings"], dtype=np.float32),
                )
    except BaseException:
        _release(client)
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    _release(client)
    old = index_dir.with_name(index_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if index_dir.exists():
        index_dir.rename(old)
    scratch.rename(index_dir)
    shutil.rmtree(old, ignore_errors=True)
    return IndexReport(
        index_dir,
        {k: len(v) for k, v in collections.items()},
        embedding.name(),
        dims,
        time.perf_counter() - start,
        embedded=vectors.computed - computed_before,
    )


def open_collection(index_dir: Path, name: str, embedding, missing_ok: bool = False):
    """A collection, for reading; raises FileNotFoundError when ``uwc seed`` has not built the index.

    ``missing_ok``: None instead of an error when the index exists but has no such collection (built by an older
    version of the builder).

    Chroma writes to its folder even to read (locks, journal). When the data folder is read-only, the index is
    read from a private copy in the temp folder instead (a few MB, copied once per process and index version).
    """
    index_dir = Path(index_dir)
    if not (index_dir / "chroma.sqlite3").is_file():
        raise FileNotFoundError(f"no search index at {index_dir}; run `uwc seed` first")
    if not _writable(index_dir):
        index_dir = _writable_copy(index_dir, (index_dir / "chroma.sqlite3").stat().st_mtime)
    client = _client(index_dir)
    if missing_ok and name not in {c.name for c in client.list_collections()}:
        return None
    return client.get_collection(name, embedding_function=chroma_function(embedding))


def _writable(index_dir: Path) -> bool:
    """Can Chroma write here? (Probed, not guessed from permissions: root ignores them, read-only mounts do not.)"""
    try:
        with tempfile.TemporaryFile(dir=index_dir), open(index_dir / "chroma.sqlite3", "ab"):
            return True
    except OSError:
        return False


@functools.lru_cache(maxsize=4)
def _writable_copy(index_dir: Path, mtime: float) -> Path:
    target = Path(tempfile.mkdtemp(prefix="uwc-index-")) / "chroma"
    shutil.copytree(index_dir, target)
    for p in [target, *target.rglob("*")]:
        p.chmod(p.stat().st_mode | stat.S_IWUSR)
    atexit.register(shutil.rmtree, target.parent, True)
    return target
