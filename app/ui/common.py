"""Readable messages for the failures a page can meet (no database, a locked one, a copilot that cannot start)."""

from __future__ import annotations

import sqlite3

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from app import auth, resources
from app.ui.escape import code, md
from core.database import database_errors, explain, is_postgres
from core.faults import database_problem

# any database error (SQLite, SQLAlchemy, PostgreSQL); missing: seed_db.queries
DB_ERRORS = (
    *database_errors(is_postgres(resources.settings().database_url)),
    SQLAlchemyError,
    sqlite3.Error,
    FileNotFoundError,
)


def database_message(exc: BaseException) -> str:
    settings = resources.settings()
    if is_postgres(settings.database_url):  # one line naming the server (password masked) and what is wrong
        return md(explain(exc, settings.database_url).capitalize()) + ". Reload the page when it is fixed."
    where = settings.data_dir
    if isinstance(exc, FileNotFoundError):
        return f"The database in {code(where)} is missing or unreadable. Run `uwc seed` (or `make run`) and reload the page."
    problem = database_problem(exc, where)
    return md(problem) if problem else failure_message(exc)


def failure_message(exc: BaseException) -> str:
    """A turn that failed: one readable line, never a traceback or a secret."""
    problem = database_problem(exc, resources.settings().data_dir)
    if problem:
        return f"{md(problem)} The conversation is kept."
    from app.ui import errors

    ref = errors.reference(exc, "answering")
    return f"The copilot failed on this message (reference `{ref}`, in the server log). The conversation is kept; try again."


def copilot_message(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"The copilot cannot start: {md(exc)}. Run `uwc seed` (or `make run`) and reload the page."
    if isinstance(exc, ModuleNotFoundError) and exc.name and exc.name.startswith(("graph", "tools")):
        return f"The copilot cannot start: part of it is missing from this installation ({code(exc.name)})."
    if isinstance(exc, DB_ERRORS):
        return database_message(exc)
    from core.database import DatabaseUnavailable
    from graph.audit_key import AuditKeyError

    if isinstance(exc, AuditKeyError | DatabaseUnavailable):  # already one line saying what to do (no secret in it)
        return f"The copilot cannot start: {md(str(exc))}. Reload the page when it is fixed."
    from app.ui import errors

    ref = errors.reference(exc, "starting the copilot")
    return (
        f"The copilot cannot start (reference `{ref}`, in the server log). "
        "Check the model settings in `.env` and reload the page."
    )


def try_copilot():
    """(copilot, None) or (None, readable reason)."""
    try:
        # Each user sees only their own conversations (an admin, or the local user without sign-in, sees all), and
        # every turn, override and referral decision acts as the signed-in user with their role.
        user = auth.streamlit_user(resources.settings())
        return resources.copilot().as_user(user.scope, name=user.name, role=user.role), None
    except Exception as exc:  # shown to the user; the next rerun tries again
        return None, copilot_message(exc)


def require_copilot():
    copilot, problem = try_copilot()
    if copilot is None:
        st.error(problem, icon=":material/error:")
        st.stop()
    return copilot
