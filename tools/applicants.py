"""Applicant lookup by id or (part of) the company name."""

from __future__ import annotations

import difflib
import re
from typing import Annotated

from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from seed_db import models
from tools.context import ToolContext
from tools.spec import tool

FIELDS = (
    "id",
    "company_name",
    "description",
    "naics_code",
    "state",
    "annual_revenue",
    "employees",
    "annual_payroll",
    "vehicles",
    "construction",
    "construction_type",
    "requested_lob",
)


def _record(ctx: ToolContext, a: models.Applicant) -> dict:
    out = {f: getattr(a, f) for f in FIELDS}
    out["naics_title"] = ctx.catalog.naics_titles.get(a.naics_code)
    return out


# A "closest name" match counts as the applicant only when the names are this similar (a misspelling, not another
# business whose name shares a word): the copilot's facts panel, its decision records and the offline model agree.
CLOSE_ENOUGH = 0.85
_SUFFIXES = ("llc", "inc", "co", "corp", "ltd", "the", "company")


def name_key(name: str) -> str:
    """A company name as compared: lower case, its words only, without legal suffixes."""
    words = re.findall(r"[a-z0-9&]+", (name or "").lower())
    return " ".join(w for w in words if w not in _SUFFIXES)


def established_applicant(arguments: dict, result: object) -> dict | None:
    """The applicant record a ``find_applicant`` call established: an id or exact name match, or a closest name
    close enough to the name asked for; None for no match, several candidates, or a closest name that is another
    business ("Maple Street Dental" is not "Clever Smile Dental")."""
    app = result.get("applicant") if isinstance(result, dict) else None
    if not isinstance(app, dict) or not isinstance(result, dict):
        return None
    if "note" not in result:  # found by id, by the exact name or as the only name containing the words asked
        return app
    asked = name_key(str(arguments.get("name_or_id") or ""))
    return app if difflib.SequenceMatcher(None, asked, name_key(app["company_name"])).ratio() >= CLOSE_ENOUGH else None


def applicant_of(event: dict) -> dict | None:
    """The applicant record a tool event ({"tool", "arguments", "result"}) established: a ``find_applicant`` call's
    (``established_applicant``), None for any other tool."""
    if event.get("tool") != "find_applicant":
        return None
    return established_applicant(event.get("arguments") or {}, event.get("result"))


@tool
def find_applicant(ctx: ToolContext, name_or_id: Annotated[str, Field(min_length=2, max_length=200)]) -> dict:
    """Find an applicant (a submission) by id (e.g. "APP-0042") or by company name, even partial or misspelt.

    Returns the full record (what the business does, NAICS code, state, revenue, employees, payroll, vehicles,
    building construction, requested line) when one applicant matches, up to 5 candidates to choose from, or
    `applicant: null` when the company is not in our submissions (then ask the underwriter for the facts).

    Args:
        name_or_id: applicant id or company name
    """
    q = name_or_id.strip()
    a = models.Applicant
    with Session(ctx.engine) as s:
        if re.fullmatch(r"(?i)app-?\d{1,4}", q):
            num = int(re.sub(r"\D", "", q))
            hit = s.get(a, f"APP-{num:04d}")
            if hit:
                return {"applicant": _record(ctx, hit)}
        exact = s.execute(select(a).where(func.lower(a.company_name) == q.lower())).scalars().all()
        if len(exact) == 1:
            return {"applicant": _record(ctx, exact[0])}
        like = (
            s.execute(
                select(a).where(func.lower(a.company_name).like(f"%{q.lower()}%")).order_by(a.company_name).limit(6)
            )
            .scalars()
            .all()
        )
        if len(like) == 1:
            return {"applicant": _record(ctx, like[0])}
        if like:
            return {
                "candidates": [{"id": x.id, "company_name": x.company_name, "state": x.state} for x in like[:5]],
                "hint": "several applicants match: ask which one, or call again with the id",
            }
        names = dict(s.execute(select(a.company_name, a.id)).all())
    by_lower = {n.lower(): n for n in names}
    close = [by_lower[n] for n in difflib.get_close_matches(q.lower(), list(by_lower), n=5, cutoff=0.6)]
    if len(close) == 1:
        with Session(ctx.engine) as s:
            return {"applicant": _record(ctx, s.get_one(a, names[close[0]])), "note": f"closest name to {q!r}"}
    if close:
        return {
            "candidates": [{"id": names[n], "company_name": n} for n in close],
            "hint": "no exact match: did you mean one of these?",
        }
    # Not a failure: most submissions are not in our applicant table yet. Say so, and what to do next.
    return {
        "applicant": None,
        "candidates": [],
        "note": f"no applicant in our submissions matches {name_or_id!r}; ask the underwriter what the business does (and its NAICS code if known)",
    }
