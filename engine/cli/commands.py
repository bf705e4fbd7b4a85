"""Registers every command group on the typer app; one module per group."""

from __future__ import annotations

import importlib

import typer

# Modules with a `register(app)` function; each owns one group of commands.
_REGISTERING = ("engine.cli.admin_cmds", "engine.cli.case_cmds", "engine.cli.import_cmd", "engine.cli.lint_cmd",
               "engine.cli.worker_cmd", "engine.cli.demo_cmd",
               "engine.cli.rules_cmd", "engine.cli.report_cmds", "engine.cli.audit_cmds",
               "engine.cli.serve_cmd", "engine.cli.user_cmds")


def register(app: typer.Typer) -> None:
    from engine.cli import calendar_cmd

    for name in _REGISTERING:
        importlib.import_module(name).register(app)
    app.add_typer(calendar_cmd.app, name="calendar", help="Tính thời gian làm việc theo lịch công chức.")
