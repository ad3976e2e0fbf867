"""``build_graph(model, toolkit, checkpointer)``: the copilot's LangGraph, built by a factory, never at import.

    agent ──tool calls──► tools ──► agent ... ──answer (guarded)──► END
      └──correction (LLM, once)──► agent

- agent: calls the model (an LLM through graph/llm.py or the offline rules model) with the system prompt, the
  tool schemas and the history; stops the turn plainly when the tool-call or error caps are reached. A reply
  without tool calls is the answer, guarded in the same step (a step is a checkpoint written).
- tools: runs every tool call through the tools' guarded boundary; every call gets a result.
- answer guard (in the agent's step; also the node ``answer_guard``, as which lines written outside the model are
  written, and where a turn saved before the guard ran in the agent's step resumes): removes citations of
  sections that do not exist (``graph/citations.py``, noted), then scans the answer for products we do not write;
  an LLM gets one correction, then the offending sentences are removed and the user is told. The corrected answer
  replaces the offending one in the history (neither the model nor the user sees the offer again). Every event is
  recorded in ``events``.

Streamed text reaches the caller a sentence at a time, each scanned by the product guard first; text that comes
with tool calls is scanned and cleaned like an answer before it is stored.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Sequence
from itertools import chain
from typing import cast

from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage, SystemMessage, ToolMessage
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph

from core.per_message import PerMessage
from core.redact import redact, redact_obj
from graph import prompts, small_model
from graph.budget import essentials
from graph.citations import remove_unknown
from graph.llm import ModelError, required_step
from graph.llm_messages import raw_arguments
from graph.state import (
    MAX_CONSECUTIVE_ERRORS,
    MAX_TOOL_CALLS,
    AgentState,
    consecutive_tool_errors,
    current_turn,
    for_model,
    kind,
    meta,
    tool_calls_this_turn,
)
from tools.guard import MAX_NAMES, data_names, find_mentions

RECURSION_LIMIT = 2 * MAX_TOOL_CALLS + 12
MAX_EVENT_RESULT_CHARS = 2000


def _writer():
    try:
        return get_stream_writer()
    except Exception:  # called outside a streaming run
        return lambda _: None


def _uwc(**fields) -> dict:
    return {"uwc": fields}


def remove_offending(text: str, mentions) -> str:
    """Drop each sentence that offers a product we do not write; mark it when nothing else is left."""
    offered = [m for m in mentions if m.offered]
    starts = sorted(m.start for m in offered)
    sentences = re.split(r"(?<=[.!?])\s+", text)
    kept, pos = [], 0
    for s in sentences:
        start = text.find(s, pos)
        end = start + len(s)
        pos = end
        k = bisect.bisect_left(starts, start)  # linear in sentences and mentions, not their product
        if not (k < len(starts) and starts[k] < end):
            kept.append(s)
    names = sorted({m.name for m in offered})
    marks = " ".join(prompts.GUARD_MARK.format(name=n) for n in names)
    return (" ".join(kept) + " " + marks).strip() if kept else marks


def names_in_results(messages) -> list[str]:
    """The names the tools returned in this thread (company names, NAICS titles): the answer may repeat them, and
    a name is not the copilot offering what it happens to contain ("Umbrella Cover Is Approved LLC").

    The latest results' first: each distinct name once, at most ``MAX_NAMES``."""
    return list(dict.fromkeys(chain.from_iterable(reversed(_names_of(messages)))))[:MAX_NAMES]


MAX_SAID = 20  # the underwriter's latest messages an answer may quote back
_QUOTED = re.compile(r'"([^"\n]{8,400})"|\u201c([^\u201d\n]{8,400})\u201d')


def said_by_underwriter(messages) -> list[str]:
    """The underwriter's latest messages, for ``quoted_back``."""
    said: list[str] = []
    for text in reversed(_said_of(messages)):
        if text is not None:
            said.append(text)
            if len(said) == MAX_SAID:
                break
    return said[::-1]


def quoted_back(text: str, said: Sequence[str]) -> list[str]:
    """The quotes in an answer that are the underwriter's own words ('the best match for "tile work for
    homeowners"'): names for the guard, not the copilot offering what they happen to contain."""
    if not said or '"' not in text and "\u201c" not in text:
        return []
    heard = [" ".join(s.lower().split()) for s in said]
    out = []
    for m in _QUOTED.finditer(text):
        quote = m.group(1) or m.group(2)
        needle = " ".join(quote.lower().split()).rstrip(".\u2026 ")
        if needle and any(needle in h for h in heard):
            out.append(quote)
    return out


_NAMES: OrderedDict[bytes, tuple[str, ...]] = OrderedDict()  # by the result's digest: results may be big
MAX_NAMED_RESULTS = 4096


def _result_names(content: str) -> tuple[str, ...]:
    """One tool result's names, read once per process (every model call and every answer re-reads the thread's)."""
    key = hashlib.blake2b(content.encode("utf-8", "replace"), digest_size=16).digest()
    names = _NAMES.get(key)
    if names is None:
        try:
            names = tuple(data_names(json.loads(content)))
        except ValueError:
            names = ()
        _NAMES[key] = names
        if len(_NAMES) > MAX_NAMED_RESULTS:  # (threads race here harmlessly: at worst a result is read twice)
            try:
                _NAMES.popitem(last=False)
            except KeyError:
                pass
    return names


# Each message's names and words, derived once per message object (``core.per_message``): every model call and
# every answer of a turn reads the whole thread's.
_names_of = PerMessage(
    lambda _, m: _result_names(m.content) if isinstance(m, ToolMessage) and isinstance(m.content, str) else ()
)
_said_of = PerMessage(
    lambda _, m: m.content if isinstance(m, HumanMessage) and not kind(m) and isinstance(m.content, str) else None
)


SENTENCE_END = re.compile(r"[.!?:;](?=\s)|\n")


class GuardedStream:
    """Passes streamed text on a sentence at a time, with sentences offering a product we don't write replaced."""

    def __init__(self, emit, catalog, names: list[str] | None = None, said: list[str] | None = None):
        self.emit, self.catalog, self.buffer, self.names, self.said = emit, catalog, "", names or [], said or []
        self.searched = 0  # the buffer before this holds no sentence end: a long sentence is searched once

    def feed(self, text: str) -> None:
        self.buffer += text
        while (m := SENTENCE_END.search(self.buffer, self.searched)) is not None:
            end = m.end()
            while end < len(self.buffer) and self.buffer[end].isspace():
                end += 1
            if end == len(self.buffer):  # the space after the sentence may still be arriving
                self.searched = m.start()
                break
            sentence, self.buffer, self.searched = self.buffer[:end], self.buffer[end:], 0
            self._send(sentence)
        else:
            self.searched = max(len(self.buffer) - 1, 0)

    def flush(self) -> None:
        if self.buffer:
            self._send(self.buffer)
            self.buffer = ""

    def _send(self, text: str) -> None:
        text = redact(text)  # shown live: a key the provider echoes is gone before the final answer's redaction
        names = self.names + quoted_back(text, self.said)
        offered = [m for m in find_mentions(text, self.catalog, names) if m.offered]
        self.emit(remove_offending(text, offered) + " " if offered else text)


def _call_key(name: str, args) -> str:
    return name + json.dumps(args, sort_keys=True, default=str)


def _calls_answered(turn) -> set[str]:
    """The calls of this turn so far that ran and succeeded, by name and arguments."""
    ok = {m.tool_call_id for m in turn if isinstance(m, ToolMessage) and m.status != "error"}
    return {
        _call_key(c["name"], c["args"]) for m in turn if isinstance(m, AIMessage) for c in m.tool_calls if c["id"] in ok
    }


def compact_result(result):
    """A tool result for the stored trace: whole when small, its essentials (marked) when big."""
    if len(json.dumps(result, default=str)) <= MAX_EVENT_RESULT_CHARS or not isinstance(result, dict):
        return result
    return {**essentials(result), "shortened": True}


def build_graph(model, toolkit, checkpointer=None, profile: str = "full"):
    """Compile the copilot graph over a model (``invoke(messages, tools, on_token)``) and a ``Toolkit``.

    ``profile="small"`` (an LLM only) adds the small-model harness (``graph/small_model.py``)."""
    catalog = toolkit.ctx.catalog
    small = profile == "small" and bool(getattr(model, "is_llm", False))
    system = SystemMessage(prompts.system_prompt(catalog.insurer, catalog.lobs, small=small))
    schemas = small_model.lean_tools(toolkit.openai_schemas()) if small else toolkit.openai_schemas()
    grounding = small_model.Grounding(toolkit) if small else None

    def say(text: str, **memory) -> dict:
        """A message the harness writes instead of a model call (shown like a streamed answer)."""
        stream = GuardedStream(lambda t: _writer()({"type": "token", "text": t}), catalog)
        stream.feed(text)
        stream.flush()
        return {"messages": [AIMessage(text, additional_kwargs=_uwc(**memory))]}

    def harness_step(messages) -> dict | None:
        """UWC_PROFILE=small, before the model: the answer held while code recorded its finding, or the question a
        tool's missing facts call for (no model call for either)."""
        turn = current_turn(messages)
        resumed = small_model.resumed_call(messages)
        if resumed is not None:  # the underwriter answered the question a tool asked: that tool again
            return {"messages": [resumed]}
        i = next((i for i in range(len(turn) - 1, -1, -1) if isinstance(turn[i], AIMessage)), -1)
        caller = cast(AIMessage, turn[i]) if i >= 0 else None
        if caller is None or not caller.tool_calls:
            return None
        if kind(caller) == "finding_by_code":
            return say(meta(caller).get("answer", ""), kind="written", task=meta(caller).get("task"))
        assert grounding is not None
        results = [m for m in turn[i + 1 :] if isinstance(m, ToolMessage) and m.name in small_model.TOOL_TASK]
        for m in results:
            result = small_model._result(m)
            needs = small_model.needs_of(result)
            if result.get("status") != "need_facts" or not needs:
                continue
            _, unknown, _ = grounding.facts(messages)
            ask = [n for n in needs if small_model.fact_of(n) not in unknown][: small_model.MAX_QUESTIONS]
            if ask:
                return say(small_model.question(ask), kind="asked", asked=small_model.fact_of(ask[0]), tool=m.name)
            task = small_model.TOOL_TASK[str(m.name)]
            answer, verdict = small_model.depends_answer(task, result, needs)
            if verdict is None:
                return say(answer, kind="written", task=task)
            return record_by_code(messages, task, verdict, answer, result)
        return None

    def record_by_code(messages, task: str, verdict: dict, answer: str, result: dict) -> dict:
        assert grounding is not None
        facts, _, _ = grounding.facts(messages)
        args = small_model.finding_args(task, verdict, answer, result, {**facts, **(result.get("facts_used") or {})})
        call = {
            "id": "finding-" + hashlib.blake2b(answer.encode(), digest_size=6).hexdigest(),
            "name": "record_finding",
        }
        return {
            "messages": [
                AIMessage(
                    "",
                    tool_calls=[{**call, "args": args}],
                    additional_kwargs=_uwc(kind="finding_by_code", answer=answer, task=task),
                )
            ]
        }

    def harness_answer(messages, reply: AIMessage) -> dict | None:
        """UWC_PROFILE=small, after the model answered: the answer checked against this turn's deciding result
        (rewritten from it when it does not state it) and the finding recorded by code."""
        if reply.tool_calls or not isinstance(reply.content, str):
            return None
        for m in reversed(current_turn(messages)):
            if not (isinstance(m, ToolMessage) and m.name in small_model.TOOL_TASK and m.status != "error"):
                continue
            task = small_model.TOOL_TASK[str(m.name)]
            result = small_model._result(m)
            verdict = small_model.verdict_of(task, result)
            if verdict is None:
                return None
            answer, rewritten = small_model.checked_answer(task, verdict, reply.content, result, catalog)
            update = record_by_code(messages, task, verdict, answer, result)
            update["events"] = ({"type": "harness", "rewritten": rewritten, "model_answer": reply.content[:500]},)
            return update
        return None

    def agent(state: AgentState) -> dict:
        """The model's step; an answer (a reply without tool calls) is guarded in the same step (``guard_answer``):
        one step and one checkpoint fewer a turn than a node of its own, and no unguarded answer is stored."""
        update = model_step(state)
        written = update.get("messages") or []
        answer = written[-1] if written else None
        if not isinstance(answer, AIMessage) or answer.tool_calls:
            return update
        checked = guard_answer([*state.get("messages", []), answer])
        if not checked:
            return update
        extra = checked.get("messages") or []
        replaced = bool(extra) and isinstance(extra[-1], AIMessage)  # else removals, or the note for a correction
        return {
            **update,
            "messages": [*written[:-1], *extra] if replaced else [*written, *extra],
            "events": (*update.get("events", ()), *checked.get("events", ())),
        }

    def model_step(state: AgentState) -> dict:
        messages = state.get("messages", [])
        write = _writer()
        if small:
            step = harness_step(messages)
            if step is not None:
                return step
        n_calls = tool_calls_this_turn(messages)
        if n_calls >= MAX_TOOL_CALLS:
            text = prompts.TOOL_LIMIT.format(n=n_calls, what="the determination (too many lookups)")
            return {
                "messages": [AIMessage(text, additional_kwargs=_uwc(kind="limit"))],
                "events": ({"type": "limit", "reason": "tool_calls", "count": n_calls},),
            }
        n_errors = consecutive_tool_errors(messages)
        if n_errors >= MAX_CONSECUTIVE_ERRORS:
            last = next((m.content for m in reversed(messages) if isinstance(m, ToolMessage)), "")
            text = prompts.ERROR_LIMIT.format(n=n_errors, last=str(last)[:160])
            return {
                "messages": [AIMessage(text, additional_kwargs=_uwc(kind="limit"))],
                "events": ({"type": "limit", "reason": "tool_errors", "count": n_errors},),
            }
        names, said = names_in_results(messages), said_by_underwriter(messages)
        stream = GuardedStream(lambda t: write({"type": "token", "text": t}), catalog, names, said)
        try:
            # A small model's words are shown only once checked (harness_answer may rewrite them).
            on_token = None if small else stream.feed
            history = small_model.without_harness_findings(for_model(messages)) if small else for_model(messages)
            # A small model answers from a tool, never from memory, and answers once a deciding tool has decided.
            required = small_model.required_step(messages) if small else None
            if required:
                with required_step(required):
                    reply = model.invoke([system] + history, schemas, on_token=on_token)
            else:
                reply = model.invoke([system] + history, schemas, on_token=on_token)
        except ModelError as exc:
            text = redact(str(exc))  # shown and stored: never a key or a proxy password
            write({"type": "error", "text": text})
            return {
                "messages": [AIMessage(text, additional_kwargs=_uwc(kind="error"))],
                "events": ({"type": "model_error", "message": text},),
            }
        finally:
            stream.flush()
        if isinstance(reply.content, str) and reply.content:
            reply.content = redact(reply.content)
        usage = reply.usage_metadata or {}
        response = reply.response_metadata or {}
        event = {
            "type": "model",
            "model": response.get("model") or getattr(model, "name", "?"),
            "tool_calls": len(reply.tool_calls),
            "input_tokens": usage.get("input_tokens", 0),
            "output_tokens": usage.get("output_tokens", 0),
            "cost_usd": response.get("cost_usd", 0.0),
            "estimated": bool(response.get("estimated", False)),
            "tool_calls_from_text": response.get("tool_calls_from_text", 0),
        }
        events = [event]
        if reply.tool_calls and isinstance(reply.content, str) and reply.content:
            quoted = quoted_back(reply.content, said)
            offered = [m for m in find_mentions(reply.content, catalog, names + quoted) if m.offered]
            if offered:  # text beside tool calls is shown and re-sent like an answer: guard it like one
                names = sorted({m.name for m in offered})
                notices = [prompts.GUARD_NOTICE.format(name=n) for n in names]
                write({"type": "notice", "notices": notices})
                events.append(
                    {
                        "type": "guard",
                        "where": "tool_preamble",
                        "products": sorted({m.product for m in offered}),
                        "text": reply.content[:500],
                        "action": "removed",
                    }
                )
                reply = reply.model_copy(update={"content": remove_offending(reply.content, offered)})
        if small:
            checked = harness_answer(messages, reply)
            if checked is not None:
                checked["events"] = tuple(events) + checked["events"]
                return checked
            if not reply.tool_calls and isinstance(reply.content, str):
                stream.feed(reply.content)
                stream.flush()
        return {"messages": [reply], "events": tuple(events)}

    def tools(state: AgentState) -> dict:
        write = _writer()
        last = cast(AIMessage, state["messages"][-1])  # the tools node runs only after tool calls
        raw = raw_arguments(last)
        asked = next((m for m in reversed(state["messages"]) if isinstance(m, HumanMessage) and not kind(m)), None)
        out, events, finding = [], [], None
        done = _calls_answered(current_turn(state["messages"])[:-1])
        for call in last.tool_calls:
            write({"type": "tool_start", "tool": call["name"], "arguments": call["args"], "tool_call_id": call["id"]})
            key = _call_key(call["name"], call["args"])
            if call["id"] not in raw and key in done:  # a small model repeating itself: not run again
                result = {"error": prompts.REPEATED_CALL.format(name=call["name"]), "hint": prompts.REPEATED_HINT}
                record: dict = {
                    "tool": call["name"],
                    "tool_call_id": call["id"],
                    "arguments": call["args"],
                    "ok": False,
                    "error_kind": "repeated",
                    "duration_ms": 0.0,
                    "result": result,
                    "guard": [],
                }
                write({"type": "tool", **record})
                events.append({"type": "tool", **record})
                out.append(ToolMessage(json.dumps(result), tool_call_id=call["id"], name=call["name"], status="error"))
                continue
            # Arguments that were not a JSON object go to the boundary as sent, which says what is wrong.
            arguments = raw[call["id"]] if call["id"] in raw else call["args"]
            if grounding is not None and call["id"] not in raw and kind(last) != "finding_by_code":
                grounded = grounding.ground(call["name"], arguments, state["messages"])
                arguments = grounded.args
                if grounded.dropped or grounded.ask:
                    events.append(
                        {"type": "grounding", "tool": call["name"], "dropped": grounded.dropped, "ask": grounded.ask}
                    )
                if grounded.ask:  # the tool cannot run without these: the harness asks (harness_step)
                    needs = {
                        "status": "need_facts",
                        "needs": grounded.ask,
                        "question": small_model.question(grounded.ask),
                    }
                    out.append(ToolMessage(json.dumps(needs), tool_call_id=call["id"], name=call["name"]))
                    continue
            event = toolkit.call(
                call["name"],
                arguments,
                tool_call_id=call["id"],
                request=asked.content if asked and isinstance(asked.content, str) else None,
            )
            record = redact_obj(event.as_dict())
            write({"type": "tool", **record})
            # The full result lives in the ToolMessage; the stored trace keeps a short copy of a big one.
            events.append({"type": "tool", **record, "result": compact_result(record.get("result"))})
            for g in event.guard:
                if not g["allowed"]:
                    events.append({"type": "guard", "where": "tool_argument", "tool": call["name"], **g})
            if event.ok and call["name"] == "record_finding":
                finding = record.get("result")
                write({"type": "finding", "finding": finding})
            out.append(
                ToolMessage(
                    json.dumps(record.get("result"), default=str),  # checkpointed and sent on: never a secret
                    tool_call_id=call["id"],
                    name=call["name"],
                    status="success" if event.ok else "error",
                )
            )
        update: dict = {"messages": out, "events": tuple(events)}
        if finding is not None:
            update["finding"] = finding
        return update

    def answer_guard(state: AgentState) -> dict:
        """The guard as a node of its own: what ``update_state(..., as_node="answer_guard")`` writes as (a line posted
        outside the model, a stopped turn's close), and where a turn saved before the guard ran in the agent's step
        resumes."""
        return guard_answer(state["messages"])

    def guard_answer(messages) -> dict:
        """The update that guards the answer last in ``messages``; {} when it stands as it is."""
        answer = messages[-1]
        if kind(answer) in ("error", "limit") or not isinstance(answer.content, str):
            return {}
        # Citations of sections that do not exist are invented: removed and noted, before the product check.
        text, unknown = remove_unknown(answer.content)
        if unknown and not text:
            text = prompts.CITATIONS_ONLY
        cite_notices = [prompts.CITATION_NOTICE.format(id=i) for i in unknown]
        cite_events = (
            ({"type": "citation", "where": "answer", "unknown": unknown, "action": "removed"},) if unknown else ()
        )
        names = names_in_results(messages) + quoted_back(text, said_by_underwriter(messages))
        mentions = [m for m in find_mentions(text, catalog, names) if m.offered]
        notes = [m for m in current_turn(messages) if kind(m) == "guard_correction"]
        # After a correction, the offending answer and the note leave the history: the corrected answer
        # replaces them, so the model never reads its own offer again and a resumed thread never shows it.
        superseded = []
        for note in notes:
            i = next(i for i, m in enumerate(messages) if m.id == note.id)
            superseded += [RemoveMessage(id=str(messages[i - 1].id)), RemoveMessage(id=str(note.id))]
        if not mentions:
            if not unknown:
                return {"messages": superseded} if superseded else {}
            _writer()({"type": "notice", "notices": cite_notices})
            kept = AIMessage(
                text,
                id=answer.id,
                additional_kwargs={**answer.additional_kwargs, "uwc": {**meta(answer), "notices": cite_notices}},
            )
            return {"messages": superseded + [kept], "events": cite_events}
        names = sorted({m.name for m in mentions})
        products = sorted({m.product for m in mentions})
        event = {"type": "guard", "where": "answer", "products": products, "text": answer.content[:500]}
        if getattr(model, "is_llm", False) and not notes:
            note = HumanMessage(
                prompts.GUARD_CORRECTION.format(products=", ".join(names)),
                additional_kwargs=_uwc(kind="guard_correction"),
            )
            return {"messages": [note], "events": ({**event, "action": "correction"},)}
        notices = [prompts.GUARD_NOTICE.format(name=n) for n in names] + cite_notices
        _writer()({"type": "notice", "notices": notices})
        cleaned = AIMessage(
            remove_offending(text, mentions),
            id=answer.id,
            additional_kwargs={
                **answer.additional_kwargs,
                "uwc": {**meta(answer), "notices": notices},
            },
        )
        return {"messages": superseded + [cleaned], "events": (*cite_events, {**event, "action": "removed"})}

    def after_agent(state: AgentState) -> str:
        last = state["messages"][-1]
        if isinstance(last, AIMessage) and last.tool_calls:
            return "tools"
        return "agent" if kind(last) == "guard_correction" else END  # the answer was guarded in the agent's step

    def after_guard(state: AgentState) -> str:
        return "agent" if kind(state["messages"][-1]) == "guard_correction" else END

    g = StateGraph(AgentState)
    g.add_node("agent", agent)
    g.add_node("tools", tools)
    g.add_node("answer_guard", answer_guard)
    g.add_edge(START, "agent")
    g.add_conditional_edges("agent", after_agent, ["tools", "agent", END])
    g.add_edge("tools", "agent")
    g.add_conditional_edges("answer_guard", after_guard, ["agent", END])
    return g.compile(checkpointer=checkpointer)
