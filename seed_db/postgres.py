"""Load the insurer database into PostgreSQL: bulk ``COPY`` into a fresh schema, check it, swap it in atomically.

The app reads schema ``uwc_data`` (``core.database.DATA_SCHEMA``). A load builds ``uwc_data_new_<pid>`` beside it,
copies every table, restores the foreign keys (PostgreSQL validates them in bulk) and checks the row counts, then renames the
schemas in one transaction: readers see the old data or the new, never a mix, and a failed load drops only its
own schema, leaving the old data serving.

The SQL tool's own login (``seed_db/reader_role.py``) gets USAGE and SELECT on the new schema in the same transaction.
"""

from __future__ import annotations

import os
import time

from sqlalchemy import create_engine, func, select, text

from core.database import DATA_SCHEMA, normalize_url
from seed_db import models
from seed_db.app_role import setup_app_login
from seed_db.reader_role import setup_reader
from seed_db.sources import SeedError

SWAP_LOCK = 7_420_116  # two loads at once take turns at the swap


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def write_postgres(url: str, data, reader_url: str | None = None, app_url: str | None = None) -> dict:
    """Write ``data`` (``seed_db.build.SeedData``) to PostgreSQL at ``url``; raise ``SeedError`` if it fails.
    ``reader_url`` is ``UWC_READER_URL`` (unset: the derived ``uwc_reader`` login). ``app_url`` is the app's own
    login when ``url`` is the owner's (``UWC_OWNER_URL``): it is made and granted what it needs
    (``seed_db/app_role.py``), and the reader's password is derived from it, as the app derives it."""
    start = time.perf_counter()
    scratch = f"{DATA_SCHEMA}_new_{os.getpid()}"
    engine = create_engine(normalize_url(url), connect_args={"connect_timeout": 5})
    try:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {_ident(scratch)} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {_ident(scratch)}"))
            models.Base.metadata.create_all(conn.execution_options(schema_translate_map={None: scratch}))
        try:
            deferred = _defer_constraints(engine, scratch)
            _copy_all(engine, scratch, data)
            with engine.begin() as conn:  # bulk-checked and bulk-built: ~10x faster than per-row during COPY
                for statement in deferred:
                    conn.execute(text(statement))
            _check(engine, scratch, data)
            note = _swap(engine, scratch, app_url or url, reader_url, app_url)
        except BaseException:
            with engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {_ident(scratch)} CASCADE"))
            raise
    finally:
        engine.dispose()
    return {"path": None, "bytes": None, "seconds": time.perf_counter() - start, "note": note}


def _defer_constraints(engine, schema: str) -> list[str]:
    """Drop the scratch schema's foreign keys and secondary indexes; return the statements that restore them."""
    with engine.begin() as conn:
        fks = conn.execute(
            text(
                "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = :s AND c.contype = 'f'"
            ),
            {"s": schema},
        ).all()
        indexes = conn.execute(
            text(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :s AND NOT i.indisprimary AND NOT i.indisunique"
            ),
            {"s": schema},
        ).all()
        for rel, name, _ in fks:
            conn.execute(text(f"ALTER TABLE {rel} DROP CONSTRAINT {_ident(name)}"))
        for name, _ in indexes:
            conn.execute(text(f"DROP INDEX {name}"))
    return [d for _, d in indexes] + [f"ALTER TABLE {rel} ADD CONSTRAINT {_ident(n)} {d}" for rel, n, d in fks]


def _copy_all(engine, schema: str, data) -> None:
    raw = engine.raw_connection()
    try:
        pg = raw.driver_connection  # psycopg 3: COPY ... FROM STDIN, row by row in one stream per table
        with pg.cursor() as cur:
            for table in models.Base.metadata.sorted_tables:
                rows = data.tables.get(table.name) or []
                if not rows:
                    continue
                cols = [c.name for c in table.columns]
                sql = f"COPY {_ident(schema)}.{_ident(table.name)} ({', '.join(map(_ident, cols))}) FROM STDIN"
                with cur.copy(sql) as copy:
                    for row in rows:
                        copy.write_row([row.get(c) for c in cols])
        pg.commit()
    except BaseException:
        raw.rollback()
        raise
    finally:
        raw.close()


def _check(engine, schema: str, data) -> None:
    """Every table holds exactly the rows given (foreign keys were validated when they were restored)."""
    with engine.connect() as conn:
        conn = conn.execution_options(schema_translate_map={None: schema})
        for table in models.Base.metadata.sorted_tables:
            n = conn.execute(select(func.count()).select_from(table)).scalar_one()
            if n != data.count(table.name):
                raise SeedError(table.name, f"loaded {n} rows into PostgreSQL, expected {data.count(table.name)}")


def _swap(engine, scratch: str, url: str, reader_url: str | None, app_url: str | None = None) -> str | None:
    old = f"{DATA_SCHEMA}_old_{os.getpid()}"
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SWAP_LOCK})
        live = conn.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": DATA_SCHEMA}).first()
        if live:
            conn.execute(text(f"ALTER SCHEMA {_ident(DATA_SCHEMA)} RENAME TO {_ident(old)}"))
        conn.execute(text(f"ALTER SCHEMA {_ident(scratch)} RENAME TO {_ident(DATA_SCHEMA)}"))
        note = setup_reader(conn, url, reader_url)
        if app_url:
            note = "; ".join(n for n in (note, setup_app_login(conn, app_url)) if n) or None
        if live:
            conn.execute(text(f"DROP SCHEMA {_ident(old)} CASCADE"))
    return note


def seeded_digest(url: str) -> str | None:
    """The inputs hash the live PostgreSQL data was built from, or None when there is none (or no server)."""
    engine = create_engine(normalize_url(url), connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(f"SELECT value FROM {_ident(DATA_SCHEMA)}.seed_info WHERE key = 'inputs_sha256'")
            ).first()
            return row[0] if row else None
    except Exception:
        return None
    finally:
        engine.dispose()
