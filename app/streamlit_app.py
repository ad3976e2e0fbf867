"""The Streamlit app: a thin page over tested logic in ``seed_db``, ``tools`` and ``graph``."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.exc import OperationalError

from app import resources
from seed_db import queries

st.set_page_config(page_title="Underwriting Copilot", page_icon=":clipboard:", layout="wide")

settings = resources.settings()
try:
    engine = resources.engine()
    insurer = queries.insurer_name(engine)
except OperationalError:
    st.error(f"The database in `{settings.data_dir}` is missing or unreadable. Run `uwc seed` (or `make run`) and reload.")
    st.stop()

st.title("Underwriting Copilot")
st.caption(f"Small-business underwriting for {insurer} (fictional).")
with st.sidebar:
    st.subheader("Model")
    if settings.model == "offline":
        st.info("**Offline rules model** (not an LLM). To use an LLM, set `UWC_MODEL` (e.g. `openai/gpt-4.1-mini`) and its key in `.env`.")
    else:
        st.write(f"`{settings.model}`")

chat, applicants, guidelines, data = st.tabs(["Copilot", "Applicants", "Guidelines", "Data"])

with chat:
    st.info("The copilot is not wired yet: the agent arrives with the next release. Browse the data in the other tabs.")

with applicants:
    query = st.text_input("Search applicants", placeholder="name, id or what they do", max_chars=200)
    rows = queries.search_applicants(engine, query, limit=300)
    st.caption(f"{len(rows)} applicant(s)")
    st.dataframe(rows, hide_index=True, use_container_width=True)

with guidelines:
    sections = resources.guideline_sections()
    labels = {s.id: f"{s.id} — {s.title}" for s in sections}
    chosen = st.selectbox("Section", list(labels), format_func=labels.get)
    section = next(s for s in sections if s.id == chosen)
    st.subheader(section.title)
    st.caption(f"`{section.id}` · {section.file}")
    st.markdown(section.text)

with data:
    st.subheader("Lines of business we write")
    st.dataframe(queries.lines_of_business(engine), hide_index=True, use_container_width=True)
    st.subheader("Tables")
    st.dataframe([{"table": k, "rows": v} for k, v in queries.table_counts(engine).items()], hide_index=True)
