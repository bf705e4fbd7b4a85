"""Small inline SVG charts for the HTML report: no script, no external font or stylesheet, every label escaped."""

from __future__ import annotations

from html import escape
from typing import Sequence

WIDTH = 720
COLORS = {"received": "#2f6db5", "resolved": "#3a9a5b", "rate": "#d9822b", "bar": "#2f6db5", "late": "#c0392b",
          "grid": "#d0d7de", "text": "#1f2328"}


def _text(x: float, y: float, content: str, *, anchor: str = "start", size: int = 12, fill: str = COLORS["text"]) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}">'
            f"{escape(content)}</text>")


def _frame(height: float, title: str, body: list[str]) -> str:
    return (f'<svg viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" height="{height:.0f}" role="img" '
            f'aria-label="{escape(title)}" font-family="sans-serif"><title>{escape(title)}</title>'
            + "".join(body) + "</svg>")


def trend_chart(title: str, labels: Sequence[str], received: Sequence[int], resolved: Sequence[int],
                rates: Sequence[float | None]) -> str:
    """Bars of cases received and resolved per month; the on-time rate as a line on a 0-100% scale."""
    left, right, top, bottom = 48, 48, 36, 48
    height = 300
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    peak = -(-max([1, *received, *resolved]) // 4) * 4  # a multiple of 4: the four grid steps are whole numbers
    n = max(len(labels), 1)
    slot = plot_w / n
    bar = slot * 0.35
    body = [_text(WIDTH / 2, 20, title, anchor="middle", size=14)]
    for i in range(5):  # grid lines at 0, 25, 50, 75, 100% of the scale
        y = top + plot_h * (1 - i / 4)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="{COLORS["grid"]}"/>')
        body.append(_text(left - 6, y + 4, f"{peak * i / 4:.0f}", anchor="end", size=10))
        body.append(_text(WIDTH - right + 6, y + 4, f"{25 * i}%", size=10))
    points = []
    for i, label in enumerate(labels):
        x0 = left + slot * i + slot * 0.15
        for j, (value, color) in enumerate(((received[i], COLORS["received"]), (resolved[i], COLORS["resolved"]))):
            h = plot_h * value / peak
            body.append(f'<rect x="{x0 + j * bar:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                        f'fill="{color}"><title>{escape(label)}: {value}</title></rect>')
        body.append(_text(left + slot * (i + 0.5), height - bottom + 16, label, anchor="middle", size=10))
        if rates[i] is not None:
            points.append((left + slot * (i + 0.5), top + plot_h * (1 - rates[i])))
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{COLORS["rate"]}" stroke-width="2"/>')
        body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{COLORS["rate"]}"/>' for x, y in points]
    legend_y = height - 10
    for k, (name, color) in enumerate((("Tiếp nhận", COLORS["received"]), ("Đã giải quyết", COLORS["resolved"]),
                                       ("Tỷ lệ đúng hạn", COLORS["rate"]))):
        x = left + k * 160
        body.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{color}"/>')
        body.append(_text(x + 18, legend_y, name, size=11))
    return _frame(height, title, body)


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float], *, scale_max: float | None = None,
              formatted: Sequence[str] | None = None, color: str = COLORS["bar"]) -> str:
    """Horizontal bars, one per label (on-time rate per procedure, lateness per lane)."""
    left, right, top, row = 220, 170, 36, 26  # room on the right for the value written after the longest bar
    height = top + row * max(len(labels), 1) + 16
    plot_w = WIDTH - left - right
    peak = scale_max if scale_max is not None else max([0.0, *values]) or 1.0
    body = [_text(WIDTH / 2, 20, title, anchor="middle", size=14)]
    if not labels:
        body.append(_text(WIDTH / 2, top + 16, "Không có số liệu trong kỳ.", anchor="middle"))
    for i, label in enumerate(labels):
        y = top + row * i
        w = plot_w * (values[i] / peak if peak else 0)
        shown = label if len(label) <= 34 else label[:33] + "…"
        body.append(_text(left - 8, y + 16, shown, anchor="end"))
        body.append(f'<rect x="{left}" y="{y + 4:.1f}" width="{w:.1f}" height="{row - 8}" fill="{color}">'
                    f"<title>{escape(label)}</title></rect>")
        text = formatted[i] if formatted else f"{values[i]:g}"
        body.append(_text(left + w + 6, y + 16, text))
    return _frame(height, title, body)
