"""Credentials for `tthc serve`: `tthc user set-password`, `tthc token create|list|revoke`."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from engine.cli.output import emit
from engine.errors import InvalidInput

user_app = typer.Typer(help="Mật khẩu đăng nhập HTTP của cán bộ.", no_args_is_help=True)
token_app = typer.Typer(help="Mã truy cập (API token) cho hệ thống tích hợp.", no_args_is_help=True)


def _may_manage(app, officer: str) -> None:
    """Credentials are the officer's own or an administrator's business: once the configuration maps officers to OS
    accounts, the same rule as `--as` applies (engine.origin.check_officer), so no clerk sets a director's password."""
    from engine.origin import check_officer

    check_officer(app.settings, officer, app.origin)


def _read_password() -> str:
    if sys.stdin.isatty():
        return typer.prompt("Mật khẩu mới", hide_input=True, confirmation_prompt="Nhập lại mật khẩu")
    # From a pipe or a secrets file: the first line, without its line ending (never from the command line, where
    # other accounts could read it in the process list).
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise InvalidInput("Không đọc được mật khẩu từ đầu vào chuẩn (dòng đầu tiên trống).")
    return password


@user_app.command("set-password")
def set_password(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Mã người dùng trong cấu hình."),
) -> None:
    """Đặt mật khẩu (đọc từ bàn phím hoặc đầu vào chuẩn); chỉ lưu giá trị băm argon2id."""
    app = ctx.obj
    app.settings.user(name)  # an unknown user is refused before the password is asked for
    _may_manage(app, name)
    app.service.set_password(name, _read_password())
    sys.stdout.write(f"Đã đặt mật khẩu cho '{name}'; mật khẩu mới dùng được ngay, máy chủ đang chạy từ chối mật khẩu "
                     "cũ chậm nhất sau --credential-ttl giây (mặc định 5).\n")


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    user: str = typer.Option(..., "--user", help="Người dùng mà mã truy cập thay mặt."),
    label: Optional[str] = typer.Option(None, "--label", help="Ghi chú: hệ thống nào dùng mã này."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Tạo mã truy cập; mã chỉ hiện một lần, hãy lưu ngay."""
    app = ctx.obj
    app.settings.user(user)
    _may_manage(app, user)
    doc = app.service.create_token(user, label=label)
    emit(doc, json_, lambda c, d: c.print(
        f"Mã truy cập {d['id']} cho '{d['user']}' (chỉ hiện một lần):\n{d['token']}", markup=False))


@token_app.command("list")
def token_list(ctx: typer.Context, json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON.")) -> None:
    """Liệt kê mã truy cập (không bao giờ in lại bí mật)."""
    rows = ctx.obj.service.list_tokens()

    def render(console, items):
        if not items:
            console.print("Chưa có mã truy cập nào.")
        for t in items:
            state = f"đã thu hồi {t['revoked_at']:%Y-%m-%d %H:%M}" if t["revoked_at"] else "còn hiệu lực"
            console.print(f"{t['id']}  {t['user']}  {t['created_at']:%Y-%m-%d %H:%M}  {state}  {t['label'] or ''}",
                          markup=False)

    emit(rows, json_, render)


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context,
    token_id: str = typer.Argument(..., help="Mã số của token (cột đầu của `tthc token list`)."),
    json_: bool = typer.Option(False, "--json", help="In một tài liệu JSON."),
) -> None:
    """Thu hồi một mã truy cập; máy chủ đang chạy từ chối nó chậm nhất sau --credential-ttl giây (mặc định 5)."""
    app = ctx.obj
    owner = next((t["user"] for t in app.service.list_tokens() if t["id"] == token_id), None)
    if owner is not None and owner in app.settings.users:
        _may_manage(app, owner)
    doc = app.service.revoke_token(token_id)
    emit(doc, json_, lambda c, d: c.print(f"Đã thu hồi mã truy cập {d['id']} của '{d['user']}'; máy chủ đang chạy "
                                          "từ chối nó chậm nhất sau --credential-ttl giây (mặc định 5).",
                                          markup=False))


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
