"""The report as one self-contained HTML page: inline CSS, charts as inline SVG, no script, no network, no CDN.
It opens from a USB stick on an office computer without Internet and prints on A4 landscape."""

from __future__ import annotations

from html import escape

from engine.reports.labels import (
    FLOW_COLUMNS, GROUP_TITLES, UNIT_COLUMNS, day_text, number, when, with_days,
)
from engine.reports.render_table import balance_line
from engine.reports.svg import COLORS, bar_chart, trend_chart

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:#1f2328;margin:24px;}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}p.meta{color:#57606a;margin:0 0 12px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{border:1px solid #d0d7de;padding:4px 8px}
th{background:#f6f8fa;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}td.t{min-width:14em}
.charts svg{display:block;margin:12px 0;max-width:100%;height:auto}
@media print{@page{size:A4 landscape;margin:12mm}body{margin:0}}
"""


def _table(headers: list[str], rows: list[list[tuple[str, bool]]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f'<td class="n">{escape(v)}</td>' if numeric else f'<td class="t">{escape(v)}</td>'
                                    for v, numeric in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _flow_table(doc: dict) -> str:
    day = doc["standard_day_minutes"]
    title = GROUP_TITLES[doc["by"]]
    rows = []
    for g in doc["groups"]:
        g = with_days(g, day)
        rows.append([(f"{g['key']} {g['label']}".strip() if doc["by"] != "month" else g["label"], False)]
                    + [(number(g.get(k), k), True) for k, _ in FLOW_COLUMNS])
    total = with_days(doc["totals"], day)
    rows.append([("Tổng cộng", False)] + [(number(total.get(k), k), True) for k, _ in FLOW_COLUMNS])
    return _table([title] + [label for _, label in FLOW_COLUMNS], rows)


def _unit_table(rows_in: list[dict], first: str, day: int, with_open: bool) -> str:
    keys = [(k, l) for k, l in UNIT_COLUMNS if with_open or k != "open_overdue"]
    rows = [[(r["label"], False)] + [(number(with_days(r, day).get(k), k), True) for k, _ in keys] for r in rows_in]
    return _table([first] + [label for _, label in keys], rows)


def _charts(doc: dict) -> str:
    charts = []
    trend = doc.get("trend") or []
    if trend:
        charts.append(trend_chart("Xu hướng theo tháng: tiếp nhận, đã giải quyết, tỷ lệ đúng hạn",
                                  [t["label"] for t in trend], [t["received"] for t in trend],
                                  [t["resolved"] for t in trend], [t["on_time_rate"] for t in trend]))
    if doc["by"] == "procedure":
        rated = [g for g in doc["groups"] if g["on_time_rate"] is not None]
        charts.append(bar_chart("Tỷ lệ giải quyết đúng hạn theo thủ tục", [g["key"] for g in rated],
                                [g["on_time_rate"] for g in rated], scale_max=1.0,
                                formatted=[number(g["on_time_rate"], "on_time_rate") for g in rated],
                                color=COLORS["resolved"]))
    lanes = [r for r in doc["lanes"] if r["steps"] or r["open_overdue"]]
    charts.append(bar_chart("Thời gian chậm theo đơn vị (ngày làm việc, các bước quá hạn)",
                            [r["label"] for r in lanes], [r["late_working_days"] for r in lanes],
                            formatted=[f"{number(r['late_working_days'], 'late_working_days')} ngày · {r['late']} bước"
                                       for r in lanes], color=COLORS["late"]))
    return '<div class="charts">' + "".join(charts) + "</div>"


def report_html(doc: dict) -> str:
    period = doc["period"]
    day = doc["standard_day_minutes"]
    title = f"Báo cáo tình hình giải quyết thủ tục hành chính — {period['label']}"
    if doc.get("procedure"):
        title += f" — thủ tục {doc['procedure']}"
    s = doc["scores"]
    parts = [
        "<!DOCTYPE html>", '<html lang="vi"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">Từ {day_text(period["from"])} đến {day_text(period["to"])}; số liệu chốt lúc '
        f"{escape(when(doc['as_of']))}.</p>",
        _charts(doc),
        f"<h2>Tình hình giải quyết theo {escape(GROUP_TITLES[doc['by']].lower())}</h2>",
        _flow_table(doc) if doc["by"] in ("procedure", "field", "month") else "",
        f"<p>{escape(balance_line(doc['totals']))}</p>",
        "<h2>Thời gian xử lý theo đơn vị (làn)</h2>", _unit_table(doc["lanes"], "Đơn vị", day, True),
        "<h2>Thời gian xử lý theo cán bộ</h2>", _unit_table(doc["officers"], "Cán bộ", day, False),
        "<h2>Điểm theo Thông tư 01/2018/TT-VPCP</h2>",
        _table(["Chỉ số", "Số hồ sơ (cặp hồ sơ – đơn vị)", "Điểm trung bình"], [
            [("1. Thời gian giải quyết hồ sơ", False), (str(s["case"]["cases"]), True),
             (number(s["case"]["average"], "score"), True)],
            [("2. Thời gian xử lý của đơn vị tham gia", False), (str(s["units"]["pairs"]), True),
             (number(s["units"]["average"], "score"), True)],
            [("3. Số lần yêu cầu bổ sung hồ sơ", False), (str(s["supplement"]["cases"]), True),
             (number(s["supplement"]["average"], "score"), True)],
        ]),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)
