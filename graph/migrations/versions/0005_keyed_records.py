"""A keyed decision record: each new record carries ``alg`` (``hmac-sha256:<key id>``) and its hash is an HMAC
under a key kept outside the database (``graph/audit_key.py``). Records written before stay as they are (``alg``
NULL, a plain sha256): nothing is rewritten. A one-row **epoch** fixes where the keyed chain starts (the record after
the head at this upgrade); the database refuses an unkeyed record from there on, and ``verify`` too.

PostgreSQL: the trigger functions get a fixed ``search_path`` (a session's own temporary table named like the head
could otherwise stand in for it), and the epoch is as append-only as the records.

Revision ID: 0005
Revises: 0004
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UNKEYED = "a decision record from the keyed epoch on must be keyed (hmac-sha256)"
REFUSED = "decision records are append-only"

SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER IF NOT EXISTS decision_record_keyed BEFORE INSERT ON decision_record
    WHEN NEW.seq >= (SELECT keyed_from FROM decision_record_epoch WHERE id = 1)
      AND (NEW.alg IS NULL OR NEW.alg NOT LIKE 'hmac-sha256:%')
    BEGIN SELECT RAISE(ABORT, '{UNKEYED}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS decision_record_epoch_no_update BEFORE UPDATE ON decision_record_epoch
    BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS decision_record_epoch_no_delete BEFORE DELETE ON decision_record_epoch
    BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END""",
)
POSTGRES = (
    f"""CREATE OR REPLACE FUNCTION uwc_decision_record_keyed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.seq >= (SELECT keyed_from FROM decision_record_epoch WHERE id = 1)
         AND (NEW.alg IS NULL OR NEW.alg NOT LIKE 'hmac-sha256:%') THEN
        RAISE EXCEPTION '{UNKEYED}';
      END IF;
      RETURN NEW;
    END $$""",
    "DROP TRIGGER IF EXISTS decision_record_keyed ON decision_record",
    """CREATE TRIGGER decision_record_keyed BEFORE INSERT ON decision_record
    FOR EACH ROW EXECUTE FUNCTION uwc_decision_record_keyed()""",
    "DROP TRIGGER IF EXISTS decision_record_epoch_no_change ON decision_record_epoch",
    """CREATE TRIGGER decision_record_epoch_no_change BEFORE UPDATE OR DELETE ON decision_record_epoch
    FOR EACH ROW EXECUTE FUNCTION uwc_decision_record_refuse()""",
    "DROP TRIGGER IF EXISTS decision_record_epoch_no_truncate ON decision_record_epoch",
    """CREATE TRIGGER decision_record_epoch_no_truncate BEFORE TRUNCATE ON decision_record_epoch
    FOR EACH STATEMENT EXECUTE FUNCTION uwc_decision_record_refuse()""",
    "REVOKE UPDATE, DELETE, TRUNCATE ON decision_record_epoch FROM PUBLIC",
    "REVOKE UPDATE, DELETE, TRUNCATE ON decision_record_epoch FROM CURRENT_USER",
)
FUNCTIONS = ("refuse", "at_end", "head_forward", "keyed")


def _records_0003():
    """Revision 0003's module: a store once upgraded past it without its tables gets them here first."""
    path = Path(__file__).with_name("0003_decision_records.py")
    spec = importlib.util.spec_from_file_location("uwc_migration_0003", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    """Also run by ``graph.records.adopt_missing_tables`` on a store whose record tables are missing: each step is
    taken only where it was not."""
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if not inspector.has_table("decision_record"):
        _records_0003().upgrade()
        inspector = sa.inspect(bind)
    if "alg" not in {c["name"] for c in inspector.get_columns("decision_record")}:
        op.add_column("decision_record", sa.Column("alg", sa.Text))  # NULL: an unkeyed record of before
    if not inspector.has_table("decision_record_epoch"):
        epoch = op.create_table(
            "decision_record_epoch",
            sa.Column("id", sa.Integer, sa.CheckConstraint("id = 1"), primary_key=True, autoincrement=False),
            sa.Column("keyed_from", sa.Integer, nullable=False),
        )
        head = bind.execute(sa.text("SELECT seq FROM decision_record_head WHERE id = 1")).scalar_one()
        op.bulk_insert(epoch, [{"id": 1, "keyed_from": int(head) + 1}])
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
        return
    for statement in POSTGRES:
        op.execute(statement)
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar_one()
    for name in FUNCTIONS:
        op.execute(f'ALTER FUNCTION uwc_decision_record_{name}() SET search_path = "{schema}", pg_temp')


def downgrade() -> None:
    # Dropping ``alg`` would leave every keyed record unverifiable: history is never given up for a downgrade.
    raise NotImplementedError("the keyed decision record cannot be downgraded; restore a backup instead")
