"""Tables for a terminal of any width that never cut an id or a number.

An id on screen is typed back (`tthc form 9b2d05c1`, `tthc history SKHCN-261116-0001`) and a figure is read as it
stands, so rich's default of ending a squeezed cell with "…" makes a table useless. Here:
- id and number columns never wrap and are never narrower than their longest cell;
- text columns wrap between words and are never narrower than their longest word;
- when even that does not fit, optional columns are dropped, least useful first, until it does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"  # "id" | "number" | "text"
    drop: int | None = None  # optional: dropped on a narrow terminal, lowest first; None: always shown
    justify: str | None = None
    style: str | None = None
    least: int = 0  # a text column's comfortable width: optional columns are dropped before it gets narrower


def fitted_table(console: Console, columns: Sequence[Column], rows: Iterable[Sequence[Any]], **table_options: Any) -> Table:
    """A rich Table of `rows` that fits `console.width` without cutting ids or numbers (see the module docstring)."""
    rows = [[cell if cell is not None else "" for cell in row] for row in rows]
    hard = [_minimum(column, [row[i] for row in rows]) for i, column in enumerate(columns)]
    least = [max(h, min(c.least, m)) for h, c, m in zip(hard, columns, _widest(columns, rows))]
    most = [max(m, w) for m, w in zip(_widest(columns, rows), least)]
    shown = list(range(len(columns)))
    optional = sorted((c.drop, i) for i, c in enumerate(columns) if c.drop is not None)
    # A rich table with the default box and padding takes 3 columns per column (padding and a border) plus 1.
    while optional and sum(least[i] + 3 for i in shown) + 1 > console.width:
        shown.remove(optional.pop(0)[1])
    room = console.width - 3 * len(shown) - 1
    if sum(least[i] for i in shown) > room:
        least = hard  # still too wide: text columns give up their comfortable width before anything is cut
    widths = _share(room, [least[i] for i in shown], [most[i] for i in shown])
    table = Table(**table_options)
    for i, width in zip(shown, widths):
        column = columns[i]
        # Widths are set here rather than left to rich, whose last resort on a narrow terminal is to cut every
        # column, ids included. An id or number column is as wide as its widest cell, so its cells never wrap (its
        # header may, between words).
        table.add_column(column.header, width=width, overflow="fold",
                         style=column.style, justify=column.justify or ("right" if column.kind == "number" else "left"))
    for row in rows:
        # Plain text, never rich markup: a name like "Bước [2]" from a diagram or a form is shown as written.
        table.add_row(*[row[i] if isinstance(row[i], Text) else Text(str(row[i])) for i in shown])
    return table


def _share(room: int, least: list[int], most: list[int]) -> list[int]:
    """Each column its least width, then the room left shared in proportion to what each would still use."""
    widths = list(least)
    spare = room - sum(least)
    wants = [m - w for m, w in zip(most, widths)]
    if spare <= 0 or not any(wants):
        return widths
    if spare >= sum(wants):
        return [w + want for w, want in zip(widths, wants)]
    total = sum(wants)
    given = [spare * want // total for want in wants]
    for i in sorted(range(len(wants)), key=lambda k: -wants[k])[:spare - sum(given)]:
        given[i] += 1  # what integer division left over, to the columns that want most
    return [w + g for w, g in zip(widths, given)]


def _minimum(column: Column, cells: list[Any]) -> int:
    """Ids and numbers: the widest cell. Text: its longest word (it wraps between words, never inside one)."""
    header = _longest_word(column.header)
    if column.kind in ("id", "number"):
        return max([_width(cell) for cell in cells] + [header])
    return max([_longest_word(cell) for cell in cells] + [header])


def _widest(columns: Sequence[Column], rows: list[list[Any]]) -> list[int]:
    return [max([_width(row[i]) for row in rows] + [_width(column.header)]) for i, column in enumerate(columns)]


def _width(cell: Any) -> int:
    return cell_len(cell.plain if isinstance(cell, Text) else str(cell))


def _longest_word(cell: Any) -> int:
    return max([cell_len(word) for word in (cell.plain if isinstance(cell, Text) else str(cell)).split()] + [1])
