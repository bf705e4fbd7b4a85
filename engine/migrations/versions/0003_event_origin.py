"""Event origin: where each command came from (the OS account and host of the CLI, or an HTTP server's authenticated
user and client address), kept beside the officer on every event and covered by its hash (engine.origin,
engine.history). Events written before this revision have none, and keep their hashes.

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("events", sa.Column("origin", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("origin")
