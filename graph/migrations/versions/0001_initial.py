"""Threads and feedback as they were before Alembic (created only when missing, so old files are adopted).

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "thread" not in existing:
        op.create_table(
            "thread",
            sa.Column("id", sa.String(32), primary_key=True),
            sa.Column("title", sa.Text, nullable=False),
            sa.Column("model", sa.Text),
            sa.Column("applicant_id", sa.Text),
            sa.Column("created_at", sa.Text, nullable=False),
            sa.Column("updated_at", sa.Text, nullable=False),
        )
        op.create_index("ix_thread_updated", "thread", ["updated_at"])
    if "feedback" not in existing:
        op.create_table(
            "feedback",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("thread_id", sa.Text, nullable=False),
            sa.Column("message_id", sa.Text, nullable=False),
            sa.Column("rating", sa.Integer, sa.CheckConstraint("rating IN (-1, 1)"), nullable=False),
            sa.Column("comment", sa.Text),
            sa.Column("created_at", sa.Text, nullable=False),
            sa.UniqueConstraint("thread_id", "message_id"),
        )


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_table("thread")
