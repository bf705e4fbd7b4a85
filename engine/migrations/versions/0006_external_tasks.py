"""External tasks: the work items outside workers fetch and lock by topic, with their retries and incidents
(engine.usecases.external; Camunda 7's external task pattern); a step's `camunda:followUpDate` (tasks.follow_up_at).

Revision ID: 0006
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "external_tasks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(40), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("element_id", sa.String(200), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("worker_id", sa.String(200)),
        sa.Column("lock_expires_at", sa.DateTime()),
        sa.Column("retries", sa.Integer()),
        sa.Column("error_message", sa.Text()),
        sa.Column("error_details", sa.Text()),
        sa.Column("incident", sa.Boolean(), nullable=False),
        sa.Column("incident_at", sa.DateTime()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime()),
    )
    op.create_index("ix_external_tasks_case_id", "external_tasks", ["case_id"])
    op.create_index("ix_external_tasks_fetch", "external_tasks", ["status", "topic", "lock_expires_at"])
    op.create_index("ix_external_tasks_incident", "external_tasks", ["incident", "status"])
    op.add_column("tasks", sa.Column("follow_up_at", sa.DateTime(), nullable=True))  # camunda:followUpDate


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("follow_up_at")
    op.drop_table("external_tasks")
