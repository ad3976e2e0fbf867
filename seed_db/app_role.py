"""The app's own PostgreSQL login when an owner runs ``uwc seed`` (``UWC_OWNER_URL``): least privilege for the app.

The owner login owns the insurer schema and the conversations store (and runs their migrations); the app's login
(``UWC_DATABASE_URL``) is made here when missing, with the password of its URL, and is a member of no role, so it
can never become the owner: it cannot grant itself UPDATE on the decision record back, disable a trigger, or drop a
table it does not own. It may connect, create the tables it keeps itself (the LangGraph checkpoints, the desk's
queue: CREATE on the database and on schema ``public``), read ``uwc_data``, and take the advisory locks the app uses.
What it may do on the conversations store is granted by ``graph/store_roles.py`` once the store is migrated.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from core.database import DATA_SCHEMA
from seed_db.reader_role import LOCK_FUNCTIONS, _ident, _retry, memberships, role_exists

ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT NOREPLICATION NOBYPASSRLS"


def app_role_name(app_url: str) -> str:
    name = make_url(app_url).username
    if not name:
        raise ValueError("UWC_DATABASE_URL names no user: with UWC_OWNER_URL it must be the app's own login")
    return name


def setup_app_login(conn: Connection, app_url: str) -> str | None:
    """Create the app's login when missing and grant it what it needs outside the conversations store; a note when
    the login is stronger than it should be (a superuser, or a member of another role)."""
    role = app_role_name(app_url)
    password = make_url(app_url).password
    if not role_exists(conn, role):
        secret = "" if password is None else " PASSWORD " + _literal(str(password))
        note = _retry(conn, lambda: conn.execute(text(f"CREATE ROLE {_ident(role)} {ATTRIBUTES}{secret}")))
        if note:
            return f"could not create the app's login {role} ({note})"
    notes = _strength(conn, role)
    database = conn.execute(text("SELECT current_database()")).scalar_one()
    for statement in (
        f"GRANT CONNECT, CREATE, TEMPORARY ON DATABASE {_ident(database)} TO {_ident(role)}",
        f"GRANT USAGE, CREATE ON SCHEMA public TO {_ident(role)}",
        f"GRANT USAGE ON SCHEMA {_ident(DATA_SCHEMA)} TO {_ident(role)}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {_ident(DATA_SCHEMA)} TO {_ident(role)}",
    ):
        conn.execute(text(statement))
    for (signature,) in conn.execute(
        text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'pg_catalog' AND p.proname = ANY(:names)"
        ),
        {"names": list(LOCK_FUNCTIONS)},
    ):
        conn.execute(text(f"GRANT EXECUTE ON FUNCTION {signature} TO {_ident(role)}"))
    return "; ".join(notes) or None


def _strength(conn: Connection, role: str) -> list[str]:
    row = conn.execute(
        text("SELECT rolsuper, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": role}
    ).one()
    notes = []
    if any(row):
        notes.append(f"the app's login {role} is a superuser or may create roles: the decision record is not protected")
    if owners := [g for g in memberships(conn, role) if not g.startswith("pg_")]:
        notes.append(f"the app's login {role} is a member of {', '.join(owners)}: it may act as them")
    return notes


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
