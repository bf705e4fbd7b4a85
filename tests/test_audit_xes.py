"""XES export (IEEE 1849): what the file says, and that pm4py — the process-mining library — reads it."""

from __future__ import annotations

import pytest
from lxml import etree

from test_audit_scenarios import library  # noqa: F401 - session fixture

NOW = "2026-03-20T08:00"
XES = "{http://www.xes-standard.org/}"


def _export(library, tmp_path, start="2026-03-01", end="2026-03-31"):
    out = tmp_path / "cases.xes"
    result = library.cli()("export-xes", str(out), "--from", start, "--to", end, "--json", now=NOW)
    assert result.code == 0, result.err
    return out, result.json()


def test_the_export_has_one_trace_per_case_with_lifecycle_resources_and_lanes(library, tmp_path):
    out, summary = _export(library, tmp_path)
    assert summary["traces"] == len(library.cases)
    root = etree.parse(str(out)).getroot()
    assert root.tag == f"{XES}log" and root.get("xes.version") == "1849-2016"
    assert {e.get("prefix") for e in root.iter(f"{XES}extension")} == {"concept", "lifecycle", "time", "org"}
    trace = next(t for t in root.iter(f"{XES}trace")
                 if t.find(f"{XES}string[@key='concept:name']").get("value") == library.cases["late_step"])
    events = [{a.get("key"): a.get("value") for a in e} for e in trace.iter(f"{XES}event")]
    appraisal = [(e["lifecycle:transition"], e.get("org:resource"), e["org:group"]) for e in events
                 if e["concept:name"] == "Bước 3: Nghiên cứu, thẩm định, xử lý hồ sơ"]
    assert appraisal == [("start", None, "Công chức thụ lý"), ("complete", "mai", "Công chức thụ lý")]
    overdue = [e for e in events if e["event_type"] == "step_overdue"]
    assert [(e["lifecycle:transition"], e["org:resource"], e["time:timestamp"]) for e in overdue] == [
        ("complete", "engine", "2026-03-03T13:00:00.000+07:00")]
    attrs = {a.get("key"): a.get("value") for a in trace if a.tag != f"{XES}event"}
    assert (attrs["procedure_code"], attrs["outcome"], attrs["timing"]) == ("1.014881", "granted", "early")
    assert "applicant_name" not in attrs and "Hợp tác xã Nà Giàng" not in out.read_text(encoding="utf-8")


def test_the_export_only_takes_cases_received_in_the_period(library, tmp_path):
    _out, summary = _export(library, tmp_path, "2026-03-03", "2026-03-03")
    assert summary["traces"] == sum(1 for c in library.cases.values() if c.startswith("SKHCN-260303"))


def test_pm4py_reads_the_exported_log(library, tmp_path):
    pm4py = pytest.importorskip("pm4py")
    out, summary = _export(library, tmp_path)
    log = pm4py.read_xes(str(out))
    assert log["case:concept:name"].nunique() == len(library.cases)
    assert len(log) == summary["events"]
    assert set(log["lifecycle:transition"]) == {"start", "complete", "ate_abort"}
    assert {"Bộ phận Một cửa (TTPVHCC)", "Văn phòng UBND tỉnh"} <= set(log["org:group"].dropna())
    assert str(log["time:timestamp"].dt.tz) == "UTC"
    happy = log[log["case:concept:name"] == library.cases["happy"]]
    assert list(happy["concept:name"])[:2] == ["Tiếp nhận hồ sơ",
                                               "Bước 1: Kiểm tra, xem xét tính chính xác, đầy đủ của hồ sơ"]
