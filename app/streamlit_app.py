"""The Streamlit app's entry point: navigation, the sidebar (conversations, model) and readable failures.

Pages live in ``app/views/`` (not ``pages/``: Streamlit would treat that folder as an old-style multipage app) and render only; the copilot, engine and sections come from ``app/resources.py``.
"""

from __future__ import annotations

import streamlit as st

from app import auth, resources
from app.ui import errors, session, sidebar, style
from app.ui.common import DB_ERRORS, database_message
from seed_db import queries

st.set_page_config(page_title="Underwriting Copilot", page_icon="🛡️", layout="wide")

user = auth.streamlit_user(resources.settings())  # the sign-in form when signed out (stops here)
chat = st.Page("views/chat.py", title="Copilot", icon=":material/forum:", default=True)  # served at /
pages = [
    chat,
    st.Page("views/desk.py", title="Desk", icon=":material/inbox:", url_path="desk"),
    st.Page("views/applicants.py", title="Applicants", icon=":material/apartment:", url_path="applicants"),
    st.Page("views/guidelines.py", title="Guidelines", icon=":material/menu_book:", url_path="guidelines"),
    st.Page("views/referrals.py", title="Referrals", icon=":material/assignment_ind:", url_path="referrals"),
]
if user.sees_all:  # evaluation runs and monitoring span every user's work: admins only
    pages.append(st.Page("views/evaluation.py", title="Evaluation", icon=":material/analytics:", url_path="evaluation"))
    pages.append(
        st.Page("views/monitoring.py", title="Monitoring", icon=":material/monitoring:", url_path="monitoring")
    )
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
except Exception as exc:  # never a traceback on screen: one line, the details in the server log
    errors.show(exc, "showing this page")
