"""`tthc demo`: deploys the library and drives realistic cases on a simulated clock (embedded SQLite by default)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from engine.cli.output import emit, stderr
from engine.cli.render import OUTCOME_LABELS, STATUS_LABELS, TIMING_LABELS, when
from engine.config import default_db_url


def demo(
    ctx: typer.Context,
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Chạy thử: triển khai thư viện quy trình và giải quyết một loạt hồ sơ mẫu trên đồng hồ mô phỏng."""
    from engine.demo import run_demo

    url = ctx.obj.db_url
    if url is None:
        # A fresh demo database beside the default one, so the demo never mixes with real cases.
        path = Path(default_db_url().split("///", 1)[1]).with_name("demo.db")
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    say = (lambda text: stderr.print(text, markup=False)) if json_ else (lambda text: print(text))
    result = run_demo(url, say)

    def render(console, d):
        table = Table(title="Kết quả chạy thử")
        for col in ("Hồ sơ", "Thủ tục", "Diễn biến", "Hẹn trả", "Kết quả", "Đúng hạn?"):
            table.add_column(col)
        for c in d["cases"]:
            outcome = OUTCOME_LABELS.get(c["outcome"] or "", STATUS_LABELS.get(c["status"], c["status"]))
            table.add_row(c["case_id"], c["code"], c["title"], when(c["due_at"]), outcome,
                          TIMING_LABELS.get(c["timing"] or "", "—"))
        console.print(table)
        console.print(f"Hẹn giờ đã kích hoạt: {d['timers_fired']}. Cơ sở dữ liệu: {d['db']}")
        console.print(f"Xem tiếp, ví dụ: tthc --db {d['db']} history {d['cases'][0]['case_id']}")

    emit(result, json_, render)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
