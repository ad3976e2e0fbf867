"""Applicants as the pages show and pick them, and opening one in a new conversation."""

from __future__ import annotations

import streamlit as st

from app import resources
from app.ui import session
from app.ui.escape import code, md
from app.ui.finding import render_figures
from core.vocabulary import count, usd
from seed_db import queries


def label(a: dict) -> str:
    return f"{a['company_name']} ({a['id']}) — {a['state']}, {lob_names().get(a['requested_lob'], a['requested_lob'])}"


def find(applicant_id: str) -> dict | None:
    """The applicant with this exact id, or None when it is not (or no longer) in the database."""
    return next(
        (a for a in queries.search_applicants(resources.engine(), applicant_id, limit=20) if a["id"] == applicant_id),
        None,
    )


def subject_name(subject_id: str | None) -> str | None:
    """The name of the applicant (``APP-…``) or submission (``SUB-…``) a conversation was opened on, if known."""
    if not subject_id:
        return None
    if subject_id.startswith("SUB-"):
        try:
            sub = resources.desk().store.get(subject_id)
        except Exception:  # the desk unavailable: the headlines say "the business", the page stays up
            return None
        return (sub.company or None) if sub is not None else None
    a = find(subject_id)
    return a["company_name"] if a else None


def lob_names() -> dict[str, str]:
    return resources.lob_names()


def opening_message(a: dict) -> str:
    lob = lob_names().get(a["requested_lob"], a["requested_lob"].replace("_", " "))
    return f"Is {a['company_name']} ({a['id']}) in appetite for {lob}?"


def open_in_new_conversation(copilot, applicant_id: str) -> bool:
    """Start a conversation about the applicant (its first question is sent on the chat page's next run)."""
    a = find(applicant_id)
    if a is None:
        st.session_state["flash_warning"] = (
            f"Applicant {code(applicant_id)} is no longer in the database (re-seeded?). Search again."
        )
        return False
    thread = copilot.new_thread(title=a["company_name"], applicant_id=a["id"])
    session.set_current(thread.id)
    session.queue_message(opening_message(a))
    return True


_money = usd
_count = count


def render_details(a: dict) -> None:
    lob = lob_names().get(a["requested_lob"], a["requested_lob"])
    st.markdown(f"#### {md(a['company_name'])} &nbsp; :blue-badge[{md(a['id'])}] :violet-badge[asks for {md(lob)}]")
    st.markdown(md(a.get("description") or ""))
    figures = [
        ("NAICS", a["naics_code"]),
        ("State", a["state"]),
        ("Revenue", _money(a["annual_revenue"])),
        ("Employees", _count(a["employees"])),
        ("Payroll", _money(a["annual_payroll"])),
        ("Vehicles", _count(a["vehicles"])),
    ]
    render_figures(figures)
    st.caption(f"Construction: {md(a['construction'] or '—')}")


def examples(limit: int = 3) -> list[str]:
    """Questions for the empty page that name real seeded applicants (each leads to an answer)."""
    rows = queries.search_applicants(resources.engine(), "", limit=500)
    picks: list[str] = []
    lodging = next((a for a in rows if str(a["naics_code"]).startswith("721")), None)
    if lodging:
        picks.append(f"Is {lodging['company_name']} ({lodging['id']}) in appetite for property?")
    food = next((a for a in rows if str(a["naics_code"]).startswith("722")), None)
    if food:
        picks.append(f"Is {food['company_name']} ({food['id']}) a small business?")
    trucker = next((a for a in rows if str(a["naics_code"]).startswith("484")), None)
    if trucker:
        picks.append(
            f"What deductible should we offer {trucker['company_name']} ({trucker['id']}) for commercial auto?"
        )
    if not picks and rows:
        a = rows[0]
        picks.append(opening_message(a))
    return picks[:limit]
