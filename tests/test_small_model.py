"""UWC_PROFILE=small (``graph/small_model.py``): a small model chooses the tool; the harness grounds its arguments in
the conversation, asks for missing facts, and writes the answer from the result when the model's words miss it."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from graph.small_model import LEAN_TOOLS, lean_tools
from tests.fakes import ScriptedModel, tool_call


@pytest.fixture
def small_copilot(tmp_path, copilot_toolkit):
    from core.settings import get_settings
    from graph.copilot import Copilot

    made = []

    def make(model):
        cp = Copilot(get_settings(data_dir=tmp_path, profile="small"), model=model, toolkit=copilot_toolkit)
        made.append(cp)
        return cp

    yield make
    for cp in made:
        cp.close()


def _after_last_human(messages):
    i = max(i for i, m in enumerate(messages) if isinstance(m, HumanMessage))
    return messages[i + 1 :]


def _calls_then_says(name: str, args: dict, said: str) -> ScriptedModel:
    """A model that calls ``name`` with ``args`` on each underwriter turn, then answers ``said`` once it has a
    tool result."""

    def model_turn(messages):
        if not any(isinstance(m, ToolMessage) for m in _after_last_human(messages)):
            return tool_call(name, args)
        return AIMessage(said)

    return ScriptedModel(model_turn)


def test_lean_tools_are_the_deciding_ones_without_examples_or_required_facts(toolkit):
    lean = lean_tools(toolkit.openai_schemas())
    assert [t["function"]["name"] for t in lean] == list(LEAN_TOOLS)
    for t in lean:
        fn = t["function"]
        assert "e.g." not in fn["description"] and "\n" not in fn["description"]
        assert not {"naics", "state", "lob", "annual_revenue"} & set(fn["parameters"]["properties"])
    assert len(str(lean)) < len(str(toolkit.openai_schemas())) / 3


def test_invented_facts_are_dropped_and_the_harness_asks_for_them_without_a_model_call(small_copilot):
    """The model passes a NAICS code, a state and a revenue nobody gave: none reaches the tool; the question the
    tool cannot run without is asked by code, and the model is called once."""

    def model_turn(messages):
        return tool_call(
            "check_appetite", {"naics": "541511", "state": "TX", "lob": "property", "annual_revenue": "9M"}
        )

    model = ScriptedModel(model_turn)
    cp = small_copilot(model)
    thread = cp.new_thread()
    r = cp.send(thread.id, "Can we write property for Quillfeather Bindery?")
    assert model.calls == 1
    assert r.steps == []  # no tool ran on invented facts
    grounding = [e for e in r.events if e["type"] == "grounding"]
    assert grounding and set(grounding[0]["dropped"]) == {"naics", "state", "annual_revenue"}
    assert "What does the business do?" in r.answer and "Which state" in r.answer


def test_stated_facts_fill_the_call_and_an_unreadable_answer_is_written_from_the_result(small_copilot):
    """The underwriter gave the code, the state and the figures; the model calls the tool with none of them and
    then answers with words the reader cannot grade: the answer comes from the tool's result, and the finding
    is recorded by code."""

    cp = small_copilot(
        _calls_then_says("check_appetite", {"lob": "general liability"}, "Here is what the tool said, see above.")
    )
    thread = cp.new_thread()
    r = cp.send(
        thread.id,
        "Is a full-service restaurant in Oregon, NAICS 722511, revenue $2.8 million, 34 employees, in appetite for GL?",
    )
    call = next(s for s in r.steps if s["tool"] == "check_appetite")
    assert call["arguments"]["naics"] == "722511" and call["arguments"]["state"] == "OR"
    assert call["result"]["appetite"] == "yes"
    assert r.answer.startswith("In appetite for General Liability")
    assert r.finding and r.finding["appetite"] == "yes" and r.finding["task_type"] == "appetite"
    assert any(e["type"] == "harness" and e["rewritten"] for e in r.events)


def test_a_right_answer_in_the_models_words_is_kept(small_copilot):
    cp = small_copilot(
        _calls_then_says(
            "get_deductible",
            {"naics": "722511", "lob": "property"},
            "The property deductible is $500 [deductibles-standard].",
        )
    )
    r = cp.send(cp.new_thread().id, "Deductible for property on NAICS 722511?")
    assert r.answer == "The property deductible is $500 [deductibles-standard]."
    assert r.finding and r.finding["deductible"] == 500


def test_a_description_is_classified_when_no_code_was_given(small_copilot):
    cp = small_copilot(_calls_then_says("get_limits", {"lob": "general liability"}, "ok"))
    thread = cp.new_thread()
    r = cp.send(thread.id, "What GL limits for a sit-down restaurant with table service and a bar?")
    call = next(s for s in r.steps if s["tool"] == "get_limits")
    assert call["arguments"]["naics"].startswith("7225")
    assert r.finding and r.finding["per_occurrence"] > 0


def test_the_full_profile_is_unchanged(make_copilot):
    model = ScriptedModel(lambda m: AIMessage("Hello."))
    cp = make_copilot(model)
    assert cp.send(cp.new_thread().id, "hi").answer == "Hello."


def test_a_json_step_schema_keeps_a_property_named_description(toolkit):
    from graph.json_steps import step_schema

    lean = lean_tools(toolkit.openai_schemas())
    option = next(
        o for o in step_schema(lean)["anyOf"] if o["properties"].get("tool", {}).get("const") == "classify_business"
    )
    assert "description" in option["properties"]["arguments"]["properties"]


@pytest.mark.integration
def test_the_first_step_of_a_turn_must_call_a_tool_and_later_steps_may_answer(small_copilot, monkeypatch):
    """json steps under UWC_PROFILE=small: the schema of a turn's first request offers only tool calls (the server
    enforces it), so a small model cannot answer from memory; the next request may answer."""
    import json

    from graph.llm import LiteLLMModel
    from tests.fakes import OpenAIServer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-local")

    def script(body):
        options = body["response_format"]["json_schema"]["schema"]["anyOf"]
        if not any("answer" in o["properties"] for o in options):
            return {"content": json.dumps({"tool": "get_deductible", "arguments": {"naics": "722511", "lob": "bop"}})}
        return {"content": json.dumps({"answer": "It is $1,000 [deductibles-standard]."})}

    with OpenAIServer(script) as server:
        model = LiteLLMModel("openai/scripted", api_base=server.url, stream=False, retries=0, tool_calling="json")
        cp = small_copilot(model)
        r = cp.send(cp.new_thread().id, "What deductible for a BOP on a full-service restaurant, NAICS 722511?")
    first, second = (q["body"] for q in server.requests)
    assert not any("answer" in o["properties"] for o in first["response_format"]["json_schema"]["schema"]["anyOf"])
    assert any("answer" in o["properties"] for o in second["response_format"]["json_schema"]["schema"]["anyOf"])
    assert "check_appetite" in first["messages"][0]["content"] and "run_sql" not in first["messages"][0]["content"]
    assert [s["tool"] for s in r.steps] == ["get_deductible", "record_finding"]
    assert r.finding["deductible"] == r.steps[0]["result"]["deductible"]


def test_an_applicant_named_by_id_gives_its_record_even_when_the_model_skips_the_lookup(small_copilot, toolkit):
    record = toolkit.call("find_applicant", {"name_or_id": "APP-0042"}).result["applicant"]

    cp = small_copilot(_calls_then_says("get_limits", {"lob": "property"}, "See the limits."))
    r = cp.send(cp.new_thread().id, "Property limits for APP-0042?")
    call = next(s for s in r.steps if s["tool"] == "get_limits")
    assert call["arguments"]["naics"] == record["naics_code"]
    assert r.finding and r.finding["per_occurrence"] == call["result"]["per_occurrence"]


def test_an_answer_cut_at_the_length_limit_keeps_its_words():
    from graph.json_steps import read_step

    assert read_step('{"answer": "In appetite for Cyber [cyber-appetite]. The rule \\"A\\" appl') == {
        "answer": 'In appetite for Cyber [cyber-appetite]. The rule "A" appl'
    }
    assert read_step('{"tool": "get_limits", "argu') is None


def test_a_description_the_model_made_up_is_not_classified(small_copilot):
    """The real model classified the insurer's own name from its prompt: a description nobody wrote is dropped and
    the underwriter is asked what the business does."""
    model = ScriptedModel(lambda m: tool_call("classify_business", {"description": "Pennyworth Holdings Group"}))
    cp = small_copilot(model)
    r = cp.send(cp.new_thread().id, "What's the NAICS for Tallowmere?")
    assert r.steps == [] and "What does the business do?" in r.answer
    assert any(e["type"] == "grounding" and "description" in e["dropped"] for e in r.events)
