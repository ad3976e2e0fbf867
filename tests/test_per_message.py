"""What is derived from a history once per message (core/per_message.py) is what deriving it whole gives: as a thread
grows, after a message is replaced under its id, with two threads (sharing a system prompt) in turn, after the
checkpointer hands back equal copies, and in a new process."""

from __future__ import annotations

import json
import random

from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage, SystemMessage, ToolMessage
from langchain_core.messages import convert_to_messages as convert

from core.per_message import Folded, PerMessage
from graph import determination, online_checks, state
from graph.build import _result_names, names_in_results, said_by_underwriter
from graph.offline import reading
from graph.state import for_model, kind, merge_messages
from tools.applicants import established_applicant
from tools.guard import MAX_NAMES, data_names

SYSTEM = SystemMessage("the prompt", id="system")


def _turn(tag: str, k: int, company: str = "umbrella insurance agency") -> list:
    result = {"applicant": {"id": k, "company_name": f"{company} {k}", "naics_code": "722511", "state": "TX"}}
    call = {"id": f"{tag}-c{k}", "name": "lookup_applicant", "args": {"applicant_id": k}, "type": "tool_call"}
    return [
        HumanMessage(f"{tag}: look up applicant {k}", id=f"{tag}-h{k}"),
        AIMessage("", id=f"{tag}-a{k}", tool_calls=[call]),
        ToolMessage(json.dumps(result), tool_call_id=call["id"], name=call["name"], id=f"{tag}-t{k}"),
        AIMessage(f"Applicant {k} found.", id=f"{tag}-f{k}"),
    ]


def _copies(messages: list) -> list:
    """Equal messages, other objects: what the checkpointer hands back for what it read from the store."""
    return [m.model_copy(deep=True) for m in messages]


# --- the derivations as they were written before (each reads the whole history) ----------------------------------
def _merge_whole(current, writes):
    flat = [m for w in writes for m in (w if isinstance(w, list) else [w])]
    merged = list(convert(current))
    at = {m.id: i for i, m in enumerate(merged) if m is not None and m.id is not None}
    for message in convert(flat):
        if message.id is None:
            merged.append(message)
        elif isinstance(message, RemoveMessage):
            if message.id in at:
                merged[at.pop(message.id)] = None
        elif message.id in at:
            merged[at[message.id]] = message
        else:
            at[message.id] = len(merged)
            merged.append(message)
    return [m for m in merged if m is not None]


def _for_model_whole(messages):
    out, answered = [], {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
    for m in messages:
        if kind(m) == "error":
            continue
        out.append(m)
        if isinstance(m, AIMessage):
            out += [("synthetic", c["id"]) for c in m.tool_calls if c["id"] not in answered]
    return out


def _shown(out):
    return [("synthetic", m.tool_call_id) if m.id is None and isinstance(m, ToolMessage) else m for m in out]


def _names_whole(messages):
    names: list[str] = []
    for m in reversed(messages):
        if len(names) >= MAX_NAMES:
            break
        if isinstance(m, ToolMessage) and isinstance(m.content, str):
            names.extend(n for n in _result_names(m.content) if n not in names)
    return names[:MAX_NAMES]


def _fingerprints_whole(messages):
    keys, key = [], 0
    for m in messages:
        key = reading.fingerprint(key, m)
        keys.append(key)
    return keys


def _check_all(history):
    assert _shown(for_model(history)) == _for_model_whole(history)
    assert names_in_results(history) == _names_whole(history)
    said = [m.content for m in history if isinstance(m, HumanMessage) and not kind(m)]
    assert said_by_underwriter(history) == said[-20:]
    assert reading.fingerprints(history) == _fingerprints_whole(history)


def test_a_growing_thread_derives_each_new_message_once():
    calls: list[str] = []
    derive = PerMessage(lambda before, m: calls.append(m.id) or (before or 0) + 1)
    history: list = []
    for k in range(6):
        history = history + _turn("one", k)
        assert derive(history) == list(range(1, len(history) + 1))
    assert calls == [m.id for m in history]  # each message derived once
    assert derive(_copies(history[:4]) + history[4:]) == list(range(1, len(history) + 1))
    assert calls == [m.id for m in history] + [m.id for m in history]  # new first objects: another history, whole


def test_two_threads_in_turn_and_a_message_replaced_under_its_id():
    one, two = [SYSTEM], [SYSTEM]  # the same system prompt first in every conversation
    for k in range(5):
        one, two = one + _turn("one", k), two + _turn("two", k, company="EPLI insurance agency")
        _check_all(one)
        _check_all(two)
    # The guard's correction replaces an answer under its id (a new object); a tool result replaced the same way.
    cleaned = AIMessage("Applicant 2 found, cleaned.", id=one[12].id)
    result = ToolMessage(json.dumps({"name": "umbrella insurance agency 9"}), tool_call_id="one-c4", id="one-t4")
    replaced = merge_messages(merge_messages(one, [[cleaned]]), [[result]])
    assert replaced == _merge_whole(_merge_whole(one, [[cleaned]]), [[result]])
    assert replaced[12] is cleaned and "umbrella insurance agency 9" in names_in_results(replaced)
    assert "umbrella insurance agency 4" in names_in_results(
        one
    ) and "umbrella insurance agency 4" not in names_in_results(replaced)
    _check_all(replaced)
    assert reading.fingerprints(replaced)[12] != reading.fingerprints(one)[12]
    # a dangling call (a crash between the model and the tools) gets its synthetic result, then its real one
    call = {"id": "one-late", "name": "lookup_applicant", "args": {}, "type": "tool_call"}
    dangling = replaced + [HumanMessage("and?", id="one-h9"), AIMessage("", id="one-a9", tool_calls=[call])]
    _check_all(dangling)
    _check_all(dangling + [ToolMessage("{}", tool_call_id="one-late", id="one-t9")])
    # an error note is not shown to a provider
    _check_all(dangling + [AIMessage("model down", id="one-e9", additional_kwargs={"uwc": {"kind": "error"}})])


def test_equal_copies_and_a_new_process_derive_the_same():
    history = [SYSTEM]
    for k in range(4):
        history += _turn("three", k)
    before = (for_model(history), names_in_results(history), reading.fingerprints(history))
    for keeper in (state._for_model_seen, reading.fingerprints, state._indexed):
        (keeper.histories if hasattr(keeper, "histories") else keeper).clear()  # what a new process starts with
    copies = history[:9] + _copies(history[9:])
    assert _shown(for_model(copies)) == _shown(before[0])
    assert (names_in_results(copies), reading.fingerprints(copies)) == before[1:]


def test_the_reducer_is_the_whole_merge_whatever_the_batches():
    rng = random.Random(7)
    for _ in range(40):
        current, reference = [], []
        ids = [f"m{i}" for i in range(12)]
        for _ in range(rng.randint(3, 12)):
            batch = []
            for _ in range(rng.randint(1, 4)):
                pick = rng.random()
                named = [m.id for m in reference if m.id]
                if pick < 0.15 and named:
                    batch.append(RemoveMessage(id=rng.choice(named)))
                elif pick < 0.25:
                    batch.append(HumanMessage(f"no id {rng.random()}"))
                else:
                    batch.append(AIMessage(f"text {rng.random()}", id=rng.choice(ids)))
            earlier = rng.randint(0, len(current))  # the start of a value it returned (a checkpoint's, loaded again)
            assert merge_messages(current[:earlier], [batch]) == _merge_whole(reference[:earlier], [batch])
            current, reference = merge_messages(current, [batch]), _merge_whole(reference, [batch])
            assert current == reference
            assert merge_messages(list(current), []) == reference  # a copy of the value (LangGraph copies channels)


def _before_whole(finding, history):
    tools = [e for e in history if e.get("type") == "tool"]
    position = next((i for i, e in enumerate(tools) if e is finding), len(tools))
    before = [e for e in tools[:position] if e.get("ok")]
    names: list[str] = []
    for e in before:
        data_names(e.get("result"), names)
    found = (
        established_applicant(e["arguments"], e["result"]) for e in reversed(before) if e["tool"] == "find_applicant"
    )
    return names, next((a for a in found if a), None), {e["tool"]: e for e in before}


def _events(tag: str, k: int) -> list[dict]:
    found = {"applicant": {"id": k, "company_name": f"umbrella insurance agency {tag} {k}", "naics_code": "722511"}}
    return [
        {"type": "model", "tool_calls": 1},
        {
            "type": "tool",
            "tool": "find_applicant",
            "ok": k % 3 != 1,
            "arguments": {"name_or_id": found["applicant"]["company_name"]},
            "result": found,
        },
        {"type": "tool", "tool": "check_appetite", "ok": True, "arguments": {"naics": str(k)}, "result": {"name": "x"}},
        {"type": "tool", "tool": "record_finding", "ok": True, "arguments": {}, "result": {"task_type": "appetite"}},
    ]


def test_a_records_reading_of_earlier_events_is_the_whole_walk():
    one, two = [], []
    for k in range(8):
        one, two = one + _events("one", k), two + _events("two", k)
        for history in (one, two):
            finding = history[-1]
            got = determination._before(finding, history)
            assert (got.names, got.applicant, got.last) == _before_whole(finding, history)
            steps = [e for e in history if e["type"] == "tool"]
            facts = online_checks.facts_from_steps(steps)
            assert facts == _facts_whole(steps) and list(facts) == list(_facts_whole(steps))
    # a finding earlier in the history reads only what came before it; a result changed in a copy is read again
    assert determination._before(one[7], one).names == _before_whole(one[7], one)[0]
    assert "umbrella insurance agency one 6" in determination._before(one[-1], one).names
    changed = dict(one[25], result={"applicant": {"id": 99, "company_name": "EPLI insurance agency 99"}})  # k = 6
    copy = one[:25] + [changed] + one[26:]
    got = determination._before(copy[-1], copy)
    assert (got.names, got.applicant, got.last) == _before_whole(copy[-1], copy)
    assert got.applicant["id"] == 99 and "umbrella insurance agency one 6" not in got.names


def _facts_whole(steps):
    facts: dict = {}
    for e in steps:
        online_checks._add_step_facts(facts, e)
    return facts


def test_a_fold_returns_a_state_the_caller_may_change():
    fold = Folded(list, lambda acc, x: acc.append(x), list)
    items = [1, 2, 3]
    first = fold(items)
    first.append("changed by the caller")
    assert fold(items + [4]) == [1, 2, 3, 4]
    assert fold([1, 2]) == [1, 2]  # shorter than what is kept: folded again


def _sources_whole(facts, user_messages, catalog):
    """``fact_sources`` as written before: every search over every user message."""
    from graph.offline.facts import parse

    def read(i, asked):
        try:
            return parse(user_messages[i][1], catalog, asked).facts
        except Exception:
            return {}

    out = {}
    for key, value in facts.items():
        same = lambda a, k=key, v=value: determination._same(k, a, v, catalog)  # noqa: E731
        hit = next((i for i in range(len(user_messages)) if same(read(i, None).get(key))), None)
        if hit is None:
            short = [i for i, (_, t) in enumerate(user_messages) if len(t) <= determination.BARE_ANSWER]
            hit = next((i for i in short if same(read(i, key).get(key))), None)
        if hit is None and isinstance(value, str) and len(value) >= 3:
            hit = next((i for i, (_, t) in enumerate(user_messages) if value.casefold() in t.casefold()), None)
        out[key] = user_messages[hit][0] if hit is not None else determination.TOOL_ARGUMENT
    return out


def test_where_a_fact_was_stated_is_found_as_the_conversation_grows(catalog):
    said = [
        "Can you check if this one is in the small business bucket?",
        "Revenue is about $4.5M",
        "It's a full-service restaurant, NAICS 722511",
        "4.5M",
        "Texas",
        "They operate in TX, revenue $4,500,000",
    ]
    facts = {"naics": "722511", "annual_revenue": 4500000, "state": "TX", "company": "Blue Fin Grill"}

    def sources(user_messages):
        got = determination.fact_sources(facts, None, user_messages, catalog)
        return {k: v.get("message_id", v["source"]) for k, v in got.items()}

    for tag in ("one", "two"):  # two conversations, in turn
        user_messages = []
        for n, text in enumerate(said):
            user_messages = user_messages + [(f"{tag}-{n}", text)]
            assert sources(user_messages) == _sources_whole(facts, user_messages, catalog)
    # a message changed under its id: searched again
    changed = [("one-0", "Blue Fin Grill, NAICS 722511, in TX")] + [(f"one-{n}", t) for n, t in enumerate(said)][1:]
    assert sources(changed) == _sources_whole(facts, changed, catalog)
    assert sources(changed)["naics"] == "one-0"


def test_the_reducer_keeps_a_few_lengths_of_a_history():
    from core.per_message import LENGTHS_KEPT

    state._indexed.clear()
    merged: list = []
    for k in range(30):
        merged = merge_messages(merged, [_turn("long", k)])
    ours = [key for key in state._indexed._kept if key[:-1] == tuple(map(id, merged[:2]))]
    assert sorted(key[-1] for key in ours) == [len(merged) - 4 * i for i in range(LENGTHS_KEPT)][::-1]
