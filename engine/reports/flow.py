"""The flow of cases through a period (or each bucket of it), added up from the cells of `engine.reports.queries`.

Balance, per bucket and group, by construction of the definitions:
    carried_over + received = resolved + withdrawn + ended_otherwise + pending
`Flow.balanced` checks it on the figures themselves, and every report carries the check.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Callable, Iterable, Mapping, Sequence

from sqlalchemy.engine import Connection

from engine.reports.queries import (
    Scope, apology_cells, ended_cells, open_cells, received_cells, resolved_cells, supplement_request_cells,
)
from engine.reports.scores import POINTS, average


@dataclass
class Flow:
    carried_over: int = 0
    received: int = 0
    received_online: int = 0
    received_direct_postal: int = 0
    received_unspecified: int = 0  # no channel recorded on the case
    refused_at_reception: int = 0
    supplement_at_reception: int = 0
    resolved: int = 0
    resolved_early: int = 0
    resolved_on_time: int = 0
    resolved_late: int = 0
    refused: int = 0  # resolved with a written refusal
    withdrawn: int = 0
    ended_otherwise: int = 0
    pending: int = 0
    pending_within_deadline: int = 0
    pending_overdue: int = 0
    pending_awaiting_supplement: int = 0  # part of "within deadline": the limit is stopped while the applicant completes
    supplement_requests: int = 0
    apologies: int = 0
    measured: int = 0  # resolved cases with a stored working time
    used_minutes: int = 0
    allotted_minutes: int = 0
    resolved_fast: int = 0  # used at most 85% of the allotted working time
    supplement_points: int = 0

    def add(self, other: "Flow") -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def balanced(self) -> bool:
        return (self.carried_over + self.received
                == self.resolved + self.withdrawn + self.ended_otherwise + self.pending)

    def as_dict(self) -> dict:
        data = asdict(self)
        case_points = POINTS["early"] * self.resolved_early + POINTS["on_time"] * self.resolved_on_time
        data.update(
            on_time_rate=_ratio(self.resolved_early + self.resolved_on_time, self.resolved),
            avg_used_minutes=_mean(self.used_minutes, self.measured),
            avg_allotted_minutes=_mean(self.allotted_minutes, self.measured),
            used_share=_ratio(self.used_minutes, self.allotted_minutes),
            fast_share=_ratio(self.resolved_fast, self.measured),
            case_score=average(case_points, self.resolved),
            supplement_score=average(self.supplement_points, self.resolved),
            balanced=self.balanced,
        )
        return data


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(total: int, count: int) -> float | None:
    return round(total / count, 1) if count else None


@dataclass
class FlowTable:
    """Flows per group key and bucket: `cells[key][i]` for bucket i of `bounds`."""

    bounds: list[datetime]
    cells: dict[str, list[Flow]] = field(default_factory=dict)

    def flows(self, key: str) -> list[Flow]:
        if key not in self.cells:
            self.cells[key] = [Flow() for _ in range(len(self.bounds) - 1)]
        return self.cells[key]

    def total(self, key: str) -> Flow:
        """A group's flow over all the buckets: opening pile of the first, closing pile of the last."""
        return _over_buckets(self.flows(key))

    def grand_total(self) -> Flow:
        """All groups over all the buckets."""
        return _over_buckets(self.per_bucket())

    def keys(self) -> list[str]:
        return sorted(self.cells)

    def per_bucket(self) -> list[Flow]:
        """All groups together, bucket by bucket."""
        merged = [Flow() for _ in range(len(self.bounds) - 1)]
        for buckets in self.cells.values():
            for target, flow in zip(merged, buckets):
                target.add(flow)
        return merged


def group_of(group: str | None, procs: Mapping[str, dict]) -> Callable[[str], str]:
    """How a procedure code maps to the report's group key: itself, its field, or one group for everything."""
    if group == "procedure":
        return lambda code: code
    if group == "field":
        return lambda code: (procs.get(code) or {}).get("field") or ""
    return lambda code: ""


def _over_buckets(buckets: list[Flow]) -> Flow:
    whole = sum_flows(buckets)
    whole.carried_over = buckets[0].carried_over
    for name in ("pending", "pending_within_deadline", "pending_overdue", "pending_awaiting_supplement"):
        setattr(whole, name, getattr(buckets[-1], name))
    return whole


def flow_table(conn: Connection, scope: Scope, bounds: Sequence[datetime], now: datetime,
               key_of: Callable[[str], str] = lambda code: "") -> FlowTable:
    """The flows of every group in each bucket [bounds[i], bounds[i+1]); `key_of` maps a procedure code to its group."""
    bounds = list(bounds)
    k = len(bounds) - 1
    as_of = [min(b, now) for b in bounds[1:]]  # closing instant of each bucket
    table = FlowTable(bounds)

    for row in received_cells(conn, scope, bounds):
        flow = table.flows(key_of(row["code"]))[row["b"]]
        flow.received += row["received"]
        flow.received_online += row["online"]
        flow.received_direct_postal += row["direct_postal"]
        flow.received_unspecified += row["unspecified"]
        flow.refused_at_reception += row["refused_at_reception"]
        flow.supplement_at_reception += row["supplement_at_reception"]

    for row in resolved_cells(conn, scope, bounds):
        flow = table.flows(key_of(row["code"]))[row["b"]]
        flow.resolved += row["resolved"]
        flow.resolved_early += row["early"]
        flow.resolved_late += row["late"]
        flow.resolved_on_time += row["on_time"]
        flow.refused += row["refused"]
        flow.measured += row["measured"]
        flow.used_minutes += row["used"]
        flow.allotted_minutes += row["allotted"]
        flow.resolved_fast += row["fast"]
        flow.supplement_points += row["supplement_points"]

    for row in ended_cells(conn, scope, bounds):
        flow = table.flows(key_of(row["code"]))[row["fb"]]
        if row["kind"] == "withdrawn":
            flow.withdrawn += row["n"]
        else:
            flow.ended_otherwise += row["n"]

    for row in open_cells(conn, scope, bounds, as_of):
        buckets = table.flows(key_of(row["code"]))
        # Pending at boundary j (j = 0..K) when received before it (rb < j) and not finished before it (fb >= j).
        for j in range(max(row["rb"] + 1, 0), min(row["fb"], k) + 1):
            if j < k:
                buckets[j].carried_over += row["n"]
            if j > 0:
                closing = buckets[j - 1]
                closing.pending += row["n"]
                if row["waiting"]:
                    closing.pending_awaiting_supplement += row["n"]
                    closing.pending_within_deadline += row["n"]
                elif row["db"] <= j - 1:
                    closing.pending_overdue += row["n"]
                else:
                    closing.pending_within_deadline += row["n"]

    for row in supplement_request_cells(conn, scope, bounds):
        table.flows(key_of(row["code"]))[row["b"]].supplement_requests += row["n"]
    for row in apology_cells(conn, scope, bounds):
        table.flows(key_of(row["code"]))[row["b"]].apologies += row["n"]
    return table


def sum_flows(flows: Iterable[Flow]) -> Flow:
    whole = Flow()
    for flow in flows:
        whole.add(flow)
    return whole
