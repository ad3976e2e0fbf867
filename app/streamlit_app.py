"""The Streamlit app's entry point: navigation, the sidebar (conversations, model) and readable failures.

Pages live in ``app/pages/`` and render only; the copilot, engine and sections come from ``app/resources.py``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app import resources
from app.ui import session, sidebar, style
from app.ui.common import DB_ERRORS, database_message
from seed_db import queries

HERE = Path(__file__).parent

st.set_page_config(page_title="Underwriting Copilot", page_icon=":material/shield_person:", layout="wide")

chat = st.Page("pages/chat.py", title="Copilot", icon=":material/forum:", default=True)  # served at /
pages = [chat,
         st.Page("pages/applicants.py", title="Applicants", icon=":material/apartment:", url_path="applicants"),
         st.Page("pages/guidelines.py", title="Guidelines", icon=":material/menu_book:", url_path="guidelines")]
if (HERE / "pages" / "evaluation.py").exists():  # written separately; shown once it is there
    pages.append(st.Page("pages/evaluation.py", title="Evaluation", icon=":material/analytics:", url_path="evaluation"))
page = st.navigation(pages)

try:
    queries.insurer_name(resources.engine())  # the database is there and readable
except DB_ERRORS as exc:
    st.title("Underwriting Copilot")
    st.error(database_message(exc), icon=":material/database:")
    st.stop()

style.apply()
try:
    sidebar.render(chat)
    session.show_flash()
    page.run()
except DB_ERRORS as exc:
    st.error(database_message(exc), icon=":material/database:")
