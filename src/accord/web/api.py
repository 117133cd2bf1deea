"""The JSON API of `accord serve`: each operation parses its request, makes one call on the
caller's :class:`~accord.service.session.Session` (or the group committer), and renders.

Every handler runs inside :func:`~accord.web._handling.operation`, which authenticates the
bearer token, turns any error into the one error shape, counts the request and writes the
access log line (and a denial line for 401, 403 and 404).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from accord.review.render import render_html, render_markdown
from accord.service.session import Session
from accord.web import _body
from accord.web._errors import HttpError, problem
from accord.web._handling import Service, field, known, now_param, ok, operation
from accord.web._ledger_ops import (
    get_checkpoint,
    get_consistency,
    get_contract,
    get_contracts,
    get_export,
    get_health,
    get_inclusion,
    get_metrics,
    get_roster,
    get_verify,
    put_contract,
    put_roster,
)

# -- recording ------------------------------------------------------------------------------------

async def post_events(request: Request, service: Service, session: Session) -> Response:
    kind, body = await _body.read(request, service.max_body, _body.JSON + _body.NDJSON)
    request_ = session.events(_body.events(kind, body))
    recorded = await service.committer.submit(request_)
    return ok({**recorded.as_json(), "routes": {c: d for c, (d, _) in recorded._decisions.items()}})


async def _act(request: Request, service: Service, session: Session, kind: str,
               fields: tuple[str, ...]) -> tuple[str, int]:
    case = request.path_params["case"]
    _, raw = await _body.read(request, service.max_body, _body.JSON)
    body = _body.json_object(raw)
    known(body, (*fields, "at", "note", "id"))
    at = field(body, "at", str, required=False)
    note = field(body, "note", str, required=False)
    data = {k: body.get(k) for k in fields if k != "note"}
    if kind != "override.recorded" and note is not None:
        data["note"], note = note, None
    request_ = session.act(case, kind, data, at, note)
    if isinstance(body.get("id"), str):
        request_.events[0]["id"] = body["id"]
    recorded = await service.committer.submit(request_)
    if recorded.first_seq is None:  # a retry of a stored id: the event is there already
        raise HttpError(422, "an event with this id is already stored; nothing was added",
                        [problem("duplicate id", 0, "id")])
    return case, recorded.first_seq


async def post_review(request: Request, service: Service, session: Session) -> Response:
    case, seq = await _act(request, service, session, "review.recorded", ("attests", "decision", "note"))
    holds, unattested = await run_in_threadpool(session.review_outcome, case)
    return ok({"seq": seq, "approval_holds": holds, "unattested": unattested}, 201)


async def post_decision(request: Request, service: Service, session: Session) -> Response:
    _, seq = await _act(request, service, session, "exception.decided", ("decision", "note", "exception"))
    return ok({"seq": seq}, 201)


async def post_override(request: Request, service: Service, session: Session) -> Response:
    _, seq = await _act(request, service, session, "override.recorded", ("what", "reason"))
    return ok({"seq": seq}, 201)


# -- reading ----------------------------------------------------------------------------------------

async def get_case(request: Request, service: Service, session: Session) -> Response:
    view = await run_in_threadpool(session.case_view, request.path_params["case"])
    return ok(view.as_json())


async def get_review_queue(request: Request, service: Service, session: Session) -> Response:
    role = request.query_params.get("role")
    items = await run_in_threadpool(session.review_queue, now_param(request), role)
    return ok({"items": [i.as_json() for i in items]})


async def get_exception_queue(request: Request, service: Service, session: Session) -> Response:
    role = request.query_params.get("role")
    items = await run_in_threadpool(session.exception_queue, now_param(request), role)
    return ok({"items": [i.as_json() for i in items]})


async def get_findings(request: Request, service: Service, session: Session) -> Response:
    workflow = request.query_params.get("workflow")
    found = await run_in_threadpool(session.findings, now_param(request), workflow)
    return ok({"findings": [f.as_json() for f in found]})


async def get_drill(request: Request, service: Service, session: Session) -> Response:
    report = await run_in_threadpool(session.drill, now_param(request), request.query_params.get("workflow"))
    return ok(report.as_json())


async def post_incident(request: Request, service: Service, session: Session) -> Response:
    _, raw = await _body.read(request, service.max_body, _body.JSON)
    body = _body.json_object(raw)
    known(body, ("case", "failed", "faulty", "should_have_escalated", "summary"))
    failed = field(body, "failed", list)
    faulty = field(body, "faulty", list, required=False) or []
    if not all(isinstance(d, str) for d in failed) or not all(
            isinstance(s, int) and not isinstance(s, bool) for s in faulty):
        raise HttpError(400, "failed is a list of dimensions and faulty a list of seqs",
                        [problem("wrong type", 0, "failed" if faulty else "faulty")])
    escalate = field(body, "should_have_escalated", bool, required=False) or False
    opened = await run_in_threadpool(lambda: session.open_incident(
        field(body, "case", str), failed=failed, summary=field(body, "summary", str), faulty=faulty,
        should_have_escalated=escalate))
    return ok(opened.as_json(), 201)


async def get_incidents(request: Request, service: Service, session: Session) -> Response:
    found = await run_in_threadpool(session.incidents)
    return ok({"incidents": [i.as_json() for i in found]})


async def get_incident(request: Request, service: Service, session: Session) -> Response:
    fmt = request.query_params.get("format", "json")
    if fmt not in ("json", "html", "markdown"):
        raise HttpError(400, f"?format={fmt!r}: use json, html or markdown",
                        [problem("unknown", None, "format")])
    review = await run_in_threadpool(session.review_incident, request.path_params["incident"])
    if fmt == "html":
        return Response(render_html(review), media_type="text/html; charset=utf-8")
    if fmt == "markdown":
        return Response(render_markdown(review), media_type="text/markdown; charset=utf-8")
    return ok(review.as_json())


async def get_learning(request: Request, service: Service, session: Session) -> Response:
    found = await run_in_threadpool(session.learning_actions, now_param(request))
    return ok({"learning_actions": [a.as_json() for a in found]})


async def post_learning_close(request: Request, service: Service, session: Session) -> Response:
    _, raw = await _body.read(request, service.max_body, _body.JSON)
    body = _body.json_object(raw)
    known(body, ("change",))
    change = field(body, "change", str)
    closed = await run_in_threadpool(session.close_learning, request.path_params["action"], change)
    return ok(closed.as_json())


ROUTES = [
    operation("POST", "/v1/events", post_events),
    operation("GET", "/v1/cases/{case}", get_case),
    operation("POST", "/v1/cases/{case}/reviews", post_review),
    operation("POST", "/v1/cases/{case}/decisions", post_decision),
    operation("POST", "/v1/cases/{case}/overrides", post_override),
    operation("GET", "/v1/queues/reviews", get_review_queue),
    operation("GET", "/v1/queues/exceptions", get_exception_queue),
    operation("GET", "/v1/findings", get_findings),
    operation("GET", "/v1/drill", get_drill),
    operation("POST", "/v1/incidents", post_incident),
    operation("GET", "/v1/incidents", get_incidents),
    operation("GET", "/v1/incidents/{incident}", get_incident),
    operation("GET", "/v1/learning-actions", get_learning),
    operation("POST", "/v1/learning-actions/{action}/close", post_learning_close),
    operation("PUT", "/v1/contracts/{workflow}", put_contract),
    operation("GET", "/v1/contracts", get_contracts),
    operation("GET", "/v1/contracts/{workflow}", get_contract),
    operation("PUT", "/v1/roster", put_roster),
    operation("GET", "/v1/roster", get_roster),
    operation("GET", "/v1/checkpoint", get_checkpoint),
    operation("GET", "/v1/proofs/inclusion", get_inclusion),
    operation("GET", "/v1/proofs/consistency", get_consistency),
    operation("GET", "/v1/verify", get_verify),
    operation("GET", "/v1/export", get_export),
    operation("GET", "/healthz", get_health, public=True),
    operation("GET", "/metrics", get_metrics),
]
