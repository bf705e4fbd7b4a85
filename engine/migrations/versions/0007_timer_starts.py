"""Timer start events: one schedule of cases per process whose start event is a timer (engine.dialect.timer_start,
engine.usecases.timer_start). No deployed diagram could have one before this revision, so the table starts empty.

Revision ID: 0007
Revises: 0006
"""

from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "timer_starts",
        sa.Column("process_id", sa.String(200), primary_key=True),
        sa.Column("definition_id", sa.Integer(), sa.ForeignKey("definitions.id"), nullable=False),
        sa.Column("element_id", sa.String(200), nullable=False),
        sa.Column("next_fire_at", sa.DateTime(), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("started", sa.Integer(), nullable=False),
    )
    op.create_index("ix_timer_starts_next_fire_at", "timer_starts", ["next_fire_at"])


def downgrade() -> None:
    op.drop_table("timer_starts")
