"""Referrals: a determination beyond the underwriter's authority, waiting for a senior (``graph/referrals.py``).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "referral",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("thread_id", sa.Text),
        sa.Column("submission_id", sa.Text),
        sa.Column("message_id", sa.Text),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("task_type", sa.Text),
        sa.Column(
            "status",
            sa.Text,
            sa.CheckConstraint("status IN ('pending', 'returned', 'approved', 'declined')"),
            nullable=False,
        ),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("requested_role", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.Column("decided_by", sa.Text),
        sa.Column("decided_role", sa.Text),
        sa.Column("decided_at", sa.Text),
        sa.Column("note", sa.Text),
        sa.Column("reply", sa.Text),
        sa.Column("memo", sa.Text, nullable=False),
    )
    op.create_index("ix_referral_status", "referral", ["status", "created_at"])
    op.create_index("ix_referral_thread", "referral", ["thread_id"])


def downgrade() -> None:
    op.drop_table("referral")
