"""The `tthc` command line: global options, command registration, one error reporter."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from engine.cli.context import AppContext
from engine.cli.lazy import LazyGroup, install_plain_coercion
from engine.cli.output import report_error
from engine.errors import EngineError

app = typer.Typer(
    cls=LazyGroup,
    pretty_exceptions_show_locals=False,  # locals hold citizens' data
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
    help="tthc: giải quyết thủ tục hành chính theo quy trình nội bộ (BPMN).",
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("tthc")
        except PackageNotFoundError:  # run from a checkout that was never installed
            number = "chưa cài đặt (chạy từ mã nguồn)"
        typer.echo(f"tthc {number}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    db: Optional[str] = typer.Option(
        None, "--db", envvar="TTHC_DB",
        help="Cơ sở dữ liệu: sqlite:///ĐƯỜNG/DẪN.db, postgresql+psycopg://máy/csdl hoặc chỉ một đường dẫn "
             "tệp (coi là SQLite; thư mục phải có sẵn). Mặc định: ~/.local/share/tthc/tthc.db."),
    config: Optional[Path] = typer.Option(None, "--config", envvar="TTHC_CONFIG", help="Tệp cấu hình TOML."),
    now: Optional[str] = typer.Option(None, "--now", envvar="TTHC_NOW", help="Đặt đồng hồ của hệ thống (ISO 8601)."),
    as_user: Optional[str] = typer.Option(None, "--as", envvar="TTHC_USER", help="Người dùng thực hiện lệnh."),
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                 help="In phiên bản tthc rồi thoát."),
) -> None:
    ctx.obj = AppContext(db_url=db, config_path=config, now=now, user=as_user)
    ctx.call_on_close(ctx.obj.close)  # release database connections when the command ends


_command = None


def _click_command():
    """The click command tree, built once per process; each command's module is imported when it is used."""
    global _command
    if _command is None:
        from engine.cli import commands

        _command = typer.main.get_command(app)
        _command.modules = commands.MODULES
        _command.lazy = commands.COMMANDS
        install_plain_coercion()
    return _command


def run(argv: list[str] | None = None) -> int:
    """Console-script entry point: maps EngineError to its exit code, once, here.

    Usage errors stay with typer (exit 2, its usage message); everything the engine refuses is an EngineError with
    its own exit code and one Vietnamese sentence on stderr (JSON on stderr with --json).
    """
    args = sys.argv[1:] if argv is None else argv
    as_json = "--json" in args
    command = _click_command()
    try:
        command.main(args=args, prog_name="tthc", standalone_mode=True)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except EngineError as err:
        report_error(err, as_json)
        code = err.exit_code
    if argv is None:
        sys.exit(code)
    return code
