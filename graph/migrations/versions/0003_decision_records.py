"""The decision record (``graph/records.py``): an append-only, hash-chained table and its one-row head.

Append-only by construction: triggers refuse UPDATE and DELETE (and, on PostgreSQL, TRUNCATE) of a record; the head
may only move forward by one to a record that exists, and never be deleted. On PostgreSQL, UPDATE, DELETE and
TRUNCATE are also revoked from PUBLIC and from the role that runs the migration (the owner could grant them back,
and a superuser could disable the triggers: ``uwc audit verify`` still detects what such a change did).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
REFUSED = "decision records are append-only"

SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER decision_record_no_update BEFORE UPDATE ON decision_record
    BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END""",
    f"""CREATE TRIGGER decision_record_no_delete BEFORE DELETE ON decision_record
    BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END""",
    # a record joins the chain only at its end: the next seq after the head, linked to the head's hash
    """CREATE TRIGGER decision_record_at_end BEFORE INSERT ON decision_record
    WHEN NEW.seq IS NOT (SELECT seq + 1 FROM decision_record_head WHERE id = 1)
      OR NEW.prev_hash IS NOT (SELECT hash FROM decision_record_head WHERE id = 1)
    BEGIN SELECT RAISE(ABORT, 'a decision record must extend the chain at its head'); END""",
    """CREATE TRIGGER decision_record_head_forward BEFORE UPDATE ON decision_record_head
    WHEN NEW.id IS NOT OLD.id OR NEW.seq IS NOT OLD.seq + 1
      OR NEW.hash IS NOT (SELECT hash FROM decision_record WHERE seq = NEW.seq)
    BEGIN SELECT RAISE(ABORT, 'the decision record head only moves to the record just appended'); END""",
    f"""CREATE TRIGGER decision_record_head_no_delete BEFORE DELETE ON decision_record_head
    BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END""",
)

POSTGRES_FUNCTIONS = (
    f"""CREATE OR REPLACE FUNCTION uwc_decision_record_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{REFUSED}'; END $$""",
    """CREATE OR REPLACE FUNCTION uwc_decision_record_at_end() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE h record;
    BEGIN
      SELECT seq, hash INTO h FROM decision_record_head WHERE id = 1;
      IF NEW.seq IS DISTINCT FROM h.seq + 1 OR NEW.prev_hash IS DISTINCT FROM h.hash THEN
        RAISE EXCEPTION 'a decision record must extend the chain at its head';
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE OR REPLACE FUNCTION uwc_decision_record_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.id IS DISTINCT FROM OLD.id OR NEW.seq IS DISTINCT FROM OLD.seq + 1
         OR NEW.hash IS DISTINCT FROM (SELECT hash FROM decision_record WHERE seq = NEW.seq) THEN
        RAISE EXCEPTION 'the decision record head only moves to the record just appended';
      END IF;
      RETURN NEW;
    END $$""",
)
POSTGRES_TRIGGERS = (
    """CREATE TRIGGER decision_record_no_change BEFORE UPDATE OR DELETE ON decision_record
    FOR EACH ROW EXECUTE FUNCTION uwc_decision_record_refuse()""",
    """CREATE TRIGGER decision_record_no_truncate BEFORE TRUNCATE ON decision_record
    FOR EACH STATEMENT EXECUTE FUNCTION uwc_decision_record_refuse()""",
    """CREATE TRIGGER decision_record_at_end BEFORE INSERT ON decision_record
    FOR EACH ROW EXECUTE FUNCTION uwc_decision_record_at_end()""",
    """CREATE TRIGGER decision_record_head_forward BEFORE UPDATE ON decision_record_head
    FOR EACH ROW EXECUTE FUNCTION uwc_decision_record_head_forward()""",
    """CREATE TRIGGER decision_record_head_no_delete BEFORE DELETE ON decision_record_head
    FOR EACH ROW EXECUTE FUNCTION uwc_decision_record_refuse()""",
    """CREATE TRIGGER decision_record_head_no_truncate BEFORE TRUNCATE ON decision_record_head
    FOR EACH STATEMENT EXECUTE FUNCTION uwc_decision_record_refuse()""",
)


def upgrade() -> None:
    op.create_table(
        "decision_record",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("user_name", sa.Text),
        sa.Column("role", sa.Text),
        sa.Column("thread_id", sa.Text),
        sa.Column("submission_id", sa.Text),
        sa.Column("referral_id", sa.Text),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False, unique=True),  # two appends can never fork the chain
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_decision_record_thread", "decision_record", ["thread_id", "seq"])
    op.create_index("ix_decision_record_submission", "decision_record", ["submission_id", "seq"])
    op.create_index("ix_decision_record_referral", "decision_record", ["referral_id", "seq"])
    op.create_index("ix_decision_record_at", "decision_record", ["at"])
    head = op.create_table(
        "decision_record_head",
        sa.Column("id", sa.Integer, sa.CheckConstraint("id = 1"), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS}])
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
        return
    for statement in (*POSTGRES_FUNCTIONS, *POSTGRES_TRIGGERS):
        op.execute(statement)
    for grantee in ("PUBLIC", "CURRENT_USER"):
        op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON decision_record FROM {grantee}")
        op.execute(f"REVOKE DELETE, TRUNCATE ON decision_record_head FROM {grantee}")


def downgrade() -> None:
    op.drop_table("decision_record_head")
    op.drop_table("decision_record")
    if op.get_bind().dialect.name != "sqlite":
        for name in ("refuse", "at_end", "head_forward"):
            op.execute(f"DROP FUNCTION IF EXISTS uwc_decision_record_{name}()")
