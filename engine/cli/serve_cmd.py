"""`tthc serve`: Camunda 7's REST API over HTTP (engine.server), run by uvicorn.

The server's modules are imported only when this command runs, so no other command pays for them at start-up.
"""

from __future__ import annotations

import os
from typing import List, Optional

import typer


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Địa chỉ lắng nghe (mặc định chỉ máy này)."),
    port: int = typer.Option(8080, "--port", help="Cổng."),
    workers: int = typer.Option(1, "--workers", help="Số tiến trình phục vụ (1–64)."),
    cors_origin: Optional[List[str]] = typer.Option(None, "--cors-origin",
                                                    help="Cho phép trang web ở nguồn này gọi API (lặp lại được); "
                                                         "mặc định tắt CORS."),
    max_upload_mb: int = typer.Option(10, "--max-upload-mb", help="Giới hạn một lần triển khai (MB, 1–200)."),
    credential_ttl: int = typer.Option(5, "--credential-ttl",
                                       help="Số giây tin một thông tin đăng nhập vừa kiểm tra mà không đọc lại cơ sở "
                                            "dữ liệu (0–3600; 0: kiểm tra mọi yêu cầu). Đổi mật khẩu, thu hồi mã "
                                            "có hiệu lực trong thời gian này."),
    access_log: bool = typer.Option(False, "--access-log",
                                    help="Ghi mỗi yêu cầu (địa chỉ, phương thức, đường dẫn, mã trả lời) ra stderr; "
                                         "mặc định tắt như Camunda Run, nhật ký truy cập là việc của proxy."),
) -> None:
    """Chạy máy chủ REST tương thích Camunda 7 tại http://HOST:PORT/engine-rest."""
    # Ranges checked here, not with typer's min/max: the CLI's plain option converter (engine.cli.lazy) has no ranges.
    if not 1 <= workers <= 64:
        raise typer.BadParameter(f"cần từ 1 đến 64, không phải {workers}.", param_hint="--workers")
    if not 1 <= max_upload_mb <= 200:
        raise typer.BadParameter(f"cần từ 1 đến 200, không phải {max_upload_mb}.", param_hint="--max-upload-mb")
    if not 0 <= credential_ttl <= 3600:
        raise typer.BadParameter(f"cần từ 0 đến 3600, không phải {credential_ttl}.", param_hint="--credential-ttl")
    import uvicorn

    app = ctx.obj
    # Every worker process builds the same application from the environment: the resolved database, the config file,
    # the clock. The database is opened (and migrated) once here, before any worker starts.
    env = {"TTHC_DB": app.settings.db_url}
    if app.config_path is not None:
        env["TTHC_CONFIG"] = str(app.config_path)
    if app.now:
        env["TTHC_NOW"] = app.now
    if cors_origin:
        env["TTHC_SERVER_CORS_ORIGINS"] = ",".join(cors_origin)
    env["TTHC_SERVER_MAX_UPLOAD_BYTES"] = str(max_upload_mb * 1024 * 1024)
    env["TTHC_SERVER_CREDENTIAL_TTL"] = str(credential_ttl)
    app.service.close()
    os.environ.update(env)
    typer.echo(f"tthc: API Camunda 7 tại http://{host}:{port}/engine-rest ({workers} tiến trình); Ctrl+C để dừng.",
               err=True)
    # Graceful shutdown: on SIGTERM/SIGINT uvicorn stops accepting, lets requests in flight finish (up to 30 s),
    # then runs the application's shutdown (closing database connections).
    uvicorn.run("engine.server.app:create_app", factory=True, host=host, port=port, workers=workers,
                timeout_graceful_shutdown=30, log_level="info", access_log=access_log, proxy_headers=False,
                server_header=False)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
