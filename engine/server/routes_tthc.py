"""The engine's own resources beside Camunda's: a case's history, its verification, its offline HTML view, reports.

Each answers what the CLI command of the same name prints (`tthc history --json`, `tthc verify`, `tthc slip --format
html`, `tthc report --format ...`), from the same functions.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from engine.errors import InvalidInput
from engine.server.camunda import json_response
from engine.server.requests import ctx, int_param, run

REPORT_FORMATS = ("json", "csv", "html")


async def case_history(request: Request) -> Response:
    case_id = request.path_params["id"]
    events = await run(request, lambda svc: svc.history(case_id))
    return json_response({"case_id": case_id, "events": events})


async def case_verify(request: Request) -> Response:
    from engine.audit.verify import verify_case

    case_id = request.path_params["id"]
    calendar = ctx(request).calendar

    def check(svc):
        svc.show_case(case_id)  # NotFound (404) for an unknown case, as the CLI
        return verify_case(svc.store, case_id, calendar)

    verdict = await run(request, check)
    return json_response(verdict.to_dict())


async def case_view(request: Request) -> Response:
    from engine.audit.diagram_svg import render_svg
    from engine.audit.html import case_view_html
    from engine.audit.records import load_record
    from engine.audit.slip import build_slip, case_diagram
    from engine.audit.steps import mark_path, read_steps

    case_id = request.path_params["id"]
    server = ctx(request)

    def render(svc):
        with svc.store.transaction() as tx:
            record = load_record(tx, case_id)
        doc = build_slip(record, server.calendar, names=server.names())
        diagram = case_diagram(record)
        svg = render_svg(diagram, mark_path(record.events, read_steps(record.events), diagram)) if diagram else None
        return case_view_html(doc, svg)

    return HTMLResponse(await run(request, render))


async def reports(request: Request) -> Response:
    from engine.cli.report_cmds import _period
    from engine.reports.build import build_report

    q = request.query_params
    fmt = q.get("format", "json")
    if fmt not in REPORT_FORMATS:
        raise InvalidInput(f"Định dạng '{fmt}' không hợp lệ (chọn {', '.join(REPORT_FORMATS)}).", format=fmt)
    server = ctx(request)
    cutoff = int_param(request, "cutoffDay", 1, minimum=1)
    chosen = _period(server, q.get("from"), q.get("to"), q.get("period"), cutoff, "month")
    by, procedure = q.get("by", "procedure"), q.get("procedure")

    def build(svc):
        return build_report(svc.store, period=chosen, now=server.clock.now(), by=by, procedure=procedure,
                            with_trend=fmt == "html", users=server.settings.users,
                            day_minutes=int(server.calendar.policy()["standard_day_minutes"]))

    doc = await run(request, build)
    if fmt == "csv":
        from engine.reports.render_csv import report_csv

        return Response(report_csv(doc), media_type="text/csv; charset=utf-8")
    if fmt == "html":
        from engine.reports.render_html import report_html

        return HTMLResponse(report_html(doc))
    return json_response(doc)


ROUTES = [
    Route("/tthc/cases/{id}/history", case_history, methods=["GET"]),
    Route("/tthc/cases/{id}/verify", case_verify, methods=["GET"]),
    Route("/tthc/cases/{id}/view", case_view, methods=["GET"]),
    Route("/tthc/reports", reports, methods=["GET"]),
]
