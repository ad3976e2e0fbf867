"""The agent graph with scripted tool-calling models: a correct one, an inventing one, a looping one, one that
recovers from bad arguments, one whose calls fail; and the real litellm HTTP path against a local server."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage, ToolMessage

from graph.build import MAX_CONSECUTIVE_ERRORS, MAX_TOOL_CALLS
from graph.copilot import InputRejected
from graph.llm import LiteLLMModel
from graph.state import current_turn, merge_messages
from graph.threads import ThreadNotFound
from tests.fakes import OpenAIServer, ScriptedModel, tool_call, tool_results

APPETITE_ARGS = {"naics": "484121", "state": "TX", "lob": "auto", "vehicles": 21, "annual_revenue": 6_000_000}
FINDING_ARGS = {
    "task_type": "appetite",
    "appetite": "no",
    "summary": "More than 20 vehicles.",
    "citations": ["auto-qualified"],
}


@pytest.fixture
def copilot_toolkit(db_toolkit):  # these tests need no search index
    return db_toolkit


def test_the_messages_reducer_replaces_removes_and_folds_in_any_batches():
    """The checkpoint replays saved writes in batches of its choosing: every split must give the same history."""
    writes = [
        [HumanMessage("asked", id="1"), AIMessage("first draft", id="2")],
        ToolMessage("result", tool_call_id="t", id="3"),
        [AIMessage("corrected", id="2")],
        [RemoveMessage(id="1"), RemoveMessage(id="not there")],
        [AIMessage("answer", id="4")],
    ]
    whole = merge_messages([], writes)
    assert [(m.id, m.content) for m in whole] == [("2", "corrected"), ("3", "result"), ("4", "answer")]
    for cut in range(len(writes) + 1):
        assert merge_messages(merge_messages([], writes[:cut]), writes[cut:]) == whole


def correct(messages):
    turn = current_turn(messages)
    results = tool_results(turn)
    if not results:
        return tool_call("check_appetite", APPETITE_ARGS)
    if len(results) == 1:
        return tool_call("record_finding", FINDING_ARGS, 2)
    return AIMessage("No — 21 vehicles is over the limit of 20 for auto [auto-qualified].")


def test_correct_model_answers_and_records_a_finding(make_copilot):
    cp = make_copilot(ScriptedModel(correct))
    t = cp.new_thread()
    events = []
    r = cp.send(
        t.id, "Trucking company in Texas, 21 trucks, $6M revenue: in appetite for auto?", on_event=events.append
    )
    assert r.answer.startswith("No") and r.error is None
    assert [s["tool"] for s in r.steps] == ["check_appetite", "record_finding"]
    assert r.steps[0]["result"]["appetite"] == "no"
    assert r.finding["appetite"] == "no" and r.finding["citations"] == ["auto-qualified"]
    assert [e["type"] for e in events].count("tool") == 2 and any(e["type"] == "token" for e in events)
    history = cp.history(t.id)
    assert [m["role"] for m in history] == ["user", "assistant"] and history[1]["finding"]["appetite"] == "no"


def inventor(messages):
    turn = current_turn(messages)
    if not tool_results(turn):
        return tool_call("check_appetite", {**APPETITE_ARGS, "lob": "umbrella"})
    return AIMessage("Auto is declined. You could also add an umbrella policy and EPLI for them.")


def test_guard_stops_invented_products_in_arguments_and_answers(make_copilot):
    model = ScriptedModel(inventor, is_llm=True)
    cp = make_copilot(model)
    t = cp.new_thread()
    r = cp.send(t.id, "what else can we offer?")
    assert r.steps[0]["ok"] is False and r.steps[0]["error_kind"] == "guard_rejected"
    assert "umbrella" not in r.answer.lower().replace("[removed: umbrella is not a product we write]", "")
    assert "Auto is declined." in r.answer
    assert any("umbrella" in n for n in r.notices) and any("employment practices" in n for n in r.notices)
    guard = [e for e in r.events if e["type"] == "guard"]
    assert [g["where"] for g in guard] == ["tool_argument", "answer", "answer"]
    assert [g.get("action") for g in guard[1:]] == ["correction", "removed"]
    # The corrected answer replaced the offending one: neither it nor the correction note stays in the history.
    state = cp.graph.get_state(cp._config(t.id)).values["messages"]
    assert not any(m.additional_kwargs.get("uwc", {}).get("kind") == "guard_correction" for m in state)
    assert not any("umbrella policy" in str(m.content) for m in state)
    assert [m["role"] for m in cp.history(t.id)] == ["user", "assistant"]
    assert model.calls == 3  # tool call, answer, corrected answer


def test_no_checkpoint_of_a_turn_holds_the_answer_before_its_guard(make_copilot):
    """The answer is guarded in the step that writes it: no checkpoint, even one a crash would resume from, holds
    the offer the guard removed, and the turn takes no step after the agent's answer."""
    cp = make_copilot(ScriptedModel(inventor, is_llm=False))
    t = cp.new_thread()
    r = cp.send(t.id, "what else?")
    assert "umbrella" not in r.answer.lower().replace("[removed: umbrella is not a product we write]", "")
    saved = list(cp.graph.get_state_history(cp._config(t.id)))
    assert not any("umbrella policy" in str(m.content) for s in saved for m in s.values.get("messages", []))
    assert saved[0].metadata["source"] == "loop" and not saved[0].next
    assert [s.next for s in saved[1:]] and all("answer_guard" not in s.next for s in saved)


def test_offline_style_model_is_marked_not_corrected(make_copilot):
    cp = make_copilot(ScriptedModel(inventor, is_llm=False))
    t = cp.new_thread()
    r = cp.send(t.id, "what else?")
    assert [e.get("action") for e in r.events if e["type"] == "guard" and e["where"] == "answer"] == ["removed"]


def test_looping_model_is_stopped_plainly(make_copilot):
    n = iter(range(1000))
    cp = make_copilot(ScriptedModel(lambda m: (lambda k: tool_call("calculate", {"expression": f"1+{k}"}, k))(next(n))))
    t = cp.new_thread()
    r = cp.send(t.id, "loop please")
    assert len(r.steps) == MAX_TOOL_CALLS
    assert "stopped after 12 tool calls" in r.answer
    # The next turn starts with a fresh budget.
    r2 = cp.send(t.id, "again")
    assert len(r2.steps) == MAX_TOOL_CALLS


def test_bad_arguments_then_recovery(make_copilot):
    def recovering(messages):
        results = tool_results(current_turn(messages))
        if not results:
            return tool_call("check_appetite", {"naics": "4841", "state": "Texas", "lob": "auto"})
        if len(results) == 1:
            assert json.loads(results[0].content)["error"]  # the model sees what was wrong
            return tool_call("check_appetite", APPETITE_ARGS, 2)
        return AIMessage("No — over 20 vehicles [auto-qualified].")

    cp = make_copilot(ScriptedModel(recovering))
    r = cp.send(cp.new_thread().id, "auto for this trucker?")
    assert [s["ok"] for s in r.steps] == [False, True] and r.answer.startswith("No")


def test_consecutive_errors_stop_the_turn(make_copilot):
    n = iter(range(1000))
    cp = make_copilot(ScriptedModel(lambda m: tool_call("get_limits", {"naics": "bad", "lob": "auto"}, next(n))))
    r = cp.send(cp.new_thread().id, "limits?")
    assert len(r.steps) == MAX_CONSECUTIVE_ERRORS and "failed tool calls in a row" in r.answer


def test_every_tool_call_gets_a_result_even_after_a_crash(make_copilot):
    seen = {}

    def check(messages):
        calls = {c["id"] for m in messages if isinstance(m, AIMessage) for c in m.tool_calls}
        answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
        seen["calls"], seen["answered"] = calls, answered
        return AIMessage("done")

    cp = make_copilot(ScriptedModel(check))
    t = cp.new_thread()
    # A process that died between the model's tool call and the tool node leaves a dangling call behind.
    cp.graph.update_state(
        cp._config(t.id),
        {"messages": [HumanMessage("hi"), tool_call("get_limits", {"naics": "522110", "lob": "cyber"}, 99)]},
        as_node="agent",
    )
    assert cp.send(t.id, "continue").answer == "done"
    assert seen["calls"] == {"call_get_limits_99"} and seen["calls"] <= seen["answered"]


def test_input_rules(make_copilot):
    cp = make_copilot(ScriptedModel(correct))
    t = cp.new_thread()
    with pytest.raises(InputRejected, match="empty"):
        cp.send(t.id, "   ")
    with pytest.raises(InputRejected, match="8,000"):
        cp.send(t.id, "x" * 8001)
    with pytest.raises(ThreadNotFound):
        cp.send("nope", "hello")


def test_threads_list_rename_delete(make_copilot):
    cp = make_copilot(ScriptedModel(lambda m: AIMessage("ok")))
    a = cp.new_thread()
    cp.send(a.id, "First question about a bakery")
    b = cp.new_thread()
    assert cp.threads.get(a.id).title == "First question about a bakery"
    assert {t.id for t in cp.threads.list()} >= {a.id, b.id}
    assert cp.threads.rename(a.id, "Bakery").title == "Bakery"
    cp.threads.delete(a.id, cp.checkpointer)
    assert a.id not in {t.id for t in cp.threads.list()}
    assert cp.graph.get_state(cp._config(a.id)).values == {}
    with pytest.raises(ThreadNotFound):
        cp.send(a.id, "Still there?")


def test_a_thread_deleted_by_another_process_is_not_found_and_gets_nothing(make_copilot):
    """A turn on a thread this process has seen skips the read before its lock: the touch inside the lock finds
    the thread gone all the same, before the message is stored."""
    from graph.threads import ThreadStore

    cp = make_copilot(ScriptedModel(lambda m: AIMessage("ok")))
    t = cp.new_thread()
    cp.send(t.id, "First question")
    other = ThreadStore(cp.threads_url)  # another process's store
    try:
        other.delete(t.id)
    finally:
        other.close()
    with pytest.raises(ThreadNotFound):
        cp.send(t.id, "Second question")
    said = [m.content for m in cp.graph.get_state(cp._config(t.id)).values["messages"]]
    assert "First question" in said and "Second question" not in said


# --- the real litellm HTTP path -------------------------------------------------------------------------


def server_script(body):
    msgs = body["messages"]
    assert msgs[0]["role"] == "system" and body["tools"]
    since_user = msgs[max(i for i, m in enumerate(msgs) if m["role"] == "user") + 1 :]
    tool_msgs = [m for m in since_user if m["role"] == "tool"]
    user_turns = sum(m["role"] == "user" for m in msgs)
    if user_turns == 1:
        return {"content": "Which state is the trucking company in, and how many vehicles?"}
    if not tool_msgs:
        return {"tool_calls": [("check_appetite", APPETITE_ARGS)]}
    if len(tool_msgs) == 1:
        assert json.loads(tool_msgs[0]["content"])["appetite"] == "no"
        return {"tool_calls": [("record_finding", FINDING_ARGS)]}
    return {"content": "No — 21 vehicles is over the limit of 20 for auto [auto-qualified]."}


@pytest.mark.integration
@pytest.mark.parametrize("stream", [False, True])
def test_litellm_over_http_multi_turn(make_copilot, stream, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-123456")
    with OpenAIServer(server_script) as server:
        model = LiteLLMModel("openai/scripted", api_base=server.url, stream=stream, retries=0)
        cp = make_copilot(model)
        t = cp.new_thread()
        tokens = []
        r1 = cp.send(
            t.id,
            "Is this trucker in appetite for auto?",
            on_event=lambda e: e["type"] == "token" and tokens.append(e["text"]),
        )
        assert "Which state" in r1.answer and r1.steps == []
        r2 = cp.send(t.id, "Texas, 21 trucks, $6M revenue")
        assert [s["tool"] for s in r2.steps] == ["check_appetite", "record_finding"]
        assert r2.finding["appetite"] == "no" and r2.answer.startswith("No")
        assert tokens  # streamed (or replayed) text reached the caller
        assert len(server.requests) == 4
        last = server.requests[-1]["body"]["messages"]
        assert [m["role"] for m in last].count("tool") == 2  # the whole history went to the provider
        assert model.usage and model.usage[-1]["prompt_tokens"] == 100


@pytest.mark.integration
def test_provider_failures_retry_then_give_one_clear_message(make_copilot, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-123456")
    failures = {"n": 0}

    def flaky(body):
        failures["n"] += 1
        return {"status": 503} if failures["n"] <= 2 else {"content": "Recovered."}

    with OpenAIServer(flaky) as server:
        cp = make_copilot(LiteLLMModel("openai/scripted", api_base=server.url, stream=False, retries=2, backoff=0))
        t = cp.new_thread()
        assert cp.send(t.id, "hello").answer == "Recovered."
    with OpenAIServer(lambda body: {"status": 503}) as server:
        cp = make_copilot(LiteLLMModel("openai/scripted", api_base=server.url, stream=False, retries=1, backoff=0))
        t = cp.new_thread()
        r = cp.send(t.id, "hello again")
        assert r.error and "unavailable" in r.error and "Traceback" not in r.error
        assert [m["role"] for m in cp.history(t.id)] == ["user", "assistant"]  # the conversation is kept
        assert len(server.requests) == 2


@pytest.mark.integration
def test_missing_key_names_the_variable(make_copilot, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with OpenAIServer(lambda body: {"status": 401}) as server:
        cp = make_copilot(LiteLLMModel("openai/scripted", api_base=server.url, stream=False, retries=0))
        r = cp.send(cp.new_thread().id, "hello")
    assert "OPENAI_API_KEY" in r.error


@pytest.mark.integration
def test_cassette_records_then_replays_without_the_server(make_copilot, tmp_path, monkeypatch):
    from graph.cassette import Cassette, CassetteMiss

    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value-that-must-not-leak")
    cassette = tmp_path / "demo.jsonl"
    with OpenAIServer(server_script) as server:
        model = LiteLLMModel(
            "openai/scripted", api_base=server.url, stream=False, cassette=Cassette(cassette, "record")
        )
        cp = make_copilot(model)
        t = cp.new_thread()
        cp.send(t.id, "Is this trucker in appetite for auto?")
        recorded = cp.send(t.id, "Texas, 21 trucks, $6M revenue")
    text = cassette.read_text()
    assert "sk-secret" not in text and len(text.splitlines()) == 4
    replay_model = LiteLLMModel(
        "openai/scripted", api_base="http://127.0.0.1:9", stream=False, cassette=Cassette(cassette, "replay")
    )
    cp2 = make_copilot(replay_model)
    t2 = cp2.new_thread()
    cp2.send(t2.id, "Is this trucker in appetite for auto?")
    replayed = cp2.send(t2.id, "Texas, 21 trucks, $6M revenue")
    assert replayed.answer == recorded.answer and replayed.finding == recorded.finding
    with pytest.raises(CassetteMiss, match="not found|no recorded response"):
        cp2.send(t2.id, "something never recorded")


@pytest.mark.slow  # a fresh interpreter imports the whole stack
def test_conversation_resumes_in_a_new_process(seeded, tmp_path, capsys, monkeypatch):
    """`uwc chat` here, then `--thread` in a new process: the history is there and the talk goes on."""
    import io
    import shutil

    from app.cli import main

    data = tmp_path / "var"
    shutil.copytree(seeded["dir"], data)
    # the first process is this one (a second interpreter start would add seconds and test nothing more)
    monkeypatch.setattr("sys.stdin", io.StringIO("hello there\n"))
    assert main(["chat", "--data-dir", str(data)]) == 0
    thread_id = capsys.readouterr().out.split("--thread ")[1].split(")")[0].strip()
    second = subprocess.run(
        [sys.executable, "-m", "app.cli", "chat", "--data-dir", str(data), "--thread", thread_id],
        input="second message\n",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert second.returncode == 0, second.stderr
    assert "hello there" in second.stdout and "second message" in second.stdout
    # an unknown id is one readable line
    assert main(["chat", "--data-dir", str(data), "--thread", "does-not-exist"]) == 2
    err = capsys.readouterr().err
    assert "no conversation with id" in err and "Traceback" not in err


@pytest.mark.integration
def test_fallback_model_answers_when_the_primary_is_down(make_copilot, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-123456")
    with OpenAIServer(
        lambda body: {"status": 503} if body["model"] == "primary" else {"content": "From the fallback."}
    ) as server:
        model = LiteLLMModel(
            "openai/primary",
            api_base=server.url,
            fallback_model="openai/backup",
            fallback_api_base=server.url,  # the fallback has its own base URL (here: the same server)
            stream=False,
            retries=1,
            backoff=0,
        )
        cp = make_copilot(model)
        r = cp.send(cp.new_thread().id, "hello")
    assert r.answer == "From the fallback." and r.error is None
    assert [req["body"]["model"] for req in server.requests] == ["primary", "primary", "backup"]
    assert model.usage[-1]["model"] == "openai/backup"


# --- citations ---------------------------------------------------------------------------------------------


def test_an_invented_section_id_is_removed_and_noted_a_real_one_kept(make_copilot):
    """The real model cited [workers_compensation-monopolistic-qualified]: no such section."""
    from guidelines import load_sections

    ids = {s.id for s in load_sections()}
    invented = "workers_compensation-monopolistic-qualified"
    assert invented not in ids and "monopolistic-states" in ids
    said = f"Monopolistic states write their own workers comp [monopolistic-states] [{invented}]."
    cp = make_copilot(ScriptedModel(lambda m: AIMessage(said)))
    r = cp.send(cp.new_thread().id, "What do the guidelines say about monopolistic states?")
    assert r.answer == "Monopolistic states write their own workers comp [monopolistic-states]."
    assert any(invented in n for n in r.notices)
    assert [e["unknown"] for e in r.events if e["type"] == "citation"] == [[invented]]


def test_a_decline_citing_an_id_named_after_a_product_is_not_cut(make_copilot):
    said = "We do not write umbrella or EPLI [products-not-written] [umbrella_unwritten]."
    cp = make_copilot(ScriptedModel(lambda m: AIMessage(said), is_llm=False))
    r = cp.send(cp.new_thread().id, "Can we write an umbrella?")
    assert r.answer == "We do not write umbrella or EPLI [products-not-written]."
    assert not [e for e in r.events if e["type"] == "guard"]


def test_an_answer_quoting_the_underwriters_words_is_not_an_offer(make_copilot):
    """A description quoted back holds what the business sells or whom it serves, not what the copilot offers."""
    what = "insurance agency offering umbrella coverage and life insurance"
    said = f'NAICS 524210 Insurance Agencies and Brokerages: the best match for "{what}".'
    cp = make_copilot(ScriptedModel(lambda m: AIMessage(said), is_llm=False))
    r = cp.send(cp.new_thread().id, f"what's the code? {what}")
    assert r.answer == said and not [e for e in r.events if e["type"] == "guard"]
    offer = f"Offer them umbrella coverage, as the {what}."  # the copilot's own offer: still removed
    cp2 = make_copilot(ScriptedModel(lambda m: AIMessage(offer), is_llm=False))
    r2 = cp2.send(cp2.new_thread().id, f"what's the code? {what}")
    assert "[removed: umbrella" in r2.answer and [e for e in r2.events if e["type"] == "guard"]


def test_an_answer_that_was_only_an_invented_citation_says_so(make_copilot):
    """The real model's whole answer to a guidelines question (recorded): one id that is no section."""
    from pathlib import Path

    from graph import prompts

    cassette = Path(__file__).parent / "data" / "real_llm" / "c09_guidelines_why.cassette.jsonl"
    said = json.loads(cassette.read_text().splitlines()[0])["response"]["content"]
    assert said == "[workers_compensation-monopolistic-qualified]"
    cp = make_copilot(ScriptedModel(lambda m: AIMessage(said)))
    r = cp.send(cp.new_thread().id, "What do the guidelines say about monopolistic states for workers comp?")
    assert r.answer == prompts.CITATIONS_ONLY and len(r.notices) == 1


def test_a_call_repeated_with_the_same_arguments_is_not_run_again(make_copilot):
    """Seen with a 1.5B model: the same call again and again. It runs once; the repeats come back as errors telling
    the model to answer, so the turn ends after the error cap instead of the tool-call cap."""
    n = iter(range(1, 100))
    cp = make_copilot(ScriptedModel(lambda m: tool_call("get_limits", {"naics": "722511", "lob": "property"}, next(n))))
    r = cp.send(cp.new_thread().id, "Property limits for 722511?")
    assert [s.get("error_kind") for s in r.steps] == [None] + ["repeated"] * MAX_CONSECUTIVE_ERRORS
    assert r.steps[0]["ok"] and not any(s["ok"] for s in r.steps[1:])
