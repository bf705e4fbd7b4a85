"""XES export (IEEE 1849-2016) of the cases received in a period, for process-mining tools such as pm4py.

One trace per case, with the case's attributes; per step a `start` event when it is created and a `complete` event
when an officer completes it (`org:resource` the officer, `org:group` the lane), `ate_abort` when it is cancelled;
the engine's own facts (timers, overdue steps, restarts, apologies, withdrawal, the end of the case) are `complete`
events named after what happened. Written incrementally with lxml, one case in memory at a time.

The applicant's name is left out: an export for analysts carries no personal data.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

from lxml import etree

from engine.audit.labels import EVENT_LABELS
from engine.audit.records import cases_received, load_record, procedure_names
from engine.calendar import TZ
from engine.errors import InvalidInput
from engine.store import Store
from engine.history import EventType

XES_NS = "http://www.xes-standard.org/"
EXTENSIONS = (
    ("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
    ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
    ("Time", "time", "http://www.xes-standard.org/time.xesext"),
    ("Organizational", "org", "http://www.xes-standard.org/org.xesext"),
)
ENGINE_RESOURCE = "engine"
SKIPPED = frozenset({EventType.END_REACHED, EventType.WORKFLOW_COMPLETED})  # library bookkeeping, not steps of the case
CASE_STRINGS = ("procedure_code", "process_id", "status", "outcome", "timing", "channel", "stage")
CASE_DATES = ("received_at", "transferred_at", "due_at", "first_due_at", "apology_due_at", "resolved_at", "ended_at")
CASE_INTS = ("restarts", "supplement_rounds", "rework_rounds", "apologies")


def xes_time(value: datetime) -> str:
    return value.astimezone(TZ).isoformat(timespec="milliseconds")


def _q(tag: str) -> str:
    return f"{{{XES_NS}}}{tag}"


def _element(tag: str, **attrs: str) -> etree._Element:
    # Each element written on its own carries the default namespace, so the file needs no prefixes.
    return etree.Element(_q(tag), attrs, nsmap={None: XES_NS})


def _attribute(kind: str, key: str, value: Any) -> etree._Element:
    return etree.Element(_q(kind), key=key, value=value, nsmap={None: XES_NS})


def _typed(key: str, value: Any) -> etree._Element | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return _attribute("boolean", key, "true" if value else "false")
    if isinstance(value, int):
        return _attribute("int", key, str(value))
    if isinstance(value, (float, Decimal)):
        return _attribute("float", key, str(float(value)))
    if isinstance(value, datetime):
        return _attribute("date", key, xes_time(value))
    return _attribute("string", key, str(value))


def _event_entries(record) -> Iterator[list[etree._Element]]:
    for e in record.events:
        kind, p = e["type"], e["payload"]
        if kind in SKIPPED:
            continue
        attrs: list[etree._Element | None] = []
        if kind in (EventType.TASK_CREATED, EventType.TASK_COMPLETED, EventType.TASK_CANCELLED):
            name = p.get("name") or e["element_id"]
            transition = {EventType.TASK_CREATED: "start", EventType.TASK_COMPLETED: "complete", EventType.TASK_CANCELLED: "ate_abort"}[kind]
            attrs.append(_typed("concept:name", name))
            attrs.append(_typed("lifecycle:transition", transition))
            if kind == EventType.TASK_COMPLETED:
                attrs.append(_typed("org:resource", e["actor"] or ENGINE_RESOURCE))
            attrs.append(_typed("org:group", p.get("lane")))
            attrs.append(_typed("task_id", p.get("task_id")))
        else:
            label = EVENT_LABELS.get(kind, kind)
            detail = p.get("name") if kind in (EventType.TIMER_FIRED, EventType.STEP_OVERDUE) else (
                p.get("decision") if kind == EventType.DECISION_EVALUATED else None)
            attrs.append(_typed("concept:name", f"{label}: {detail}" if detail else label))
            attrs.append(_typed("lifecycle:transition", "complete"))
            attrs.append(_typed("org:resource", e["actor"] or ENGINE_RESOURCE))
            if p.get("lane"):
                attrs.append(_typed("org:group", p.get("lane")))
        attrs.append(_typed("time:timestamp", e["at"]))
        attrs.append(_typed("event_type", kind))
        attrs.append(_typed("element_id", e["element_id"]))
        attrs.append(_typed("seq", int(e["seq"])))
        yield [a for a in attrs if a is not None]


def export_xes(store: Store, start: date, end: date, out: Path) -> dict:
    """Write the cases received from `start` to `end` (whole days, inclusive) to `out`; returns counts."""
    if end < start:
        raise InvalidInput(f"Khoảng thời gian xuất không hợp lệ: ngày kết thúc {end:%d/%m/%Y} trước ngày bắt đầu "
                           f"{start:%d/%m/%Y}.")
    lower = datetime.combine(start, time(0), tzinfo=TZ)
    upper = datetime.combine(end + timedelta(days=1), time(0), tzinfo=TZ)
    with store.transaction() as tx:
        ids = [c["id"] for c in cases_received(tx, lower, upper)]
        names = procedure_names(tx)
    traces = events = 0
    out = Path(out)
    try:
        handle = out.open("wb")
    except OSError as exc:
        raise InvalidInput(f"Không ghi được tệp XES '{out}': {exc.strerror}.", file=str(out)) from exc
    with handle, etree.xmlfile(handle, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(_q("log"), {"xes.version": "1849-2016", "xes.features": "nested-attributes"},
                        nsmap={None: XES_NS}):
            for name, prefix, uri in EXTENSIONS:
                xf.write(_element("extension", name=name, prefix=prefix, uri=uri), pretty_print=True)
            trace_global = _element("global", scope="trace")
            trace_global.append(_attribute("string", "concept:name", "__INVALID__"))
            xf.write(trace_global, pretty_print=True)
            event_global = _element("global", scope="event")
            for element in (_attribute("string", "concept:name", "__INVALID__"),
                            _attribute("string", "lifecycle:transition", "complete"),
                            _attribute("date", "time:timestamp", "1970-01-01T00:00:00.000+00:00")):
                event_global.append(element)
            xf.write(event_global, pretty_print=True)
            xf.write(_element("classifier", name="Activity", keys="concept:name"), pretty_print=True)
            xf.write(_element("classifier", name="Activity and transition", keys="concept:name lifecycle:transition"),
                     pretty_print=True)
            xf.write(_attribute("string", "concept:name", "tthc"), pretty_print=True)
            for case_id in ids:
                with store.transaction() as tx:
                    record = load_record(tx, case_id)
                trace = _element("trace")
                trace.append(_attribute("string", "concept:name", case_id))
                case = record.case
                extra = [_typed("procedure_name", names.get(case["procedure_code"])),
                         _typed("definition_version", (record.started or {}).get("payload", {}).get("definition_version"))]
                extra += [_typed(k, case.get(k)) for k in CASE_STRINGS]
                extra += [_typed(k, case.get(k)) for k in CASE_DATES]
                extra += [_typed(k, int(case[k]) if case.get(k) is not None else None) for k in CASE_INTS]
                extra.append(_typed("total_working_days", case.get("total_working_days")))
                for element in extra:
                    if element is not None:
                        trace.append(element)
                for attributes in _event_entries(record):
                    event = etree.SubElement(trace, _q("event"))
                    event.extend(attributes)
                    events += 1
                xf.write(trace, pretty_print=True)
                traces += 1
    return {"file": str(out), "traces": traces, "events": events, "from": start, "to": end}
