"""Call activities: a child case's calling case and call activity task (engine/usecases/call.py).

Revision ID: 0008
Revises: 0007
"""

from alembic import op
import sqlalchemy as sa


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("parent_case_id", sa.String(40), nullable=True))
    op.add_column("cases", sa.Column("parent_task_id", sa.String(36), nullable=True))
    op.create_index("ix_cases_parent", "cases", ["parent_case_id", "parent_task_id"])


def downgrade() -> None:
    op.drop_index("ix_cases_parent", "cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("parent_task_id")
        batch.drop_column("parent_case_id")
