"""Initial schema: definitions, procedures, cases, tasks, events, counters.

Revision ID: 0001
Revises:
"""

from alembic import op
import sqlalchemy as sa


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('counters',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('definitions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=400), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.Column('deployed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'key', 'content_hash', name='uq_definitions_hash'),
    sa.UniqueConstraint('kind', 'key', 'version', name='uq_definitions_version')
    )
    op.create_table('events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=True),
    sa.Column('element_id', sa.String(length=200), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'seq', name='uq_events_case_seq')
    )
    op.create_index('ix_events_type_at', 'events', ['type', 'at'], unique=False)
    op.create_table('procedures',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('field_name', sa.Text(), nullable=True),
    sa.Column('process_id', sa.String(length=200), nullable=False),
    sa.Column('internal_procedure', sa.String(length=40), nullable=True),
    sa.Column('total_working_days', sa.Numeric(precision=10, scale=4), nullable=False),
    sa.Column('code_source', sa.String(length=16), nullable=False),
    sa.Column('reception_decision', sa.String(length=200), nullable=True),
    sa.Column('legal_basis', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('cases',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('procedure_code', sa.String(length=40), nullable=False),
    sa.Column('process_id', sa.String(length=200), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('stage', sa.String(length=40), nullable=True),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('applicant_name', sa.Text(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('transferred_at', sa.DateTime(), nullable=True),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('first_due_at', sa.DateTime(), nullable=True),
    sa.Column('apology_due_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('result_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('timing', sa.String(length=16), nullable=True),
    sa.Column('total_working_days', sa.Numeric(precision=10, scale=4), nullable=True),
    sa.Column('restarts', sa.Integer(), nullable=False),
    sa.Column('supplement_rounds', sa.Integer(), nullable=False),
    sa.Column('rework_rounds', sa.Integer(), nullable=False),
    sa.Column('apologies', sa.Integer(), nullable=False),
    sa.Column('policy', sa.JSON(), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('next_timer_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('event_seq', sa.Integer(), nullable=False),
    sa.Column('event_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['definition_id'], ['definitions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_cases_ended_at'), 'cases', ['ended_at'], unique=False)
    op.create_index('ix_cases_next_timer', 'cases', ['next_timer_at'], unique=False)
    op.create_index(op.f('ix_cases_procedure_code'), 'cases', ['procedure_code'], unique=False)
    op.create_index(op.f('ix_cases_received_at'), 'cases', ['received_at'], unique=False)
    op.create_index(op.f('ix_cases_status'), 'cases', ['status'], unique=False)
    op.create_table('tasks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=40), nullable=False),
    sa.Column('element_id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('lane', sa.Text(), nullable=True),
    sa.Column('lane_id', sa.String(length=200), nullable=True),
    sa.Column('groups', sa.Text(), nullable=False),
    sa.Column('candidate_users', sa.Text(), nullable=False),
    sa.Column('assignee', sa.String(length=100), nullable=True),
    sa.Column('step', sa.Integer(), nullable=True),
    sa.Column('allotted_working_days', sa.Numeric(precision=10, scale=4), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('completed_by', sa.String(length=100), nullable=True),
    sa.Column('overdue', sa.Boolean(), nullable=False),
    sa.Column('timing', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_tasks_case_id'), 'tasks', ['case_id'], unique=False)
    op.create_index('ix_tasks_status_lane', 'tasks', ['status', 'lane_id'], unique=False)


def downgrade() -> None:

    op.drop_index('ix_tasks_status_lane', table_name='tasks')
    op.drop_index(op.f('ix_tasks_case_id'), table_name='tasks')
    op.drop_table('tasks')
    op.drop_index(op.f('ix_cases_status'), table_name='cases')
    op.drop_index(op.f('ix_cases_received_at'), table_name='cases')
    op.drop_index(op.f('ix_cases_procedure_code'), table_name='cases')
    op.drop_index('ix_cases_next_timer', table_name='cases')
    op.drop_index(op.f('ix_cases_ended_at'), table_name='cases')
    op.drop_table('cases')
    op.drop_table('procedures')
    op.drop_index('ix_events_type_at', table_name='events')
    op.drop_table('events')
    op.drop_table('definitions')
    op.drop_table('counters')

