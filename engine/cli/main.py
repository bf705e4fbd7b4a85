"""The `tthc` command line: global options, command registration, one error reporter."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click
import typer

from engine.cli.context import AppContext
from engine.cli.output import report_error
from engine.errors import EngineError

app = typer.Typer(
    pretty_exceptions_show_locals=False,  # locals hold citizens' data
    no_args_is_help=True,
    add_completion=False,
    help="tthc: giải quyết thủ tục hành chính theo quy trình nội bộ (BPMN).",
)


@app.callback()
def main(
    ctx: typer.Context,
    db: Optional[str] = typer.Option(None, "--db", envvar="TTHC_DB", help="URL cơ sở dữ liệu (mặc định: tệp SQLite)."),
    config: Optional[Path] = typer.Option(None, "--config", envvar="TTHC_CONFIG", help="Tệp cấu hình TOML."),
    now: Optional[str] = typer.Option(None, "--now", envvar="TTHC_NOW", help="Đặt đồng hồ của hệ thống (ISO 8601)."),
    as_user: Optional[str] = typer.Option(None, "--as", envvar="TTHC_USER", help="Người dùng thực hiện lệnh."),
) -> None:
    ctx.obj = AppContext(db_url=db, config_path=config, now=now, user=as_user)


def _register() -> None:
    # Imported here so that `tthc --help` stays fast and each command group stays in its own module.
    from engine.cli import commands

    commands.register(app)


def run(argv: list[str] | None = None) -> int:
    """Console-script entry point: maps EngineError to its exit code, once, here."""
    args = sys.argv[1:] if argv is None else argv
    as_json = "--json" in args
    _register()
    try:
        app(args=args, prog_name="tthc", standalone_mode=False)
    except EngineError as err:
        report_error(err, as_json)
        code = err.exit_code
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.exceptions.Abort:
        report_error(EngineError("Đã hủy theo yêu cầu của người dùng."), as_json)
        code = 130
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    else:
        code = 0
    if argv is None:
        sys.exit(code)
    return code
