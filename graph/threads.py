"""Durable conversations: a small store of thread titles, owners and feedback beside the LangGraph checkpointer
(``graph/checkpoints.py``, which holds the messages and steps).

Both follow ``UWC_DATABASE_URL``: unset, they are SQLite files in the data folder next to (not inside) the seeded
database, so re-seeding never loses a conversation; a PostgreSQL URL puts them in that database, so any number of
app processes serve the same conversations. The store's schema is versioned with Alembic (``graph/migrations``)
and upgraded on open; an upgrade keeps every conversation.

A conversation belongs to the user who started it (``owner``; NULL when there is no sign-in). ``ThreadStore``
methods take ``owner``: a user's id restricts them to that user's conversations (someone else's id is "not
found"), ``None`` means every conversation (an admin, or the single local user).
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import (
    CheckConstraint,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    case,
    create_engine,
    event,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Engine

from core import database
from core.database import DatabaseUnavailable, is_postgres, normalize_url, write_ahead
from core.redact import redact
from graph.checkpoints import checkpoint_target, open_checkpointer
from retrieval.normalise import message_body, subject_of, without_reply_marks

MAX_TITLE = 120
MAX_COMMENT = 2000
MIGRATION_LOCK = 7_420_114  # pg_advisory_xact_lock key: two replicas starting at once upgrade one after the other

metadata = MetaData()
thread = Table(
    "thread",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("title", Text, nullable=False),
    Column("model", Text),
    Column("applicant_id", Text),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    Column("owner", Text),
)
feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("thread_id", Text, nullable=False),
    Column("message_id", Text, nullable=False),
    Column("rating", Integer, CheckConstraint("rating IN (-1, 1)"), nullable=False),
    Column("comment", Text),
    Column("created_at", Text, nullable=False),
    Column("owner", Text),
    UniqueConstraint("thread_id", "message_id"),
)


class ThreadNotFound(LookupError):
    pass


@dataclass(frozen=True)
class ThreadInfo:
    id: str
    title: str
    model: str | None
    applicant_id: str | None
    created_at: str
    updated_at: str
    owner: str | None = None


@dataclass(frozen=True)
class FeedbackComment:
    rating: int
    comment: str
    created_at: str
    thread_id: str
    title: str
    model: str | None


@dataclass(frozen=True)
class FeedbackFigures:
    """Ratings of a selection for the Monitoring page: thumbs up, thumbs down and the latest comments, newest first."""

    up: int
    down: int
    comments: tuple[FeedbackComment, ...]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def store_url(settings) -> str:
    """Where conversations live for ``settings``: the PostgreSQL URL, or ``conversations.db`` in the data folder."""
    if is_postgres(settings.database_url):
        return normalize_url(settings.database_url)
    return f"sqlite:///{settings.conversations_path}"


def check_stores(settings) -> None:
    """Open (and upgrade) the conversations store and the checkpointer once; raise what stops them."""
    store = ThreadStore(store_url(settings), settings.database_wait)
    store.close()
    saver = open_checkpointer(checkpoint_target(settings), settings.database_wait)
    saver.conn.close()


_UPGRADE_LOCK = threading.Lock()  # several Copilots of one process opening the same store at once


def upgrade_schema(engine: Engine) -> None:
    """Bring the store to the newest Alembic revision (idempotent; concurrent starts wait for each other).

    A store already there is only read (no lock, and Alembic, ~8 MB a process with Mako, is not imported).
    PostgreSQL: under a transaction-level advisory lock. SQLite: inside ``BEGIN IMMEDIATE``, which holds the
    file's write lock for the whole upgrade (the driver's own transaction handling is switched off for it).
    """
    if _is_current(engine):  # nothing to do: no write lock (another process may hold it for a while)
        return
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with _UPGRADE_LOCK:
        if engine.dialect.name == "sqlite":
            # a first start may wait out a long upgrade by another process, but not a store locked for good
            wait = 6 * database.BUSY_TIMEOUT_S
            upgrader = create_engine(engine.url, connect_args={"timeout": wait, "isolation_level": None})
            try:
                with upgrader.connect() as conn:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                    try:
                        cfg.attributes["connection"] = conn
                        command.upgrade(cfg, "head")
                        if conn.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
                            conn.exec_driver_sql("COMMIT")
                    except BaseException:
                        if conn.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
                            conn.exec_driver_sql("ROLLBACK")
                        raise
            finally:
                upgrader.dispose()
            return
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
            _owner_or_refuse(conn)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")


def _owner_or_refuse(conn) -> None:
    """A store with an owner apart from the app (``UWC_OWNER_URL``) is upgraded by that owner alone: the app's login
    would fail half-way, or create tables of its own beside the owner's."""
    owner = conn.execute(
        text("SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'alembic_version'")
    ).scalar()
    if (
        owner is not None
        and not conn.execute(text("SELECT pg_has_role(current_user, :o, 'USAGE')"), {"o": owner}).scalar()
    ):
        raise DatabaseUnavailable(
            f"the conversations store needs an upgrade that only its owner ({owner}) may run: run `uwc seed` with "
            "UWC_OWNER_URL set to the owner's login"
        )


MIGRATIONS = Path(__file__).parent / "migrations"


def head_revisions() -> set[str]:
    """The newest revisions of ``migrations/versions``: each file's ``revision`` that no file names as its
    ``down_revision`` (what Alembic's ``ScriptDirectory.get_heads`` gives, read without importing Alembic)."""
    revisions, downs = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revisions.update(re.findall(r'^revision\s*(?::[^=]*)?=\s*"(\w+)"', source, re.M))
        downs.update(re.findall(r'^down_revision\s*(?::[^=]*)?=\s*"(\w+)"', source, re.M))
    return revisions - downs


def _is_current(engine: Engine) -> bool:
    """Whether the store is at the newest revision already (read without a write lock)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        current = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    return current == head_revisions()


def _store_engine(url: str, wait: float) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": database.BUSY_TIMEOUT_S})

        @event.listens_for(engine, "connect")
        def _wal(dbapi_conn, _):
            write_ahead(dbapi_conn)

        return engine
    return database.check_when_stale(
        create_engine(
            url,
            pool_size=5,
            max_overflow=5,
            pool_timeout=wait,
            connect_args={"connect_timeout": database.connect_timeout(wait), "options": database.async_commit(url)},
        )
    )


class ThreadStore:
    """Thread titles, owners, timestamps and feedback (``conversations.db``, or the PostgreSQL database)."""

    def __init__(self, target: Path | str, wait: float = 10.0):
        if isinstance(target, Path) or "://" not in str(target):
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            target = f"sqlite:///{target}"
        self.url = target
        self.engine = _store_engine(target, wait)
        self._lock = threading.Lock() if self.engine.dialect.name == "sqlite" else _NoLock()
        self._applicants: dict[str, str | None] = {}  # thread -> its applicant, read once (set at creation only)
        self._seen: set[tuple[str, str | None]] = set()  # (thread, owner) found here (``seen``)
        upgrade_schema(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def _row(self, thread_id: str, owner: str | None):
        q = select(thread).where(thread.c.id == thread_id)
        if owner is not None:
            q = q.where(thread.c.owner == owner)
        with self.engine.connect() as c:
            return c.execute(q).mappings().first()

    def create(
        self,
        title: str = "New conversation",
        model: str | None = None,
        applicant_id: str | None = None,
        owner: str | None = None,
    ) -> ThreadInfo:
        tid, now, title = uuid.uuid4().hex[:12], _now(), _clean_title(title)
        with self._lock, self.engine.begin() as c:
            c.execute(
                thread.insert().values(
                    id=tid,
                    title=title,
                    model=model,
                    applicant_id=applicant_id,
                    created_at=now,
                    updated_at=now,
                    owner=owner,
                )
            )
        self._saw(tid, owner)
        if len(self._applicants) < 4096:
            self._applicants[tid] = applicant_id
        return ThreadInfo(tid, title, model, applicant_id, now, now, owner)  # as stored, not read back

    def get(self, thread_id: str, owner: str | None = None) -> ThreadInfo:
        row = self._row(thread_id, owner) if isinstance(thread_id, str) else None
        if row is None:
            raise ThreadNotFound(f"no conversation with id {thread_id!r}")
        self._saw(thread_id, owner)
        return ThreadInfo(**dict(row))

    def _saw(self, thread_id: str, owner: str | None) -> None:
        if len(self._seen) >= 4096:
            self._seen.clear()
        self._seen.add((thread_id, owner))

    def seen(self, thread_id: str, owner: str | None = None) -> bool:
        """Whether this process has found the conversation (as ``owner``'s) since it last deleted it: a turn then
        skips the read that checks it exists before taking its lock, and ``touch`` (inside the lock) checks
        instead. A thread's id and owner never change; another process deleting it is caught by ``touch``."""
        return (thread_id, owner) in self._seen

    def exists(self, thread_id: str, owner: str | None = None) -> bool:
        return isinstance(thread_id, str) and self._row(thread_id, owner) is not None

    def applicant_of(self, thread_id: str) -> str | None:
        """The applicant (or desk submission) a conversation is about: set when it is created and never changed, so
        read once per process (a turn with a finding asked for it twice, a query each); ``ThreadNotFound``."""
        if thread_id not in self._applicants:
            if len(self._applicants) >= 4096:
                self._applicants.clear()
            self._applicants[thread_id] = self.get(thread_id).applicant_id
        return self._applicants[thread_id]

    def list(self, limit: int = 200, owner: str | None = None) -> list[ThreadInfo]:
        q = select(thread).order_by(thread.c.updated_at.desc(), thread.c.created_at.desc()).limit(limit)
        if owner is not None:
            q = q.where(thread.c.owner == owner)
        with self.engine.connect() as c:
            return [ThreadInfo(**dict(r)) for r in c.execute(q).mappings()]

    def touch(self, thread_id: str, title_if_new: str | None = None, owner: str | None = None) -> bool:
        """Mark the conversation updated now and, while it is still untitled, title it ``title_if_new``: one
        statement. False when there is no such conversation (of ``owner``'s, when given)."""
        values: dict = {"updated_at": _now()}
        if title_if_new:
            values["title"] = case(
                (thread.c.title == "New conversation", _clean_title(title_if_new)), else_=thread.c.title
            )
        q = thread.update().where(thread.c.id == thread_id).values(**values)
        if owner is not None:
            q = q.where(thread.c.owner == owner)
        with self._lock, database.one_statement(self.engine) as c:
            found = c.execute(q).rowcount > 0
        if not found:
            self._seen.discard((thread_id, owner))
        return found

    def rename(self, thread_id: str, title: str, owner: str | None = None) -> ThreadInfo:
        self.get(thread_id, owner)
        if not title or not title.strip():
            raise ValueError("a title cannot be empty")
        with self._lock, self.engine.begin() as c:
            c.execute(
                thread.update().where(thread.c.id == thread_id).values(title=_clean_title(title), updated_at=_now())
            )
        return self.get(thread_id)

    def delete(self, thread_id: str, checkpointer=None, owner: str | None = None) -> None:
        self.get(thread_id, owner)
        self._seen = {seen for seen in self._seen if seen[0] != thread_id}
        with self._lock, self.engine.begin() as c:
            c.execute(feedback.delete().where(feedback.c.thread_id == thread_id))
            c.execute(thread.delete().where(thread.c.id == thread_id))
        if checkpointer is not None:
            checkpointer.delete_thread(thread_id)

    def add_feedback(
        self, thread_id: str, message_id: str, rating: int, comment: str | None = None, owner: str | None = None
    ) -> None:
        info = self.get(thread_id, owner)
        if rating not in (-1, 1):
            raise ValueError("rating is 1 (thumbs up) or -1 (thumbs down)")
        comment = redact((comment or "").strip())[:MAX_COMMENT] or None  # stored: never a pasted key
        values = dict(rating=rating, comment=comment, created_at=_now(), owner=owner or info.owner)
        from sqlalchemy.dialects import postgresql, sqlite

        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        stmt = insert(feedback).values(thread_id=thread_id, message_id=message_id, **values)
        stmt = stmt.on_conflict_do_update(index_elements=["thread_id", "message_id"], set_=values)
        with self._lock, self.engine.begin() as c:
            c.execute(stmt)

    def feedback(self, thread_id: str, owner: str | None = None) -> dict[str, dict]:
        """Ratings by message id; empty for no conversation or someone else's (nothing to show, nothing leaked)."""
        if not self.exists(thread_id, owner):
            return {}
        q = select(feedback.c.message_id, feedback.c.rating, feedback.c.comment).where(
            feedback.c.thread_id == thread_id
        )
        with self.engine.connect() as c:
            return {r.message_id: {"rating": r.rating, "comment": r.comment} for r in c.execute(q)}

    def feedback_figures(
        self, start: date | None = None, end: date | None = None, models: Sequence[str] = (), comments: int = 10
    ) -> FeedbackFigures:
        """Every conversation's ratings given from ``start`` to ``end`` (UTC days, inclusive) on a thread of one of
        ``models`` (empty: any), with the latest ``comments`` comments. Portable SQL: ``created_at`` is ISO text, so
        a day range is a text range, and up/down are counted by grouping (no ``SUM`` over a boolean)."""
        rated = feedback.join(thread, thread.c.id == feedback.c.thread_id)
        where = []
        if start:
            where.append(feedback.c.created_at >= start.isoformat())
        if end:
            where.append(feedback.c.created_at < (end + timedelta(days=1)).isoformat())
        if models:
            where.append(thread.c.model.in_(list(models)))
        counts = select(feedback.c.rating, func.count()).select_from(rated).where(*where).group_by(feedback.c.rating)
        latest = (
            select(
                feedback.c.rating, feedback.c.comment, feedback.c.created_at, feedback.c.thread_id, thread.c.title,
                thread.c.model,
            )
            .select_from(rated)
            .where(feedback.c.comment.is_not(None), *where)
            .order_by(feedback.c.created_at.desc(), feedback.c.id.desc())
            .limit(comments)
        )  # fmt: skip
        with self.engine.connect() as c:
            by_rating = {rating: n for rating, n in c.execute(counts)}
            rows = c.execute(latest).all()
        return FeedbackFigures(
            up=by_rating.get(1, 0), down=by_rating.get(-1, 0), comments=tuple(FeedbackComment(*r) for r in rows)
        )

    def feedback_marker(self) -> tuple[int, str | None]:
        """Changes whenever a rating is added, replaced or deleted (their count, the latest time): the Monitoring page
        caches its figures on it."""
        with self.engine.connect() as c:
            n, latest = c.execute(select(func.count(), func.max(feedback.c.created_at)).select_from(feedback)).one()
        return int(n), latest

    def scoped(self, owner: str | None) -> ThreadStore | ScopedThreads:
        return self if owner is None else ScopedThreads(self, owner)


class ScopedThreads:
    """The same store seen by one user: only their conversations exist."""

    def __init__(self, store: ThreadStore, owner: str):
        self.store, self.owner = store, owner

    def create(self, title: str = "New conversation", model: str | None = None, applicant_id: str | None = None):
        return self.store.create(title, model, applicant_id, owner=self.owner)

    def get(self, thread_id: str) -> ThreadInfo:
        return self.store.get(thread_id, self.owner)

    def exists(self, thread_id: str) -> bool:
        return self.store.exists(thread_id, self.owner)

    def list(self, limit: int = 200) -> list[ThreadInfo]:
        return self.store.list(limit, self.owner)

    def seen(self, thread_id: str) -> bool:
        return self.store.seen(thread_id, self.owner)

    def touch(self, thread_id: str, title_if_new: str | None = None) -> bool:
        return self.store.touch(thread_id, title_if_new, self.owner)

    def rename(self, thread_id: str, title: str) -> ThreadInfo:
        return self.store.rename(thread_id, title, self.owner)

    def delete(self, thread_id: str, checkpointer=None) -> None:
        self.store.delete(thread_id, checkpointer, self.owner)

    def add_feedback(self, thread_id: str, message_id: str, rating: int, comment: str | None = None) -> None:
        self.store.add_feedback(thread_id, message_id, rating, comment, self.owner)

    def feedback(self, thread_id: str) -> dict[str, dict]:
        return self.store.feedback(thread_id, self.owner)

    def close(self) -> None:
        self.store.close()


class _NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


FIRST_MESSAGE_TITLE = 80


# A pasted e-mail's lines that say nothing of the case beyond what message_body drops: a quoted line, a greeting
_QUOTED_OR_GREETING = re.compile(
    r"^\s*(?:>|(?:hi|hello|hey|dear|good (?:morning|afternoon|evening))\b[^.!?\n]{0,40}$)", re.I
)


def title_from_message(text: str, limit: int = FIRST_MESSAGE_TITLE) -> str:
    """A conversation's title from its first message: whole words, with an ellipsis when cut ("... general liabili"
    read as a typo). A pasted e-mail is titled by its subject (two words or more), else by its body's first lines,
    never by its header ("From: …") or greeting."""
    text = str(text)
    if "\n" in text:
        said = subject_of(text)
        body = [line for line in message_body(text).splitlines() if line.strip()]
        if said and body and body[0].strip() == said:
            body = body[1:]  # message_body keeps the subject's words as its first line
        body = [line for line in body if not _QUOTED_OR_GREETING.match(line)]
        text = said if len(said.split()) >= 2 else " ".join(body) or text
    words = " ".join(without_reply_marks(text).split()) or " ".join(text.split())
    if len(words) <= limit:
        return words
    cut = words[: limit - 1]
    if " " in cut and not words[limit - 1].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"


def _clean_title(title: str) -> str:
    title = redact(" ".join(str(title).split()))
    return title[: MAX_TITLE - 1] + "…" if len(title) > MAX_TITLE else title
