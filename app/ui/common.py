"""Readable messages for the failures a page can meet (no database, a locked one, a copilot that cannot start)."""

from __future__ import annotations

import sqlite3

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from app import resources
from core.faults import database_problem
from core.redact import redact_error

DB_ERRORS = (SQLAlchemyError, sqlite3.Error, FileNotFoundError)  # any database error; missing: seed_db.queries


def database_message(exc: BaseException) -> str:
    where = resources.settings().data_dir
    if isinstance(exc, FileNotFoundError):
        return (
            f"The database in `{where}` is missing or unreadable. Run `uwc seed` (or `make run`) and reload the page."
        )
    return database_problem(exc, where) or failure_message(exc)


def failure_message(exc: BaseException) -> str:
    """A turn that failed: one readable line, never a traceback or a secret."""
    problem = database_problem(exc, resources.settings().data_dir)
    if problem:
        return f"{problem} The conversation is kept."
    return f"The copilot failed on this message ({redact_error(exc)}). The conversation is kept; try again."


def copilot_message(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"The copilot cannot start: {exc}. Run `uwc seed` (or `make run`) and reload the page."
    if isinstance(exc, ModuleNotFoundError) and exc.name and exc.name.startswith(("graph", "tools")):
        return f"The copilot cannot start: part of it is missing from this installation (`{exc.name}`)."
    if isinstance(exc, DB_ERRORS):
        return database_message(exc)
    return f"The copilot cannot start ({redact_error(exc)}). Check the model settings in `.env`."


def try_copilot():
    """(copilot, None) or (None, readable reason)."""
    try:
        return resources.copilot(), None
    except Exception as exc:  # shown to the user; the next rerun tries again
        return None, copilot_message(exc)


def require_copilot():
    copilot, problem = try_copilot()
    if copilot is None:
        st.error(problem, icon=":material/error:")
        st.stop()
    return copilot
