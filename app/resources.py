"""Cached factories for the Streamlit pages: settings, the read-only engine, the guideline sections.

Pages call these instead of building resources themselves, so a rerun reuses one engine per process.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from app.settings import Settings, get_settings
from guidelines import Section, load_sections


@st.cache_resource
def settings() -> Settings:
    return get_settings()


@st.cache_resource
def engine() -> Engine:
    s = settings()
    url = s.resolved_database_url
    if url.startswith("sqlite:///"):
        # Read-only and shareable across Streamlit's script threads.
        path = url.removeprefix("sqlite:///")
        return create_engine(f"sqlite:///file:{path}?mode=ro&uri=true", connect_args={"check_same_thread": False})
    return create_engine(url)


@st.cache_resource
def guideline_sections() -> list[Section]:
    return load_sections()
