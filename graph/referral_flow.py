"""The referral flow: a small LangGraph graph that waits for people, built by a factory like the agent's.

    senior ──approve/decline──▶ close ──▶ END
      ▲  └──return (a question)──▶ ask ──▶ junior ─┘(the answer)

``senior`` and ``junior`` pause on ``interrupt`` (and do nothing else: a node resumed runs again from its start); the checkpointer keeps the pause (one thread per referral,
``referral-<id>``), so a restart or another replica resumes it with ``Command(resume=...)``. ``ask`` and ``close``
tell the conversation the question or the decision (``tell``); if that fails the run stops before ``close`` finishes and is resumed later
(``Referrals.finish_stalled``), so the conversation is told once the decision is made, never before.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt


class FlowState(TypedDict, total=False):
    referral_id: str
    rounds: Annotated[list[dict], operator.add]  # every decision and answer, in order
    decision: dict | None  # the senior's latest


def build_referral_flow(checkpointer, tell: Callable[[str, dict], None]):
    """The compiled flow; ``tell(referral_id, decision)`` posts the final decision into the conversation."""

    def senior(state: FlowState) -> dict:
        decision = interrupt({"waiting_for": "senior", "referral_id": state["referral_id"]})
        return {"rounds": [decision], "decision": decision}

    def junior(state: FlowState) -> dict:
        question = (state.get("decision") or {}).get("note")
        reply = interrupt({"waiting_for": "junior", "referral_id": state["referral_id"], "question": question})
        return {"rounds": [reply]}

    def close(state: FlowState) -> dict:  # also ``ask``: the decision says which
        tell(state["referral_id"], state.get("decision") or {})
        return {}

    def after_senior(state: FlowState) -> str:
        return "ask" if (state.get("decision") or {}).get("action") == "return" else "close"

    g = StateGraph(FlowState)
    g.add_node("senior", senior)
    g.add_node("junior", junior)
    g.add_node("ask", close)
    g.add_node("close", close)
    g.add_edge(START, "senior")
    g.add_conditional_edges("senior", after_senior, ["ask", "close"])
    g.add_edge("ask", "junior")
    g.add_edge("junior", "senior")
    g.add_edge("close", END)
    return g.compile(checkpointer=checkpointer)
