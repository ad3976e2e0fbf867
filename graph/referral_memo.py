"""The referral memo a senior underwriter reads: built from the determination's record, never from unscanned text.

The case in five lines, the facts with where each came from, the rules applied with their sections, what the
copilot recommends and why, what is missing and why it was referred. The only free text is the finding's summary,
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
    """The memo as data (the pages and the PDF lay it out). ``facts``: ``{fact, value, source}`` each;
    ``rules``: the deciding tool's ``rules_applied``; ``missing``: fact keys the tool still needed."""
    task = finding.get("task_type") or ""
    known = {f["fact"]: f["value"] for f in facts}
    who = known.get("company") or (f"NAICS {known['naics']}" if known.get("naics") else "the applicant")
    where = ", ".join(_fact_value(k, known[k], catalog) for k in ("state", "lob") if known.get(k))
    case = [
        f"{who}{f' ({where})' if where else ''}",
        f"Question: {TASK_LABELS.get(task, task)}",
        f"Copilot's determination: {_verdict(finding, catalog)}",
        "Referred because: " + "; ".join(t.reason for t in check.triggers),
        f"Asked by {user} ({check.role}) at {at[:16].replace('T', ' ')} UTC",
    ]
    if override:
        case[2] += f" — overridden to {override.get('verdict')}: {override.get('reason')}"
    return {
        "kind": kind,
        "task_type": task,
        "case": case,
        "facts": [
            {**f, "label": FACT_LABELS.get(f["fact"], f["fact"]), "shown": _fact_value(f["fact"], f["value"], catalog)}
            for f in facts
        ],
        "rules": [
            {k: r.get(k) for k in ("rule", "outcome", "detail", "section") if r.get(k) is not None} for r in rules
        ],
        "triggers": [{"rule": t.rule, "reason": t.reason, "section": t.section} for t in check.triggers],
        "recommendation": scanned(str(finding.get("summary") or ""), catalog),
        "verdict": {f: finding[f] for f in VERDICT_FIELDS if f in finding},
        "citations": list(finding.get("citations") or []),
        "missing": [FACTS[m].words if m in FACTS else m for m in missing],
        "override": override,
        "record_hash": record_hash,
    }
