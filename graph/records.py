"""The decision record: one append-only, hash-chained record per determination, referral, approval, decline,
return and override, kept in the conversations store (``conversations.db`` or the PostgreSQL database).

Each record's ``hash`` is the HMAC-SHA256, under the key of ``graph/audit_key.py`` (kept outside the database), of
the canonical JSON (sorted keys, no spaces, UTF-8) of its fields — alg, seq, kind, at, user, role, thread_id,
submission_id, referral_id, body and prev_hash — and ``prev_hash`` is the hash of the record before it (64 zeros
for the first). ``alg`` names the key (``hmac-sha256:<key id>``). Records written before the key existed (migration
``0005``) have no ``alg`` and a plain sha256 of the other ten fields; they still verify, and from the epoch that
migration fixed on every record must be keyed, so an unkeyed record cannot be slipped in after them. A one-row head (the latest seq and hash) moves in the same
transaction as each append, so a record deleted from the end is detected too. Appends are serialized (SQLite:
``BEGIN IMMEDIATE``; PostgreSQL: the head row locked ``FOR UPDATE``) and ``prev_hash`` is unique, so several
processes appending at once never fork the chain. Triggers (migration ``0003``) refuse UPDATE and DELETE.

``verify`` recomputes every hash in seq order, streamed, and names the first record that was changed, deleted,
inserted or moved. What it can and cannot detect is in docs/audit.md.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, bindparam, create_engine, event, select, text
from sqlalchemy.engine import Engine

from core import database
from core.database import normalize_url, write_ahead
from graph.audit_key import ALG, AuditKey, AuditKeyError, from_file
from graph.determination import determination_body
from graph.threads import upgrade_schema

__all__ = [
    "GENESIS",
    "RECORD_KINDS",
    "DecisionRecord",
    "RecordStore",
    "VerifyReport",
    "determination_body",
    "record_hash",
]

RECORD_KINDS = ("determination", "referral", "approval", "decline", "return", "override")
GENESIS = "0" * 64
MAX_BODY_BYTES = 1_000_000  # one record's body: a turn's tool results are shortened well below this
FETCH = 2000  # rows per round trip while streaming

metadata = MetaData()
decision_record = Table(
    "decision_record",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("kind", Text, nullable=False),
    Column("at", Text, nullable=False),
    Column("user_name", Text),  # "user" is a reserved word in PostgreSQL
    Column("role", Text),
    Column("thread_id", Text),
    Column("submission_id", Text),
    Column("referral_id", Text),
    Column("body", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("alg", Text),  # hmac-sha256:<key id>; NULL for an unkeyed record written before migration 0005
)
head = Table(
    "decision_record_head",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)
epoch = Table(
    "decision_record_epoch",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("keyed_from", Integer, nullable=False),  # the first seq that must be keyed
)
_COLUMNS = [decision_record.c[n] for n in decision_record.c.keys()]
# Built once, so each append reuses the compiled statements.
_INSERT = decision_record.insert()
_MOVE_HEAD = head.update().where(head.c.id == 1).values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))


@dataclass(frozen=True)
class DecisionRecord:
    seq: int
    kind: str
    at: str  # UTC, ISO 8601
    user: str | None
    role: str | None
    thread_id: str | None
    submission_id: str | None
    referral_id: str | None
    body: dict
    prev_hash: str
    hash: str
    alg: str | None = None  # None: an unkeyed record of before the key (plain sha256)

    def as_dict(self) -> dict:
        """The record as one JSON line of an export (with its hash)."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    count: int  # records read
    first_bad_seq: int | None = None
    problem: str | None = None  # one readable line
    seconds: float = 0.0
    head_seq: int = 0
    head_hash: str = GENESIS
    unkeyed: int = 0  # records of before the key (plain sha256), verified as such


class RecordRefused(ValueError):
    """A record that cannot be appended as given (unknown kind, a body that is not JSON or too big)."""


def canonical_body(body: object) -> str:
    """The body as stored and hashed: JSON with sorted keys and no spaces (anything not JSON becomes a string)."""
    if not isinstance(body, dict):
        raise RecordRefused("a record's body is a JSON object")
    try:
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str, allow_nan=False)
    except ValueError as exc:  # NaN or infinity: not JSON
        raise RecordRefused(f"a record's body is not JSON: {exc}") from None
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        raise RecordRefused(f"a record's body is over {MAX_BODY_BYTES:,} bytes")
    return text


_dump = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # one encoder: verify calls it 1M times


def record_hash(
    seq: int,
    kind: str,
    at: str,
    user: str | None,
    role: str | None,
    thread_id: str | None,
    submission_id: str | None,
    referral_id: str | None,
    body_text: str,
    prev_hash: str,
    alg: str | None = None,
    key: bytes | None = None,
) -> str:
    """The hash of a record: the HMAC-SHA256 under ``key`` of the canonical JSON of its fields, ``alg`` (the key's
    name) among them; with no ``alg``, an unkeyed record's sha256 of the ten others. ``body_text`` is spliced in as
    stored: when it is canonical (``canonical_body``) the text is exactly ``json.dumps(fields, sort_keys=True,
    separators=(",", ":"), ensure_ascii=False)``, and any byte changed in it changes the hash. Keys in sorted
    order."""
    opening = "{" if alg is None else f'{{"alg":{_dump(alg)},'  # built in one piece: verify hashes 100k of ~5 KB
    text = (
        f'{opening}"at":{_dump(at)},"body":{body_text},"kind":{_dump(kind)},"prev_hash":{_dump(prev_hash)},'
        f'"referral_id":{_dump(referral_id)},"role":{_dump(role)},"seq":{_dump(seq)},'
        f'"submission_id":{_dump(submission_id)},"thread_id":{_dump(thread_id)},"user":{_dump(user)}}}'
    ).encode("utf-8", "surrogatepass")
    if alg is None:
        return hashlib.sha256(text).hexdigest()
    if key is None:
        raise ValueError("a keyed record's hash needs its key")
    mac = _keyed(key).copy()  # the key's inner and outer pads computed once, not per record
    mac.update(text)
    return mac.hexdigest()


@functools.lru_cache(maxsize=16)
def _keyed(key: bytes) -> hmac.HMAC:
    return hmac.new(key, digestmod=hashlib.sha256)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _record(row) -> DecisionRecord:
    seq, kind, at, user, role, thread_id, submission_id, referral_id, body, prev_hash, hash_, alg = row
    return DecisionRecord(
        seq, kind, at, user, role, thread_id, submission_id, referral_id, json.loads(body), prev_hash, hash_, alg
    )


def adopt_missing_tables(engine: Engine) -> None:
    """Create the record's tables where a store's revision is past ``0003`` without them: for a while ``0004``
    (referrals) came straight after ``0002``, and Alembic never runs a revision older than the one stamped.
    Revision ``0005`` (the keyed chain) builds ``0003``'s tables first when they are missing."""
    from sqlalchemy import inspect

    if inspect(engine).has_table("decision_record"):
        return
    import importlib.util

    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    path = Path(__file__).parent / "migrations" / "versions" / "0005_keyed_records.py"
    spec = importlib.util.spec_from_file_location("uwc_migration_0005", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                from graph.threads import MIGRATION_LOCK

                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
            elif engine.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            if inspect(conn).has_table("decision_record"):
                return  # another process adopted them while this one waited
            with Operations.context(MigrationContext.configure(conn)):
                migration.upgrade()
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("COMMIT")
    except Exception:
        if not inspect(engine).has_table("decision_record"):
            raise


class RecordStore:
    """The decision record of one conversations store; ``url`` is ``graph.threads.store_url(settings)`` (or a path
    of a SQLite file); ``key`` is ``graph.audit_key.load_key(settings)``. Without one, a SQLite store uses the key
    file beside it (created once), and a PostgreSQL store is refused: its key must come from the operator."""

    def __init__(self, url: Path | str, wait: float = 10.0, key: AuditKey | None = None):
        if isinstance(url, Path) or "://" not in str(url):
            Path(url).parent.mkdir(parents=True, exist_ok=True)
            url = f"sqlite:///{url}"
        self.sqlite = str(url).startswith("sqlite")
        self.url = str(url) if self.sqlite else normalize_url(str(url))
        if self.sqlite:
            # The driver's own transaction handling is off: appends open ``BEGIN IMMEDIATE`` themselves.
            engine = create_engine(
                self.url,
                connect_args={"check_same_thread": False, "timeout": max(wait, database.BUSY_TIMEOUT_S)},
            )

            @event.listens_for(engine, "connect")
            def _connect(dbapi_conn, _):
                write_ahead(dbapi_conn)
                dbapi_conn.isolation_level = None

            self.engine: Engine = engine
        else:
            self.engine = database.check_when_stale(
                create_engine(
                    self.url,
                    pool_size=2,
                    max_overflow=3,
                    pool_timeout=wait,
                    connect_args={"connect_timeout": database.connect_timeout(wait)},
                )
            )
        if key is None:
            folder = database.sqlite_file(self.url)
            if not self.sqlite or folder is None:
                raise AuditKeyError("the decision record on PostgreSQL needs its key (UWC_AUDIT_KEY or a key file)")
            key = from_file(Path(folder).parent / "audit.key")
        self.key = key
        self._lock = threading.Lock()  # one append at a time per process (the database serializes processes)
        upgrade_schema(self.engine)
        adopt_missing_tables(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # --- writing -----------------------------------------------------------------------------------------------
    def append(
        self,
        kind: str,
        *,
        user: str | None,
        role: str | None,
        body: dict,
        thread_id: str | None = None,
        submission_id: str | None = None,
        referral_id: str | None = None,
    ) -> DecisionRecord:
        """Add one record at the end of the chain and return it (committed when this returns)."""
        if kind not in RECORD_KINDS:
            raise RecordRefused(f"unknown record kind {kind!r}; one of {', '.join(RECORD_KINDS)}")
        (record,) = self.append_many(
            [
                dict(
                    kind=kind,
                    user=user,
                    role=role,
                    body=body,
                    thread_id=thread_id,
                    submission_id=submission_id,
                    referral_id=referral_id,
                )
            ]
        )
        return record

    def append_many(self, items: list[dict]) -> list[DecisionRecord]:
        """Append several records (each the keyword arguments of ``append``) in one transaction: all or none."""
        batch = []
        for item in items:
            if item.get("kind") not in RECORD_KINDS:
                raise RecordRefused(f"unknown record kind {item.get('kind')!r}; one of {', '.join(RECORD_KINDS)}")
            fields = {k: item.get(k) for k in ("kind", "user", "role", "thread_id", "submission_id", "referral_id")}
            batch.append((fields, canonical_body(item.get("body"))))
        with self._lock:
            if self.sqlite:
                return self._append_sqlite(batch)
            return self._append_postgres(batch)

    def _chain(self, conn, last_seq: int, last_hash: str, fields: dict, body_text: str) -> DecisionRecord:
        seq, at = last_seq + 1, _now()  # taken under the lock: ``at`` never goes back along the chain
        alg = self.key.alg
        digest = record_hash(
            seq,
            fields["kind"],
            at,
            fields["user"],
            fields["role"],
            fields["thread_id"],
            fields["submission_id"],
            fields["referral_id"],
            body_text,
            last_hash,
            alg,
            self.key.current,
        )
        values = {k: v for k, v in fields.items() if k != "user"}
        row = dict(seq=seq, at=at, user_name=fields["user"], body=body_text, prev_hash=last_hash, hash=digest, **values)
        row["alg"] = alg
        conn.execute(_INSERT, row)
        conn.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": digest})
        return DecisionRecord(
            seq,
            fields["kind"],
            at,
            fields["user"],
            fields["role"],
            fields["thread_id"],
            fields["submission_id"],
            fields["referral_id"],
            json.loads(body_text),
            last_hash,
            digest,
            alg,
        )

    def _extend(self, conn, last_seq: int, last_hash: str, batch: list[tuple[dict, str]]) -> list[DecisionRecord]:
        out = []
        for fields, body_text in batch:
            record = self._chain(conn, last_seq, last_hash, fields, body_text)
            last_seq, last_hash = record.seq, record.hash
            out.append(record)
        return out

    def _append_sqlite(self, batch: list[tuple[dict, str]]) -> list[DecisionRecord]:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # the file's write lock: other processes' appends wait
            try:
                last_seq, last_hash = conn.execute(select(head.c.seq, head.c.hash).where(head.c.id == 1)).one()
                records = self._extend(conn, last_seq, last_hash, batch)
                conn.exec_driver_sql("COMMIT")
            except BaseException:
                if conn.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
                    conn.exec_driver_sql("ROLLBACK")
                raise
        return records

    def _append_postgres(self, batch: list[tuple[dict, str]]) -> list[DecisionRecord]:
        with self.engine.begin() as conn:
            # the head row's lock serializes appends from every process; it is released at commit
            last_seq, last_hash = conn.execute(
                select(head.c.seq, head.c.hash).where(head.c.id == 1).with_for_update()
            ).one()
            return self._extend(conn, last_seq, last_hash, batch)

    # --- reading -----------------------------------------------------------------------------------------------
    def head(self) -> tuple[int, str]:
        """The latest record's seq and hash (0 and 64 zeros when there is none)."""
        with self.engine.connect() as conn:
            seq, digest = conn.execute(select(head.c.seq, head.c.hash).where(head.c.id == 1)).one()
        return int(seq), digest

    def _rows(self, query) -> Iterator[tuple]:
        with self.engine.connect() as conn:
            if not self.sqlite:
                conn = conn.execution_options(stream_results=True, max_row_buffer=FETCH)  # a server-side cursor
            result = conn.execute(query)
            while rows := result.fetchmany(FETCH):
                yield from rows

    def _raw_rows(self, sql: str) -> Iterator[tuple]:
        """Rows straight from the driver (no SQLAlchemy row objects): ``verify`` reads every record. PostgreSQL: a
        named (server-side) cursor, so the table is streamed, never held."""
        with self.engine.connect() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None
            cursor = driver.cursor() if self.sqlite else driver.cursor(name="uwc_decision_record_verify")
            try:
                if not self.sqlite:
                    cursor.itersize = FETCH
                cursor.execute(sql)
                while rows := cursor.fetchmany(FETCH):
                    yield from rows
            finally:
                cursor.close()
                if not self.sqlite:
                    driver.rollback()

    def records(
        self,
        *,
        thread_id: str | None = None,
        submission_id: str | None = None,
        referral_id: str | None = None,
        since: str | None = None,
        kind: str | None = None,
    ) -> Iterator[DecisionRecord]:
        """Records in seq order, streamed; each filter given narrows them (``since``: an ISO date or time, UTC)."""
        c = decision_record.c
        query = select(*_COLUMNS).order_by(c.seq)
        for column, value in (
            (c.thread_id, thread_id),
            (c.submission_id, submission_id),
            (c.referral_id, referral_id),
            (c.kind, kind),
        ):
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(c.at >= since)
        for row in self._rows(query):
            yield _record(row)

    def check_key(self) -> None:
        """Refuse a key that did not sign the latest keyed record: processes given different keys (replicas each
        making its own key file, a new key without the old one kept) would write a chain none of them verifies."""
        c = decision_record.c
        with self.engine.connect() as conn:
            alg = conn.execute(select(c.alg).where(c.alg.is_not(None)).order_by(c.seq.desc()).limit(1)).scalar()
        if alg is not None and alg not in self.key.by_alg():
            raise AuditKeyError(
                f"the latest decision record is signed with key {alg.partition(':')[2]}, which the key from "
                f"{self.key.source} is not: give every process the same key (UWC_AUDIT_KEY), and keep a replaced "
                "one in UWC_AUDIT_OLD_KEYS or the key file (docs/audit.md)"
            )

    def keyed_from(self) -> int:
        """The first seq that must be keyed (records before it were written before the key existed)."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(epoch.c.keyed_from).where(epoch.c.id == 1)).scalar_one())

    def verify(self) -> VerifyReport:
        """Recompute the chain in seq order and compare it with the head; the first problem found is reported.
        Each keyed record is checked with the key its ``alg`` names; from the epoch on every record must be keyed."""
        start = time.perf_counter()
        head_seq, head_hash = self.head()
        keyed_from, keys = self.keyed_from(), self.key.by_alg()
        count, expected, prev, unkeyed = 0, 1, GENESIS, 0

        def bad(seq: int, problem: str) -> VerifyReport:
            return VerifyReport(False, count, seq, problem, time.perf_counter() - start, head_seq, head_hash, unkeyed)

        for row in self._raw_rows(f"SELECT {', '.join(decision_record.c.keys())} FROM decision_record ORDER BY seq"):
            seq, kind, at, user, role, thread_id, submission_id, referral_id, body, prev_hash, digest, alg = row
            count += 1
            if seq != expected:
                missing = f"record {expected}" if seq == expected + 1 else f"records {expected} to {seq - 1}"
                return bad(expected, f"{missing} missing: the chain jumps from {expected - 1} to {seq} (deleted)")
            if alg is None:
                if seq >= keyed_from:
                    return bad(
                        seq,
                        f"record {seq} is not keyed, but every record from {keyed_from} on must be "
                        "(written without the key: forged)",
                    )
                unkeyed += 1
                key = None
            else:
                key = keys.get(alg)
                if key is None:
                    known = alg.startswith(f"{ALG}:")
                    return bad(
                        seq,
                        f"record {seq} is signed with key {alg.partition(':')[2] or alg!r}, which is not configured "
                        "(a retired key missing from UWC_AUDIT_OLD_KEYS or the key file, or a forged record)"
                        if known
                        else f"record {seq} names an unknown algorithm {alg!r} (forged)",
                    )
            actual = record_hash(
                seq, kind, at, user, role, thread_id, submission_id, referral_id, body, prev_hash, alg, key
            )
            if actual != digest:
                return bad(
                    seq,
                    f"record {seq} was changed or forged: its content does not match its hash"
                    + (" under the key" if key is not None else ""),
                )
            if prev_hash != prev:
                return bad(
                    seq,
                    f"record {seq} does not follow record {seq - 1}: its prev_hash is not that record's hash "
                    "(a record was rewritten, inserted or moved)",
                )
            expected, prev = seq + 1, digest
        last = expected - 1
        if last < head_seq:
            missing = f"record {head_seq}" if head_seq == last + 1 else f"records {last + 1} to {head_seq}"
            return bad(last + 1, f"{missing} missing at the end: the head says {head_seq} (deleted)")
        if last > head_seq:
            return bad(head_seq + 1, f"record {head_seq + 1} is past the head ({head_seq}): inserted outside append")
        if prev != head_hash:
            return bad(last, f"record {last} is not the one the head names (the last record was replaced)")
        return VerifyReport(True, count, None, None, time.perf_counter() - start, head_seq, head_hash, unkeyed)
