"""The SQL tool's own PostgreSQL login, set up by ``uwc seed``: least privilege by construction, not by parsing.

The tool's statements run as this role, never as the app's user. The role logs in with its own password, is a
member of no other role (so ``SET ROLE`` and ``set_config('role', …)`` have nowhere to go), cannot create roles,
databases or replicate, and carries its own limits (read-only transactions, a statement timeout, small work
memory, a temporary-file cap). Per database it gets USAGE and SELECT on ``uwc_data`` and nothing else; functions
that run SQL given as text, sleep, signal or lock other sessions lose EXECUTE for PUBLIC (the app's own user
keeps the advisory locks it uses). The statement allow-list of ``tools/sql.py`` stays as a second layer.
"""

from __future__ import annotations

import time

from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from core.database import DATA_SCHEMA, READER_ROLE, reader_password, reader_url

# Per-role defaults: the session starts with them whatever the connecting code asks for.
ROLE_SETTINGS = {
    "default_transaction_read_only": "on",
    "statement_timeout": "5s",
    "idle_in_transaction_session_timeout": "10s",
    "work_mem": "4MB",
    "temp_file_limit": "64MB",  # a superuser-only setting, so the session itself cannot raise it
    "search_path": DATA_SCHEMA,
}
CONNECTION_LIMIT = 32
# SQL given as text (ts_rewrite, ts_stat, query_to_xml …), whole-schema dumps, sleeping, signalling other sessions,
# writing to the WAL (pg_logical_emit_message: executable by PUBLIC, and allowed in a read-only transaction).
DENIED_FUNCTIONS = (
    "ts_rewrite ts_stat query_to_xml query_to_xmlschema query_to_xml_and_xmlschema cursor_to_xml "
    "cursor_to_xmlschema table_to_xml table_to_xmlschema table_to_xml_and_xmlschema schema_to_xml "
    "schema_to_xmlschema schema_to_xml_and_xmlschema database_to_xml database_to_xmlschema "
    "database_to_xml_and_xmlschema pg_sleep pg_sleep_for pg_sleep_until pg_terminate_backend pg_cancel_backend "
    "pg_notify pg_logical_emit_message lo_from_bytea lo_create lo_creat lo_import lo_export"
).split()
# Advisory locks: the app's user takes them (the swap, one writer per conversation); nobody else needs them.
LOCK_FUNCTIONS = tuple(
    f"pg{try_}_advisory{xact}_{kind}{shared}"
    for try_ in ("", "_try")
    for xact in ("", "_xact")
    for kind in ("lock",)
    for shared in ("", "_shared")
) + ("pg_advisory_unlock", "pg_advisory_unlock_shared", "pg_advisory_unlock_all")
RETRIES = 3  # roles are per server: two databases seeded at once may update the same role row


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def role_exists(conn: Connection, role: str) -> bool:
    return conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first() is not None


def memberships(conn: Connection, role: str) -> list[str]:
    """The roles ``role`` is a member of (whose rights it may take)."""
    return list(
        conn.execute(
            text(
                "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = :r"
            ),
            {"r": role},
        ).scalars()
    )


def reader_role_name(database_url: str, configured: str | None = None) -> str:
    return make_url(reader_url(database_url, configured)).username or READER_ROLE


def setup_reader(conn: Connection, database_url: str, configured: str | None = None) -> str | None:
    """Create or update the reader login and its grants on ``DATA_SCHEMA``; a note when part of it was not allowed.

    With ``UWC_READER_URL`` the role is the operator's: it is granted SELECT but not created or altered."""
    role = reader_role_name(database_url, configured)
    notes: list[str] = []
    if not configured:
        note = _retry(conn, lambda: _own_role(conn, role, reader_password(database_url), notes))
        if note:
            return f"could not set up role {role} ({note}); the SQL tool stays off on PostgreSQL until it exists"
    if not role_exists(conn, role):
        return f"role {role} of UWC_READER_URL does not exist; the SQL tool stays off on PostgreSQL until it does"
    conn.execute(text(f"GRANT USAGE ON SCHEMA {_ident(DATA_SCHEMA)} TO {_ident(role)}"))
    conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA {_ident(DATA_SCHEMA)} TO {_ident(role)}"))
    _revoke_functions(conn, notes)
    return "; ".join(notes) or None


def _retry(conn: Connection, step) -> str | None:
    for attempt in range(RETRIES):
        try:
            with conn.begin_nested():
                step()
            return None
        except Exception as exc:
            first = str(getattr(exc, "orig", exc)).splitlines()[0]
            if "concurrently" not in first or attempt == RETRIES - 1:
                return first
            time.sleep(0.1 * (attempt + 1))
    return None


def _own_role(conn: Connection, role: str, password: str, notes: list[str]) -> None:
    attrs = f"LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS CONNECTION LIMIT {CONNECTION_LIMIT}"
    verb = "ALTER" if role_exists(conn, role) else "CREATE"
    conn.execute(text(f"{verb} ROLE {_ident(role)} {attrs} PASSWORD '{password}'"))  # hex digits: nothing to quote
    # Earlier versions made the app's user a member of the role; the role itself must belong to nobody.
    for granted in memberships(conn, role):
        conn.execute(text(f"REVOKE {_ident(granted)} FROM {_ident(role)}"))
    for name, value in ROLE_SETTINGS.items():
        try:
            with conn.begin_nested():
                conn.execute(text(f"ALTER ROLE {_ident(role)} SET {name} = '{value}'"))
        except Exception:
            notes.append(f"{name} not set on {role} (needs a superuser)")


def _revoke_functions(conn: Connection, notes: list[str]) -> None:
    """EXECUTE off for PUBLIC in this database (the reader has no other grant); the app's user keeps the locks."""
    rows = conn.execute(
        text(
            "SELECT p.oid::regprocedure::text, p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'pg_catalog' AND p.proname = ANY(:names)"
        ),
        {"names": [*DENIED_FUNCTIONS, *LOCK_FUNCTIONS]},
    ).all()
    denied = 0
    for signature, name in rows:
        try:
            with conn.begin_nested():
                if name in LOCK_FUNCTIONS:
                    conn.execute(text(f"GRANT EXECUTE ON FUNCTION {signature} TO CURRENT_USER"))
                conn.execute(text(f"REVOKE EXECUTE ON FUNCTION {signature} FROM PUBLIC"))
        except Exception:
            denied += 1
    if denied:
        notes.append(f"EXECUTE could not be revoked on {denied} functions (needs their owner)")
