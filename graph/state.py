"""The conversation state the graph checkpoints, and the conventions for our own message metadata.

Messages carry product metadata in ``additional_kwargs["uwc"]``: ``{"kind": "error"}`` for a model error shown
to the user, ``{"kind": "limit"}`` for a stopped turn, ``{"kind": "guard_correction"}`` for the answer guard's
note to the model, ``{"notices": [...]}`` for guard notices on an answer, ``{"raw_args": {call_id: text}}`` for
tool-call arguments that were not a JSON object (passed to the tool boundary as sent). None of it is sent to a provider.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count
from operator import attrgetter
from typing import Annotated, Any, TypedDict

from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    RemoveMessage,
    ToolMessage,
    convert_to_messages,
)
from langgraph.channels.delta import DeltaChannel

from core.per_message import KEEP_HISTORIES, Folded, Histories

_id = attrgetter("id")


def _as_messages(values: Sequence[Any]) -> list[BaseMessage]:
    """``convert_to_messages``, without a Python call per message when all are messages already (the state)."""
    if all(issubclass(t, BaseMessage) for t in set(map(type, values))):
        return list(values)
    return convert_to_messages(values)


def merge_messages(state: list[BaseMessage], writes: Sequence[Any]) -> list[BaseMessage]:
    """Reducer of ``messages``: a written message replaces the one with its id or is appended, and a
    ``RemoveMessage`` drops the message with its id. Batching-invariant, as a DeltaChannel requires.

    Ours rather than LangGraph's private ``_messages_delta_reducer`` (it has no public batch reducer); LangGraph
    stamps ids on written messages before the reducer runs, so nothing else is needed.
    """
    flat = [m for w in writes for m in (w if isinstance(w, list) else [w])]
    merged, at = _indexed_copy(state)
    removed = False
    for message in _as_messages(flat):
        if message.id is None:
            merged.append(message)
        elif isinstance(message, RemoveMessage):
            if message.id in at:
                merged[at.pop(message.id)] = None
                removed = True
        elif message.id in at:
            merged[at[message.id]] = message
        else:
            at[message.id] = len(merged)
            merged.append(message)
    if removed:
        return [m for m in merged if m is not None]
    _indexed.keep(tuple(merged), at)
    return merged  # type: ignore[return-value]  # (no None left: a removal returned above)


# Each thread's latest merged messages, with their places by id; by length: LangGraph also merges into a copy of an
# earlier value (a checkpoint's, a stream's) at some steps.
_indexed = Histories(limit=2 * KEEP_HISTORIES, by_length=True)


def _indexed_copy(state: Sequence[Any]) -> tuple[list[BaseMessage | None], dict]:
    """The state as messages and each message's place by id (of repeated ids the last), both for ``merge_messages``
    to change: the reducer runs at every step over the whole thread, so for a list it returned (its messages already
    converted) the kept index is copied rather than built. So for the start of a list it returned (the value the
    checkpointer loaded at the turn's start, folded again at the next one's; ids all distinct), less its tail."""
    items = tuple(state)
    n, whole, at = _indexed.find(items) if items else (0, False, None)
    if whole and at is not None and n == len(items) == len(at):
        return list(items), dict(at)
    longer = _indexed.longer(items) if items else None
    if longer is not None and len(longer[1]) == len(longer[0]):
        at = dict(longer[1])
        for m in longer[0][len(items) :]:
            del at[m.id]
        return list(items), at
    merged: list[BaseMessage | None] = list(_as_messages(items))
    # (A None id maps too, but is never looked up: a message without an id is appended.)
    return merged, dict(zip(map(_id, merged), count()))


def append_events(state: list[dict], writes: Sequence[tuple[dict, ...]]) -> list[dict]:
    """Reducer of ``events``: appends each write (batching-invariant, as a DeltaChannel requires).

    Nodes write events as a *tuple*: LangGraph gives ids to message-like dicts in lists written to a delta
    channel, and a tool event (``{"type": "tool", ...}``) looks like one.
    """
    return list(state) + [e for w in writes for e in (w if isinstance(w, (list, tuple)) else [w])]


MAX_TOOL_CALLS = 12  # a turn's tool calls: the graph answers plainly instead of calling the model again
MAX_CONSECUTIVE_ERRORS = 3  # failed tool results in a row that end a turn the same way
SNAPSHOT_EVERY = 500  # writes between full copies of a list in a checkpoint (reads replay at most this many)


class AgentState(TypedDict, total=False):
    # Delta channels: a checkpoint stores each node's new messages and events once, not the whole list again
    # (a 30-turn thread took 25 MB when every checkpoint repeated every tool result).
    messages: Annotated[list[AnyMessage], DeltaChannel(merge_messages, snapshot_frequency=SNAPSHOT_EVERY)]
    events: Annotated[
        list[dict], DeltaChannel(append_events, snapshot_frequency=SNAPSHOT_EVERY)
    ]  # trace: tool calls, guard verdicts, model calls
    finding: dict | None  # the latest recorded finding


def meta(message: BaseMessage) -> dict:
    return message.additional_kwargs.get("uwc", {}) if message is not None else {}


def kind(message: BaseMessage) -> str | None:
    return meta(message).get("kind")


def current_turn(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """The messages since the underwriter's last message (guard corrections are not the underwriter's)."""
    for i in range(len(messages) - 1, -1, -1):
        m = messages[i]
        if isinstance(m, HumanMessage) and kind(m) != "guard_correction":
            return list(messages[i + 1 :])
    return list(messages)


def tool_calls_this_turn(messages: Sequence[BaseMessage]) -> int:
    return sum(len(m.tool_calls) for m in current_turn(messages) if isinstance(m, AIMessage))


def consecutive_tool_errors(messages: Sequence[BaseMessage]) -> int:
    n = 0
    for m in reversed(current_turn(messages)):
        if isinstance(m, ToolMessage):
            if m.status != "error":
                break
            n += 1
    return n


def _add_for_model(seen: tuple[list, set, set], m: BaseMessage) -> None:
    """What ``for_model`` needs, one message more: the messages shown to a provider, the calls answered, made."""
    shown, results, calls = seen
    if kind(m) != "error":
        shown.append(m)
    if isinstance(m, ToolMessage):
        results.add(m.tool_call_id)
    elif isinstance(m, AIMessage):
        calls.update(c["id"] for c in m.tool_calls)


_for_model_seen = Folded(lambda: ([], set(), set()), _add_for_model, lambda s: (list(s[0]), set(s[1]), set(s[2])))


def for_model(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """The history a provider may see: without our error notes, and with every tool call answered.

    A tool call left without a result (a crash or a stop between the model and the tools) would make the next
    request invalid for every provider, so it gets a synthetic error result here.
    """
    if not messages:
        return []
    shown, results, calls = _for_model_seen(messages)
    if calls <= results:  # every call answered (the rule): nothing to add
        return shown
    out: list[BaseMessage] = []
    answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
    for m in messages:
        if kind(m) in ("error",):
            continue
        out.append(m)
        if isinstance(m, AIMessage):
            for call in m.tool_calls:
                if call["id"] not in answered:
                    out.append(
                        ToolMessage(
                            content='{"error": "the tool call was interrupted before it returned"}',
                            tool_call_id=call["id"],
                            name=call["name"],
                            status="error",
                        )
                    )
    return out
