"""Start-up cost of the command line: load only the command that runs, convert its options without pydantic.

A `tthc` command is a process of its own, so what it imports is paid on every call (dozens an hour at the desk,
thousands from scripts). Two things here keep that to what the command uses:

- `LazyGroup` knows which module defines each command and imports that module only when the command is asked for
  (`tthc tasks` never imports the importer, the linter or the audit package; `tthc --help` imports the command
  modules, which keep their own heavy imports inside the functions).
- typer ≥ 0.2x converts parameters with a pydantic TypeAdapter, and importing pydantic alone costs more than the rest
  of a read command. Our parameters are strings, paths, numbers and flags; for those `install_plain_coercion` makes
  typer use a converter that does what the adapter does for them (`Optional[...]` keeps None, a bad number is a usage
  error, exit 2; a test compares the two on every parameter). Any other annotation is left to typer. If typer's
  internals change, nothing is installed and typer's own conversion runs: slower, never wrong.
"""

from __future__ import annotations

import importlib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import typer
from typer.core import TyperGroup

try:  # typer's runtime-coercion contract (typer ≥ 0.2x); absent in other versions
    from typer._coercion import RuntimeParam
    from typer._param_types import coerce_cli_path
except ImportError:  # pragma: no cover - depends on the installed typer
    RuntimeParam = None  # type: ignore[assignment,misc]

_PLAIN = (str, int, float, Path, bool)
_BOOLEANS = {"1": True, "true": True, "t": True, "yes": True, "y": True, "on": True,
             "0": False, "false": False, "f": False, "no": False, "n": False, "off": False}  # as pydantic reads them


def _plain_type(annotation: Any) -> tuple[type, bool] | None:
    """(type, is_list) for str/int/float/Path/bool, Optional of them and list of them; None for anything else."""
    if annotation in _PLAIN:
        return annotation, False
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and len(args) == 2:
            return _plain_type(rest[0])
        return None
    if origin is list and len(args) == 1 and args[0] in _PLAIN:
        return args[0], True
    return None


def _convert(kind: type, value: Any, param, ctx) -> Any:
    if kind is Path:  # typer's own path checks (exists=, dir_okay=, ...), which need no pydantic
        return coerce_cli_path(value, param.type_descriptor.parameter_info,
                               path_type=param.type_descriptor.parameter_info.path_type or Path, param=param, ctx=ctx)
    if isinstance(value, kind):
        return value
    if kind is bool:
        text = str(value).strip().lower()
        if text == "" or text in _BOOLEANS:
            return _BOOLEANS.get(text, False)  # typer reads an empty value as False
        raise typer.BadParameter(f"'{value}' không phải giá trị đúng/sai (true/false).", ctx=ctx, param=param)
    try:
        return kind(value)
    except (TypeError, ValueError):
        label = {int: "số nguyên", float: "số"}.get(kind, kind.__name__)
        raise typer.BadParameter(f"'{value}' không phải {label}.", ctx=ctx, param=param) from None


if RuntimeParam is not None:

    @dataclass(frozen=True)
    class PlainParam(RuntimeParam):  # type: ignore[misc,valid-type]
        kind: type = str
        is_list: bool = False

        def _coerce_value(self, value: Any, param, ctx) -> Any:
            if self.is_list:
                items = value if isinstance(value, (list, tuple)) else [value]
                return [_convert(self.kind, item, param, ctx) for item in items]
            return _convert(self.kind, value, param, ctx)


def install_plain_coercion() -> bool:
    """Make typer build the plain converter for string/number/path/flag parameters, its own for the rest.

    typer builds a parameter's converter on first use (`typer.core.build_runtime_param`), including for options it
    adds itself (`--help`), so the builder is wrapped once rather than each parameter patched."""
    import typer.core as core

    original = getattr(core, "build_runtime_param", None)
    if RuntimeParam is None or original is None:
        return False
    if getattr(original, "tthc_plain", False):
        return True

    def build(descriptor):
        plain = None
        if descriptor.file_annotation is None and getattr(descriptor.parameter_info, "parser", None) is None:
            plain = _plain_type(descriptor.annotation)
        if plain is None or _has_bounds(descriptor.parameter_info):
            return original(descriptor)
        return PlainParam(parameter_info=descriptor.parameter_info, annotation=descriptor.annotation,
                          kind=plain[0], is_list=plain[1])

    build.tthc_plain = True  # type: ignore[attr-defined]
    build.original = original  # type: ignore[attr-defined]
    core.build_runtime_param = build
    return True


def _has_bounds(info: Any) -> bool:
    return any(getattr(info, key, None) is not None for key in ("min", "max")) or bool(getattr(info, "clamp", False))


class LazyGroup(TyperGroup):
    """The top-level group: each command is built from its module the first time it is asked for."""

    modules: tuple[str, ...] = ()  # modules with a `register(app)` function, in help order (set by engine.cli.main)
    lazy: dict[str, str] = {}  # command name -> its module

    def list_commands(self, ctx: click.Context) -> list[str]:
        for module in self.modules:  # help lists every command, so every module is needed
            self._load(module)
        return list(self.commands)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self._load(self.lazy[cmd_name], only=cmd_name)
        if cmd_name not in self.commands:
            self.list_commands(ctx)  # a command the table does not name yet: look everywhere
        return self.commands.get(cmd_name)

    def _load(self, module_name: str, only: str | None = None) -> None:
        """Build the commands `module_name` registers (only `only`, when just that one will run)."""
        if module_name in self._loaded:
            return
        sub = typer.Typer()
        importlib.import_module(module_name).register(sub)
        if only is not None:
            # Building a command reads its function's signature and types: for one command, build only that one.
            for info in sub.registered_commands:
                if (info.name or typer.main.get_command_name(info.callback.__name__)) == only:
                    self.commands[only] = typer.main.get_command_from_info(
                        info, pretty_exceptions_short=sub.pretty_exceptions_short,
                        rich_markup_mode=sub.rich_markup_mode)
                    return
        self._loaded.add(module_name)
        for name, command in typer.main.get_group(sub).commands.items():
            self.commands.setdefault(name, command)

    @property
    def _loaded(self) -> set[str]:
        return self.__dict__.setdefault("_loaded_modules", set())
