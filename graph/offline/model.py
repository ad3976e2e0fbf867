"""``OfflineRulesModel``: a deterministic stand-in for an LLM that answers the six underwriting questions.

It has the model interface the graph calls (``invoke(messages, tools, on_token) -> AIMessage``) and answers from
the messages alone: every call reads the conversation (``conversation.py``, with ``facts.py`` for the text) and asks
the policy (``policy.py``) for the one next step, worded by ``answers.py``. What it read is remembered per process
(``reading.py``), so a call reads only the messages it has not read before.
"""

from __future__ import annotations

from pathlib import Path

from langchain_core.messages import AIMessage, BaseMessage

from graph.offline import intent
from graph.offline.conversation import Conversation
from graph.offline.facts import parse
from graph.offline.policy import Policy
from graph.offline.reading import Reader


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
        step = self.decide(conv)
        memory: dict = {"task": conv.task} if conv.task else {}
        if step.tool:
            call = {"id": f"call_{conv.n_calls + 1}", "name": step.tool, "args": step.args or {}, "type": "tool_call"}
            return AIMessage("", tool_calls=[call], additional_kwargs={"uwc": memory})
        if conv.changed and step.text and not step.noted:  # (a refusal, a rules question: said first)
            step.text = f"{self.correction_note(conv.changed)} {step.text}"
        if step.asked:
            memory["asked"] = step.asked
        if step.offered:
            memory["offered"] = step.offered
        if step.line:
            memory["line"] = step.line
        if on_token:
            on_token(step.text)
        return AIMessage(step.text, additional_kwargs={"uwc": memory})
