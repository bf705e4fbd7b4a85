"""Which module defines each command; one module per command group, each with a `register(app)` function.

The modules are imported lazily (`engine.cli.lazy.LazyGroup`): a command imports only its own module. A command
missing from `COMMANDS` still works (every module is then loaded to find it); a test keeps the table complete.
"""

from __future__ import annotations

# Modules in the order `tthc --help` lists their commands.
MODULES = ("engine.cli.admin_cmds", "engine.cli.case_cmds", "engine.cli.import_cmd", "engine.cli.lint_cmd",
           "engine.cli.worker_cmd", "engine.cli.demo_cmd", "engine.cli.rules_cmd", "engine.cli.report_cmds",
           "engine.cli.audit_cmds", "engine.cli.calendar_cmd", "engine.cli.event_cmds", "engine.cli.external_cmds",
           "engine.cli.serve_cmd", "engine.cli.user_cmds")

COMMANDS = {
    "deploy": "engine.cli.admin_cmds", "procedures": "engine.cli.admin_cmds", "tick": "engine.cli.admin_cmds",
    "start": "engine.cli.case_cmds", "tasks": "engine.cli.case_cmds", "complete": "engine.cli.case_cmds",
    "form": "engine.cli.case_cmds", "show": "engine.cli.case_cmds", "history": "engine.cli.case_cmds",
    "withdraw": "engine.cli.case_cmds", "note": "engine.cli.case_cmds", "claim": "engine.cli.case_cmds",
    "unclaim": "engine.cli.case_cmds", "error": "engine.cli.case_cmds",
    "escalate": "engine.cli.case_cmds",
    "import-procedures": "engine.cli.import_cmd", "lint": "engine.cli.lint_cmd", "worker": "engine.cli.worker_cmd",
    "demo": "engine.cli.demo_cmd", "decide": "engine.cli.rules_cmd",
    "report": "engine.cli.report_cmds", "overdue": "engine.cli.report_cmds",
    "replay": "engine.cli.audit_cmds", "verify": "engine.cli.audit_cmds", "slip": "engine.cli.audit_cmds",
    "book": "engine.cli.audit_cmds", "notice": "engine.cli.audit_cmds", "export-xes": "engine.cli.audit_cmds",
    "calendar": "engine.cli.calendar_cmd",
    "serve": "engine.cli.serve_cmd", "user": "engine.cli.user_cmds", "token": "engine.cli.user_cmds",
    "correlate": "engine.cli.event_cmds", "signal": "engine.cli.event_cmds",
    "external": "engine.cli.external_cmds",
}
