"""The checkpointer keeps each thread's state as last loaded (``graph/checkpoints.py``): whatever it keeps, every
load gives what a checkpointer that keeps nothing reads from the store, with two processes' copilots taking turns
on one thread, at every earlier checkpoint of it, after a caller changed what it was given, and past the snapshots
LangGraph stores, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.sqlite import SqliteSaver

from tests.fakes import ScriptedModel
from tests.pg import pg_url  # noqa: F401


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


@pytest.fixture
def small_snapshots(monkeypatch):
    """LangGraph stores a delta channel's whole value every 3 writes (500 in the app), so a few turns pass several.
    (The state's annotations are evaluated when a graph is built, reading the constant then.)"""
    monkeypatch.setattr("graph.state.SNAPSHOT_EVERY", 3)


def _with_a_tool_call(messages):
    """A turn of three steps: a tool call, its result, an answer (so a turn writes several checkpoints)."""
    if isinstance(messages[-1], ToolMessage):
        return AIMessage(f"answer {len(messages)}")
    call = {"name": "list_tables", "args": {}, "id": f"call-{len(messages)}", "type": "tool_call"}
    return AIMessage("", tool_calls=[call])


def _full_reads(monkeypatch, saver_class) -> list[int]:
    """Counts the loads a keeping checkpointer hands to the saver's own read (from a snapshot or the thread's
    start); the plain checkpointer's reads are not counted."""
    reads: list[int] = []
    own = saver_class.get_delta_channel_history

    def counted(self, *, config, channels):
        if type(self) is not saver_class:
            reads.append(1)
        return own(self, config=config, channels=channels)

    monkeypatch.setattr(saver_class, "get_delta_channel_history", counted)
    return reads


def _snapshots(graph, config) -> int:
    """How many of the thread's checkpoints hold a snapshot of the messages or the events."""
    stored = graph.checkpointer.list(config)
    return sum(any(ch in tup.checkpoint["channel_values"] for ch in ("messages", "events")) for tup in stored)


def _turns_past_snapshots(graphs, plain, monkeypatch, saver_class) -> None:
    """Turns by ``graphs`` in turn on one thread: each load, by either, reads what ``plain`` reads from the store,
    and after each one's first load the saver never reads the thread itself, snapshots or not."""
    config = {"configurable": {"thread_id": "long"}, "recursion_limit": 40}
    for g in graphs:
        g.invoke({"messages": [HumanMessage("first")]}, config)
    for g in graphs:  # each "process" loads the thread once (the saver reads it: nothing kept yet)
        g.get_state(config)
    reads = _full_reads(monkeypatch, saver_class)
    for n in range(8):
        graphs[n % len(graphs)].invoke({"messages": [HumanMessage(f"question {n}")]}, config)
        expected = _dump(plain.get_state(config).values)
        for g in graphs:
            assert _dump(g.get_state(config).values) == expected
    assert len(expected[0]) == 4 * (8 + len(graphs))  # question, call, result, answer
    assert _snapshots(plain, config) >= 6  # the loads passed stored snapshots
    assert reads == []


def test_loads_pass_stored_snapshots_without_reading_the_thread_again(
    copilot_toolkit, tmp_path, small_snapshots, monkeypatch
):
    import sqlite3

    from graph.build import build_graph
    from graph.checkpoints import open_checkpointer

    model = ScriptedModel(_with_a_tool_call)
    path = tmp_path / "checkpoints.db"
    graphs = [build_graph(model, copilot_toolkit, open_checkpointer(path)) for _ in range(2)]
    conn = sqlite3.connect(path, check_same_thread=False)
    try:
        plain = build_graph(model, copilot_toolkit, SqliteSaver(conn))
        _turns_past_snapshots(graphs, plain, monkeypatch, SqliteSaver)
    finally:
        conn.close()
        for g in graphs:
            g.checkpointer.conn.close()


def test_loads_pass_stored_snapshots_on_postgres(copilot_toolkit, pg_url, small_snapshots, monkeypatch):  # noqa: F811
    import psycopg
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row

    from core.database import libpq_url
    from graph.build import build_graph
    from graph.checkpoints import open_checkpointer

    model = ScriptedModel(_with_a_tool_call)
    graphs = [build_graph(model, copilot_toolkit, open_checkpointer(pg_url)) for _ in range(2)]
    conn = psycopg.connect(libpq_url(pg_url), autocommit=True, row_factory=dict_row)
    try:
        plain = build_graph(model, copilot_toolkit, PostgresSaver(conn))
        _turns_past_snapshots(graphs, plain, monkeypatch, PostgresSaver)
    finally:
        conn.close()
        for g in graphs:
            g.checkpointer.conn.close()
