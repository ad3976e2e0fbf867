"""The headline of a recorded finding, built from its typed verdict: what the page's answer and finding card and
`uwc chat` lead with, for the offline model and an LLM alike.

Never cut from the answer's text: a name such as "Sorensen Trucking Inc." has a full stop in it, and a note before
the verdict ("Noted: …") is not a determination.
"""

from __future__ import annotations

from collections.abc import Mapping

from core.vocabulary import FACT_WORDS, TASK_LABELS, usd


def _names(codes: object, lobs: Mapping[str, str]) -> list[str]:
    items = codes if isinstance(codes, (list, tuple)) else [codes] if codes else []
    return [lobs.get(str(c)) or str(c).replace("_", " ").title() for c in items]


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _figures(finding: Mapping) -> str:
    """The limits or the deductible a finding gives ("" when it gives neither)."""
    if finding.get("per_occurrence") is not None:
        return f"{usd(finding['per_occurrence'])} per occurrence / {usd(finding.get('aggregate'))} aggregate"
    if finding.get("deductible") is not None:
        return f"{usd(finding['deductible'])} deductible"
    return ""


def headline(
    finding: Mapping,
    lobs: Mapping[str, str] | None = None,
    titles: Mapping[str, str] | None = None,
    name: str | None = None,
) -> str:
    """One line: the determination, whom and which line it is about. ``lobs`` maps line codes to the catalog's
    names, ``titles`` NAICS codes to their titles (either may be empty: codes are then shown readably); ``name``:
    the applicant's name as the conversation knows it, for a finding whose facts do not name it (an LLM's, or one
    made in a conversation continued from a submission)."""
    lobs, titles = lobs or {}, titles or {}
    given = finding.get("facts")
    facts: Mapping = given if isinstance(given, Mapping) else {}
    named = str(facts.get("company") or name or "").strip()
    who = named or "the business"
    line = _joined(_names(facts.get("lob"), lobs)) if facts.get("lob") else ""
    on = f" for {line}" if line else ""
    task = finding.get("task_type")
    appetite = finding.get("appetite")
    figures = _figures(finding)
    if figures and appetite == "no":  # figures asked for a line out of appetite: the decline leads
        return f"Declined — {who} is not in appetite{on}; for information only: {figures}"
    if appetite == "yes":
        return f"Yes — {who} is in appetite{on}"
    if appetite == "no":
        return f"No — {who} is not in appetite{on}"
    if appetite == "qualified":
        unknown = [FACT_WORDS.get(str(k), str(k)) for k in facts.get("unknown") or []]
        if unknown:
            return f"Qualified — {line or 'the line'} for {who} depends on {_joined(unknown)}, which we do not have"
        return f"Qualified — {line or 'the line'} for {who} goes to a senior underwriter"
    if isinstance(finding.get("lobs"), list):
        offered = _names(finding["lobs"], lobs)
        besides = _names(facts.get("exclude_lob"), lobs)
        also = f" besides {_joined(besides)}" if besides else ""
        if offered:
            return f"Lines to offer {who}{also}: {_joined(offered)}"
        return f"No {'other ' if besides else ''}line to offer {who}{also}"
    if finding.get("small_business") is not None:
        if not named:  # "Small business — the business" reads as a stutter
            return f"The business is {'' if finding['small_business'] else 'not '}a small business"
        return f"{'Small business' if finding['small_business'] else 'Not a small business'} — {who}"
    if figures:
        return f"{figures}{on}{f' on {who}' if named else ''}"
    if finding.get("naics"):
        code = str(finding["naics"])
        title = titles.get(code)
        return f"NAICS {code} {title}" if title else f"NAICS {code}"
    return TASK_LABELS.get(str(task), "Finding recorded")
