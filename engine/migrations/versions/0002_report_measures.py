"""Report measures: working time used and allotted per case and per step, supplement-request steps, daily sums of
steps and of TT 01/2018 unit scores, and the covering indexes the reports read by range.

Working time needs the business calendar, which SQL cannot evaluate; the engine therefore stores, when a case is
resolved and when a step is completed, the working minutes it used and the minutes its limit allotted
(engine.reports.measures). It also adds each completed step to the daily sums of its lane and officer, and each
resolved case's unit and officer points to theirs (engine.reports.scores), so that a yearly report adds up a few
thousand daily rows rather than millions of steps.

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

CASE_INDEXES = {
    "ix_cases_report_received": ["procedure_code", "received_at", "channel", "outcome"],
    "ix_cases_report_resolved": ["procedure_code", "resolved_at", "timing", "outcome", "supplement_rounds",
                                 "used_working_minutes", "allotted_working_minutes", "received_at", "due_at"],
}
TASK_INDEXES = {
    "ix_tasks_completed_at": ["completed_at"],
    "ix_tasks_restart_created": ["restart_deadline", "created_at"],
}


def upgrade() -> None:
    op.add_column("cases", sa.Column("used_working_minutes", sa.Integer(), nullable=True))
    op.add_column("cases", sa.Column("allotted_working_minutes", sa.Integer(), nullable=True))
    op.add_column("tasks", sa.Column("used_working_minutes", sa.Integer(), nullable=True))
    op.add_column("tasks", sa.Column("allotted_working_minutes", sa.Integer(), nullable=True))
    op.add_column("tasks", sa.Column("restart_deadline", sa.Boolean(), nullable=False, server_default=sa.false()))
    for name, columns in CASE_INDEXES.items():
        op.create_index(name, "cases", columns, unique=False)
    for name, columns in TASK_INDEXES.items():
        op.create_index(name, "tasks", columns, unique=False)
    counters = ("steps", "early", "on_time", "late", "measured", "used_minutes", "allotted_minutes", "late_minutes")
    op.create_table(
        "step_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("lane_id", sa.String(length=200), nullable=False),
        sa.Column("officer", sa.String(length=100), nullable=False),
        sa.Column("procedure_code", sa.String(length=40), nullable=False),
        sa.Column("lane", sa.Text(), nullable=True),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in counters],
        sa.PrimaryKeyConstraint("day", "lane_id", "officer", "procedure_code"),
    )
    op.create_table(
        "unit_score_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("procedure_code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("pairs", sa.Integer(), nullable=False),
        sa.Column("scored_2", sa.Integer(), nullable=False),
        sa.Column("scored_0", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "kind", "key", "procedure_code"),
    )


def downgrade() -> None:
    op.drop_table("unit_score_days")
    op.drop_table("step_days")
    for name in TASK_INDEXES:
        op.drop_index(name, table_name="tasks")
    for name in CASE_INDEXES:
        op.drop_index(name, table_name="cases")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("restart_deadline")
        batch.drop_column("allotted_working_minutes")
        batch.drop_column("used_working_minutes")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("allotted_working_minutes")
        batch.drop_column("used_working_minutes")
