"""The report on a terminal: totals, the table of the chosen grouping, units and officers, scores."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from engine.fit_table import Column, fitted_table
from engine.reports.labels import FLOW_COLUMNS, GROUP_TITLES, number, when, with_days

# The columns that fit a terminal, with the short headings of the provinces' tables (GQ = giải quyết, CS = chỉ số);
# CSV and HTML carry every column with its full heading.
NARROW_FLOW = (("carried_over", "Kỳ trước"), ("received", "Tiếp nhận"), ("resolved", "Đã GQ"),
               ("resolved_early", "Trước hạn"), ("resolved_on_time", "Đúng hạn"), ("resolved_late", "Quá hạn"),
               ("pending", "Đang GQ"), ("pending_overdue", "Tồn quá hạn"), ("withdrawn", "Rút"),
               ("on_time_rate", "% đúng hạn"), ("case_score", "Điểm CS1"))
NARROW_UNIT = (("steps", "Số bước"), ("early", "Trước hạn"), ("on_time", "Đúng hạn"), ("late", "Quá hạn"),
               ("on_time_rate", "% đúng hạn"), ("avg_used_days", "TB dùng (ngày)"),
               ("avg_allotted_days", "TB giao (ngày)"), ("late_working_days", "Chậm (ngày)"),
               ("open_overdue", "Đang quá hạn"), ("score", "Điểm CS2"))
# On a narrow terminal these columns give way, lowest first, so that no figure is cut (CSV/HTML keep them all).
FLOW_DROP = {"carried_over": 1, "resolved_early": 2, "resolved_on_time": 3, "withdrawn": 4, "case_score": 5,
             "pending_overdue": 6}
UNIT_DROP = {"early": 1, "on_time": 2, "avg_allotted_days": 3, "open_overdue": 4, "late_working_days": 5, "score": 6}


def balance_line(t: dict) -> str:
    sign = "=" if t["balanced"] else "≠"
    return (f"Cân đối: kỳ trước chuyển sang {t['carried_over']} + tiếp nhận {t['received']} {sign} đã giải quyết "
            f"{t['resolved']} + rút {t['withdrawn']} + kết thúc khác {t['ended_otherwise']} + đang giải quyết "
            f"{t['pending']}")


def render_report(console: Console, doc: dict) -> None:
    day = doc["standard_day_minutes"]
    period = doc["period"]
    title = f"Báo cáo tình hình giải quyết TTHC — {period['label']}"
    if doc.get("procedure"):
        title += f" — thủ tục {doc['procedure']}"
    console.print(title, markup=False)
    console.print(f"Số liệu chốt lúc {when(doc['as_of'])}.", markup=False)
    totals = with_days(doc["totals"], day)
    summary = Table(title="Tổng hợp", show_header=False)
    summary.add_column("Chỉ tiêu")
    summary.add_column("Số liệu", justify="right")
    for key, label in FLOW_COLUMNS:
        summary.add_row(label, number(totals.get(key), key))
    console.print(summary)
    console.print(balance_line(doc["totals"]), markup=False)

    if doc["by"] in ("procedure", "field", "month"):
        columns = [Column(GROUP_TITLES[doc["by"]], "text" if doc["by"] == "field" else "id")]
        columns += [Column(heading, "number", drop=FLOW_DROP.get(key)) for key, heading in NARROW_FLOW]
        rows = []
        for g in doc["groups"]:
            label = g["label"] if doc["by"] == "field" else g["key"]  # procedure names are too long for a terminal
            rows.append([label or "—", *[number(g.get(k), k) for k, _ in NARROW_FLOW]])
        console.print(fitted_table(console, columns, rows, title=f"Theo {GROUP_TITLES[doc['by']].lower()}"))
    for rows, title, first in ((doc["lanes"], "Thời gian xử lý theo đơn vị (làn)", "Đơn vị"),
                               (doc["officers"], "Thời gian xử lý theo cán bộ", "Cán bộ")):
        console.print(units_table(rows, title, first, day, with_open=rows is doc["lanes"], console=console))
    s = doc["scores"]
    console.print(
        f"Điểm theo Thông tư 01/2018/TT-VPCP — chỉ số 1 (thời gian giải quyết): {number(s['case']['average'], 'score')} "
        f"trên {s['case']['cases']} hồ sơ; chỉ số 2 (đơn vị tham gia): {number(s['units']['average'], 'score')}; "
        f"chỉ số 3 (số lần yêu cầu bổ sung): {number(s['supplement']['average'], 'score')}.", markup=False)
    for item in doc.get("open_incidents") or ():  # external tasks out of retries (engine.usecases.external)
        console.print(f"Sự cố chưa xử lý: hồ sơ {item['case_id']}, tác vụ ngoài {item['name']} (chủ đề {item['topic']}, "
                      f"từ {when(item['since'])}): {item['message'] or ''}", markup=False)


def units_table(rows: list[dict], title: str, first: str, day: int, with_open: bool = True,
                console: Console | None = None) -> Table:
    shown = [(k, h) for k, h in NARROW_UNIT if with_open or k != "open_overdue"]
    columns = [Column(first, least=12)] + [Column(h, "number", drop=UNIT_DROP.get(k)) for k, h in shown]
    cells = []
    for r in rows:
        r = with_days(r, day)
        cells.append([r["label"], *[number(r.get(k), k) for k, _ in shown]])
    return fitted_table(console or Console(), columns, cells, title=title)


def render_overdue(console: Console, doc: dict) -> None:
    items = doc["cases"]
    if not items:
        console.print(f"Không có hồ sơ quá hạn (số liệu lúc {when(doc['as_of'])}).", markup=False)
        return
    columns = [Column("Hồ sơ", "id"), Column("Thủ tục", "id"), Column("Tình trạng"), Column("Hạn trả", drop=3),
               Column("Chậm (ngày LV)", "number"), Column("Bước chậm", least=12), Column("Đơn vị", drop=1),
               Column("Cán bộ", drop=2)]
    rows = []
    for i in items:
        state = "đã GQ quá hạn" if i["state"] == "resolved_late" else "đang GQ, quá hạn"
        rows.append([i["case_id"], i["procedure_code"], state, when(i["due_at"]),
                     number(float(i["late_working_days"]), "late_working_days"), i["late_step"] or "—",
                     i["lane"] or "—", i["officer_name"] or ("đang chờ xử lý" if i["late_step"] else "—")])
    console.print(fitted_table(console, columns, rows,
                               title=f"Hồ sơ quá hạn — {len(items)} hồ sơ (số liệu lúc {when(doc['as_of'])})"))
    # Causes below the table: sentences too long for a column.
    console.print("Nguyên nhân đã ghi nhận:", markup=False)
    for i in items:
        causes = "; ".join(c["text"] or "" for c in i["causes"]) or "chưa ghi nguyên nhân (tthc note MÃ_HỒ_SƠ \"…\")"
        console.print(f"- {i['case_id']}: {causes}", markup=False)
