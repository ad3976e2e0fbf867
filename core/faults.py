"""Readable one-line messages for storage faults, shared by the CLI and the app.

A database error (locked, read-only, corrupt, missing) from SQLite, SQLAlchemy or the checkpointer becomes one
sentence that says what happened and what to run; anything else is not ours to explain (``None``).
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from core.redact import redact, redact_error


def is_database_error(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.Error):
        return True
    try:
        from sqlalchemy.exc import SQLAlchemyError
    except ImportError:  # pragma: no cover - sqlalchemy is a dependency
        return False
    return isinstance(exc, SQLAlchemyError)


def _writable(folder: Path) -> bool:
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def database_problem(exc: BaseException, data_dir: Path | str | None = None) -> str | None:
    """One line saying what went wrong with a store and what to run, or None when ``exc`` is not a store fault."""
    if not is_database_error(exc):
        return None
    where = f"the data folder `{data_dir}`" if data_dir else "the data folder"
    text = str(exc).lower()
    if data_dir and "unable to open" in text and Path(data_dir).is_dir() and not _writable(Path(data_dir)):
        text = "readonly"  # SQLite cannot create a file in a read-only folder: say that, not "missing"
    if "locked" in text or "busy" in text:
        return (
            f"A database in {where} is busy (locked by another process, e.g. a running `uwc seed`); "
            "wait a moment and try again."
        )
    if "readonly" in text or "read-only" in text or "read only" in text:
        return f"A database in {where} is read-only: make the folder writable, or set UWC_DATA_DIR to a writable one."
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return f"A database in {where} is damaged: run `uwc seed` to rebuild it (conversations are kept apart)."
    if "unable to open" in text or "no such table" in text or "no such column" in text:
        return f"A database in {where} is missing or unreadable: run `uwc seed` (or `make run`), then try again."
    first = redact(" ".join(str(exc).split()))[:200]
    return f"A database in {where} is missing or unreadable ({first}): run `uwc seed` (or `make run`) to rebuild it."


def start_problem(exc: BaseException, data_dir: Path | str | None = None) -> str:
    """Why a copilot could not be built, in one line: a store fault says what to run, anything else its error."""
    return database_problem(exc, data_dir) or f"cannot start the copilot ({redact_error(exc)})"
