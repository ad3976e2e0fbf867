"""The guidelines page: browse the underwriting guideline sections by id (``?section=<id>`` links to one)."""

from __future__ import annotations

import streamlit as st

from app import resources
from app.ui.finding import section_markdown
from seed_db import queries

sections = resources.guideline_sections()
by_id = {s.id: s for s in sections}

st.markdown("### Underwriting guidelines")
st.caption(f"{len(sections)} sections. Answers cite them by id, e.g. `[auto-qualified]`.")
query = st.text_input(
    "Filter", placeholder="Filter by id, title or text", icon=":material/search:", key="guideline-filter", max_chars=200
)
q = query.strip().lower()
ids = [s.id for s in sections if not q or q in s.id or q in s.title.lower() or q in s.text.lower()]
if not ids:
    st.info("No section matches this filter.")
    st.stop()
wanted = st.query_params.get("section")
if wanted and wanted not in by_id:
    st.warning(f"There is no guideline section `{wanted}`; showing the first one.")
index = ids.index(wanted) if wanted in ids else 0
chosen = st.selectbox(
    "Section", ids, index=index, format_func=lambda i: f"{i} — {by_id[i].title}", key=f"guideline-pick-{q}"
)
st.query_params["section"] = chosen

section = by_id[chosen]
with st.container(border=True):
    st.markdown(f"#### {section.title}")
    st.caption(f"`{section.id}` · {section.document} · {section.file}")
    st.markdown(section_markdown(section.text))

with st.expander(
    "Lines of business we write (the catalog the product guard checks against)", icon=":material/inventory_2:"
):
    st.dataframe(queries.lines_of_business(resources.engine()), hide_index=True, width="stretch")
