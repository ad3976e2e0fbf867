"""What happens after each turn: the turn span's attributes, the answer guard's spans, the online check of a
recorded finding (stored, and returned to the caller for the finding card) and one decision record per finding.

``Copilot.send`` calls ``after_turn`` inside the turn span (``core.tracing.turn``); everything here reads the turn's
typed events, never the answer's prose (except the online check, whose job is to read it).
"""

from __future__ import annotations

import logging
import time

from core import tracing
from core.vocabulary import VERDICT_FIELDS
from graph.determination import determination_body, model_settings, turn_calls
from graph.online_checks import verify_finding

log = logging.getLogger("uwc.copilot")
# A determination the record could not take is still shown (the underwriter sees what was decided) but never
# silently: the notice stays with the answer, and nothing is retried behind the underwriter's back.
NOT_RECORDED = (
    "This determination was not written to the decision record ({problem}); it is not on record: "
    "ask again once the store is back before relying on it."
)


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


def after_turn(
    copilot,
    thread_id: str,
    result,
    span,
    user: str,
    history: list[dict],
    role: str | None = None,
    user_messages: list[tuple[str, str]] | None = None,
) -> dict | None:
    """Annotate the turn span, trace answer-guard interventions, check a recorded finding and write one decision
    record per finding of the turn (``record_turn``).

    ``history``: every event of the conversation so far (earlier turns established facts the finding rests on);
    ``user_messages``: (id, text) of the conversation's underwriter messages, where facts were stated.
    """
    attrs = turn_attributes(result.events)
    for e in result.events:
        if e["type"] == "guard" and e.get("where") == "answer":
            tracing.guard_span("answer", e.get("products") or [], e.get("action", "removed"))
    checks: list[dict] = []
    rows: list[tuple[int, tuple]] = []  # (the check's place, its row): stored together, in one transaction
    failed = None
    for finding in recorded_findings(result.events):  # each determination of the turn is re-verified on its own
        try:
            check, row = _check(copilot, thread_id, result, finding, user, history, attrs)
            rows.append((len(checks), row))
            checks.append(check)
        except Exception as exc:  # recorded below all the same, then raised for the caller to log
            failed = failed or exc
            checks.append(_failed_check(exc))
    try:
        if rows:
            copilot.checks.add_many([row for _, row in rows])
    except Exception as exc:  # none of them stored: as if each had failed
        failed = failed or exc
        for at, _ in rows:
            checks[at] = _failed_check(exc)
    result.checks = checks
    record_turn(copilot, thread_id, result, user, role, history, user_messages or [], checks)
    attrs["uwc.message.id"] = result.message_id
    tracing.set_attributes(span, **attrs)
    if result.error:
        tracing.set_error(span, "model_error")
    if failed is not None:
        raise failed
    return checks[-1] if checks else None


def recorded_findings(events: list[dict]) -> list[dict]:
    """The findings a turn's successful ``record_finding`` calls recorded, in order."""
    return [
        e["result"] for e in events if e.get("type") == "tool" and e.get("tool") == "record_finding" and e.get("ok")
    ]


def answer_part(finding: dict, answer: str) -> str:
    """The words of the answer that give this finding: its summary when the answer says it (several findings in
    one answer: each is checked against its own words, not the first verdict the answer states), else the answer."""
    summary = " ".join(str(finding.get("summary") or "").split())
    return summary if summary and summary in " ".join((answer or "").split()) else answer


def _failed_check(exc: BaseException) -> dict:
    return {"status": "error", "note": f"the online check failed: {type(exc).__name__}"}


def _check(
    copilot, thread_id: str, result, finding: dict, user: str, history: list[dict], attrs: dict
) -> tuple[dict, tuple]:
    """One finding's online check, and its row for ``CheckStore.add_many``."""
    with tracing.span("online_check", **{tracing.OPERATION: "online_check"}) as s:
        # The whole history, not its tool events picked out each time: the checks' memo reads only what is new
        outcome = verify_finding(copilot.toolkit, finding, answer_part(finding, result.answer), history)
        check = outcome.as_dict()
        tracing.set_attributes(
            s,
            **{
                "uwc.check.status": outcome.status,
                "uwc.check.tool": outcome.tool,
                "uwc.check.mismatches": outcome.mismatches or None,
            },
        )
    row = (
        thread_id,
        result.message_id,
        finding.get("task_type"),
        outcome.status,
        outcome.mismatches,
        outcome.tool,
        getattr(copilot.model, "name", None),
        user,
    )
    attrs.update(
        {
            "uwc.finding.task_type": finding.get("task_type"),
            "uwc.finding.verdict": {k: finding[k] for k in VERDICT_FIELDS if k in finding},
            "uwc.check.status": outcome.status,
        }
    )
    return check, row


SEED_DIGEST_TTL_S = 30.0  # a re-seed shows in the records within this; every determination read it again before
_seed_digests: dict[int, tuple[float, object, str | None]] = {}  # id(engine) -> (read at, engine, digest)


def seed_digest(copilot) -> str | None:
    """The seed inputs digest in force: the seeded database's, else the one of the inputs in the working tree.
    Read at most every ``SEED_DIGEST_TTL_S`` per database (it changes only when ``uwc seed`` runs)."""
    from seed_db.build import inputs_digest
    from seed_db.queries import seeded_inputs_digest

    engine = copilot.toolkit.ctx.engine
    kept = _seed_digests.get(id(engine))
    if kept is not None and kept[1] is engine and time.monotonic() - kept[0] < SEED_DIGEST_TTL_S:
        return kept[2]
    try:
        digest = seeded_inputs_digest(engine) or inputs_digest()
    except Exception:
        return inputs_digest()
    _seed_digests[id(engine)] = (time.monotonic(), engine, digest)
    return digest


def record_turn(
    copilot,
    thread_id: str,
    result,
    user: str | None,
    role: str | None,
    history: list[dict],
    user_messages: list[tuple[str, str]],
    checks: list[dict] | None,
) -> None:
    """Write one "determination" record per successful ``record_finding`` of the turn (``result.records``). A
    store fault never costs the turn: the answer is shown with a notice that it is not on record. The turn's records
    are written in one transaction, all or none."""
    findings = [
        e for e in result.events if e.get("type") == "tool" and e.get("tool") == "record_finding" and e.get("ok")
    ]
    if not findings:
        return
    try:
        catalog = copilot.toolkit.ctx.catalog
        model, seed = model_settings(copilot.model, copilot.settings), seed_digest(copilot)
        submission, items = None, []
        calls = turn_calls(result.events)  # every record of the turn holds them: shortened once, not once a record
        for i, e in enumerate(findings):
            if checks and i < len(checks):
                check = checks[i]
            else:  # a turn kept from the checkpoint by a store fault is checked for the record only
                part = answer_part(e["result"], result.answer)
                tools = [t for t in history if t.get("type") == "tool"] or [
                    t for t in result.events if t.get("type") == "tool"
                ]
                check = verify_finding(copilot.toolkit, e["result"], part, tools).as_dict()
            body = determination_body(
                e,
                turn_events=result.events,
                history=history or result.events,
                user_messages=user_messages,
                catalog=catalog,
                model=model,
                seed_inputs_sha256=seed,
                check=check,
                message_id=result.message_id,
                calls=calls,
            )
            if body["applicant_id"] is None and submission is None:
                submission = copilot.store.applicant_of(thread_id)
            items.append(
                dict(
                    kind="determination",
                    user=user,
                    role=role,
                    body=body,
                    thread_id=thread_id,
                    submission_id=body["applicant_id"] or submission,
                )
            )
        # one transaction for the turn's records (a turn redoing five findings took five): all of them or none
        result.records.extend(copilot.records.append_many(items))
    except Exception as exc:
        from core.redact import redact_error

        problem = copilot._problem(exc) or redact_error(exc)
        log.error("decision record of conversation %s not written: %s", thread_id, problem)
        result.record_error = problem
        result.notices.append(NOT_RECORDED.format(problem=problem.rstrip(".")))
