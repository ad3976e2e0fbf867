"""The underwriting rule chain as tools: small-business test, appetite, recommendations, limits, deductibles.

Each tool applies every rule the guidelines name, in the guidelines' order, and returns the rules it applied
with the guideline section behind each, so the model never has to remember a step. A decision that needs a
fact nobody gave yet comes back with ``status: "need_facts"``, the missing facts and a question to ask.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, TypeVar

from pydantic import Field
from sqlalchemy import Row, Select, select

from core.database import one_statement
from core.vocabulary import FACTS, MONEY_FACTS, RULE_FIGURES, millions, usd_short
from seed_db import models
from tools import catalog as norm
from tools.context import ToolContext
from tools.spec import tool

Naics = Annotated[str, Field(description="six-digit 2022 NAICS code, e.g. '722511'")]
Money = int | float | str | None
Count = int | float | str | None

NUMBERS = tuple(k for k in RULE_FIGURES if FACTS[k].kind in ("money", "count"))  # the figures a rule compares
SB_SECTIONS = ["small-business-rule", "size-standards"]
# The appetite guide's sector summary is split over three sections by sector range. A row's section comes from the
# rule that set it, and the default rule names only the first: cite the part that covers the code's sector.
SECTOR_SECTIONS = (
    ("sector-appetite", 11, 49),
    ("sector-appetite-services", 51, 56),
    ("sector-appetite-care-leisure", 61, 92),
)


class Facts:
    """The applicant facts a tool was given, normalised ("$4.5M" -> 4500000, "wood frame" -> "V")."""

    def __init__(
        self,
        ctx: ToolContext,
        annual_revenue=None,
        employees=None,
        annual_payroll=None,
        vehicles=None,
        construction=None,
    ):
        self.annual_revenue = None if annual_revenue is None else norm.money(annual_revenue, "annual_revenue")
        self.employees = None if employees is None else norm.count(employees, "employees")
        self.annual_payroll = None if annual_payroll is None else norm.money(annual_payroll, "annual_payroll")
        self.vehicles = None if vehicles is None else norm.count(vehicles, "vehicles")
        self.construction_text = construction
        self.construction = None if construction in (None, "") else ctx.catalog.construction(construction)

    def given(self) -> dict:
        out = {k: getattr(self, k) for k in NUMBERS if getattr(self, k) is not None}
        if self.construction:
            out["construction"] = f"Type {self.construction} ({self.construction_text})"
        return out


def _title(ctx: ToolContext, code: str) -> str:
    return ctx.catalog.naics_titles[code]


def small_business_test(ctx: ToolContext, code: str, facts: Facts) -> dict:
    """The SBA size test for a 2022 code: decided, need_facts or refer, with the standard used."""
    rows = _rows(
        ctx, select(models.SizeStandard).where(models.SizeStandard.naics_code == code).order_by(models.SizeStandard.id)
    )
    base = next((r for r in rows if r.exception is None), None)
    out: dict = {"naics": code, "title": _title(ctx, code), "sections": list(SB_SECTIONS)}
    exceptions = [
        {"exception": r.exception, "title": r.title, "standard": _standard(r)["text"]} for r in rows if r.exception
    ]
    if exceptions:
        out["exceptions"] = exceptions
        out["sections"].append("size-standards-exceptions")
    if base is None:
        out.update(
            status="refer",
            small_business=None,
            reason=f"The SBA publishes no size standard for {code} ({_title(ctx, code)}), so the small-business test cannot be applied: refer to a senior underwriter.",
        )
        out["sections"] = ["size-standards-exceptions", "referral-triggers"]
        return out
    std = _standard(base)
    out["standard"] = {
        **std,
        "source": f"SBA table of size standards effective 2023-03-17, row {base.id}: {base.naics_code} {base.title}",
    }
    figure = {"receipts": facts.annual_revenue, "employees": facts.employees, "assets": None}[std["measure"]]
    fact_name = {"receipts": "annual_revenue", "employees": "employees", "assets": "total_assets"}[std["measure"]]
    if std["measure"] == "assets":
        out.update(
            status="refer",
            small_business=None,
            needs=["total_assets"],
            reason=f"{code} uses an asset standard ({std['text']}); assets are not in the submission: refer to a senior underwriter.",
        )
        out["sections"].append("referral-triggers")
        return out
    if figure is None:
        out.update(
            status="need_facts",
            small_business=None,
            needs=[fact_name],
            question=FACTS[fact_name].question,
            reason=f"The standard for {code} is {std['text']}; the applicant's {fact_name.replace('_', ' ')} is needed.",
        )
        return out
    small = figure <= std["threshold"]
    shown = usd_short(figure) if std["measure"] == "receipts" else f"{figure:,} employees"
    out.update(
        status="decided",
        small_business=small,
        figure={fact_name: figure},
        reason=f"{shown} {'is at or below' if small else 'exceeds'} the SBA standard of {std['text']} for {code}: {'small' if small else 'not small'}.",
    )
    return out


def _standard(row: Row) -> dict:
    if row.receipts_musd is not None:
        return {
            "measure": "receipts",
            "threshold": int(round(row.receipts_musd * 1_000_000)),
            "text": f"{usd_short(row.receipts_musd * 1_000_000)} average annual receipts",
        }
    if row.employees is not None:
        return {"measure": "employees", "threshold": row.employees, "text": f"{row.employees:,} employees"}
    threshold = int(round((row.assets_musd or 0) * 1_000_000))
    return {"measure": "assets", "threshold": threshold, "text": f"${millions(threshold)}M in assets"}


def appetite_section(code: str, section: str) -> str:
    """The guideline section to cite for an appetite-guide row: a sector summary is the one covering the code."""
    if section not in {name for name, _, _ in SECTOR_SECTIONS}:
        return section
    sector = int(code[:2])
    return next((name for name, lo, hi in SECTOR_SECTIONS if lo <= sector <= hi), section)


def _rows(ctx: ToolContext, query: Select) -> Sequence[Row]:
    """A query's rows, read by attribute as the mapped objects would be: a table's rows as plain rows cost a third of
    what the ORM's objects do (a session and an identity map a lookup), and the tools only read them."""
    with one_statement(ctx.engine) as c:
        return c.execute(query).all()


def _guide(ctx: ToolContext, code: str, state: str, lob: str) -> Row:
    query = select(models.Appetite).where(
        models.Appetite.naics_code == code, models.Appetite.state == state, models.Appetite.lob == lob
    )
    with one_statement(ctx.engine) as c:
        return c.execute(query).one()


def _qualification_rule(ctx: ToolContext, code: str, lob: str) -> Row:
    rules = _rows(
        ctx,
        select(models.QualificationRule)
        .where(models.QualificationRule.lob == lob)
        .order_by(models.QualificationRule.id),
    )
    specific = [r for r in rules if r.codes and code in r.codes.split(",")]
    general = [r for r in rules if not r.codes]
    return (specific or general)[0]


def _qualify(ctx: ToolContext, code: str, lob: str, facts: Facts) -> dict:
    rule = _qualification_rule(ctx, code, lob)
    value = getattr(facts, rule.fact)
    step = {"rule": f"qualified_{lob}", "fact": rule.fact, "section": rule.section_id}
    if value is None:
        return {
            **step,
            "outcome": "unknown",
            "needs": rule.fact,
            "detail": f"{ctx.catalog.lobs[lob]} is Qualified here: decided by {rule.fact.replace('_', ' ')}",
        }
    if rule.fact == "construction":
        allowed = (rule.allowed_types or "").split(",")
        ok = value in allowed
        return {
            **step,
            "outcome": "pass" if ok else "fail",
            "detail": f"Type {value} ({ctx.catalog.construction_names[value]}) {'is' if ok else 'is not'} among the accepted types {', '.join(allowed)}",
        }
    max_value = rule.max_value or 0  # a numeric rule always has a maximum (seed_db.rules checks it)
    ok = value <= max_value
    shown = usd_short(value) if rule.fact in MONEY_FACTS else f"{value:,}"
    limit = usd_short(max_value) if rule.fact in MONEY_FACTS else f"{max_value:,.0f}"
    return {
        **step,
        "outcome": "pass" if ok else "fail",
        "detail": f"{rule.fact.replace('_', ' ')} {shown} {'is within' if ok else 'is over'} the limit of {limit}",
    }


def appetite_chain(ctx: ToolContext, code: str, state: str, lob: str, facts: Facts) -> dict:
    """Small-business test, state exceptions and the appetite guide, then the qualification rule."""
    guide = _guide(ctx, code, state, lob)
    steps: list[dict] = []
    needs: list[str] = []
    if guide.rule_id == "monopolistic-workers-compensation":
        steps.append(
            {
                "rule": "state_exception",
                "outcome": "fail",
                "section": guide.section_id,
                "detail": f"{state} is a monopolistic workers compensation state: only the state fund writes it",
            }
        )
    else:
        steps.append(
            {
                "rule": "appetite_guide",
                "outcome": guide.appetite,
                "section": appetite_section(code, guide.section_id),
                "detail": f"appetite guide for {code} in {state}: {guide.appetite} ({_rule_words(guide.rule_id)})",
            }
        )
    sb = small_business_test(ctx, code, facts)
    sb_step = {"rule": "small_business", "section": "small-business-rule", "detail": sb["reason"]}
    if sb["status"] == "decided":
        sb_step["outcome"] = "pass" if sb["small_business"] else "fail"
    else:
        sb_step["outcome"] = "unknown" if sb["status"] == "need_facts" else "refer"
    steps.insert(0, sb_step)

    if guide.appetite == "No":  # declined whatever the size: no need to ask for more
        verdict, status = "no", "decided"
        if sb_step["outcome"] == "unknown":
            sb_step.update(
                outcome="not_needed", detail="not needed: the line is declined by the appetite guide or a state rule"
            )
    elif sb_step["outcome"] == "fail":
        verdict, status = "no", "decided"
    elif (
        sb_step["outcome"] in ("unknown", "refer")
        and guide.appetite == "Qualified"
        and (q := _qualify(ctx, code, lob, facts))["outcome"] == "fail"
    ):  # a wood-frame motel is declined whatever its size: the size is not asked for, nor referred on
        steps.append(q)
        verdict, status = "no", "decided"
        sb_step.update(outcome="not_needed", detail="not needed: the line is declined by its qualification rule")
    elif sb_step["outcome"] == "unknown":
        verdict, status = None, "need_facts"
        needs += sb["needs"]
    elif sb_step["outcome"] == "refer":
        verdict, status = "qualified", "refer"
    elif guide.appetite == "Yes":
        verdict, status = "yes", "decided"
    else:
        q = _qualify(ctx, code, lob, facts)
        steps.append(q)
        if q["outcome"] == "unknown":
            verdict, status = "qualified", "need_facts"
            needs.append(q["needs"])
        else:
            verdict, status = ("yes" if q["outcome"] == "pass" else "no"), "decided"
    sections = []
    for s in steps:
        if s["section"] not in sections and s["outcome"] != "not_needed":
            sections.append(s["section"])
    if sb_step["outcome"] == "refer":
        sections += [s for s in sb["sections"] if s not in sections]
    return {
        "appetite": verdict,
        "status": status,
        "needs": needs,
        "rules_applied": steps,
        "sections": sections,
        "small_business": sb,
    }


# The outcomes of a rule step that decide a verdict other than yes: a failed test, the appetite guide's "no", a fact
# missing, a referral. A "no" from the guide is as decisive as a failed test (an answer's reason leads with it).
DECIDING = ("fail", "no", "unknown", "refer")
# The tools' own "reason" and "decisive" texts still leave the guide's "no" out: the real model's recorded traffic
# (tests/data/real_llm/small) replays these results byte for byte, so changing them waits for a new recording.
_RESULT_DECIDING = ("fail", "unknown", "refer")


def deciding(step: dict) -> bool:
    """A rule step whose outcome decides a verdict other than yes (the guide says "No" in capitals)."""
    return str(step.get("outcome")).lower() in DECIDING


def _reason(chain: dict, lob_name: str) -> str:
    def join(steps):
        return "; ".join(s["detail"].rstrip(".") for s in steps) + "."

    decisive = [s for s in chain["rules_applied"] if s["outcome"] in _RESULT_DECIDING]
    if chain["appetite"] == "yes":
        return f"In appetite for {lob_name}: " + join(s for s in chain["rules_applied"] if s["outcome"] != "not_needed")
    return join(decisive or chain["rules_applied"])


@tool
def check_small_business(ctx: ToolContext, naics: Naics, annual_revenue: Money = None, employees: Count = None) -> dict:
    """Decide whether an applicant is a small business under the SBA size standard for its 2022 NAICS code.

    Returns small_business true/false with the standard used (receipts or employees, the threshold and its
    source row). When the standard needs a figure that was not given, returns status "need_facts" and the
    question to ask. Give whatever figures you have.

    Args:
        naics: six-digit 2022 NAICS code
        annual_revenue: annual revenue (receipts) in dollars, e.g. 4500000 or "$4.5M"
        employees: number of employees
    """
    code = ctx.catalog.naics(naics)
    return small_business_test(ctx, code, Facts(ctx, annual_revenue=annual_revenue, employees=employees))


@tool
def check_appetite(
    ctx: ToolContext,
    naics: Naics,
    state: str,
    lob: str,
    annual_revenue: Money = None,
    employees: Count = None,
    annual_payroll: Money = None,
    vehicles: Count = None,
    construction: str | None = None,
) -> dict:
    """Decide whether we want to write one line of business for an applicant: appetite yes / no / qualified.

    Applies the whole rule chain in order and returns every rule applied with its guideline section: the
    small-business test, state exceptions (monopolistic workers compensation states), the appetite guide,
    and for Qualified entries the rule that decides them (payroll, vehicles, construction, employees or
    revenue). With a missing fact it returns status "need_facts", the facts needed and the question to ask.

    Args:
        naics: six-digit 2022 NAICS code
        state: US state or DC, code or name (e.g. "TX" or "Texas")
        lob: line of business: workers compensation, property, general liability, auto, cyber or BOP (synonyms accepted)
        annual_revenue: annual revenue in dollars
        employees: number of employees
        annual_payroll: total annual payroll in dollars
        vehicles: number of vehicles
        construction: the building's construction in words or as a type (e.g. "wood frame", "Type II")
    """
    code, st, lob_code = ctx.catalog.naics(naics), ctx.catalog.state(state), ctx.catalog.lob(lob)
    facts = Facts(ctx, annual_revenue, employees, annual_payroll, vehicles, construction)
    chain = appetite_chain(ctx, code, st, lob_code, facts)
    out = {
        "naics": code,
        "title": _title(ctx, code),
        "state": st,
        "lob": lob_code,
        "appetite": chain["appetite"],
        "status": chain["status"],
        "reason": _reason(chain, ctx.catalog.lobs[lob_code]),
        "rules_applied": chain["rules_applied"],
        "facts_used": facts.given(),
        "sections": chain["sections"],
    }
    if chain["needs"]:
        out["needs"] = chain["needs"]
        out["question"] = FACTS[chain["needs"][0]].question
    return out


@tool
def recommend_lobs(
    ctx: ToolContext,
    naics: Naics,
    state: str,
    exclude_lob: str | None = None,
    annual_revenue: Money = None,
    employees: Count = None,
    annual_payroll: Money = None,
    vehicles: Count = None,
    construction: str | None = None,
) -> dict:
    """List the other lines of business we could offer an applicant, each with its reason.

    Runs the appetite chain for each of our lines (except exclude_lob, usually the line already requested).
    Returns `recommended` (in appetite), `need_facts` (Qualified lines that depend on a fact not yet given,
    with the question) and `declined`. A business that is not small gets no recommendation at all.

    Args:
        naics: six-digit 2022 NAICS code
        state: US state or DC, code or name
        exclude_lob: the line already requested, to leave out
        annual_revenue: annual revenue in dollars
        employees: number of employees
        annual_payroll: total annual payroll in dollars
        vehicles: number of vehicles
        construction: the building's construction in words or as a type
    """
    code, st = ctx.catalog.naics(naics), ctx.catalog.state(state)
    excluded = ctx.catalog.lob(exclude_lob) if exclude_lob else None
    facts = Facts(ctx, annual_revenue, employees, annual_payroll, vehicles, construction)
    recommended, pending, declined, sections = [], [], [], ["product-recommendations"]
    sb = small_business_test(ctx, code, facts)
    out: dict = {
        "naics": code,
        "title": _title(ctx, code),
        "state": st,
        "excluded": excluded,
        "facts_used": facts.given(),
    }
    if sb["status"] == "decided" and not sb["small_business"]:
        return {
            **out,
            "status": "decided",
            "recommended": [],
            "need_facts": [],
            "declined": [],
            "reason": "Not a small business, so we cannot write any line: " + sb["reason"],
            "sections": sections + ["small-business-rule"],
        }
    for lob in ctx.catalog.lobs:
        if lob == excluded:
            continue
        chain = appetite_chain(ctx, code, st, lob, facts)
        entry = {
            "lob": lob,
            "name": ctx.catalog.lobs[lob],
            "reason": _reason(chain, ctx.catalog.lobs[lob]),
            "decisive": next(
                (st["detail"] for st in chain["rules_applied"] if st["outcome"] in _RESULT_DECIDING), None
            ),
            "sections": chain["sections"],
        }
        sections += [s for s in chain["sections"] if s not in sections]
        if chain["appetite"] == "yes":
            recommended.append(entry)
        elif chain["status"] in ("need_facts", "refer"):
            pending.append({**entry, "needs": chain["needs"], "status": chain["status"]})
        else:
            declined.append(entry)
    needs = sorted({n for p in pending for n in p["needs"]}, key=list(FACTS).index)
    out.update(
        status="need_facts" if needs else "decided",
        recommended=recommended,
        need_facts=pending,
        declined=declined,
        sections=sections,
    )
    if needs:
        out["needs"], out["question"] = needs, FACTS[needs[0]].question
    return out


Rule = TypeVar("Rule", models.LimitRule, models.DeductibleRule)


def _best_rule(ctx: ToolContext, table: type[Rule], naics: str, lob: str) -> tuple[str, str, Row, str]:
    """The most specific rule of a limit or deductible table: longest NAICS prefix, then LOB-specific over all-LOB."""
    code, lob_code = ctx.catalog.naics(naics), ctx.catalog.lob(lob)
    rule = norm.most_specific_rule(_rows(ctx, select(table)), code, lob_code)
    if rule is None:  # the tables hold an every-line, every-code rule: only a broken database has none
        raise ValueError(f"no {table.__tablename__} row applies to {code} / {lob_code}")
    scope = f"rule for {ctx.catalog.lobs.get(rule.lob or '', 'every line')}, " + (
        f"NAICS prefix {rule.naics_prefix}" if rule.naics_prefix else "every code"
    )
    return code, lob_code, rule, scope


@tool
def get_limits(ctx: ToolContext, naics: Naics, lob: str) -> dict:
    """The policy limits to offer (per occurrence and aggregate) for a 2022 NAICS code and line of business.

    Args:
        naics: six-digit 2022 NAICS code
        lob: line of business (synonyms accepted)
    """
    code, lob_code, rule, scope = _best_rule(ctx, models.LimitRule, naics, lob)
    return {
        "naics": code,
        "title": _title(ctx, code),
        "lob": lob_code,
        "per_occurrence": rule.per_occurrence,
        "aggregate": rule.aggregate,
        "reason": f"{usd_short(rule.per_occurrence)} per occurrence / {usd_short(rule.aggregate)} aggregate: {scope}",
        "scope": scope,
        "sections": [rule.section_id],
    }


@tool
def get_deductible(ctx: ToolContext, naics: Naics, lob: str) -> dict:
    """The deductible to offer for a 2022 NAICS code and line of business.

    Args:
        naics: six-digit 2022 NAICS code
        lob: line of business (synonyms accepted)
    """
    code, lob_code, rule, scope = _best_rule(ctx, models.DeductibleRule, naics, lob)
    return {
        "naics": code,
        "title": _title(ctx, code),
        "lob": lob_code,
        "deductible": rule.deductible,
        "reason": f"{usd_short(rule.deductible)} deductible: {scope}",
        "scope": scope,
        "sections": [rule.section_id],
    }


def _rule_words(rule_id: str) -> str:
    """The appetite table's rule in words: its id ("manufacturing", "default") read as a code in an answer."""
    if rule_id == "default":
        return "our default for every sector"
    return f"the {rule_id.replace('-', ' ')} rule"
