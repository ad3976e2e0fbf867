"""Database URLs: one place that knows SQLite from PostgreSQL, which driver to use, and how to say what failed.

``UWC_DATABASE_URL`` unset means the embedded SQLite files in the data folder; a ``postgresql://`` URL moves the
insurer data (schema ``uwc_data``), the conversations store and the LangGraph checkpoints to that database.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import URL, Connection, Engine, make_url

from core.redact import redact

BUSY_TIMEOUT_S = 5.0  # how long a SQLite write waits for another process's lock before the turn reports it
DATA_SCHEMA = "uwc_data"  # the insurer's tables on PostgreSQL; swapped whole by `uwc seed`
READER_ROLE = "uwc_reader"  # the SQL tool's own login on PostgreSQL: SELECT on DATA_SCHEMA, nothing else


class DatabaseUnavailable(RuntimeError):
    """The database cannot be used; the message is one readable line (password masked)."""


def write_ahead(conn) -> None:
    """The settings of every SQLite store we write (checkpoints, conversations, telemetry): a write-ahead log, so
    readers never wait for the writer, and ``synchronous=NORMAL``, which SQLite recommends with it: a commit is
    written to the log but not flushed to disk each time (a checkpoint flushes), so a turn's dozen commits cost
    microseconds instead of an fsync each. A crash of the process loses nothing; only a power cut or an OS crash
    can lose the last few commits, and the database stays consistent either way."""
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")


def async_commit(url: str) -> str:
    """libpq ``options`` for the PostgreSQL connections of the stores a turn writes (checkpoints, conversations):
    ``synchronous_commit=off``, the counterpart of ``write_ahead``'s ``synchronous=NORMAL``. A commit returns once
    it is in the server's log, before the log is flushed to disk (the server flushes within 3 x wal_writer_delay,
    600 ms by default): a crash of the app loses nothing, a crash of the server or the OS can lose the last
    commits, and the database stays consistent either way. Each of a turn's ~30 checkpoint writes waited for an
    fsync (one server for every replica); the decision records keep the server's setting. Options in the URL are
    kept."""
    given = make_url(url).query.get("options") or ""
    return " ".join([*([given] if isinstance(given, str) and given else []), "-c synchronous_commit=off"])


FRESH_S = 2.0  # a connection handed back healthy this recently, with no fault seen since, is lent without a check


class _Faults:
    at = 0.0  # when this process last saw a connection of any pool broken (time.monotonic)


def fault_seen() -> None:
    """A connection to PostgreSQL was found broken: every pool of the process checks each connection it lends next
    (one clock for the checkpointer's pool and the stores' engines: a restart seen by one is a restart for all)."""
    _Faults.at = time.monotonic()


def fault_after(at: float) -> bool:
    """Whether a broken connection was seen after ``at`` (``time.monotonic``)."""
    return _Faults.at > at


def may_be_stale(returned: float | None) -> bool:
    """Whether a connection handed back at ``returned`` must be checked before it is lent again: never handed back
    healthy, idle over ``FRESH_S``, or a fault seen by any pool since it came back."""
    return returned is None or returned <= _Faults.at or time.monotonic() - returned > FRESH_S


def check_when_stale(engine: Engine) -> Engine:
    """``pool_pre_ping`` only when a connection may be stale (``may_be_stale``), for a PostgreSQL engine.

    The ping is a round trip before every checkout: 8 a turn. Now a connection used within ``FRESH_S`` with no fault
    seen since is lent as it is: after a restart the first statement on such a connection fails, as a stale
    checkpointer connection does (the turn that meets it is told to send again, the conversation kept), the
    engine drops its pool as it does on any disconnect, and the fault makes every pool check what it lends next."""
    from sqlalchemy import event, exc

    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def _new(dbapi_conn, record) -> None:
        record.info["uwc_returned"] = time.monotonic()  # just opened: as fresh as a connection gets

    @event.listens_for(engine, "checkin")
    def _back(dbapi_conn, record) -> None:
        if dbapi_conn is not None:
            record.info["uwc_returned"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _lend(dbapi_conn, record, proxy) -> None:
        if not may_be_stale(record.info.get("uwc_returned")):
            return
        try:
            dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as error:
            if not dialect.is_disconnect(error, dbapi_conn, None):
                raise
            fault_seen()
            raise exc.InvalidatePoolError() from error  # as pre-ping: a new connection, the pool's others checked

    @event.listens_for(engine, "handle_error")
    def _failed(context) -> None:
        if context.is_disconnect:
            fault_seen()

    return engine


@contextmanager
def one_statement(engine: Engine) -> Iterator[Connection]:
    """A connection for one statement, committed as it runs. On PostgreSQL the statement is its own transaction
    (autocommit), so psycopg sends no BEGIN before it and SQLAlchemy no COMMIT or ROLLBACK after it: one round trip
    of three (a tool's rule lookup, a turn's touch of its conversation; a read-only engine's statement stays
    read-only: ``default_transaction_read_only``). One statement is atomic and sees one snapshot either way. SQLite
    runs it in an ordinary transaction, which its driver opens only before a write."""
    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            yield conn
        return
    with engine.connect() as conn:
        yield conn.execution_options(isolation_level="AUTOCOMMIT")  # reset when it goes back to the pool


def connect_timeout(wait: float) -> int:
    """Seconds one PostgreSQL connection attempt may take: within the turn's wait, at most 5 (libpq takes whole seconds)."""
    return max(1, min(5, round(wait)))


def database_errors(postgres: bool = False) -> tuple[type[BaseException], ...]:
    """The exceptions that mean "the database is unreachable or refused us" (not a bug in our code).

    psycopg's own are included once psycopg is imported (none can be raised before), or with ``postgres`` for a
    tuple kept for later (``app/ui/common.py``); so a process on SQLite never imports psycopg (~7 MB) for them."""
    import sqlite3
    import sys

    import sqlalchemy.exc

    errors: tuple[type[BaseException], ...] = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.ProgrammingError)
    errors += (sqlalchemy.exc.InterfaceError, sqlite3.OperationalError)
    if not (postgres or "psycopg" in sys.modules or "psycopg_pool" in sys.modules):
        return errors
    try:
        import psycopg
        import psycopg_pool

        errors += (psycopg.OperationalError, psycopg.errors.InsufficientPrivilege, psycopg_pool.PoolTimeout)
    except ImportError:
        pass
    return errors


def normalize_url(url: str) -> str:
    """An SQLAlchemy URL with the installed driver: ``postgresql://`` becomes ``postgresql+psycopg://``."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def is_postgres(url: str | None) -> bool:
    return url is not None and url != "" and make_url(url).get_backend_name() == "postgresql"


def sqlite_file(url: str) -> str | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    return None if is_postgres(url) else make_url(url).database or None


def libpq_url(url: str) -> str:
    """The same database as a libpq connection string (psycopg and langgraph-checkpoint-postgres)."""
    u: URL = make_url(url).set(drivername="postgresql")
    return u.render_as_string(hide_password=False)


def reader_url(database_url: str, configured: str | None = None) -> str:
    """The SQL tool's own PostgreSQL login: ``UWC_READER_URL`` when set, else role ``uwc_reader`` on the same server
    and database with a password derived from the app's own credentials (``uwc seed`` sets it). The tool's session
    is that role, never the app's: a statement the parser misreads still cannot switch back to a stronger role."""
    if configured:
        return configured
    u = make_url(database_url)
    return u.set(username=READER_ROLE, password=reader_password(database_url)).render_as_string(hide_password=False)


def reader_password(database_url: str) -> str:
    """The derived password of ``uwc_reader``: every replica that knows the app's URL computes the same one, and
    the reader's session, which knows only its own, cannot compute the app's. Roles are per server, so the
    database name is left out (every database of one server shares the role)."""
    import hashlib
    import hmac

    u = make_url(database_url)
    key = f"{u.username}:{u.password or ''}@{u.host}:{u.port}".encode()
    return hmac.new(key, b"uwc_reader/1", hashlib.sha256).hexdigest()


def masked(url: str) -> str:
    """The URL as it may be shown: the password (and any other secret) replaced."""
    try:
        return make_url(url).render_as_string(hide_password=True).replace("***", "[REDACTED]")
    except Exception:  # not a URL: still never show what looks like a secret
        return redact(url)


def explain(exc: BaseException, url: str) -> str:
    """One line saying why the database at ``url`` cannot be used, for the CLI and the UI. A SQLite file is named
    with its own remedy (``core.faults``): the store the error was marked with, else the file of ``url``."""
    if not is_postgres(url):
        from core.faults import STORE, database_problem

        problem = database_problem(exc, store=getattr(exc, STORE, None) or sqlite_file(url))
        if problem:
            return problem[0].lower() + problem[1:].rstrip(".")
    where = masked(url)
    text = " ".join(str(getattr(exc, "orig", None) or exc).split())
    low = text.lower()
    if "password authentication failed" in low or "authentication failed" in low:
        return f"cannot sign in to the database at {where}: wrong user name or password"
    if "does not exist" in low and "database" in low:
        return f"the database at {where} does not exist: create it (createdb) or fix UWC_DATABASE_URL"
    if "role" in low and "does not exist" in low:
        return f"the database user in {where} does not exist"
    if "permission denied" in low or "read-only" in low or "insufficient privilege" in low:
        return (
            f"the database user in {where} cannot write the conversations store "
            "(it needs CREATE and INSERT/UPDATE/DELETE; a read-only user is not enough)"
        )
    down = (
        "connection refused",
        "could not connect",
        "timeout",
        "no route",
        "server closed",
        "couldn't get a connection",
    )
    if any(s in low for s in down):
        return f"the database at {where} is not answering (is PostgreSQL running?)"
    return f"the database at {where} failed: {redact(text)[:300]}"
