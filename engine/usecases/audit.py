"""Auditors' and managers' reads: replay, verify, the case record (slip, timeline, notices), the tracking book, XES,
the statistics report and the overdue analysis. The CLI calls these (through the Service facade), never the store.

Each read runs in its own transaction (reports in a read-only snapshot, see `Store.read_snapshot`); nothing writes.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

from engine.usecases import base

if TYPE_CHECKING:
    from engine.audit.records import CaseRecord
    from engine.audit.replay import ReplayResult
    from engine.audit.verify import Verdict


def replay(ctx: base.Context, case_id: str, *, until: datetime | None = None) -> ReplayResult:
    from engine.audit.replay import replay_case

    with ctx.store.transaction() as tx:
        return replay_case(tx, case_id, ctx.calendar, until=until)


def verify(ctx: base.Context, case_id: str) -> Verdict:
    from engine.audit.verify import verify_case

    return verify_case(ctx.store, case_id, ctx.calendar)


def verify_all(ctx: base.Context, on_case: Callable[[str], None] | None = None) -> Iterator:
    from engine.audit.verify import verify_all as verify_every

    return verify_every(ctx.store, ctx.calendar, on_case=on_case)


def count_cases(ctx: base.Context) -> int:
    from engine.audit.records import count_cases as count

    return count(ctx.store)


def case_record(ctx: base.Context, case_id: str) -> CaseRecord:
    """Everything stored about one case (events, task rows, definition): the slip's and the timeline's input."""
    from engine.audit.records import load_record

    with ctx.store.transaction() as tx:
        return load_record(tx, case_id)


def notice(ctx: base.Context, case_id: str, kind: str, *, names: Mapping[str, str]) -> dict:
    from engine.audit.notices import build_notice
    from engine.audit.records import load_record

    with ctx.store.transaction() as tx:
        return build_notice(tx, load_record(tx, case_id), kind, names=names)


def book(ctx: base.Context, start: date, end: date) -> dict:
    from engine.audit.book import build_book

    return build_book(ctx.store, start, end)


def export_xes(ctx: base.Context, start: date, end: date, out: Path) -> dict:
    from engine.audit.xes import export_xes as write

    return write(ctx.store, start, end, out)


def report(ctx: base.Context, *, period: Any, by: str, procedure: str | None, with_trend: bool) -> dict:
    from engine.reports.build import build_report

    doc = build_report(ctx.store, period=period, now=ctx.clock.now(), by=by, procedure=procedure,
                       with_trend=with_trend, users=ctx.settings.users,
                       day_minutes=int(ctx.calendar.policy()["standard_day_minutes"]))
    from engine.usecases.external import open_incidents

    doc["open_incidents"] = open_incidents(ctx, procedure)  # as of now, whatever the period: they need an operator
    return doc


def overdue(ctx: base.Context, *, period: Any, procedure: str | None) -> dict:
    from engine.reports.overdue import overdue_cases

    return overdue_cases(ctx.store, ctx.calendar, now=ctx.clock.now(), period=period, procedure=procedure,
                         users=ctx.settings.users)
