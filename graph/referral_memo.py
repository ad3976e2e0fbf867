"""The referral memo a senior underwriter reads: built from the determination's record, never from unscanned text.

The case in five lines, the facts with where each came from, the rules applied with their sections, what the
copilot recommends and why, what is missing and why it was referred. A submission's referral
(``build_submission_memo``) holds every determination triage referred, each with its rules, reasons and recommendation. The only free text is the finding's summary,
which passes the product guard first (``tools.guard``): a product we do not write never reaches a senior as an offer.
"""

from __future__ import annotations

from core.vocabulary import FACT_LABELS, FACTS, MONEY_VERDICTS, TASK_LABELS, VERDICT_FIELDS, usd
from graph.build import remove_offending
from seed_db.authority import AuthorityCheck
from tools.guard import find_mentions


def _line(code: object, catalog) -> str:
    """A line by the catalog's name, never its code ("general_liability")."""
    names = getattr(catalog, "lobs", None) or {}
    return names.get(str(code)) or str(code).replace("_", " ")


def _verdict(finding: dict, catalog=None) -> str:
    parts = []
    for f in VERDICT_FIELDS:
        v = finding.get(f)
        if v is None:
            continue
        if f in MONEY_VERDICTS:
            v = usd(v)
        elif isinstance(v, list):
            v = ", ".join(_line(x, catalog) if f == "lobs" else str(x) for x in v) or "none"
        elif isinstance(v, bool):
            v = "yes" if v else "no"
        parts.append(f"{f.replace('_', ' ')}: {v}")
    return "; ".join(parts) or "no verdict"


def scanned(text: str, catalog) -> str:
    """``text`` with any offer of a product we do not write removed (the answer guard's own rule)."""
    mentions = [m for m in find_mentions(text or "", catalog) if m.offered]
    return remove_offending(text, mentions) if mentions else (text or "")


def _fact_value(key: str, value, catalog=None) -> str:
    if key in FACTS and FACTS[key].kind == "money":
        return usd(value)
    if key in FACTS and FACTS[key].kind == "line":
        return _line(value, catalog)
    return str(value)


def _rules(rules: list[dict]) -> list[dict]:
    return [
        {k: r.get(k) for k in ("rule", "outcome", "detail", "section") if r.get(k) is not None}
        for r in rules
        if isinstance(r, dict)
    ]


def question(finding: dict, catalog) -> str:
    """What was asked, with the line when the determination is about one ("Appetite check — Property")."""
    task = finding.get("task_type") or ""
    lob = (finding.get("facts") or {}).get("lob")
    return TASK_LABELS.get(task, task) + (f" — {_line(lob, catalog)}" if lob else "")


def referred_item(finding: dict, rules: list[dict], check: AuthorityCheck, catalog) -> dict:
    """One determination of a referral: what was asked, the copilot's determination, the rules that gave it and
    why it is beyond the underwriter's authority."""
    return {
        "task_type": finding.get("task_type") or "",
        "question": question(finding, catalog),
        "determination": _verdict(finding, catalog),
        "verdict": {f: finding[f] for f in VERDICT_FIELDS if f in finding},
        "rules": _rules(rules),
        "triggers": [{"rule": t.rule, "reason": t.reason, "section": t.section} for t in check.triggers],
        "recommendation": scanned(str(finding.get("summary") or ""), catalog),
        "citations": list(finding.get("citations") or []),
    }


def _facts(facts: list[dict], catalog) -> list[dict]:
    return [
        {**f, "label": FACT_LABELS.get(f["fact"], f["fact"]), "shown": _fact_value(f["fact"], f["value"], catalog)}
        for f in facts
    ]


def _who(facts: list[dict], catalog, keys: tuple[str, ...]) -> str:
    known = {f["fact"]: f["value"] for f in facts}
    who = known.get("company") or (f"NAICS {known['naics']}" if known.get("naics") else "the applicant")
    where = ", ".join(_fact_value(k, known[k], catalog) for k in keys if known.get(k))
    return f"{who}{f' ({where})' if where else ''}"


def _asked(user: str, role: str, at: str) -> str:
    return f"Asked by {user} ({role}) at {at[:16].replace('T', ' ')} UTC"


def build_memo(
    *,
    finding: dict,
    facts: list[dict],
    rules: list[dict],
    check: AuthorityCheck,
    missing: list[str],
    user: str,
    at: str,
    catalog,
    record_hash: str | None = None,
    kind: str = "determination",
    override: dict | None = None,
) -> dict:
    """The memo of one determination as data (the pages and the PDF lay it out). ``facts``: ``{fact, value,
    source}`` each; ``rules``: the deciding tool's ``rules_applied``; ``missing``: fact keys the tool still needed."""
    item = referred_item(finding, rules, check, catalog)
    case = [
        _who(facts, catalog, ("state", "lob")),
        f"Question: {TASK_LABELS.get(item['task_type'], item['task_type'])}",
        f"Copilot's determination: {item['determination']}",
        "Referred because: " + "; ".join(t.reason for t in check.triggers),
        _asked(user, check.role, at),
    ]
    if override:
        case[2] += f" — overridden to {override.get('verdict')}: {override.get('reason')}"
    return {
        "kind": kind,
        "case": case,
        "facts": _facts(facts, catalog),
        **{
            k: item[k] for k in ("task_type", "question", "rules", "triggers", "recommendation", "verdict", "citations")
        },
        "missing": [FACTS[m].words if m in FACTS else m for m in missing],
        "override": override,
        "record_hash": record_hash,
    }


def build_submission_memo(
    *,
    submission_id: str,
    items: list[tuple[dict, list[dict], AuthorityCheck]],
    facts: list[dict],
    missing: list[str],
    user: str,
    role: str,
    at: str,
    catalog,
) -> dict:
    """The memo of a submission's referral: every determination triage found beyond ``role``'s authority
    (``items``: finding, its rules applied, its authority check), each with its rules and reasons. One memo for the
    account: a senior weighs its determinations together, on the same facts, and one decision frees the desk."""
    referred = [referred_item(f, rules, check, catalog) for f, rules, check in items]
    triggers: list[dict] = []
    for t in (t for item in referred for t in item["triggers"]):
        triggers += [t] if t not in triggers else []
    case = [
        f"{_who(facts, catalog, ('state',))} — submission {submission_id}",
        "Questions: " + "; ".join(item["question"] for item in referred),
        f"Copilot's determinations: {len(referred)} referred, each below with the rules applied",
        "Referred because: " + "; ".join(dict.fromkeys(t["reason"] for t in triggers)),
        _asked(user, role, at),
    ]
    return {
        "kind": "submission",
        "task_type": referred[0]["task_type"] if referred else "",
        "case": case,
        "facts": _facts(facts, catalog),
        "determinations": referred,
        "rules": [],  # each determination's own, above: one list would mix up which rule gave which
        "triggers": triggers,
        "recommendation": "",
        "verdict": {},
        "citations": list(dict.fromkeys(c for item in referred for c in item["citations"])),
        "missing": [FACTS[m].words if m in FACTS else m for m in missing],
        "override": None,
        "record_hash": None,
    }
