"""After a turn: refer each determination beyond the user's authority; and overrides of a determination.

``Copilot`` calls ``refer_turn`` once a turn's findings are recorded (``graph/observe.py``): each finding is checked
against the authority data (``seed_db/authority.py``) for the user's role; one beyond it opens a referral
(``graph/referrals.py``) whose memo is built from the determination's record, and the conversation gets a line
saying so, so a junior never reads a determination that is not theirs to make as if it stood.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from core.vocabulary import FACT_KEYS, TASKS, VERDICT_FIELDS
from graph import prompts
from graph.referral_memo import build_memo, question
from graph.referrals import OPEN, Referral
from seed_db.authority import check_authority, override_check, role_of

SUBMISSION_PREFIX = "SUB-"  # a conversation continued from the desk is about its submission (the thread's applicant)


@dataclass(frozen=True)
class Determination:
    """One recorded finding of a turn, with what the memo needs from the turn's record."""

    finding: dict
    facts: list[dict]  # {fact, value, source}
    rules: list[dict]  # the deciding tool's rules_applied
    missing: list[str]  # fact keys the deciding tool still needed
    record_hash: str | None = None


def determinations(steps: list[dict], records: list | None = None) -> list[Determination]:
    """Each successful ``record_finding`` of a turn's tool steps, with what the memo needs: from its decision record
    (``records``, in the same order: facts with their sources, rules applied, the guarded summary, the hash), else
    from the steps themselves (the record could not be written)."""
    out: list[Determination] = []
    pending = list(records or [])
    for i, step in enumerate(steps):
        if step["tool"] != "record_finding" or not step["ok"]:
            continue
        finding = dict(step["result"])
        task = TASKS.get(finding.get("task_type") or "")
        decider = next((s for s in reversed(steps[:i]) if task and s["tool"] == task.tool and s["ok"]), None)
        result = decider["result"] if decider and isinstance(decider["result"], dict) else {}
        missing = list(result.get("needs") or [])
        record = pending.pop(0) if pending else None
        if record is not None:
            body = record.body
            finding["summary"] = body.get("summary", finding.get("summary"))
            facts = [{"fact": k, **v} for k, v in (body.get("facts") or {}).items()]
            rules = list(body.get("rules_applied") or [])
            out.append(Determination(finding, facts, rules, missing, record.hash))
            continue
        merged = {**(decider["arguments"] if decider else {}), **(finding.get("facts") or {})}
        facts = [{"fact": k, "value": v, "source": "the conversation"} for k, v in merged.items() if k in FACT_KEYS]
        out.append(Determination(finding, facts, list(result.get("rules_applied") or []), missing))
    return out


def _memo(copilot, d: Determination, check, user: str, **extra) -> dict:
    return build_memo(
        finding=d.finding,
        facts=d.facts,
        rules=d.rules,
        check=check,
        missing=d.missing,
        user=user,
        at=datetime.now(UTC).isoformat(),
        catalog=copilot.toolkit.ctx.catalog,
        record_hash=d.record_hash,
        **extra,
    )


def refer_turn(
    copilot,
    thread_id: str,
    message_id: str | None,
    found: list[Determination],
    user: str,
    role: str,
    lines: list[str] | None = None,
):
    """Open a referral for each determination beyond ``role``'s authority; returns the referrals opened. ``lines``:
    gets each line the conversation was told (opened, or already with a senior), for a front end that shows no
    stored conversation (``uwc chat``)."""
    opened: list[Referral] = []
    lines = lines if lines is not None else []
    about = copilot.store.applicant_of(thread_id) if found else None  # the turn checked who may see it
    submission_id = about if about and about.startswith(SUBMISSION_PREFIX) else None  # continued from the desk
    # One referral per submission, as the desk opens them: one already with a senior is named, not opened again.
    waiting = copilot.referrals.store.list(status=OPEN, submission_id=submission_id, limit=1) if submission_id else []
    # In a chat, one open referral per question asked of the conversation's applicant ("Appetite check — Property"):
    # the same question asked again (a redo after a correction, the next turn) names it, never opens another.
    in_thread = [] if submission_id or not found else copilot.referrals.store.list(status=OPEN, thread_id=thread_id)
    for d in found:
        facts = {f["fact"]: f["value"] for f in d.facts}
        check = check_authority(copilot.referrals.authority, d.finding, facts, role)
        if check.within:
            continue
        asked = question(d.finding, copilot.toolkit.ctx.catalog)
        same = waiting or [r for r in in_thread if r.memo.get("question") == asked]
        if same:
            ref_id = same[0].id
            lines.append(prompts.ALREADY_REFERRED.format(id=ref_id))
            copilot.post(thread_id, lines[-1], held=True, kind="referral", referral_id=ref_id)
            continue
        memo = _memo(copilot, d, check, user)
        if submission_id:
            memo["case"][0] += f" — submission {submission_id}"
        ref = copilot.referrals.open(
            kind="determination",
            memo=memo,
            user=user,
            role=role,
            thread_id=thread_id,
            submission_id=submission_id,
            message_id=message_id,
            task_type=d.finding.get("task_type"),
        )
        opened.append(ref)
        lines.append(
            prompts.REFERRED.format(
                id=ref.id,
                reasons="; ".join(t.reason for t in check.triggers),
                sections=" ".join(f"[{s}]" for s in check.sections),
            )
        )
        copilot.post(thread_id, lines[-1], held=True, kind="referral", referral_id=ref.id)  # (held: inside the turn)
    return opened


def decided_line(ref: Referral) -> str:
    """What the conversation is told when a senior decides (or asks)."""
    words = {"approved": "approved", "declined": "declined", "returned": "returned with a question"}[ref.status]
    note = f": {ref.note}" if ref.note else "."
    line = prompts.REFERRAL_DECIDED.format(id=ref.id, words=words, who=ref.decided_by, note=note)
    return line + (prompts.REFERRAL_QUESTION.format(id=ref.id) if ref.status == "returned" else "")


def _determination_seq(copilot, thread_id: str, message_id: str, at: int) -> dict:
    """The decision record of the answer's ``at``-th determination, so the override joins that one's memo."""
    seqs = [
        r.seq
        for r in copilot.records.records(thread_id=thread_id)
        if r.kind == "determination" and r.body.get("message_id") == message_id
    ]
    return {"determination_seq": seqs[at]} if at < len(seqs) else {}


def override(
    copilot,
    thread_id: str,
    message_id: str,
    *,
    verdict: str,
    reason: str,
    user: str,
    role: str,
    index: int | None = None,
):
    """An underwriter disagrees with a determination of answer ``message_id`` (``index``: which of its findings,
    the last when None): kept beside it (a record of kind override; the finding is never changed), and referred
    unless ``role`` may override. Returns the referral or None when within authority."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("an override needs a reason")
    verdict = (verdict or "").strip()[:200]
    if not verdict:
        raise ValueError("an override says what the determination should be")
    answer = next((m for m in copilot.history(thread_id) if m.get("id") == message_id), None)
    if answer is None or not answer.get("finding"):
        raise ValueError("that answer has no determination to override")
    findings = answer.get("findings") or [answer["finding"]]
    at = index if index is not None and 0 <= index < len(findings) else len(findings) - 1
    finding = findings[at]
    copilot.record(
        "override",
        user=user,
        role=role_of(role),
        thread_id=thread_id,
        body={
            "message_id": message_id,
            "finding_index": at,
            **_determination_seq(copilot, thread_id, message_id, at),
            "determination": {k: finding[k] for k in (*VERDICT_FIELDS, "task_type") if k in finding},
            "override": {"verdict": verdict, "reason": reason[:2000]},
        },
    )
    check = override_check(copilot.referrals.authority, role)
    if check.within:
        copilot.post(thread_id, prompts.OVERRIDDEN.format(verdict=verdict, who=user, reason=reason), kind="override")
        return None
    found = determinations(answer["steps"])
    d = found[at] if at < len(found) else Determination(finding, [], [], [])
    memo = _memo(copilot, d, check, user, kind="override", override={"verdict": verdict, "reason": reason[:2000]})
    ref = copilot.referrals.open(
        kind="override",
        memo=memo,
        user=user,
        role=role,
        thread_id=thread_id,
        message_id=message_id,
        task_type=finding.get("task_type"),
    )
    copilot.post(
        thread_id,
        prompts.OVERRIDE_REFERRED.format(id=ref.id, verdict=verdict, reason=reason),
        kind="referral",
        referral_id=ref.id,
    )
    return ref
