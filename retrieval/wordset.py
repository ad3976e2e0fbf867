"""A fixed set of words held compactly: one sorted array of bytes per word length, looked up by binary search.

Thirty thousand words as a ``frozenset`` of ``str`` take ~3 MB a process (a 56-byte object per word and the set's
table); as bytes of their own length, ~0.3 MB. For a set that is built once and only asked whether it holds a word.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class WordSet:
    def __init__(self, words: Iterable[str]):
        by_length: dict[int, set[bytes]] = {}
        for word in words:
            b = word.encode()
            by_length.setdefault(len(b), set()).add(b)
        self._by_length = {n: np.array(sorted(bs), dtype=f"S{n}") for n, bs in by_length.items()}
        self._size = sum(len(a) for a in self._by_length.values())

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        b = word.encode()
        row = self._by_length.get(len(b))
        if row is None:
            return False
        i = int(np.searchsorted(row, b))
        return i < len(row) and row[i] == b

    def __len__(self) -> int:
        return self._size
