"""Make every page run through the entry point (``app/streamlit_app.py``).

Streamlit treats a ``pages/`` folder next to the entry script as an old-style (v1) multipage app until
``st.navigation`` has run once in the process — and again in every ``AppTest`` run. Until then a deep link such
as ``/applicants`` runs ``pages/applicants.py`` alone: no navigation, no sidebar, no page config. Each page calls
``require_entry_point()`` first: in that case it runs the entry point in its place (which builds the navigation
and runs the requested page), then stops. A rerun would do the same but drop the click that caused this run.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

ENTRY_POINT = Path(__file__).resolve().parents[1] / "streamlit_app.py"


def require_entry_point() -> None:
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        runpy.run_path(str(ENTRY_POINT), run_name="__main__")
        st.stop()
