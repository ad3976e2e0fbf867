"""The applicants page: search and browse the submissions, open one in a new conversation."""

from __future__ import annotations

import streamlit as st

from app import resources
from app.ui import applicants
from app.ui.common import try_copilot
from app.ui.escape import md
from seed_db import queries

COLUMNS = {
    "id": "Id",
    "company_name": "Company",
    "naics_code": "NAICS",
    "state": "State",
    "requested_lob": "Requested line",
    "annual_revenue": "Revenue",
    "employees": "Employees",
    "vehicles": "Vehicles",
    "construction": "Construction",
}

st.markdown("### Applicants")
query = st.text_input(
    "Search applicants",
    placeholder="Name, id or what they do, e.g. “bakery” or “APP-0042”",
    max_chars=200,
    icon=":material/search:",
    key="applicant-search",
)
rows = queries.search_applicants(resources.engine(), query, limit=500)
st.caption(f"{len(rows)} applicant(s)" + (f" matching “{md(query.strip())}”" if query.strip() else ""))
if not rows:
    st.info(
        "No applicant matches. Try part of the company name, an id such as APP-0042, or a word from the description."
    )
    st.stop()

names = resources.lob_names()
table = st.dataframe(
    [{COLUMNS[k]: names.get(r[k], r[k]) if k == "requested_lob" else r[k] for k in COLUMNS} for r in rows],
    hide_index=True,
    width="stretch",
    height=360,
    on_select="rerun",
    selection_mode="single-row",
    key="applicant-table",
    column_config={"Revenue": st.column_config.NumberColumn(format="dollar")},
)
selected_rows = (table.selection.rows if table is not None and hasattr(table, "selection") else []) or []
by_id = {r["id"]: r for r in rows}
default = rows[selected_rows[0]]["id"] if selected_rows else rows[0]["id"]
picked = st.selectbox(
    "Applicant",
    list(by_id),
    index=list(by_id).index(default),
    format_func=lambda i: applicants.label(by_id[i]),
    key=f"applicant-pick-{default}",
)

with st.container(border=True):
    applicants.render_details(by_id[picked])
    copilot, problem = try_copilot()
    if problem:
        st.error(problem)
    elif st.button("Open in a new conversation", icon=":material/forum:", type="primary", key="applicant-open"):
        if applicants.open_in_new_conversation(copilot, picked):
            st.switch_page("views/chat.py")
        st.rerun()
