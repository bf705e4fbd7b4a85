"""Daily report sums are spread over shards chosen by the case (revision 0009, engine.reports.daily): completions by
one officer in different cases do not queue on one row, existing sums survive the migration, and readers add the
shards up."""

from __future__ import annotations

import os
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import create_engine, text

from engine.errors import StoreUnavailable
from engine.reports.daily import SHARDS, shard_of
from engine.store import Store, Tx, _alembic_config, schema_head

PG_ADMIN = os.environ.get("TTHC_TEST_PG")
AT = datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc)


def _completed(officer: str = "lan") -> dict:
    return {"timing": "on_time", "used_working_minutes": 60, "allotted_working_minutes": 480, "completed_at": AT,
            "lane_id": "Lane_Reception", "completed_by": officer, "lane": "Bộ phận Một cửa"}


def _cases_in_shards() -> tuple[str, str, str]:
    """Three case ids: the first two in different shards, the third in the first one's."""
    ids = [f"HS-260302-{n:04d}" for n in range(1, 200)]
    first = ids[0]
    other = next(i for i in ids if shard_of(i) != shard_of(first))
    same = next(i for i in ids[1:] if shard_of(i) == shard_of(first))
    return first, other, same


def test_a_days_cases_spread_over_every_shard():
    assert {shard_of(f"HS-260302-{n:04d}") for n in range(1, 200)} == set(range(SHARDS))


def test_the_reports_add_the_shards_of_one_officers_steps_up(db_url):
    store = Store.open(db_url)
    try:
        first, other, _ = _cases_in_shards()
        for case_id in (first, other):
            with store.transaction() as tx:
                tx.record_daily_sums({"id": case_id, "procedure_code": "P1"}, [_completed()], resolved_at=None)
        with store.transaction() as tx:
            rows = tx.conn.execute(text("SELECT shard, steps FROM step_days ORDER BY shard")).all()
        assert len(rows) == 2 and {r[0] for r in rows} == {shard_of(first), shard_of(other)}
        from engine.reports.queries import Scope, step_rows

        with store.read_snapshot() as conn:
            [row] = step_rows(conn, Scope(procedure=None), datetime(2026, 3, 1, tzinfo=timezone.utc),
                              datetime(2026, 3, 3, tzinfo=timezone.utc))
        assert (row["officer"], row["steps"], row["on_time"], row["used"]) == ("lan", 2, 2, 120)
    finally:
        store.dispose()


@pytest.mark.skipif(not PG_ADMIN, reason="row locks: PostgreSQL (on SQLite every writer takes its turn anyway)")
def test_one_officers_completions_in_different_cases_do_not_wait_for_each_other(db_url):
    store = Store.open(db_url)
    first, other, same = _cases_in_shards()
    holder = store.engine.connect()
    try:
        holder.begin()
        Tx(holder, store).record_daily_sums({"id": first, "procedure_code": "P1"}, [_completed()], resolved_at=None)
        # The first completion's transaction is still open: its row stays locked until it commits.
        with store.transaction() as tx:
            tx.conn.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
            tx.record_daily_sums({"id": other, "procedure_code": "P1"}, [_completed()], resolved_at=None)
        with pytest.raises(StoreUnavailable):  # the control: the same shard does wait (here, until the timeout)
            with store.transaction() as tx:
                tx.conn.exec_driver_sql("SET LOCAL lock_timeout = '300ms'")
                tx.record_daily_sums({"id": same, "procedure_code": "P1"}, [_completed()], resolved_at=None)
    finally:
        holder.rollback()
        holder.close()
        store.dispose()


def test_migration_0009_keeps_every_sum_and_its_downgrade_merges_the_shards(empty_db_url):
    from alembic import command

    engine = create_engine(empty_db_url)
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "0008")
            conn.execute(text(
                "INSERT INTO step_days (day, lane_id, officer, procedure_code, lane, steps, early, on_time, late, "
                "measured, used_minutes, allotted_minutes, late_minutes) VALUES "
                "(:d, 'L', 'lan', 'P1', 'Một cửa', 3, 1, 1, 1, 3, 90, 300, 10)"), {"d": date(2026, 3, 2)})
            conn.execute(text(
                "INSERT INTO unit_score_days (day, kind, key, procedure_code, label, pairs, scored_2, scored_0) "
                "VALUES (:d, 'lane', 'L', 'P1', 'Một cửa', 2, 1, 0)"), {"d": date(2026, 3, 2)})
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "head")
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == schema_head()
            assert conn.execute(text("SELECT shard, steps, late_minutes FROM step_days")).all() == [(0, 3, 10)]
            assert conn.execute(text("SELECT shard, pairs FROM unit_score_days")).all() == [(0, 2)]
            conn.execute(text(
                "INSERT INTO step_days (day, lane_id, officer, procedure_code, shard, lane, steps, early, on_time, "
                "late, measured, used_minutes, allotted_minutes, late_minutes) VALUES "
                "(:d, 'L', 'lan', 'P1', 5, 'Một cửa', 2, 0, 2, 0, 2, 40, 200, 0)"), {"d": date(2026, 3, 2)})
        with engine.begin() as conn:
            command.downgrade(_alembic_config(conn), "0008")
            assert conn.execute(text("SELECT steps, on_time, used_minutes, late_minutes, lane FROM step_days")
                                ).all() == [(5, 3, 130, 10, "Một cửa")]
            assert conn.execute(text("SELECT pairs FROM unit_score_days")).all() == [(2,)]
    finally:
        engine.dispose()
