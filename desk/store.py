"""The desk store: submissions, their files and the facts read from them.

A SQLite file ``<data>/desk.db`` by default, or the PostgreSQL database of ``UWC_DATABASE_URL``; kept apart from the
conversations store so neither's schema moves the other. Files are kept as received under
``<data>/submissions/<sha256>`` (named by content, never by the name they came with; the data folder is never
served by the web app). A submission's content hash is unique: storing the same content twice returns the first.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from core.database import BUSY_TIMEOUT_S, is_postgres, normalize_url, write_ahead
from desk.submission import ReadFact, Source, StoredFile, Submission, TextPart

metadata = MetaData()
submission = Table(
    "submission",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("content_hash", String(64), nullable=False, unique=True),
    Column("received_at", String(40), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False, default="new", index=True),
    Column("needs_person", Text),
    Column("company", Text),
    Column("description", Text),
    Column("lines_requested", Text, nullable=False, default="[]"),  # JSON list of line codes
    Column("notes", Text, nullable=False, default="[]"),  # JSON list of sentences
    Column("text", Text, nullable=False, default="[]"),  # JSON list of {text, source}
)
submission_file = Table(
    "submission_file",
    metadata,
    Column("submission_id", String(40), ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("sha256", String(64), nullable=False, index=True),
    Column("name", Text, nullable=False),  # as received: data, never a path
    Column("size", Integer, nullable=False),
    Column("content_type", Text, nullable=False, default=""),
)
submission_fact = Table(
    "submission_fact",
    metadata,
    Column("submission_id", String(40), ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(40), primary_key=True),
    Column("position", Integer, nullable=False),  # the order they were read in
    Column("value", Text, nullable=False),
    Column("is_number", Integer, nullable=False, default=0),
    Column("how", String(8), nullable=False),
    Column("snippet", Text, nullable=False),
    Column("source", Text, nullable=False),  # JSON {file_sha256, file_name, page, row, field}
)


def store_url(settings) -> str:
    if is_postgres(settings.database_url):
        return normalize_url(settings.database_url)
    return f"sqlite:///{Path(settings.data_dir) / 'desk.db'}"


class DeskStore:
    def __init__(self, url: str, files_dir: Path | str):
        self.files_dir = Path(files_dir)
        self.engine = _engine(url)
        metadata.create_all(self.engine)

    @classmethod
    def open(cls, settings) -> DeskStore:
        return cls(store_url(settings), Path(settings.data_dir) / "submissions")

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> DeskStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- files --------------------------------------------------------------------------------------------------
    def keep_file(self, sha256: str, data: bytes) -> Path:
        """Write a file once, by its content hash (atomically: a crash never leaves half a file under the name)."""
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError("a file is kept under its sha256 only")
        path = self.files_dir / sha256
        if path.exists():
            return path
        self.files_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.files_dir, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def file_path(self, sha256: str) -> Path | None:
        path = self.files_dir / sha256
        return path if len(sha256) == 64 and path.is_file() else None

    # --- submissions --------------------------------------------------------------------------------------------
    def add(self, sub: Submission, content_hash: str) -> tuple[Submission, bool]:
        """Store ``sub``; when its content is already stored, the stored one. Returns (submission, was_new)."""
        existing = self.get_by_hash(content_hash)
        if existing is not None:
            return existing, False
        try:
            with self.engine.begin() as conn:
                conn.execute(submission.insert().values(**_row(sub, content_hash)))
                if sub.files:
                    conn.execute(
                        submission_file.insert(),
                        [
                            {"submission_id": sub.id, "position": i, "sha256": f.sha256, "name": f.name}
                            | {"size": f.size, "content_type": f.content_type}
                            for i, f in enumerate(sub.files)
                        ],
                    )
                if sub.facts:
                    conn.execute(submission_fact.insert(), [_fact_row(sub.id, i, f) for i, f in enumerate(sub.facts)])
        except IntegrityError:  # stored by another process meanwhile
            stored = self.get_by_hash(content_hash)
            if stored is None:
                raise
            return stored, False
        return sub, True

    def get_by_hash(self, content_hash: str) -> Submission | None:
        with self.engine.connect() as conn:
            sid = conn.execute(
                select(submission.c.id).where(submission.c.content_hash == content_hash)
            ).scalar_one_or_none()
        return self.get(sid) if sid else None

    def get(self, submission_id: str) -> Submission | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(submission).where(submission.c.id == submission_id)).mappings().first()
            if row is None:
                return None
            files = conn.execute(
                select(submission_file)
                .where(submission_file.c.submission_id == submission_id)
                .order_by(submission_file.c.position)
            ).mappings()
            facts = conn.execute(
                select(submission_fact)
                .where(submission_fact.c.submission_id == submission_id)
                .order_by(submission_fact.c.position)
            ).mappings()
            return _submission(row, list(files), list(facts))

    def list(self, status: str | None = None, limit: int = 200) -> list[Submission]:
        stmt = select(submission.c.id).order_by(submission.c.received_at.desc(), submission.c.id).limit(limit)
        if status:
            stmt = stmt.where(submission.c.status == status)
        with self.engine.connect() as conn:  # three queries for the page, not three per submission
            rows = list(conn.execute(select(submission).where(submission.c.id.in_(stmt.scalar_subquery()))).mappings())
            ids = [r["id"] for r in rows]
            files: dict[str, list] = {i: [] for i in ids}
            facts: dict[str, list] = {i: [] for i in ids}
            wanted = submission_file.c.submission_id.in_(ids)
            for f in conn.execute(
                select(submission_file).where(wanted).order_by(submission_file.c.position)
            ).mappings():
                files[f["submission_id"]].append(f)
            wanted = submission_fact.c.submission_id.in_(ids)
            for f in conn.execute(
                select(submission_fact).where(wanted).order_by(submission_fact.c.position)
            ).mappings():
                facts[f["submission_id"]].append(f)
        # newest first, then by id (two stable sorts)
        newest_first = sorted(sorted(rows, key=lambda r: r["id"]), key=lambda r: r["received_at"], reverse=True)
        return [_submission(r, files[r["id"]], facts[r["id"]]) for r in newest_first]

    def set_status(self, submission_id: str, status: str) -> None:
        from desk.limits import STATUSES

        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}: one of {', '.join(STATUSES)}")
        with self.engine.begin() as conn:
            conn.execute(submission.update().where(submission.c.id == submission_id).values(status=status))


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S})

        @event.listens_for(engine, "connect")
        def _wal(dbapi_conn, _):
            write_ahead(dbapi_conn)
            dbapi_conn.execute("PRAGMA foreign_keys=ON")

        return engine
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})


def _source_json(s: Source) -> str:
    return json.dumps(
        {"file_sha256": s.file_sha256, "file_name": s.file_name, "page": s.page, "row": s.row, "field": s.field}
    )


def _row(sub: Submission, content_hash: str) -> dict:
    return {
        "id": sub.id,
        "content_hash": content_hash,
        "received_at": sub.received_at,
        "kind": sub.kind,
        "status": sub.status,
        "needs_person": sub.needs_person,
        "company": sub.company,
        "description": sub.description,
        "lines_requested": json.dumps(list(sub.lines_requested)),
        "notes": json.dumps(list(sub.notes)),
        "text": json.dumps([{"text": t.text, "source": json.loads(_source_json(t.source))} for t in sub.text]),
    }


def _fact_row(sid: str, position: int, f: ReadFact) -> dict:
    return {
        "submission_id": sid,
        "position": position,
        "key": f.key,
        "value": str(f.value),
        "is_number": int(isinstance(f.value, int)),
        "how": f.how,
        "snippet": f.snippet,
        "source": _source_json(f.source),
    }


def _submission(row, files, facts) -> Submission:
    return Submission(
        id=row["id"],
        received_at=row["received_at"],
        kind=row["kind"],
        status=row["status"],
        needs_person=row["needs_person"],
        company=row["company"],
        description=row["description"],
        lines_requested=tuple(json.loads(row["lines_requested"])),
        notes=tuple(json.loads(row["notes"])),
        text=tuple(TextPart(t["text"], Source(**t["source"])) for t in json.loads(row["text"])),
        files=tuple(StoredFile(f["sha256"], f["name"], f["size"], f["content_type"]) for f in files),
        facts=tuple(
            ReadFact(
                f["key"],
                int(f["value"]) if f["is_number"] else f["value"],
                Source(**json.loads(f["source"])),
                f["snippet"],
                f["how"],
            )
            for f in facts
        ),
    )
