"""The report as one CSV table for a spreadsheet: UTF-8 with a byte-order mark, so that Excel shows Vietnamese text
intact; comma-separated, decimal point, rates in percent. One row per group of `--by` plus a total row."""

from __future__ import annotations

import csv
import io

from engine.reports.labels import FLOW_COLUMNS, GROUP_TITLES, RATE_KEYS, UNIT_COLUMNS, with_days

BOM = "\ufeff"


def _cell(value, key: str):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "có" if value else "không"
    if key in RATE_KEYS:
        return round(value * 100, 1)
    if isinstance(value, float):
        return round(value, 2)
    return value


def _header(key: str, label: str) -> str:
    return f"{label} (%)" if key in RATE_KEYS else label


def report_csv(doc: dict) -> str:
    """The CSV text, starting with the byte-order mark."""
    day = doc["standard_day_minutes"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    by = doc["by"]
    if by in ("lane", "officer"):
        columns = UNIT_COLUMNS
        rows = [with_days(r, day) for r in doc["groups"]]
        total = None
    else:
        columns = FLOW_COLUMNS
        rows = [with_days(r, day) for r in doc["groups"]]
        total = with_days(doc["totals"], day)
    writer.writerow([f"Mã {GROUP_TITLES[by].lower()}", GROUP_TITLES[by], *[_header(k, l) for k, l in columns]])
    for r in rows:
        writer.writerow([r["key"], r["label"], *[_cell(r.get(k), k) for k, _ in columns]])
    if total is not None:
        writer.writerow(["", "Tổng cộng", *[_cell(total.get(k), k) for k, _ in columns]])
    return BOM + out.getvalue()


def overdue_csv(doc: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Hồ sơ", "Thủ tục", "Tình trạng", "Hạn trả", "Chậm (ngày làm việc)", "Bước chậm", "Đơn vị",
                     "Cán bộ", "Nguyên nhân"])
    for i in doc["cases"]:
        writer.writerow([i["case_id"], i["procedure_code"],
                         "đã giải quyết, quá hạn" if i["state"] == "resolved_late" else "đang giải quyết, quá hạn",
                         i["due_at"].isoformat() if i["due_at"] else "", i["late_working_days"], i["late_step"] or "",
                         i["lane"] or "", i["officer_name"] or "", "; ".join(c["text"] or "" for c in i["causes"])])
    return BOM + out.getvalue()
