"""Conversations and feedback belong to a user: an ``owner`` column (NULL for those made without sign-in).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("thread") as batch:
        batch.add_column(sa.Column("owner", sa.Text))
        batch.create_index("ix_thread_owner", ["owner", "updated_at"])
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("owner", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("owner")
    with op.batch_alter_table("thread") as batch:
        batch.drop_index("ix_thread_owner")
        batch.drop_column("owner")
