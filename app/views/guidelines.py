"""The guidelines page: search the sections (each match with its passage), read one by id (``?section=<id>``
links to it), cross-references and citations as links."""

from __future__ import annotations

import streamlit as st

from app import resources
from app.ui.escape import code, md
from app.ui.finding import section_markdown
from app.ui.passages import matches, passage
from seed_db import queries

sections = resources.guideline_sections()
by_id = {s.id: s for s in sections}
PAGE = "views/guidelines.py"


def show_section(section_id: str) -> None:
    section = by_id[section_id]
    with st.container(border=True, key="guideline-section"):
        st.markdown(f"#### {section.title}")
        st.caption(f"`{section.id}` · {section.document} · {section.file}")
        st.markdown(section_markdown(section.text, by_id))


st.markdown("### Underwriting guidelines")
st.caption(f"{len(sections)} sections. Answers cite them by id, e.g. `[auto-qualified]`; every id is a link.")
query = st.text_input(
    "Search the guidelines",
    placeholder="Search the guidelines, e.g. “wood frame” or “monopolistic”",
    icon=":material/search:",
    key="guideline-filter",
    max_chars=200,
)
wanted = st.query_params.get("section")
if wanted and wanted not in by_id:
    st.warning(f"There is no guideline section {code(wanted)}; showing the first one.")
    wanted = None

if query.strip():
    found = matches(sections, query)
    st.caption(f"{len(found)} section(s) match “{md(query.strip())}”.")
    if not found:
        st.info("No section matches. Try fewer or other words, or a section id such as `auto-qualified`.")
    with st.container(key="guideline-results"):
        for s in found:
            with st.container(border=True):
                st.page_link(PAGE, label=f"{s.title}", icon=":material/menu_book:", query_params={"section": s.id})
                st.caption(f"`{s.id}` · {s.document}")
                st.markdown(passage(s, query))
    if wanted and wanted in {s.id for s in found}:
        st.markdown("---")
        show_section(wanted)
else:
    ids = [s.id for s in sections]
    chosen = st.selectbox(
        "Section",
        ids,
        index=ids.index(wanted) if wanted in ids else 0,
        format_func=lambda i: f"{i} — {by_id[i].title}",
        key=f"guideline-pick-{wanted}",
    )
    if st.query_params.get("section") != chosen:
        st.query_params["section"] = chosen
    show_section(chosen)

with st.expander(
    "Lines of business we write (the catalog the product guard checks against)", icon=":material/inventory_2:"
):
    st.dataframe(queries.lines_of_business(resources.engine()), hide_index=True, width="stretch")
