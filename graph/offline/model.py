"""``OfflineRulesModel``: a deterministic stand-in for an LLM that answers the six underwriting questions.

It has the model interface the graph calls (``invoke(messages, tools, on_token) -> AIMessage``) and answers from
the messages alone: every call reads the conversation (``conversation.py``, with ``facts.py`` for the text) and asks
the policy (``policy.py``) for the one next step, worded by ``answers.py``. What it read is remembered per process
(``reading.py``), so a call reads only the messages it has not read before.

A tool call comes with the calls the policy would make after it whatever it returns (``calls``): a finding
recorded, then the next question's lookup, in one message (one tools step: a redo of five findings takes 7 model
calls, not 11). The calls, their order and ids, the answers are the same as one call a message.
"""

from __future__ import annotations

import json
from pathlib import Path

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from graph.offline import intent
from graph.offline.conversation import Conversation
from graph.offline.facts import parse
from graph.offline.policy import Policy
from graph.offline.reading import Reader
from graph.state import MAX_CONSECUTIVE_ERRORS, MAX_TOOL_CALLS, consecutive_tool_errors, tool_calls_this_turn

# Tools whose result the policy reads only as done or failed: what follows them can be known before they run.
# (record_finding: its arguments are the finding; the policy never reads what it returns.)
OUTCOMES = {"record_finding": ({"recorded": True}, {"error": "not recorded"})}


class OfflineRulesModel(Policy):
    name = "offline"
    is_llm = False

    def __init__(self, catalog, cache: Path | None = None):
        self.catalog = catalog
        intent.shared(cache)  # the classifier is kept there, fitted, between runs
        self.reader = Reader(lambda: Conversation(catalog))

    def warm(self) -> None:
        """Load what reading a first message needs before it comes: the intent classifier (fitted, and the embedding
        session) and the fact reader (its tagger, gazetteer and the catalog's words: 0.5-1 s)."""
        intent.classify("Is this business in appetite for general liability?")
        parse("Acme Bakery in Columbus, 12 employees, revenue $2.5M, NAICS 311811: GL deductible?", self.catalog)

    # The graph's model interface.
    def invoke(self, messages: list[BaseMessage], tools: list[dict] | None = None, on_token=None) -> AIMessage:
        conv = self.reader.read(messages)
        read = conv.fork()  # (deciding changes the copy it decides with)
        step = self.decide(conv)
        memory: dict = {"task": conv.task} if conv.task else {}
        if step.tool:
            calls = self.calls(read, step, tool_calls_this_turn(messages), consecutive_tool_errors(messages))
            return AIMessage("", tool_calls=calls, additional_kwargs={"uwc": memory})
        if conv.changed and step.text and not step.noted:  # (a refusal, a rules question: said first)
            step.text = f"{self.correction_note(conv.changed)} {step.text}"
        if step.asked:
            memory["asked"] = step.asked
        if step.offered:
            memory["offered"] = step.offered
        if step.line:
            memory["line"] = step.line
        if step.took_nothing:
            memory["took_nothing"] = True  # (the read-back shows no reading of the message it answers)
        if on_token:
            on_token(step.text)
        return AIMessage(step.text, additional_kwargs={"uwc": memory})

    def calls(self, conv: Conversation, step, made: int = 0, errors: int = 0) -> list[dict]:
        """The step's tool call, then each call the policy would decide next whatever the ones before it return:
        while the last call's result is read only as done or failed (``OUTCOMES``), the next step is decided after
        each outcome of each call so far, one call a message as before, and added when every outcome leads to the
        same call. Never past the graph's caps (``graph/state.py``): a call the graph would have stopped before is not
        made.

        ``made``: the calls made this turn before; ``errors``: the failed results that end the turn so far."""
        calls = [_call(conv.n_calls, step)]
        histories = [conv]  # a reading after the calls so far, one per outcome
        while calls[-1]["name"] in OUTCOMES and made + len(calls) < MAX_TOOL_CALLS:
            if errors + len(calls) >= MAX_CONSECUTIVE_ERRORS:
                break  # (were every call so far to fail, the graph would stop before the next)
            last, after = calls[-1], []
            for history in histories:
                for result in OUTCOMES[last["name"]]:
                    h = history.fork()
                    h.read(AIMessage("", tool_calls=[last]))
                    h.read(
                        ToolMessage(
                            json.dumps(result),
                            tool_call_id=last["id"],
                            name=last["name"],
                            status="error" if "error" in result else "success",
                        )
                    )
                    after.append(h)
            try:
                steps = [self.decide(h.fork()) for h in after]
            except Exception:  # an outcome the turn may never see must not end it: the call waits for its result
                break
            nexts = {(s.tool, json.dumps(s.args or {}, sort_keys=True, default=str)) for s in steps}
            if len(nexts) != 1 or steps[0].tool is None:
                break
            calls.append(_call(after[0].n_calls, steps[0]))
            histories = after
        return calls


def _call(made: int, step) -> dict:
    return {"id": f"call_{made + 1}", "name": step.tool, "args": step.args or {}, "type": "tool_call"}
