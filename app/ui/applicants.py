"""Applicants as the pages show and pick them, and opening one in a new conversation."""

from __future__ import annotations

import streamlit as st

from app import resources
from app.ui import session
from seed_db import queries


def label(a: dict) -> str:
    return f"{a['company_name']} ({a['id']}) — {a['state']}, {a['requested_lob'].replace('_', ' ')}"


def find(applicant_id: str) -> dict | None:
    """The applicant with this exact id, or None when it is not (or no longer) in the database."""
    return next((a for a in queries.search_applicants(resources.engine(), applicant_id, limit=20) if a["id"] == applicant_id), None)


def lob_names() -> dict[str, str]:
    return {row["code"]: row["name"] for row in queries.lines_of_business(resources.engine())}


def opening_message(a: dict) -> str:
    lob = lob_names().get(a["requested_lob"], a["requested_lob"].replace("_", " "))
    return f"Is {a['company_name']} ({a['id']}) in appetite for {lob}?"


def open_in_new_conversation(copilot, applicant_id: str) -> bool:
    """Start a conversation about the applicant (its first question is sent on the chat page's next run)."""
    a = find(applicant_id)
    if a is None:
        st.session_state["flash_warning"] = f"Applicant `{applicant_id}` is no longer in the database (re-seeded?). Search again."
        return False
    thread = copilot.new_thread(title=a["company_name"], applicant_id=a["id"])
    session.set_current(thread.id)
    session.queue_message(opening_message(a))
    return True


def render_details(a: dict) -> None:
    money = lambda v: f"${v:,.0f}" if v is not None else "—"  # noqa: E731
    cols = st.columns(4)
    cols[0].metric("NAICS", a["naics_code"])
    cols[1].metric("State", a["state"])
    cols[2].metric("Revenue", money(a["annual_revenue"]))
    cols[3].metric("Requested line", a["requested_lob"].replace("_", " "))
    st.markdown(a.get("description") or "")
    st.caption(f"Employees {a['employees'] if a['employees'] is not None else '—'} · payroll {money(a['annual_payroll'])} · "
               f"vehicles {a['vehicles'] if a['vehicles'] is not None else '—'} · construction: {a['construction'] or '—'}")
