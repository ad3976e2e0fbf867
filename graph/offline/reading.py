"""Each message is read once per process: ``read(text, catalog, asked)`` is ``facts.parse`` remembered, and
``Reader`` keeps the ``Conversation`` after each history it read, so the next call reads only what is new.

Why a process cache and not the graph state: a reading is derived data of the reader's rules (``facts.py``), and the
rules change (a better reader must re-read old threads, not trust what an old one stored); the offline model is
one model among others behind ``invoke(messages, tools)``, which an LLM answers without any reading, so the
checkpoint format stays free of its internals. What a process loses on a restart or another replica is one
linear re-read of a thread on its first call there (every message read once again, then remembered), never the
quadratic re-reading of every message on every call that this replaces.
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy

from langchain_core.messages import BaseMessage, ToolMessage

from core.bounded import Bounded
from core.per_message import PerMessage
from graph.offline.facts import Parsed, parse

MAX_READINGS = 4096  # messages whose reading a process keeps (a few hundred bytes each)
MAX_CONVERSATIONS = 256  # histories whose Conversation a process keeps (conversations in progress)


_readings = Bounded(MAX_READINGS)


def read(text: str, catalog, asked: str | None = None, copy: bool = True) -> Parsed:
    """``facts.parse(text, catalog, asked)``, read once per process; the caller gets its own copy to change (or,
    with ``copy=False``, the kept reading, which it must not change)."""
    key = (text, asked, id(catalog))
    found = _readings.fetch(key)
    if found is None or found[0] is not catalog:  # (an id reused by another catalog is no hit)
        found = (catalog, parse(text, catalog, asked))
        _readings.keep(key, found)
    return deepcopy(found[1]) if copy else found[1]


def fingerprint(previous: int, message: BaseMessage) -> int:
    """The key of a history one message longer: a message replaced under its id (a cleaned answer) is another."""
    content = message.content if isinstance(message.content, str) else repr(message.content)
    extra = (message.tool_call_id, message.status) if isinstance(message, ToolMessage) else None
    return hash((previous or 0, type(message).__name__, message.id, content, extra))


# The fingerprint of each prefix of a history, chained: a longer history hashes only its new messages.
fingerprints = PerMessage(fingerprint)


class Reader:
    """Keeps the state of reading after each history it read (by the history's fingerprint): a call resumes from
    the longest history read before and reads only the messages after it."""

    def __init__(self, start, limit: int = MAX_CONVERSATIONS):
        self.start = start  # () -> a Conversation before any message
        self.kept = Bounded(limit)

    def read(self, messages: Sequence[BaseMessage]):
        keys = fingerprints(messages)
        at, conv = 0, None
        for i in range(len(keys) - 1, -1, -1):
            kept = self.kept.fetch(keys[i])
            if kept is not None:
                at, conv = i + 1, kept.fork()
                break
        if conv is None:
            conv = self.start()
        for m in messages[at:]:
            conv.read(m)
        if keys:
            self.kept.keep(keys[-1], conv.fork())  # the caller may change its copy (the policy sets the task)
        return conv
