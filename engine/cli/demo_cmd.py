"""`tthc demo`: deploys the library and drives realistic cases on a simulated clock (embedded SQLite by default)."""

from __future__ import annotations

from pathlib import Path

import typer
from engine.cli.output import emit, stderr
from engine.cli.render import OUTCOME_LABELS, STATUS_LABELS, TIMING_LABELS, late_text, when
from engine.config import default_db_url
from engine.db_url import normalize as normalize_db_url
from engine.fit_table import Column, fitted_table


def demo(
    ctx: typer.Context,
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Chạy thử: triển khai thư viện quy trình và giải quyết một loạt hồ sơ mẫu trên đồng hồ mô phỏng."""
    from engine.demo import run_demo

    url = normalize_db_url(ctx.obj.db_url) if ctx.obj.db_url else None
    if url is None:
        # A fresh demo database beside the default one, so the demo never mixes with real cases.
        path = Path(default_db_url().split("///", 1)[1]).with_name("demo.db")
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    say = (lambda text: stderr.print(text, markup=False)) if json_ else (lambda text: print(text))
    result = run_demo(url, say)

    def render(console, d):
        columns = [Column("Hồ sơ", "id"), Column("Thủ tục", "id"), Column("Diễn biến", least=16),
                   Column("Hẹn trả", drop=1), Column("Kết quả", least=14), Column("Đúng hạn?", "id")]
        rows = []
        for c in d["cases"]:
            outcome = OUTCOME_LABELS.get(c["outcome"] or "", STATUS_LABELS.get(c["status"], c["status"]))
            timing = TIMING_LABELS.get(c["timing"] or "", "—")
            rows.append([c["case_id"], c["code"], c["title"], when(c["due_at"]), outcome,
                         late_text(True) if c["timing"] == "late" else timing])
        console.print(fitted_table(console, columns, rows, title="Kết quả chạy thử"))
        console.print(f"Hẹn giờ đã kích hoạt: {d['timers_fired']}. Cơ sở dữ liệu của bản chạy thử: {d['db']}",
                      markup=False)
        # Exactly what to type next: the demo's database is not the default one (it never mixes with real cases).
        console.print("Xem tiếp trên cơ sở dữ liệu này:", markup=False)
        console.print(f"  export TTHC_DB={d['db']}\n  tthc procedures\n  tthc history {d['cases'][0]['case_id']}",
                      markup=False, soft_wrap=True)

    emit(result, json_, render)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
