"""Values derived from each message of a conversation's history, kept so that a call on the same history grown by a
few messages derives only the new ones.

The model, the answer guard and the reducer run at every step of every turn; each derived something from every
earlier message (a fingerprint, the names in a tool result, whether a message is shown to a provider), so a turn's
cost grew with the thread. Here each history is recognised by its first two message objects (the first may be a
system prompt shared by every conversation) and compared item by item
by identity (the message, its content) and by its id: LangGraph hands a step the same message objects as the step
before, and the checkpointer (``graph/checkpoints.py``) the same ones as the turn before, except those written
since its last load, which come back as new objects and are derived again. Nothing changes a message of the state
in place (a node returns a new message, which replaces the old one under its id: another object); a content or an
id changed in place is caught all the same. Kept per process, bounded; a restart derives each history once again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from operator import attrgetter, is_
from typing import Any

KEEP_HISTORIES = 64  # conversations in progress per process (as many as the checkpointer keeps)

_content, _id = attrgetter("content"), attrgetter("id")


class PerMessage:
    """``derive(messages)``: ``[step(value before, message) for each message]``, the value before the first being
    None; values for the longest prefix already derived (by identity, see the module) are reused. ``step`` must
    depend on nothing but its arguments."""

    def __init__(self, step: Callable[[Any, Any], Any], limit: int = KEEP_HISTORIES):
        self.step, self.limit = step, limit
        self._kept: OrderedDict[tuple[int, ...], tuple[tuple, list, list, tuple]] = OrderedDict()
        self._lock = threading.Lock()  # the graph's worker threads share one instance

    def __call__(self, messages: Sequence) -> list:
        messages = tuple(messages)
        if not messages:
            return []
        key = tuple(map(id, messages[:2]))
        with self._lock:
            kept = self._kept.get(key)
        n = _common(messages, kept) if kept is not None else 0
        values = list(kept[3][:n]) if n else []
        value = values[-1] if values else None
        for m in messages[n:]:
            value = self.step(value, m)
            values.append(value)
        entry = (messages, list(map(_content, messages)), list(map(_id, messages)), tuple(values))
        with self._lock:  # holding the messages keeps their ids from being reused by other objects while kept
            self._kept[key] = entry
            self._kept.move_to_end(key)
            while len(self._kept) > self.limit:
                self._kept.popitem(last=False)
        return values

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


def _common(messages: tuple, kept: tuple) -> int:
    """How many leading messages are the kept history's own (the same objects, contents and ids)."""
    objects, contents, ids, _ = kept
    n = min(len(messages), len(objects))
    head = messages[:n]
    if (
        all(map(is_, head, objects))
        and all(map(is_, map(_content, head), contents))
        and list(map(_id, head)) == ids[:n]
    ):
        return n
    for i, m in enumerate(head):
        if m is not objects[i] or m.content is not contents[i] or m.id != ids[i]:
            return i
    return n
