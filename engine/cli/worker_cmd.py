"""`tthc worker`: the long-running process that fires due timers (see engine.worker for the guarantees)."""

from __future__ import annotations

import os
import signal
import sys
import threading
from contextlib import contextmanager, nullcontext
from typing import Iterator

import typer

from engine.errors import InvalidInput

SIGNAL_NAMES = {signal.SIGTERM: "SIGTERM", signal.SIGINT: "SIGINT"}


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _logger(clock):
    pid = os.getpid()

    def log(message: str) -> None:
        # One line per fact, flushed at once: operators tail it and supervisors (systemd, docker) collect it.
        sys.stderr.write(f"{clock.now():%Y-%m-%d %H:%M:%S} tthc-worker[{pid}] {message}\n")
        sys.stderr.flush()

    return log


class StopRequest(threading.Event):
    """Set by SIGTERM/SIGINT; remembers which signal, for the log."""

    signal_name: str | None = None


@contextmanager
def _stop_on_signals(stop: StopRequest) -> Iterator[None]:
    """SIGTERM/SIGINT only raise the stop flag, which the worker checks between transactions. The handler writes no
    log line itself: it may run in the middle of another write to stderr."""

    def request_stop(signum, _frame) -> None:
        stop.signal_name = stop.signal_name or SIGNAL_NAMES.get(signum, str(signum))
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in SIGNAL_NAMES}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def worker(
    ctx: typer.Context,
    interval: float = typer.Option(5.0, "--interval", help="Số giây nghỉ khi không còn hẹn giờ đến hạn."),
    batch: int = typer.Option(50, "--batch", help="Số hồ sơ tối đa nhận xử lý trong một giao dịch."),
) -> None:
    """Chạy liên tục: kích hoạt hẹn giờ đến hạn; dừng gọn khi nhận SIGTERM/SIGINT."""
    from engine.worker import Worker, single_sqlite_worker

    if not interval > 0:
        raise InvalidInput(f"--interval phải lớn hơn 0 giây (đang là {interval:g}).", option="--interval")
    if batch < 1:
        raise InvalidInput(f"--batch phải từ 1 trở lên (đang là {batch}).", option="--batch")
    app = ctx.obj
    url = app.settings.db_url
    log = _logger(app.clock)
    stop = StopRequest()
    is_sqlite = url.startswith("sqlite")
    with (single_sqlite_worker(url) if is_sqlite else nullcontext()), _stop_on_signals(stop):
        service = app.service  # opens the store (and migrates it) only once the worker slot is ours
        kind = "SQLite, một worker" if is_sqlite else "PostgreSQL, nhiều worker dùng chung"
        log(f"Bắt đầu: cơ sở dữ liệu {_redact(url)} ({kind}); lô {batch} hồ sơ; nghỉ {interval:g} giây khi hết việc.")
        Worker(service, interval=interval, batch=batch, log=log, stop=stop).run(
            on_stop=lambda: log(f"Nhận {stop.signal_name}: giao dịch đang chạy đã xong, dừng lại."))


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
