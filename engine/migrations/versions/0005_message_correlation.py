"""Message correlation and signals: a case's business key and the message and signal names it waits for
(engine/usecases/correlate.py, engine/usecases/signal.py).
Existing cases get the case id as business key (what an outside system knows a dossier by until it sends its own)
and wait for no message (no deployed diagram could wait for one before this revision).

Revision ID: 0005
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("business_key", sa.String(200), nullable=True))
    op.add_column("cases", sa.Column("waiting_messages", sa.Text(), nullable=True))
    op.add_column("cases", sa.Column("waiting_signals", sa.Text(), nullable=True))
    op.execute("UPDATE cases SET business_key = id")
    op.create_index("ix_cases_business_key", "cases", ["business_key"])


def downgrade() -> None:
    op.drop_index("ix_cases_business_key", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("waiting_signals")
        batch.drop_column("waiting_messages")
        batch.drop_column("business_key")
