"""Errors shown to operators.

EngineError            exit 1  base
├── NotFound           exit 3  no such case, procedure, task, form, decision
├── InvalidInput       exit 4  bad form data, bad diagram, bad config, bad calendar arguments
├── Conflict           exit 5  not allowed in the current state (already completed, wrong group, stale version)
└── StoreUnavailable   exit 6  database unreachable or schema out of date
Exit code 2 is reserved for command-line usage errors (typer/click). Exit code 7 (`engine.audit.INTEGRITY_EXIT`) is
not an error of the command: `tthc verify` / `tthc replay` ran and found a broken history, or a stored state the
history does not explain; their report says which case and event.
Anything else is a bug: it surfaces with a traceback, never as a vague message.
"""

from __future__ import annotations


class EngineError(Exception):
    exit_code = 1
    code = "engine_error"  # stable token for --json output and tests

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message  # one Vietnamese sentence that names the object and what to do
        self.details = details  # identifiers only, never personal data

    def to_dict(self) -> dict:
        return {"error": self.code, "message": self.message, "details": _plain(self.details)}


class NotFound(EngineError):
    exit_code = 3
    code = "not_found"


class InvalidInput(EngineError):
    exit_code = 4
    code = "invalid_input"


class Conflict(EngineError):
    exit_code = 5
    code = "conflict"


class StoreUnavailable(EngineError):
    exit_code = 6
    code = "store_unavailable"


def _plain(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
