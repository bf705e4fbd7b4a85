"""Daily sums spread over shards: concurrent completions by one officer no longer wait on one row (engine.reports.daily).

Existing rows become shard 0; readers add the shards up, so every report reads the same totals as before. The tables
are rebuilt (a new primary key; SQLite cannot alter one), the same way on both databases.

Revision ID: 0009
Revises: 0008
"""

from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

STEP_COUNTERS = ("steps", "early", "on_time", "late", "measured", "used_minutes", "allotted_minutes", "late_minutes")


def _columns(table: str) -> tuple[list[sa.Column], list[sa.Column]]:
    """(key columns, other columns) of the table as revision 0002 made it, new objects on every call."""
    if table == "step_days":
        return ([sa.Column("day", sa.Date(), nullable=False), sa.Column("lane_id", sa.String(200), nullable=False),
                 sa.Column("officer", sa.String(100), nullable=False),
                 sa.Column("procedure_code", sa.String(40), nullable=False)],
                [sa.Column("lane", sa.Text(), nullable=True)]
                + [sa.Column(n, sa.Integer(), nullable=False) for n in STEP_COUNTERS])
    return ([sa.Column("day", sa.Date(), nullable=False), sa.Column("kind", sa.String(8), nullable=False),
             sa.Column("key", sa.String(200), nullable=False), sa.Column("procedure_code", sa.String(40), nullable=False)],
            [sa.Column("label", sa.Text(), nullable=True)]
            + [sa.Column(n, sa.Integer(), nullable=False) for n in ("pairs", "scored_2", "scored_0")])


TABLES = ("step_days", "unit_score_days")


def _rebuild(table: str, *, sharded: bool) -> None:
    keys, others = _columns(table)
    key_names, other_names = [c.name for c in keys], [c.name for c in others]
    if sharded:
        keys.append(sa.Column("shard", sa.SmallInteger(), nullable=False, server_default="0"))
    op.create_table(f"{table}_new", *keys, *others, sa.PrimaryKeyConstraint(*[c.name for c in keys]))
    plain = key_names + other_names
    if sharded:  # every existing row is shard 0
        op.execute(f"INSERT INTO {table}_new ({', '.join(plain)}, shard) SELECT {', '.join(plain)}, 0 FROM {table}")
    else:  # the shards of one key become one row again
        merged = [f"MAX({n})" if n in ("lane", "label") else f"SUM({n})" for n in other_names]
        op.execute(f"INSERT INTO {table}_new ({', '.join(plain)}) SELECT {', '.join(key_names)}, {', '.join(merged)} "
                   f"FROM {table} GROUP BY {', '.join(key_names)}")
    op.drop_table(table)
    op.rename_table(f"{table}_new", table)
    if op.get_bind().dialect.name == "postgresql":  # the key keeps the name it had (SQLite's has none)
        op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {table}_new_pkey TO {table}_pkey")


def upgrade() -> None:
    for table in TABLES:
        _rebuild(table, sharded=True)


def downgrade() -> None:
    for table in TABLES:
        _rebuild(table, sharded=False)
