"""Underwriting authority, as data: who may decide which determinations, and what must go to a senior.

``authority:`` in ``data/insurer.yaml`` lists the roles (from sign-in) and the referral rules; the guideline section
``authority-levels`` says the same in words. ``check_authority`` is a pure function of a recorded finding, the facts
it rests on and the user's role, so the graph, the desk and the tests ask one question of one table.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.vocabulary import FACTS, TASK_TYPES, VERDICT_FIELDS

ROLES = ("junior", "senior", "admin")
# What a finding's facts may carry beyond the vocabulary's facts: a submission's new-or-renewal flag. No rule of the
# appetite guide turns on it, so the copilot never asks for it; a desk submission or an LLM's finding may state it.
SUBMISSION_FLAGS = ("renewal",)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PerHead(_Strict):
    per: str  # the fact to divide by ("employees")
    below: float  # the figure a head under which the facts contradict each other


class ReferRule(_Strict):
    """One reason a determination goes to a senior. Every condition given must hold (an empty rule never matches)."""

    id: str
    reason: str  # finishes "Needs a senior underwriter: …"
    section: str  # the guideline section that states it
    tasks: list[str] = Field(default_factory=lambda: ["appetite", "product_recommendation"])
    verdict: dict[str, Any] = {}  # finding fields that must equal these values ({"appetite": "qualified"})
    not_verdict: dict[str, Any] = {}  # finding fields that must not (a decline is within a junior's authority)
    facts: dict[str, Any] = {}  # facts that must equal these values ({"renewal": true})
    over: dict[str, float] = {}  # facts that must exceed these figures ({"annual_revenue": 5000000})
    lobs: list[str] = []  # the finding is about one of these lines
    naics: list[str] = []  # the code starts with one of these prefixes (six digits: that code)
    under_per: dict[str, PerHead] = {}  # a figure a head below this ({"annual_payroll": {per: employees, below: 5000}})
    cites: list[str] = []  # the finding cites every one of these guideline sections (the rule that raised it)
    not_cites: list[str] = []  # ... and none of these

    @model_validator(mode="after")
    def _known_names(self) -> ReferRule:
        unknown_tasks = [t for t in self.tasks if t not in TASK_TYPES]
        unknown_fields = [f for f in (*self.verdict, *self.not_verdict) if f not in VERDICT_FIELDS]
        named = (*self.over, *self.facts, *self.under_per, *(p.per for p in self.under_per.values()))
        unknown_facts = [f for f in named if f not in FACTS and f not in SUBMISSION_FLAGS]
        if unknown_tasks or unknown_fields or unknown_facts:
            raise ValueError(f"unknown task, verdict field or fact: {unknown_tasks + unknown_fields + unknown_facts}")
        if not (self.verdict or self.facts or self.over or self.under_per or self.lobs or self.naics or self.cites):
            raise ValueError("a rule needs at least one condition (verdict, facts, over, lobs, naics or cites)")
        return self


class Authority(_Strict):
    decides: dict[str, str]  # role -> what it may decide, in words (shown on the pages)
    refer_from: list[str]  # the roles whose determinations the rules below apply to
    approvers: list[str]  # the roles that may approve, decline or return a referral
    override_needs: list[str]  # the roles that may override a determination without a referral
    override_section: str
    rules: list[ReferRule]

    @model_validator(mode="after")
    def _known_roles(self) -> Authority:
        named = {*self.decides, *self.refer_from, *self.approvers, *self.override_needs}
        if named - set(ROLES):
            raise ValueError(f"unknown role(s) {sorted(named - set(ROLES))}; roles are {', '.join(ROLES)}")
        return self


@dataclass(frozen=True)
class Trigger:
    rule: str
    reason: str
    section: str


@dataclass(frozen=True)
class AuthorityCheck:
    """What a role may do with one determination: ``within`` its authority, else the rules that refer it."""

    role: str
    triggers: tuple[Trigger, ...] = ()

    @property
    def within(self) -> bool:
        return not self.triggers

    @property
    def sections(self) -> list[str]:
        return sorted({t.section for t in self.triggers})


def role_of(role: str | None) -> str:
    """A sign-in role in this vocabulary: ``user`` (the older name) and anything unknown are juniors."""
    role = (role or "").strip().lower()
    return role if role in ROLES else "junior"


def _lines(finding: dict, facts: dict) -> set[str]:
    """The lines a finding decides on: the one asked about, or those recommended."""
    lobs = finding.get("lobs")
    return {x for x in [facts.get("lob"), *(lobs if isinstance(lobs, list) else [])] if isinstance(x, str)}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _matches(rule: ReferRule, finding: dict, facts: dict) -> bool:
    if finding.get("task_type") not in rule.tasks:
        return False
    if any(str(finding.get(k, "")).lower() != str(v).lower() for k, v in rule.verdict.items()):
        return False
    if any(str(finding.get(k, "")).lower() == str(v).lower() for k, v in rule.not_verdict.items()):
        return False
    if any(facts.get(k) != v for k, v in rule.facts.items()):
        return False
    for k, limit in rule.over.items():
        n = _number(facts.get(k))
        if n is None or n <= limit:
            return False
    for k, head in rule.under_per.items():
        n, heads = _number(facts.get(k)), _number(facts.get(head.per))
        if n is None or not heads or n / heads >= head.below:
            return False
    if rule.lobs and not _lines(finding, facts) & set(rule.lobs):
        return False
    cited = set(finding.get("citations") or ())
    if not set(rule.cites) <= cited or cited & set(rule.not_cites):
        return False
    code = str(finding.get("naics") or facts.get("naics") or "")
    return not rule.naics or any(code.startswith(p) for p in rule.naics)


def check_authority(authority: Authority, finding: dict, facts: dict | None, role: str | None) -> AuthorityCheck:
    """The referral rules a ``role`` meets with this finding; ``facts`` are those it rests on (the finding's own
    ``facts`` fill in what is not given)."""
    role = role_of(role)
    if role not in authority.refer_from:
        return AuthorityCheck(role)
    known = {**(finding.get("facts") or {}), **(facts or {})}
    hits = tuple(Trigger(r.id, r.reason, r.section) for r in authority.rules if _matches(r, finding, known))
    return AuthorityCheck(role, hits)


def may_approve(authority: Authority, role: str | None) -> bool:
    return role_of(role) in authority.approvers


def override_check(authority: Authority, role: str | None) -> AuthorityCheck:
    """An override of the copilot's determination: within authority for ``override_needs`` roles, else referred."""
    role = role_of(role)
    if role in authority.override_needs:
        return AuthorityCheck(role)
    return AuthorityCheck(
        role, (Trigger("override", "an override of the copilot's determination", authority.override_section),)
    )


DATA_FILE = Path(__file__).parent / "data" / "insurer.yaml"


@lru_cache(maxsize=4)
def load_authority(path: Path = DATA_FILE) -> Authority:
    """The ``authority:`` section of the insurer's data (validated; ``uwc seed`` checks its references)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return Authority.model_validate(data.get("authority") or {})
