"""Readable one-line messages for storage faults, shared by the CLI and the app.

A database error (locked, read-only, full disk, corrupt, missing) from SQLite, SQLAlchemy or the checkpointer
becomes one sentence that says what happened and what to run; anything else is not ours to explain (``None``).
An error marked with its store (``naming_store``) names that file and its own remedy: `uwc seed` rebuilds the
insurer's database, never the conversations beside it.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.redact import redact


def is_database_error(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.Error):
        return True
    try:
        from sqlalchemy.exc import SQLAlchemyError
    except ImportError:  # pragma: no cover - sqlalchemy is a dependency
        return False
    return isinstance(exc, SQLAlchemyError)


STORE = "uwc_store"  # the attribute a marked error carries: the path of the store file it came from
REBUILT_BY_SEED = "uwc.db"  # the insurer's database; every other store in the data folder is kept by `uwc seed`


def mark_store(exc: BaseException, path: Path | str | None) -> None:
    """Remember on a database error which store file raised it (the first mark wins: it is the nearest). ``None``
    (a PostgreSQL store, whose URL must not be shown) marks nothing."""
    if path and is_database_error(exc) and getattr(exc, STORE, None) is None:
        try:
            setattr(exc, STORE, str(path))
        except (AttributeError, TypeError):  # an exception type without attributes: the message stays generic
            pass


@contextmanager
def naming_store(path: Path | str | None) -> Iterator[None]:
    """A database error raised inside names ``path`` (see ``database_problem``)."""
    try:
        yield
    except BaseException as exc:
        mark_store(exc, path)
        raise


def _damaged(store: Path) -> str:
    if store.name == REBUILT_BY_SEED:
        return f"`{store}` is damaged: run `uwc seed` to rebuild it (conversations are kept apart)."
    return (
        f"`{store}` is damaged, and `uwc seed` does not rebuild it: move it aside (`mv {store} {store}.damaged`) "
        "and start again with a new, empty one (what it held stays in the moved file)."
    )


def _writable(folder: Path) -> bool:
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def database_problem(
    exc: BaseException, data_dir: Path | str | None = None, store: Path | str | None = None
) -> str | None:
    """One line saying what went wrong with a store and what to run, or None when ``exc`` is not a store fault.

    ``store`` (default: the store ``exc`` was marked with) is the file that failed; without one the message
    speaks of "a database in the data folder"."""
    if not is_database_error(exc):
        return None
    store = store or getattr(exc, STORE, None)
    if store and data_dir is None:
        data_dir = Path(store).parent
    where = f"the data folder `{data_dir}`" if data_dir else "the data folder"
    subject = f"`{store}`" if store else f"A database in {where}"
    text = str(getattr(exc, "orig", None) or exc).lower()  # the driver's words, not SQLAlchemy's wrapping
    if data_dir and "unable to open" in text and Path(data_dir).is_dir() and not _writable(Path(data_dir)):
        text = "readonly"  # SQLite cannot create a file in a read-only folder: say that, not "missing"
    if "locked" in text or "busy" in text:
        return (
            f"{subject} is busy: another process holds its write lock (another `uwc chat` or `uwc serve` on this "
            "data folder, or a running `uwc seed`); wait a moment and try again."
        )
    if "disk is full" in text or "disk full" in text:
        return f"{subject} cannot be written: the disk is full; free some space, then try again."
    if "disk i/o error" in text:  # SQLite's word for a write the OS refused: a full disk (or a failing one)
        return f"{subject} cannot be written (disk I/O error): the disk is full or failing; free some space and retry."
    if "readonly" in text or "read-only" in text or "read only" in text:
        return f"{subject} is read-only: make the folder writable, or set UWC_DATA_DIR to a writable one."
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        if store:
            return _damaged(Path(store))
        return f"A database in {where} is damaged: run `uwc seed` to rebuild it (conversations are kept apart)."
    first = redact(" ".join(str(getattr(exc, "orig", None) or exc).split()))[:200]
    if store and Path(store).name != REBUILT_BY_SEED:  # a store `uwc seed` keeps: seeding is no remedy
        return f"`{store}` cannot be used ({first}); check the file and its folder, then try again."
    if "unable to open" in text or "no such table" in text or "no such column" in text:
        return f"A database in {where} is missing or unreadable: run `uwc seed` (or `make run`), then try again."
    return f"A database in {where} is missing or unreadable ({first}): run `uwc seed` (or `make run`) to rebuild it."
