"""Tool calls a model writes as text (``graph/text_tool_calls.py``): recovered, validated, never shown.

The real replies come from ``tests/data/real_llm/``: cassettes of Qwen2.5-Coder-1.5B-Instruct served by llama.cpp
(``../shared/real-llm/``), replayed through the real model layer with ``Cassette`` (no server needed).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from graph.cassette import Cassette
from graph.llm import LiteLLMModel
from graph.text_tool_calls import Holdback, recover, tool_schemas

REAL = Path(__file__).parent / "data" / "real_llm"
MODEL = "openai/qwen2.5-coder-1.5b-instruct"


def _entries(name: str) -> list[dict]:
    return [json.loads(line) for line in (REAL / name).read_text().splitlines() if line.strip()]


TOOLS = _entries("c01.cassette.jsonl")[0]["request"]["tools"]
SCHEMAS = tool_schemas(TOOLS)
APPETITE = {"naics": "722511", "state": "TX", "lob": "general_liability"}


def _valid(name: str, args: dict) -> bool:
    return not list(Draft202012Validator(SCHEMAS[name]).iter_errors(args))


# --- the forms ---------------------------------------------------------------------------------------------

CALL = {"name": "check_appetite", "arguments": APPETITE}


@pytest.mark.parametrize(
    "text",
    [
        "```json\n" + json.dumps(CALL, indent=2) + "\n```",
        json.dumps(CALL),
        "Let me check that.\n" + json.dumps(CALL),
        "<tool_call>\n" + json.dumps(CALL) + "\n</tool_call>",
        "<tool_call>" + json.dumps(CALL),  # the closing tag cut off
        "<|python_tag|>" + json.dumps({"name": "check_appetite", "parameters": APPETITE}) + "<|eom_id|>",
        json.dumps({"type": "function", "function": {"name": "check_appetite", "arguments": json.dumps(APPETITE)}}),
        "```\n" + json.dumps(CALL) + "\n```",
    ],
    ids=["fenced", "bare", "after-words", "qwen-tags", "open-tag", "python-tag", "openai-shape", "plain-fence"],
)
def test_each_form_is_one_valid_call(text):
    found = recover(text, TOOLS)
    assert found is not None
    assert [(c.name, c.arguments, c.valid) for c in found.calls] == [("check_appetite", APPETITE, True)]
    assert "{" not in found.text and "```" not in found.text and "tool_call" not in found.text


def test_a_list_of_calls_and_several_tags_are_all_recovered_in_order():
    two = [CALL, {"name": "get_limits", "arguments": {"naics": "722511", "lob": "property"}}]
    for text in (json.dumps(two), "".join(f"<tool_call>{json.dumps(c)}</tool_call>\n" for c in two)):
        found = recover(text, TOOLS)
        assert found is not None and [c.name for c in found.calls] == ["check_appetite", "get_limits"]


def test_a_reply_that_is_only_one_tools_arguments_is_that_call():
    args = {"task_type": "small_business", "summary": "Not a small business.", "citations": ["size-standards"]}
    found = recover("```json\n" + json.dumps(args) + "\n```", TOOLS)
    assert found is not None and [(c.name, c.valid) for c in found.calls] == [("record_finding", True)]


@pytest.mark.parametrize(
    "text",
    [
        "Yes — the restaurant is in appetite for general liability [appetite-guide].",
        json.dumps({"name": "get_weather", "arguments": {"city": "Austin"}}),  # not one of our tools
        '{"naics": "722511"}',  # fits several tools' arguments: not one call
        "Use the form {name} with {arguments}.",
        "```python\nprint('hello')\n```",
        "[workers-compensation-qualified] [size-standards]",
        json.dumps([CALL, {"note": "not a call"}]),  # a list that is not all calls
    ],
    ids=["prose", "unknown-tool", "ambiguous-arguments", "braces", "code", "citations", "mixed-list"],
)
def test_text_that_only_looks_like_a_call_stays_text(text):
    assert recover(text, TOOLS) is None


def test_an_empty_object_is_nothing_said():
    from graph.text_tool_calls import is_blank

    assert all(is_blank(t) for t in ("", "{}", " [] ", "```json\n{}\n```"))
    assert not any(is_blank(t) for t in ("No.", '{"a": 1}', "[limits-standard]"))


def test_invalid_arguments_are_flagged_with_the_reason():
    found = recover(json.dumps({"name": "get_limits", "arguments": {"naics": "722511"}}), TOOLS)
    assert found is not None and not found.calls[0].valid and "lob" in (found.calls[0].error or "")


# --- never crashes, never passes an invalid call as valid ----------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
_names = st.sampled_from([*SCHEMAS, "get_weather", ""])
_calls = st.fixed_dictionaries(
    {"name": _names, "arguments": st.dictionaries(st.sampled_from(["naics", "state", "lob", "x"]), _json_values)}
)
_pieces = st.one_of(
    st.text(max_size=40),
    _calls.map(json.dumps),
    _calls.map(lambda c: "```json\n" + json.dumps(c) + "\n```"),
    _calls.map(lambda c: "<tool_call>" + json.dumps(c) + "</tool_call>"),
    _json_values.map(json.dumps),
    st.sampled_from(["```", "<tool_call>", "<|python_tag|>", "{", "[", "}", "]", '"', "\\"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_pieces, max_size=6).map("".join))
def test_any_text_never_crashes_and_a_valid_call_is_valid(text):
    found = recover(text, TOOLS)
    if found is None:
        return
    assert found.calls
    for c in found.calls:
        assert c.name in SCHEMAS and isinstance(c.arguments, dict)
        assert c.valid == _valid(c.name, c.arguments)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters='{}[]`<>\\"'), max_size=60), st.booleans())
def test_a_call_inside_prose_is_found(prose, fenced):
    call = json.dumps(CALL)
    found = recover(prose + ("\n```json\n" + call + "\n```" if fenced else " " + call), TOOLS)
    assert found is not None and [c.name for c in found.calls] == ["check_appetite"]


# --- streaming: what may be a call is held back ------------------------------------------------------------


def _stream(text: str, size: int, show: bool) -> str:
    out: list[str] = []
    hold = Holdback(out.append)
    for i in range(0, len(text), size):
        hold.feed(text[i : i + size])
    hold.finish(show=show)
    return "".join(out)


@pytest.mark.parametrize("size", [1, 3, 7, 1000])
def test_prose_streams_whole_and_a_call_is_never_shown(size):
    prose = "Yes — in appetite for GL [appetite-guide]. Limits are $1,000,000 [limits-standard]."
    assert _stream(prose, size, show=True) == prose
    text = "Checking.\n```json\n" + json.dumps(CALL) + "\n```"
    shown = _stream(text, size, show=False)
    assert "{" not in shown and "`" not in shown and shown.strip() == "Checking."
    assert _stream(text, size, show=True) == text  # not a call after all: shown once the reply is complete


@settings(max_examples=300, deadline=None)
@given(st.lists(_pieces, max_size=6).map("".join), st.integers(min_value=1, max_value=9))
def test_held_text_is_shown_whole_and_once_when_it_is_not_a_call(text, size):
    assert _stream(text, size, show=True) == text
    assert text.startswith(_stream(text, size, show=False))  # what streams before a call is the reply's start


# --- the real model's replies, replayed through the model layer ---------------------------------------------


def _messages(wire: list[dict]):
    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[m["role"]](m["content"]) for m in wire]


FIRST_REQUESTS = sorted(p.name for p in REAL.glob("*.cassette.jsonl"))


@pytest.mark.parametrize("name", FIRST_REQUESTS)
def test_real_replies_with_calls_in_their_text_become_calls(name):
    """Every recorded request replays; a reply that wrote a call as text comes back as that call, never as text."""
    model = LiteLLMModel(MODEL, context_tokens=8192, cassette=Cassette(REAL / name, "replay"))
    for entry in _entries(name):
        request, response = entry["request"], entry["response"]
        if response["finish"] == "length":
            continue  # the cut-off reply: tests/test_providers.py replays it (continuation and overflow)
        shown: list[str] = []
        reply = model.invoke(_messages(request["messages"]), request["tools"], on_token=shown.append)
        expected = recover(response["content"], request["tools"])
        if expected is None:  # a plain answer stays one
            assert not reply.tool_calls and reply.content == response["content"]
            continue
        assert [c["name"] for c in reply.tool_calls] == [c.name for c in expected.calls]
        assert all(c["args"] == e.arguments for c, e in zip(reply.tool_calls, expected.calls, strict=True))
        assert "{" not in reply.content and "{" not in "".join(shown)
        assert reply.response_metadata["tool_calls_from_text"] == len(expected.calls)


def test_the_real_model_wrote_most_calls_as_text():
    """The recorded traffic this module exists for: the replies that hold a call, as text, not tool_calls."""
    replies = [e["response"] for p in REAL.glob("*.cassette.jsonl") for e in _entries(p.name)]
    as_text = [r for r in replies if not r["tool_calls"] and recover(r["content"], TOOLS) is not None]
    assert len(replies) == 19 and len(as_text) == 16 and all(not r["tool_calls"] for r in replies)


# --- UWC_TOOL_CALLING=json: the step schema ---------------------------------------------------------------


def test_the_step_schema_takes_each_real_call_and_an_answer_and_refuses_malformed_steps():
    from graph.json_steps import read_step, step_schema

    check = Draft202012Validator(step_schema(TOOLS))
    recorded = [e["response"]["content"] for p in sorted(REAL.glob("*.cassette.jsonl")) for e in _entries(p.name)]
    calls = [c for text in recorded if (found := recover(text, TOOLS)) for c in found.calls]
    assert len(calls) == 16
    for c in calls:
        step = {"tool": c.name, "arguments": c.arguments}
        assert check.is_valid(step) and read_step(json.dumps(step)) == step
    assert check.is_valid({"answer": "Yes [appetite-guide]."})
    for bad in (
        {"tool": "get_weather", "arguments": {}},
        {"tool": "get_limits", "arguments": {"naics": "722511"}},  # lob missing
        {"answer": ""},
        {"answer": "x", "tool": "get_limits"},
        CALL,  # the native-looking shape is not a step
    ):
        assert not check.is_valid(bad), bad


def test_history_goes_to_a_json_step_server_as_steps_and_results():
    from graph.json_steps import to_json_wire

    wire = [
        {"role": "system", "content": "You are the copilot."},
        {"role": "user", "content": "Limits?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "get_limits", "arguments": '{"naics": "1"}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": '{"per_occurrence": 1000000}'},
        {"role": "assistant", "content": "One million."},
    ]
    out = to_json_wire(wire, TOOLS)
    assert [m["role"] for m in out] == ["system", "user", "assistant", "user", "assistant"]
    assert "get_limits" in out[0]["content"] and "check_appetite" in out[0]["content"]
    assert json.loads(out[2]["content"]) == {"tool": "get_limits", "arguments": {"naics": "1"}}
    assert out[3]["content"].startswith("Result of get_limits:")
    assert json.loads(out[4]["content"]) == {"answer": "One million."}
    assert not any("tool_calls" in m for m in out)
