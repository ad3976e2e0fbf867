"""Values derived from each message of a conversation's history, kept so that a call on the same history grown by a
few messages derives only the new ones.

The model, the answer guard and the reducer run at every step of every turn; each derived something from every
earlier message (a fingerprint, the names in a tool result, whether a message is shown to a provider, its place by
id), so a turn's cost grew with the thread. Here a history is recognised by its first two message objects (the
first may be a system prompt every conversation shares) and compared with the kept one item by item, at C speed
(the same object, else an equal one: what is derived depends on nothing but the message). LangGraph hands a step
the same message objects as the step before, and the checkpointer (``graph/checkpoints.py``) the same ones as the
turn before, except those written since its last load, which come back as new, equal objects. Nothing changes a
message of the state in place (a node returns a new message, which replaces the old one under its id: another
object, unequal), as the checkpointer's cache also relies on. Kept per process, bounded; a restart derives each
history once again. The same for a conversation's events (``Folded``): nothing changes a stored event in place.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

KEEP_HISTORIES = 64  # conversations in progress per process (as many as the checkpointer keeps)
LENGTHS_KEPT = 3  # by_length: the latest lengths of one history kept


class Histories:
    """Something kept with each of the latest histories seen (least recently used dropped). ``by_length``: one per
    history and length (a history's value at each of its latest lengths), else one per history. ``key``: what tells
    a history from another, from its items (the identity of its first two items unless told)."""

    def __init__(
        self, limit: int = KEEP_HISTORIES, by_length: bool = False, key: Callable[[tuple], tuple] | None = None
    ):
        self.limit, self.by_length = limit, by_length
        self.first = key or (lambda items: tuple(map(id, items[:2])))  # what tells a history from another
        self._kept: OrderedDict[tuple[int, ...], tuple[tuple, Any]] = OrderedDict()
        self._lengths: dict[tuple, list[int]] = {}  # by_length: each history's latest lengths kept
        self._lock = threading.Lock()  # the graph's worker threads share one instance

    def find(self, messages: tuple) -> tuple[int, bool, Any]:
        """How many leading messages are the kept history's own (the same or equal items), whether that is the whole
        kept history, and what was kept with it."""
        with self._lock:
            kept = self._kept.get(self._key(messages))
        if kept is None:
            return 0, False, None
        objects, payload = kept
        n = min(len(messages), len(objects))
        if (messages if n == len(messages) else messages[:n]) == (objects if n == len(objects) else objects[:n]):
            return n, n == len(objects), payload  # (a tuple compares each item by identity first: C speed)
        n = next(i for i in range(n) if messages[i] != objects[i])
        return n, False, payload

    def longer(self, messages: tuple) -> tuple[tuple, Any] | None:
        """``by_length``: a kept length of this history that begins with all of ``messages`` (the shortest), with
        what was kept with it; None when none does."""
        key = self.first(messages)
        with self._lock:
            lengths = sorted(n for n in self._lengths.get(key, ()) if n > len(messages))
            kept = [self._kept.get((*key, n)) for n in lengths]
        for found in kept:
            if found is not None and found[0][: len(messages)] == messages:  # (identity first: C speed)
                return found
        return None

    def _key(self, messages: tuple) -> tuple[int, ...]:
        return (*self.first(messages), len(messages)) if self.by_length else self.first(messages)

    def keep(self, messages: tuple, payload: Any) -> None:
        key = self._key(messages)
        with self._lock:  # holding the messages keeps their ids from being reused by other objects while kept
            self._kept[key] = (messages, payload)
            self._kept.move_to_end(key)
            if self.by_length:  # a history's latest few lengths only (each holds a copy of the history)
                lengths = self._lengths.setdefault(key[:-1], [])
                lengths.append(key[-1])
                for old in lengths[:-LENGTHS_KEPT]:
                    if old != key[-1]:
                        self._kept.pop((*key[:-1], old), None)
                del lengths[:-LENGTHS_KEPT]
            while len(self._kept) > self.limit:
                dropped, _ = self._kept.popitem(last=False)
                if self.by_length and not any(k[:-1] == dropped[:-1] for k in reversed(self._kept)):
                    self._lengths.pop(dropped[:-1], None)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._lengths.clear()


class PerMessage:
    """``derive(messages)``: ``[step(value before, message) for each message]``, the value before the first being
    None; the values of the longest prefix already derived (the same message objects) are reused. ``step`` must
    depend on nothing but its arguments."""

    def __init__(self, step: Callable[[Any, Any], Any], limit: int = KEEP_HISTORIES):
        self.step = step
        self.histories = Histories(limit)

    def __call__(self, messages: Sequence) -> list:
        messages = tuple(messages)
        if not messages:
            return []
        n, _, kept = self.histories.find(messages)
        values = list(kept[:n]) if n else []
        value = values[-1] if values else None
        for m in messages[n:]:
            value = self.step(value, m)
            values.append(value)
        self.histories.keep(messages, tuple(values))
        return values


class Folded:
    """``fold(items)``: ``step(state, item)`` over the items from ``start()``, resumed from the state kept after the
    longest kept sequence when the items begin with all of it (``copy`` gives a state to change). ``step`` may change
    the state it is given and returns nothing; it must depend on nothing but its arguments."""

    def __init__(self, start: Callable[[], Any], step: Callable[[Any, Any], None], copy: Callable[[Any], Any]):
        self.start, self.step, self.copy = start, step, copy
        self.histories = Histories()

    def __call__(self, items: Sequence) -> Any:
        items = tuple(items)
        n, whole, kept = self.histories.find(items) if items else (0, False, None)
        state, n = (self.copy(kept), n) if whole else (self.start(), 0)
        for item in items[n:]:
            self.step(state, item)
        if items:
            self.histories.keep(items, self.copy(state))
        return state
