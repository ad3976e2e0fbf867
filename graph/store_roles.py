"""The conversations store on PostgreSQL with an owner apart from the app (``UWC_OWNER_URL``, used by ``uwc seed``).

The owner runs the store's migrations, so it owns every table and trigger function; the app's login
(``UWC_DATABASE_URL``, made by ``seed_db/app_role.py``) gets only what it uses: on the decision record INSERT and
SELECT, on its head SELECT and UPDATE (the trigger lets the head only step forward), on the epoch and the Alembic
version SELECT; on the other tables of the store (threads, feedback, referrals) SELECT, INSERT, UPDATE and DELETE.
Not owning them, the app's login cannot grant itself more, disable or replace a trigger, or drop a table. A store
the app's login owned before (an existing deployment) is handed to the owner where the owner may take it.
"""

from __future__ import annotations

from sqlalchemy import create_engine, text

from core import database
from core.database import normalize_url
from graph.records import adopt_missing_tables
from graph.threads import MIGRATION_LOCK, upgrade_schema
from seed_db.app_role import app_role_name

# What the app's login may do on each table of the record; any other table of the store: TABLE_GRANT.
RECORD_GRANTS = {
    "decision_record": "SELECT, INSERT",
    "decision_record_head": "SELECT, UPDATE",
    "decision_record_epoch": "SELECT",
    "alembic_version": "SELECT",
}
TABLE_GRANT = "SELECT, INSERT, UPDATE, DELETE"
STORE_TABLES = ("thread", "feedback", "referral", *RECORD_GRANTS)
FUNCTIONS = ("refuse", "at_end", "head_forward", "keyed")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def prepare_store(owner_url: str, app_url: str) -> str | None:
    """Migrate the conversations store as the owner and grant the app's login its share; a note when part of the
    store stays the app login's own (the owner may not take it over: a superuser changes its owner)."""
    role = app_role_name(app_url)
    engine = create_engine(normalize_url(owner_url), connect_args={"connect_timeout": database.connect_timeout(10)})
    notes: list[str] = []
    try:
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
            _take_over(conn, role, notes)
        upgrade_schema(engine)
        adopt_missing_tables(engine)
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
            owned = conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                    "AND tablename = ANY(:t) AND pg_has_role(current_user, tableowner, 'USAGE')"
                ),
                {"t": list(STORE_TABLES)},
            ).scalars()
            for table in owned:
                conn.execute(text(f"REVOKE ALL ON {_ident(table)} FROM {_ident(role)}"))
                conn.execute(
                    text(f"GRANT {RECORD_GRANTS.get(table, TABLE_GRANT)} ON {_ident(table)} TO {_ident(role)}")
                )
            for (sequence,) in conn.execute(
                text(
                    "SELECT c.relname FROM pg_class c JOIN pg_depend d ON d.objid = c.oid "
                    "JOIN pg_class t ON t.oid = d.refobjid WHERE c.relkind = 'S' AND t.relname = ANY(:t) "
                    "AND t.relnamespace = current_schema()::regnamespace"
                ),
                {"t": list(STORE_TABLES)},
            ):
                conn.execute(text(f"GRANT USAGE, SELECT ON SEQUENCE {_ident(sequence)} TO {_ident(role)}"))
    finally:
        engine.dispose()
    return "; ".join(notes) or None


def _take_over(conn, role: str, notes: list[str]) -> None:
    """Tables and trigger functions of the store that the app's login owns (it ran the migrations before there was
    an owner) become the owner's; where the owner may not take them, say so."""
    tables = conn.execute(
        text(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename = ANY(:t) "
            "AND tableowner = :r"
        ),
        {"t": list(STORE_TABLES), "r": role},
    ).scalars()
    functions = conn.execute(
        text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner "
            "WHERE p.pronamespace = current_schema()::regnamespace AND p.proname = ANY(:f) AND r.rolname = :r"
        ),
        {"f": [f"uwc_decision_record_{f}" for f in FUNCTIONS], "r": role},
    ).scalars()
    for what in [f"TABLE {_ident(t)}" for t in tables] + [f"FUNCTION {f}" for f in functions]:
        try:
            with conn.begin_nested():
                conn.execute(text(f"ALTER {what} OWNER TO CURRENT_USER"))
        except Exception:
            notes.append(
                f"{what.lower()} is still owned by the app's login {role}: a superuser runs "
                f"ALTER {what} OWNER TO <the owner>, then `uwc seed` again"
            )
