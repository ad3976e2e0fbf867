"""What happens after each turn for observability: the turn span's attributes, the answer guard's spans, and the
online check of a recorded finding (stored, and returned to the caller for the finding card).

``Copilot.send`` calls ``after_turn`` inside the turn span (``core.tracing.turn``); everything here reads the turn's
typed events, never the answer's prose (except the online check, whose job is to read it).
"""

from __future__ import annotations

from core import tracing
from core.vocabulary import VERDICT_FIELDS
from graph.online_checks import verify_finding


def turn_attributes(events: list[dict]) -> dict:
    """Totals of one turn from its events: tool calls and errors, tokens, cost, guard interventions."""
    tools = [e for e in events if e["type"] == "tool"]
    models = [e for e in events if e["type"] == "model"]
    guards = [e for e in events if e["type"] == "guard"]
    invented = sorted(
        {p for g in guards for p in (g.get("products") or [g.get("value")]) if p} if guards else set(), key=str
    )
    return {
        "uwc.turn.tool_calls": len(tools),
        "uwc.turn.tool_errors": sum(not e["ok"] and e.get("error_kind") != "guard" for e in tools),
        "uwc.turn.model_calls": len(models),
        tracing.INPUT_TOKENS: sum(e.get("input_tokens", 0) for e in models),
        tracing.OUTPUT_TOKENS: sum(e.get("output_tokens", 0) for e in models),
        tracing.COST: round(sum(e.get("cost_usd", 0.0) or 0.0 for e in models), 6),
        "uwc.turn.guard_interventions": len(guards),
        "uwc.turn.invented_products": invented or None,
        "uwc.turn.limit": next((e["reason"] for e in events if e["type"] == "limit"), None),
        "uwc.turn.model_error": any(e["type"] == "model_error" for e in events) or None,
    }


def after_turn(copilot, thread_id: str, result, span, user: str, history: list[dict]) -> dict | None:
    """Annotate the turn span, trace answer-guard interventions, and check a recorded finding.

    ``history``: every event of the conversation so far (earlier turns established facts the finding rests on).
    """
    attrs = turn_attributes(result.events)
    for e in result.events:
        if e["type"] == "guard" and e.get("where") == "answer":
            tracing.guard_span("answer", e.get("products") or [], e.get("action", "removed"))
    check = None
    if result.finding:
        with tracing.span("online_check", **{tracing.OPERATION: "online_check"}) as s:
            outcome = verify_finding(
                copilot.toolkit, result.finding, result.answer, [e for e in history if e["type"] == "tool"]
            )
            check = outcome.as_dict()
            tracing.set_attributes(
                s,
                **{
                    "uwc.check.status": outcome.status,
                    "uwc.check.tool": outcome.tool,
                    "uwc.check.mismatches": outcome.mismatches or None,
                },
            )
        copilot.checks.add(
            thread_id,
            result.message_id,
            result.finding.get("task_type"),
            outcome.status,
            outcome.mismatches,
            outcome.tool,
            getattr(copilot.model, "name", None),
            user,
        )
        attrs.update(
            {
                "uwc.finding.task_type": result.finding.get("task_type"),
                "uwc.finding.verdict": {k: result.finding[k] for k in VERDICT_FIELDS if k in result.finding},
                "uwc.check.status": outcome.status,
            }
        )
    attrs["uwc.message.id"] = result.message_id
    tracing.set_attributes(span, **attrs)
    if result.error:
        tracing.set_error(span, "model_error")
    return check
