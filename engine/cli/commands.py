"""Registers every command group on the typer app; one module per group."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    from engine.cli import calendar_cmd

    app.add_typer(calendar_cmd.app, name="calendar", help="Tính thời gian làm việc theo lịch công chức.")
