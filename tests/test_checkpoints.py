"""The checkpointer keeps each thread's state as last loaded (``graph/checkpoints.py``): whatever it keeps, every
load gives what a checkpointer that keeps nothing reads from the store, with two processes' copilots taking turns
on one thread, at every earlier checkpoint of it, and after a caller changed what it was given."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.sqlite import SqliteSaver

from core.settings import get_settings
from graph.copilot import Copilot
from tests.fakes import ScriptedModel


def _asked(messages) -> list[str]:
    return [m.content for m in messages if isinstance(m, HumanMessage)]


def _answer(seen: list[list[str]]):
    def answer(messages):
        seen.append(_asked(messages))
        return AIMessage(f"answer {len(seen)}")

    return answer


def _plain_graph(copilot):
    """The copilot's graph over a checkpointer that keeps nothing: LangGraph's own read of the store."""
    import sqlite3

    from graph.build import build_graph

    conn = sqlite3.connect(copilot.settings.checkpoint_path, check_same_thread=False)
    return build_graph(copilot.model, copilot.toolkit, SqliteSaver(conn)), conn


def _dump(values: dict) -> tuple:
    return (
        [(type(m).__name__, m.id, m.content) for m in values.get("messages", [])],
        [e.get("type") for e in values.get("events", [])],
    )


def test_two_copilots_taking_turns_on_one_thread_each_see_every_turn(make_copilot):
    seen_a: list[list[str]] = []
    seen_b: list[list[str]] = []
    a = make_copilot(ScriptedModel(_answer(seen_a)))
    b = make_copilot(ScriptedModel(_answer(seen_b)))
    tid = a.new_thread().id
    asked: list[str] = []
    for n, who in enumerate("abaabba"):
        text = f"question {n}"
        asked.append(text)
        (a if who == "a" else b).send(tid, text)
        seen = (seen_a if who == "a" else seen_b)[-1]
        assert seen == asked  # the model was given every turn so far, whichever copilot wrote it
    plain, conn = _plain_graph(a)
    try:
        config = a._config(tid)
        expected = _dump(plain.get_state(config).values)
        assert _dump(a.graph.get_state(config).values) == expected
        assert _dump(b.graph.get_state(config).values) == expected
        assert len(expected[0]) == 2 * len(asked)
    finally:
        conn.close()


def test_every_earlier_checkpoint_reads_as_the_store_holds_it(make_copilot):
    """Loading an older checkpoint after a newer one (the kept value is not on its chain) reads it whole."""
    cp = make_copilot(ScriptedModel(_answer([])))
    tid = cp.new_thread().id
    for n in range(4):
        cp.send(tid, f"question {n}")
    plain, conn = _plain_graph(cp)
    try:
        history = list(plain.get_state_history(cp._config(tid)))
        assert len(history) > 8
        for snapshot in [*history, *reversed(history)]:  # newest to oldest, then back up the chain
            assert _dump(cp.graph.get_state(snapshot.config).values) == _dump(snapshot.values)
    finally:
        conn.close()


def test_a_caller_changing_the_list_it_was_given_changes_nothing_kept(make_copilot):
    cp = make_copilot(ScriptedModel(_answer([])))
    tid = cp.new_thread().id
    cp.send(tid, "question 0")
    config = cp._config(tid)
    given = cp.graph.get_state(config).values
    before = _dump(given)
    given["messages"].clear()
    given["events"].append({"type": "not stored"})
    assert _dump(cp.graph.get_state(config).values) == before


def test_a_replica_reads_the_turns_another_wrote_in_a_few_statements_and_sees_them_all(tmp_path, copilot_toolkit):
    one = Copilot(get_settings(data_dir=tmp_path), toolkit=copilot_toolkit)
    two = Copilot(get_settings(data_dir=tmp_path), toolkit=copilot_toolkit)  # another app process on the same store
    try:
        thread = one.new_thread().id
        one.send(thread, "What deductible should we offer for commercial auto, NAICS 484121?")
        two.send(thread, "And the limits for general liability for NAICS 722511?")  # two reads it whole, keeps it
        one.send(thread, "What limits for cyber for NAICS 518210?")  # several checkpoints two has not seen
        saver, reads = two.checkpointer, []
        get_tuple = saver.get_tuple
        saver.get_tuple = lambda config: reads.append(config) or get_tuple(config)
        two.send(thread, "What deductible for property for NAICS 722511?")
        # the checkpoint loaded and its parent, then one listing back to the kept one: not one read per checkpoint
        assert len(reads) <= 3, len(reads)
        said = [m["content"] for m in two.history(thread) if m["role"] == "user"]
        assert said == [m["content"] for m in one.history(thread) if m["role"] == "user"] and len(said) == 4
        assert len([m for m in two.history(thread) if m["role"] == "assistant"]) == 4
    finally:
        one.close()
        two.close()
