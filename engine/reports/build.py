"""Assemble a report: one read snapshot, a few aggregate statements, labels, and a JSON-able document."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from engine.errors import InvalidInput, NotFound
from engine.reports.flow import FlowTable, flow_table, group_of
from engine.reports.periods import Period, month_buckets, trend_period
from engine.reports.queries import (
    STEP_MEASURES, Scope, lane_names, open_overdue_step_rows, procedure_known, procedure_labels, step_rows,
)
from engine.reports.reading import read_snapshot
from engine.reports.scores import average, unit_score_rows
from engine.store import Store

GROUPINGS = ("procedure", "field", "lane", "officer", "month")


def _sum_pairs(pairs: list[dict], by: str) -> list[dict]:
    """Steps per lane or per officer from the (lane, officer) pairs."""
    sums: dict[str, dict] = {}
    for pair in pairs:
        key = pair[by]
        target = sums.setdefault(key, {"k": key, **{m: 0 for m in STEP_MEASURES}})
        for m in STEP_MEASURES:
            target[m] += pair[m]
    return list(sums.values())


def _unit_rows(steps: list[dict], scores: list[dict], open_overdue: list[dict] | None, labels: Mapping[str, str],
               day_minutes: int) -> list[dict]:
    """Per lane or officer: its steps completed in the period (where the time goes) and its indicator-2 score."""
    by_key: dict[str, dict] = {}

    def entry(key: str) -> dict:
        if key not in by_key:
            by_key[key] = {"key": key, "label": labels.get(key) or key or "—", "steps": 0, "early": 0,
                           "on_time": 0, "late": 0, "measured": 0, "used_minutes": 0, "allotted_minutes": 0,
                           "late_minutes": 0, "open_overdue": 0, "score_cases": 0, "score_points": 0,
                           "scored_2": 0, "scored_1": 0, "scored_0": 0}
        return by_key[key]

    for r in steps:
        entry(r["k"]).update(steps=r["steps"], early=r["early"], on_time=r["on_time"], late=r["late"],
                             measured=r["measured"], used_minutes=r["used"], allotted_minutes=r["allotted"],
                             late_minutes=r["late_minutes"])
    for r in scores:
        entry(r["k"]).update(score_cases=r["cases"], score_points=r["points"], scored_2=r["scored_2"],
                             scored_1=r["scored_1"], scored_0=r["scored_0"])
    for r in open_overdue or []:
        entry(r["k"])["open_overdue"] = r["n"]
    rows = []
    for e in by_key.values():
        timed = e["early"] + e["on_time"] + e["late"]
        e.update(
            on_time_rate=round((e["early"] + e["on_time"]) / timed, 4) if timed else None,
            avg_used_minutes=round(e["used_minutes"] / e["measured"], 1) if e["measured"] else None,
            avg_allotted_minutes=round(e["allotted_minutes"] / e["measured"], 1) if e["measured"] else None,
            late_working_days=round(e["late_minutes"] / day_minutes, 4),
            score=average(e["score_points"], e["score_cases"]),
        )
        rows.append(e)
    rows.sort(key=lambda e: (-e["late_minutes"], -e["late"], e["label"]))
    return rows


def _group_label(by: str, key: str, procs: Mapping[str, dict]) -> str:
    if by == "procedure":
        return (procs.get(key) or {}).get("name") or key
    if by == "field":
        names = {p["field"]: p["field_name"] for p in procs.values()}
        return names.get(key) or key or "Khác"
    return key


def _months(table: FlowTable, buckets: list[Period], now: datetime) -> list[dict]:
    return [{"key": b.label, "label": b.label, "from": b.first_day, "to": b.last_day, **f.as_dict()}
            for b, f in zip(buckets, table.per_bucket()) if b.start <= now]


def build_report(store: Store, *, period: Period, now: datetime, by: str = "procedure", procedure: str | None = None,
                 with_trend: bool = False, users: Mapping[str, Any] | None = None, day_minutes: int = 480) -> dict:
    """The report of `period` as one JSON-able document (definitions in the `engine.reports` docstring)."""
    if by not in GROUPINGS:
        raise InvalidInput(f"Cách nhóm '{by}' không hợp lệ (chọn {', '.join(GROUPINGS)}).", by=by)
    if period.start > now:
        raise InvalidInput(f"Kỳ báo cáo '{period.label}' bắt đầu sau thời điểm hiện tại của hệ thống.",
                           period=period.label)
    as_of = period.as_of(now)
    officer_names = {uid: getattr(u, "name", uid) for uid, u in (users or {}).items()}
    scope = Scope(procedure)
    window = trend_period(period) if with_trend else None
    # One month-bucketed table answers the totals, the groups and the months when the trend covers the period.
    monthly = by == "month" or (window is not None and (window.start, window.end) == (period.start, period.end))
    with read_snapshot(store) as conn:
        if procedure and not procedure_known(conn, procedure):
            raise NotFound(f"Không có thủ tục '{procedure}' trong danh mục hay trong các hồ sơ đã tiếp nhận.",
                           procedure=procedure)
        procs = procedure_labels(conn)
        key_of = group_of(by if by in ("procedure", "field") else None, procs)
        buckets = month_buckets(period) if monthly else [period]
        table = flow_table(conn, scope, [b.start for b in buckets] + [period.end], now, key_of)
        trend = None
        if window is not None:
            if monthly:
                trend_table, trend_buckets = table, buckets
            else:
                trend_buckets = month_buckets(window)
                trend_table = flow_table(conn, scope, [b.start for b in trend_buckets] + [window.end], now)
            trend = _months(trend_table, trend_buckets, now)
        pairs = step_rows(conn, scope, period.start, period.end)
        lane_scores = unit_score_rows(conn, scope, period.start, period.end, "lane")
        officer_scores = unit_score_rows(conn, scope, period.start, period.end, "officer")
        open_steps = open_overdue_step_rows(conn, scope, as_of)
        lane_steps = _sum_pairs(pairs, "lane")
        lane_labels = {r["lane"]: r["lane_name"] for r in pairs if r["lane_name"]}
        lane_labels.update({r["k"]: r["label"] for r in lane_scores if r["label"]})
        lane_labels.update(lane_names(conn, sorted({r["k"] for r in open_steps} - set(lane_labels))))

    lanes = _unit_rows(lane_steps, lane_scores, open_steps, lane_labels, day_minutes)
    officers = _unit_rows(_sum_pairs(pairs, "officer"), officer_scores, None, officer_names, day_minutes)
    totals = table.grand_total()
    if by in ("procedure", "field"):
        groups = [{"key": key, "label": _group_label(by, key, procs), **table.total(key).as_dict()}
                  for key in table.keys()]
    elif by == "month":
        groups = _months(table, buckets, now)
    else:
        groups = lanes if by == "lane" else officers
    doc = {
        "period": period.describe(),
        "as_of": as_of,
        "procedure": procedure,
        "procedure_name": (procs.get(procedure) or {}).get("name") if procedure else None,
        "by": by,
        "standard_day_minutes": day_minutes,
        "totals": totals.as_dict(),
        "groups": groups,
        "lanes": lanes,
        "officers": officers,
        "scores": _score_summary(totals.as_dict(), lanes, officers),
    }
    if trend is not None:
        doc["trend"] = trend
    return doc


def _score_summary(totals: dict, lanes: list[dict], officers: list[dict]) -> dict:
    def pooled(rows: list[dict]) -> dict:
        cases = sum(r["score_cases"] for r in rows)
        return {"pairs": cases, "average": average(sum(r["score_points"] for r in rows), cases)}

    return {
        "case": {"cases": totals["resolved"], "average": totals["case_score"],
                 "scored_2": totals["resolved_early"], "scored_1": totals["resolved_on_time"],
                 "scored_0": totals["resolved_late"]},
        "supplement": {"cases": totals["resolved"], "average": totals["supplement_score"]},
        "units": pooled(lanes),
        "officers": pooled(officers),
    }
