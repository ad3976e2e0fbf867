"""``Bounded``: a least-recently-used map of at most ``limit`` entries, safe across the graph's worker threads.

What a process remembers of derived data (a message's reading, a text's product mentions) is kept in one of these, so
what it holds stays bounded however long the process runs."""

from __future__ import annotations

import threading
from collections import OrderedDict


class Bounded(OrderedDict):
    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit
        self.lock = threading.Lock()

    def fetch(self, key):
        with self.lock:
            value = self.get(key)
            if value is not None:
                self.move_to_end(key)
            return value

    def keep(self, key, value) -> None:
        with self.lock:
            self[key] = value
            self.move_to_end(key)
            while len(self) > self.limit:
                self.popitem(last=False)
