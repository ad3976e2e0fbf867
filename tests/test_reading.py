"""Each message is read once (graph/offline/reading.py): a conversation read a message at a time, resuming from what
was kept, establishes the same as one read whole, and no underwriter message is parsed again."""

from __future__ import annotations

import dataclasses

from core.settings import get_settings
from graph.copilot import Copilot
from graph.offline import reading
from graph.offline.conversation import Conversation, read_conversation
from graph.offline.reading import Reader

TURNS = (
    "Can you check if this one is in the small business bucket?",
    "NAICS 722511",
    "Revenue is about $4.5M",
    "What deductible for a trucking company's auto? NAICS 484121",
    "Is it in appetite for auto? It's in Texas with 12 trucks.",
    "What limits for cyber for NAICS 518210?",
)


def _established(conv: Conversation) -> dict:
    return {f.name: getattr(conv, f.name) for f in dataclasses.fields(conv) if f.name != "catalog"}


def test_a_conversation_read_as_it_grows_is_the_one_read_whole(seeded, toolkit, monkeypatch):
    cp = Copilot(get_settings(data_dir=seeded["dir"]), toolkit=toolkit)
    try:
        tid = cp.new_thread().id
        turns = [cp.send(tid, text) for text in TURNS]
        messages = cp.graph.get_state(cp._config(tid)).values["messages"]
        # A turn reads only the messages since the underwriter's message before it: the same readings as the whole.
        whole = cp._readings(messages)
        asked = [m.id for m in messages if m.type == "human"]
        assert [t.readings for t in turns] == [whole[i] for i in asked]
        assert any(t.readings for t in turns)
    finally:
        cp.close()
    catalog = toolkit.ctx.catalog
    reader = Reader(lambda: Conversation(catalog))
    parsed: list[str] = []
    parse = reading.parse
    monkeypatch.setattr(reading, "_readings", reading.Bounded(reading.MAX_READINGS))  # a process that read nothing
    monkeypatch.setattr(reading, "parse", lambda text, *a, **k: parsed.append(text) or parse(text, *a, **k))
    for n in range(1, len(messages) + 1):  # every call of a thread, as the model sees it
        step = reader.read(messages[:n])
        assert _established(step) == _established(read_conversation(messages[:n], catalog)), n
        step.task = "changed by the policy"  # the caller's copy: what is kept is untouched
    assert sorted(parsed) == sorted(set(parsed)) and len(parsed) == len(TURNS)  # each message parsed once
    again = reader.read(messages)
    assert again.task != "changed by the policy"
    assert len(parsed) == len(TURNS)


def test_a_message_replaced_under_its_id_is_read_again(catalog):
    from langchain_core.messages import AIMessage, HumanMessage

    from graph.offline.facts import QUESTIONS

    reader = Reader(lambda: Conversation(catalog))
    asked = HumanMessage("Is it a small business? NAICS 722511", id="h1")
    first = reader.read([asked, AIMessage(QUESTIONS["annual_revenue"], id="a1"), HumanMessage("4.5M", id="h2")])
    changed = [asked, AIMessage(QUESTIONS["employees"], id="a1"), HumanMessage("12", id="h2")]
    second = reader.read(changed)
    assert _established(second) == _established(read_conversation(changed, catalog))
    assert first.asked_before == {"annual_revenue"} and second.asked_before == {"employees"}


def test_a_fork_shares_the_messages_reading_and_a_whole_turn_leaves_it_as_read(seeded, toolkit):
    """``fork`` hands its copy the same reading of the current message (it used to deep-copy it, 41 times a turn
    that redoes five findings): deciding, and planning the calls after each outcome, must never change it."""
    import copy

    from graph.offline.model import OfflineRulesModel

    settings = get_settings(data_dir=seeded["dir"])
    model = OfflineRulesModel(toolkit.ctx.catalog, cache=settings.cache_path)
    cp = Copilot(settings, model=model, toolkit=toolkit)
    try:
        tid = cp.new_thread().id
        for text in TURNS:
            cp.send(tid, text)
        messages = cp.graph.get_state(cp._config(tid)).values["messages"]
    finally:
        cp.close()
    for n in range(1, len(messages) + 1):
        conv = model.reader.read(messages[:n])
        assert conv.fork().parsed is conv.parsed
        read = copy.deepcopy(conv.parsed)
        model.invoke(messages[:n])  # decides with a fork, plans the calls after it on more forks
        assert conv.parsed == read and model.reader.read(messages[:n]).parsed == read, n
    assert read is not None and read.text
