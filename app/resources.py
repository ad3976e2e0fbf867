"""Cached factories for the Streamlit pages: settings, the read-only engine, the guideline sections, the copilot,
the conversations store.

Pages call these instead of building resources themselves, so a rerun reuses one of each per process. A
factory that raises is not cached: the next rerun tries again (e.g. after `uwc seed` has been run).
"""

from __future__ import annotations

import logging
import threading

import streamlit as st
from sqlalchemy.engine import Engine

from core.settings import Settings, get_settings
from guidelines import Section, load_sections
from seed_db.queries import readonly_engine


@st.cache_resource
def settings() -> Settings:
    return get_settings()


@st.cache_resource
def engine() -> Engine:
    """Read-only and shareable across Streamlit's script threads; a missing database raises FileNotFoundError."""
    return readonly_engine(settings().resolved_database_url)


@st.cache_resource
def guideline_sections() -> list[Section]:
    return load_sections()


@st.cache_resource
def sections_by_id() -> dict[str, Section]:
    return {s.id: s for s in guideline_sections()}


@st.cache_resource(show_spinner="Starting the copilot…")
def copilot():
    """The one ``Copilot`` of this server process (shared by every browser tab; threads keep tabs apart)."""
    from core import tracing
    from core.heap import one_arena
    from graph.copilot import Copilot

    tracing.configure_from_settings(settings())  # every turn of this server is traced (UWC_TRACING)
    one_arena()  # the turns' threads share one heap (``uwc serve`` sets it at its start; this for any other server)
    cp = Copilot(settings())
    # What the first turn needs loads while the page renders and the underwriter types, not after Enter.
    threading.Thread(target=_warm, args=(cp,), name="uwc-warm", daemon=True).start()
    return cp


def _warm(cp) -> None:
    try:
        cp.warm()
    except Exception as exc:  # a warm-up that fails costs nothing: the first turn loads what it needs, and says why
        logging.getLogger("uwc.app").warning("warming the copilot failed: %s: %s", type(exc).__name__, exc)


@st.cache_resource(show_spinner=False)
def thread_store(url: str):
    """The conversations store at ``url`` (``store_url(settings())``: SQLite or PostgreSQL), opened once per process
    for the pages that read every conversation (Monitoring) without starting a copilot."""
    from graph.threads import ThreadStore

    return ThreadStore(url, settings().database_wait)


@st.cache_resource
def turn_runner():
    """Turns run on background threads, so a rerun of the page (a click, a refresh) never cuts one short."""
    from app.ui.turns import TurnRunner

    return TurnRunner()


@st.cache_resource
def lob_names() -> dict[str, str]:
    """Line-of-business code -> the catalog's display name."""
    from seed_db import queries

    return {row["code"]: row["name"] for row in queries.lines_of_business(engine())}


@st.cache_resource(show_spinner="Opening the desk…")
def desk():
    """The one ``DeskService`` of this server process (intake reads with the copilot's catalog of the database)."""
    from desk.service import DeskService

    return DeskService(settings(), copilot().toolkit.ctx.catalog)
