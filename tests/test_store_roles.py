"""PostgreSQL with an owner apart from the app (graph/store_roles.py, seed_db/app_role.py): the owner migrates the
conversations store, the app's login keeps INSERT and SELECT on the decision record and can take nothing back."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from graph.audit_key import from_values
from tests.pg import ADMIN_URL, fresh_database

pytestmark = pytest.mark.slow
KEY = from_values("key-of-the-store-role-tests-0123456789")


@pytest.fixture
def split():
    """A seeded database, its owner's URL (the admin here) and the app's own login, set up as `uwc seed` does."""
    from graph.store_roles import prepare_store
    from seed_db.app_role import setup_app_login

    role = f"uwc_app_{uuid.uuid4().hex[:8]}"
    with fresh_database("uwc_test_roles", seeded=True) as owner_url:
        app_url = make_url(owner_url).set(username=role, password="pw-app").render_as_string(hide_password=False)
        engine = create_engine(owner_url)
        with engine.begin() as conn:
            assert setup_app_login(conn, app_url) is None  # made, and no stronger than it should be
        engine.dispose()
        try:
            yield owner_url, app_url, role, prepare_store
        finally:
            admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{make_url(owner_url).database}" WITH (FORCE)')
                c.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
            admin.dispose()


def _as(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as c:
        for statement in statements:
            c.execute(statement)


OWNER_MOVES = [
    ("UPDATE decision_record SET role = 'senior' WHERE seq = 2",),
    ("DELETE FROM decision_record_head",),
    ("UPDATE decision_record_epoch SET keyed_from = 100",),
    ("ALTER TABLE decision_record DISABLE TRIGGER decision_record_no_change",),
    ("ALTER TABLE decision_record OWNER TO CURRENT_USER",),
    (
        "CREATE OR REPLACE FUNCTION uwc_decision_record_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    ),
    ("DROP TABLE decision_record_head",),
    ("SET ROLE postgres",),
]


def test_the_apps_login_appends_and_reads_but_cannot_take_the_owners_rights(split):
    import psycopg

    from graph.records import RecordStore
    from graph.threads import ThreadStore

    owner_url, app_url, role, prepare_store = split
    assert prepare_store(owner_url, app_url) is None
    store = RecordStore(app_url, key=KEY)
    for i in range(3):
        store.append("determination", user="jo", role="junior", thread_id="T1", body={"i": i})
    threads = ThreadStore(app_url)  # the rest of the store is the app's to use
    made = threads.create("A conversation")
    threads.rename(made.id, "Renamed")
    threads.close()
    _as(app_url, "GRANT UPDATE, DELETE ON decision_record TO CURRENT_USER")  # a warning: it holds no grant option
    for statements in OWNER_MOVES:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _as(app_url, *statements)
    assert store.verify().ok and store.verify().count == 3
    store.close()


def test_a_store_the_apps_login_owned_before_is_taken_over(split):
    """An existing deployment: the app's login ran the migrations, so it owns the store. `uwc seed` with an owner
    hands the store's tables and trigger functions to the owner (here a superuser may take them)."""
    import psycopg

    from graph.records import RecordStore

    owner_url, app_url, role, prepare_store = split
    _as(owner_url, f"GRANT CREATE ON SCHEMA public TO {role}")
    RecordStore(app_url, key=KEY).close()  # migrated by the app's login: its own
    assert prepare_store(owner_url, app_url) is None
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as(app_url, "ALTER TABLE decision_record DISABLE TRIGGER decision_record_no_change")
    store = RecordStore(app_url, key=KEY)
    store.append("determination", user="jo", role="junior", body={})
    assert store.verify().ok
    store.close()


def test_the_apps_login_leaves_an_upgrade_to_the_owner(split):
    from core.database import DatabaseUnavailable
    from graph.threads import ThreadStore

    owner_url, app_url, _, prepare_store = split
    prepare_store(owner_url, app_url)
    _as(owner_url, "UPDATE alembic_version SET version_num = '0004'")  # as if new code needed a migration
    with pytest.raises(DatabaseUnavailable, match="only its owner .* `uwc seed` with UWC_OWNER_URL"):
        ThreadStore(app_url)


def test_uwc_seed_refuses_an_owner_url_without_postgres(tmp_path, monkeypatch, capsys):
    from app.cli import main

    monkeypatch.setenv("UWC_OWNER_URL", "postgresql://owner@127.0.0.1:5432/uwc")
    monkeypatch.delenv("UWC_DATABASE_URL", raising=False)
    assert main(["seed", "--no-index", "--data-dir", str(tmp_path)]) == 2
    assert "UWC_OWNER_URL is for PostgreSQL" in capsys.readouterr().err
