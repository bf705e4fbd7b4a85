"""Reading a request: the authenticated user, a JSON body, Camunda's paging and sorting parameters."""

from __future__ import annotations

import json
from typing import Any, Callable

from typing import TYPE_CHECKING

from starlette.requests import Request

from engine.errors import InvalidInput
from engine.origin import Origin

if TYPE_CHECKING:
    from engine.server.context import ServerContext


def ctx(request: Request) -> ServerContext:
    return request.app.state.ctx


def user(request: Request) -> str:
    return request.scope["state"]["user"]


async def run(request: Request, fn: Callable[..., Any], *args: Any, brief: bool = False) -> Any:
    """fn(service, *args) on a pooled Service, off the event loop (`brief`: see engine.server.pool)."""
    return await ctx(request).pool.run(fn, *args, brief=brief)


async def act(request: Request, fn: Callable[..., Any], *args: Any, brief: bool = False) -> Any:
    """A command: fn(service, *args) with a Service that records where the command came from (the authenticated user
    and the client address, channel "http") where the engine records an origin on its events (engine.origin)."""
    origin = Origin(channel="http", account=user(request), host=request.client.host if request.client else None)
    return await ctx(request).pool.run(fn, *args, origin=origin, brief=brief)


async def json_body(request: Request) -> dict:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidInput("Nội dung yêu cầu không phải JSON UTF-8 hợp lệ.") from None
    if not isinstance(data, dict):
        raise InvalidInput("Nội dung yêu cầu phải là một đối tượng JSON ({...}).")
    return data


def _no_constant(name: str):
    raise ValueError(name)


def int_param(request: Request, name: str, default: int | None = None, *, minimum: int = 0) -> int | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise InvalidInput(f"Tham số '{name}' phải là số nguyên (nhận được '{text[:40]}').") from None
    if value < minimum:
        raise InvalidInput(f"Tham số '{name}' phải từ {minimum} trở lên.")
    return value


def bool_param(request: Request, name: str) -> bool | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return None
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    raise InvalidInput(f"Tham số '{name}' phải là true hoặc false.")


def page(request: Request, items: list) -> list:
    first = int_param(request, "firstResult", 0)
    count = int_param(request, "maxResults")
    return items[first:] if count is None else items[first:first + count]


def sort(request: Request, items: list, keys: dict[str, Callable[[Any], Any]]) -> list:
    """Camunda's sortBy/sortOrder: both or neither; unknown names refused with the allowed ones."""
    by, order = request.query_params.get("sortBy"), request.query_params.get("sortOrder")
    if by is None and order is None:
        return items
    if by is None or order is None:
        raise InvalidInput("Cần cả sortBy và sortOrder (hoặc không dùng cả hai).")
    if by not in keys:
        raise InvalidInput(f"sortBy '{by}' không được hỗ trợ (chọn: {', '.join(sorted(keys))}).")
    if order not in ("asc", "desc"):
        raise InvalidInput("sortOrder phải là asc hoặc desc.")
    key = keys[by]
    present = [i for i in items if key(i) is not None]
    missing = [i for i in items if key(i) is None]  # no value sorts last, as SQL's NULLS LAST
    # Ties broken by id, so that a page boundary never depends on the order rows came from the database.
    return sorted(present, key=lambda i: (key(i), str(i.get("id"))), reverse=order == "desc") + missing
