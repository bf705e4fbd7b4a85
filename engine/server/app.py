"""The ASGI application: Camunda 7's REST API under /engine-rest, built from the environment (engine.server.context).

`create_app` is what uvicorn imports in every worker process (`tthc serve --workers N`).
"""

from __future__ import annotations

import contextlib
import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from engine.errors import EngineError
from engine.server import heap, routes_repository, routes_runtime, routes_tasks, routes_tthc, routes_workers
from engine.server.camunda import engine_error_response, error_response, json_response
from engine.server.context import ServerContext, ServerOptions
from engine.server.security import BodyTooLarge, Security

log = logging.getLogger("tthc.server")

# Resources of Camunda 7 the engine has nothing behind: conditional start events are refused at deploy (a case needs an
# applicant), and subscriptions are the cases' `waiting_messages`/`waiting_signals` (tthc show). Answered 501, named.
PENDING = ("condition", "event-subscription")


async def not_implemented(request: Request) -> Response:
    path = request.path_params.get("path", "")
    first = path.strip("/").split("/", 1)[0]
    if first in PENDING:
        return error_response(501, "RestException",
                              f"Tài nguyên Camunda '/{first}' không được máy chủ tthc hỗ trợ: không có sự kiện bắt "
                              "đầu theo điều kiện; các thông điệp và tín hiệu một hồ sơ đang chờ xem bằng tthc show.")
    return error_response(404, "RestException",
                          f"Máy chủ tthc không cài đặt '{request.method} /engine-rest/{path}' của Camunda 7; "
                          "xem /engine-rest/openapi.json để biết các tài nguyên được hỗ trợ.")


async def openapi(request: Request) -> Response:
    from engine.server.openapi import document

    return json_response(document())


async def _engine_error(request: Request, exc: EngineError) -> Response:
    return engine_error_response(exc)


async def _http_error(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 405:
        return error_response(405, "RestException", f"Phương thức {request.method} không dùng được cho "
                                                     f"'{request.url.path}'.")
    if exc.status_code == 404:
        return error_response(404, "RestException", f"Không có tài nguyên '{request.url.path}'.")
    return error_response(exc.status_code, "InvalidRequestException",
                          f"Yêu cầu không hợp lệ ({exc.status_code}): {exc.detail}")


async def _too_large(request: Request, exc: BodyTooLarge) -> Response:
    return error_response(413, "InvalidRequestException", "Nội dung yêu cầu quá lớn.")


async def _unexpected(request: Request, exc: Exception) -> Response:
    # A bug: its traceback goes to the server's log, the client gets one sentence (no internals, no personal data).
    log.error("Lỗi không lường trước ở %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "ProcessEngineException", "Lỗi nội bộ của máy chủ; chi tiết đã ghi vào nhật ký.")


def create_app(options: ServerOptions | None = None) -> Starlette:
    serving = options is None  # built by uvicorn in a server process (tests pass their own options)
    options = options or ServerOptions.from_env()
    _log_to_stderr()
    ctx = ServerContext(options)
    # Starlette tries routes in order: the ones every client calls all day (tasks, instances, external tasks) first.
    api = (routes_tasks.ROUTES + routes_runtime.ROUTES + routes_workers.ROUTES + routes_repository.ROUTES
           + routes_tthc.ROUTES
           + [Route("/openapi.json", openapi, methods=["GET"]),
              Route("/{path:path}", not_implemented, methods=["GET", "POST", "PUT", "DELETE", "PATCH"])])
    middleware = []
    if options.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        middleware.append(Middleware(CORSMiddleware, allow_origins=list(options.cors_origins),
                                     allow_methods=["GET", "POST", "PUT", "DELETE"],
                                     allow_headers=["Authorization", "Content-Type", "Accept"]))
    middleware.append(Middleware(Security, ctx=ctx))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        if serving:
            heap.settle()  # the process's heap, so not in a test's process
        yield
        ctx.close()

    app = Starlette(
        routes=[Mount("/engine-rest", routes=api)],
        middleware=middleware,
        exception_handlers={EngineError: _engine_error, HTTPException: _http_error, BodyTooLarge: _too_large,
                            Exception: _unexpected},
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    return app


def _log_to_stderr() -> None:
    logger = logging.getLogger("tthc")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
