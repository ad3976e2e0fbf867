"""The names a code is known by (the Census NAICS index entries: "Coffee shops, on premise brewing" -> 722515), as
vectors: a query is near a code when it is near one of its names.

People name a business ("coffee shop", "CPA firm", "intercity bus line"); the official descriptions describe
activities ("serving nonalcoholic beverages ... for consumption on or near the premises"). A short name is far from
a long description in embedding space and close to the index entry that names the same thing.

Twenty thousand names take minutes to embed, so their MiniLM vectors ship in ``assets/naics-entry-vectors.npz``
(int8, one scale per vector: the ranking is the same as with float32), derived by ``python -m seed_db.vectors``
with the other index vectors, and used only when the entries and the embedding are the ones it was derived from.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SHIPPED = Path(__file__).parent / "assets" / "naics-entry-vectors.npz"
# "Accounting services (except CPAs)" names what the code excludes: embedded whole, it would pull a query about
# CPAs towards the one code that is not theirs. The cross-reference is cut; the name stays.
_EXCEPT = re.compile(r"\s*\(except[^)]*\)|,?\s+except\b[^,;()]*", re.IGNORECASE)


class PackedNames:
    """(code, entry) pairs held as two strings, each pair made as it is iterated (so iterated again as often as
    asked). 20,373 index entries as a list of tuples are ~7 MB of small objects: what a build keeps from them (the
    words it counts, the head nouns) was allocated among them and pinned their pages once the list was dropped
    (~4 MB of a classifying process). Codes are NAICS codes, six characters each."""

    def __init__(self, pairs: Iterable[tuple[str, str]]):
        codes, entries = [], []
        for code, entry in pairs:
            if len(code) != 6 or "\n" in entry:
                raise ValueError(f"not a six-character code and a one-line entry: {code!r}, {entry!r}")
            codes.append(code)
            entries.append(entry)
        self._codes, self._entries, self._size = "".join(codes), "\n".join(entries), len(codes)

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[tuple[str, str]]:
        start = 0
        for i in range(self._size):
            end = self._entries.find("\n", start)
            end = len(self._entries) if end < 0 else end
            yield self._codes[6 * i : 6 * i + 6], self._entries[start:end]
            start = end + 1


def entry_text(entry: str) -> str:
    """What is embedded for an index entry: the entry without the exclusions it names."""
    return " ".join(_EXCEPT.sub("", entry).split()) or entry


def entries_digest(identity: str, entries: Sequence[tuple[str, str]]) -> str:
    """Which entries, embedded by which model, a set of vectors belongs to."""
    h = hashlib.sha256(identity.encode())
    for code, text in entries:
        h.update(f"\0{code}\t{text}".encode())
    return h.hexdigest()


@dataclass(frozen=True)
class EntryVectors:
    codes: np.ndarray  # the code of each entry
    vectors: np.ndarray  # one L2-normalised row per entry: float32, or int8 times ``scale``
    scale: np.ndarray | None = None  # float32, one per row of int8 ``vectors``

    def floats(self, rows: slice | Sequence[int] = slice(None)) -> np.ndarray:
        """``rows`` as float32 vectors (int8 times its scale, as every query's product takes them)."""
        return _floats(self.vectors, self.scale, rows)

    def by_code(self, ids: Sequence[str]) -> CodeNames:
        """The vectors grouped by code, in the order of ``ids`` (grouped once: a query then costs one product)."""
        position = {c: i for i, c in enumerate(ids)}
        rows = np.array([position.get(str(c), -1) for c in self.codes], dtype=np.int64)
        keep = np.flatnonzero(rows >= 0)
        order = keep[np.argsort(rows[keep], kind="stable")]
        groups, starts = np.unique(rows[order], return_index=True)
        if np.array_equal(order, np.arange(len(self.codes))):  # the shipped file is in code order: no copy
            return CodeNames(self.vectors, self.scale, groups, starts, len(ids))
        scale = self.scale[order] if self.scale is not None else None
        return CodeNames(self.vectors[order], scale, groups, starts, len(ids))


@dataclass(frozen=True)
class CodeNames:
    vectors: np.ndarray  # the entries' vectors, grouped by code (int8 times ``scale``, or float32)
    scale: np.ndarray | None
    groups: np.ndarray  # the position (in ``ids``) of each group's code
    starts: np.ndarray  # where each group starts in ``vectors``
    size: int  # how many ids

    def best(self, query: np.ndarray) -> np.ndarray:
        """For each id, the cosine similarity of ``query`` to its nearest entry (-1 for a code with none)."""
        best = np.full(self.size, -1.0, dtype=np.float32)
        if len(self.groups):
            query = np.asarray(query, dtype=np.float32)
            # int8 rows are made float a block at a time: 20,000 entries held as float32 would take 31 MB more
            similarity = np.empty(len(self.vectors), dtype=np.float32)
            for lo in range(0, len(self.vectors), ROWS_AT_ONCE):
                rows = slice(lo, lo + ROWS_AT_ONCE)
                similarity[rows] = _floats(self.vectors, self.scale, rows) @ query
            best[self.groups] = np.maximum.reduceat(similarity, self.starts)
        return best


# Rows per block: 0.75 MB of float32. Small enough that OpenBLAS runs each product on one thread (it splits a large
# one between threads, and the rows at the end of each thread's share are summed in another order, so the last bit
# of a few similarities changed with the machine's cores); each similarity is the one-thread product's, bit for bit.
ROWS_AT_ONCE = 512


def _floats(vectors: np.ndarray, scale: np.ndarray | None, rows: slice | Sequence[int]) -> np.ndarray:
    if scale is None:
        return vectors[rows]
    return vectors[rows].astype(np.float32) * scale[rows, None]


def write_entry_vectors(path: Path, digest: str, codes: Sequence[str], vectors: np.ndarray) -> None:
    vectors = np.asarray(vectors, dtype=np.float32)
    scale = np.maximum(np.abs(vectors).max(axis=1), 1e-12) / 127
    np.savez_compressed(
        path,
        digest=np.array(digest),
        codes=np.array(codes, dtype="U6"),
        q=np.round(vectors / scale[:, None]).astype(np.int8),
        scale=scale.astype(np.float32),
    )


def read_entry_vectors(path: Path, digest: str) -> EntryVectors | None:
    """The shipped vectors, or None when the file is missing, unreadable or derived from other entries or model."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["digest"]) != digest:
                return None
            return EntryVectors(data["codes"], data["q"], data["scale"])
    except (OSError, ValueError, KeyError):
        return None


def entry_vectors(
    entries: Iterable[tuple[str, str]], embedding: Callable, identity: str | None, path: Path = SHIPPED
) -> EntryVectors | None:
    """Vectors of ``entries`` (code, entry) for ``embedding``: the shipped ones when they match; computed when the
    embedding has no identity (the instant hashing double of the tests); else None (a remote model would take
    twenty thousand calls, a stale file minutes: classification then goes without the names)."""
    codes, texts = [], []
    for code, entry in entries:
        codes.append(code)
        texts.append(entry_text(entry))
    if identity is not None:
        return read_entry_vectors(path, entries_digest(identity, list(zip(codes, texts, strict=True))))
    if not texts:
        return None
    vectors = np.asarray(embedding(texts), dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return EntryVectors(np.array(codes), vectors)
