"""``OfflineRulesModel``: a deterministic stand-in for an LLM that answers the six underwriting questions.

It has the model interface the graph calls (``invoke(messages, tools, on_token) -> AIMessage``) and is stateless:
every call re-reads the whole conversation (``conversation.py``, with ``facts.py`` for the text) and asks the
policy (``policy.py``) for the one next step, worded by ``answers.py``.
"""

from __future__ import annotations

from pathlib import Path

from langchain_core.messages import AIMessage, BaseMessage

from graph.offline import intent
from graph.offline.conversation import read_conversation
from graph.offline.policy import Policy


class OfflineRulesModel(Policy):
    name = "offline"
    is_llm = False

    def __init__(self, catalog, cache: Path | None = None):
        self.catalog = catalog
        intent.shared(cache)  # the classifier keeps its training vectors there between runs

    # The graph's model interface.
    def invoke(self, messages: list[BaseMessage], tools: list[dict] | None = None, on_token=None) -> AIMessage:
        conv = read_conversation(messages, self.catalog)
        step = self.decide(conv)
        memory: dict = {"task": conv.task} if conv.task else {}
        if step.tool:
            call = {"id": f"call_{conv.n_calls + 1}", "name": step.tool, "args": step.args or {}, "type": "tool_call"}
            return AIMessage("", tool_calls=[call], additional_kwargs={"uwc": memory})
        if conv.changed and step.text:
            step.text = f"{self.correction_note(conv.changed)} {step.text}"
        if step.asked:
            memory["asked"] = step.asked
        if step.offered:
            memory["offered"] = step.offered
        if on_token:
            on_token(step.text)
        return AIMessage(step.text, additional_kwargs={"uwc": memory})
