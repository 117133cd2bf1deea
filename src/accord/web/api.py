"""The JSON API of `accord serve`: each operation parses its request, makes one call on the
caller's :class:`~accord.service.session.Session` (or the group committer), and renders.

Every handler runs inside :func:`operation`, which authenticates the bearer token, turns any
error into the one error shape, counts the request and writes the access log line (and a
denial line for 401, 403 and 404).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from accord._time import format_time, parse_time
from accord.errors import Unauthorized
from accord.integrity.checkpoint import Signer
from accord.ledger import Ledger
from accord.review.render import render_html, render_markdown
from accord.service.session import Session
from accord.web import _body
from accord.web._commit import GroupCommitter
from accord.web._errors import HttpError, problem, translate
from accord.web._metrics import Metrics

log = logging.getLogger("accord.http")
AUTH_SECONDS = 2.0
"""How long a process trusts a token it has read (revocation and expiry take effect within it)."""
MAX_SESSIONS = 10_000


class ORJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content)
        except orjson.JSONEncodeError:  # nested deeper than orjson writes (an old record)
            return json.dumps(content, ensure_ascii=False).encode()


class Service:
    """What every operation shares: the ledger, the committer, the metrics, the signing key."""

    def __init__(self, ledger: Ledger, *, max_body: int, signer: Signer | None = None) -> None:
        self.ledger = ledger
        self.max_body = max_body
        self.signer = signer
        self.metrics = Metrics()
        self.committer = GroupCommitter(ledger, self.metrics)
        self.last_checkpoint: str | None = None
        self.gauges_at = 0.0
        self.gauges: dict[str, tuple[str, dict[str, float]]] = {}
        self._sessions: dict[str, tuple[Session, float]] = {}

    async def session(self, request: Request) -> Session:
        """The caller's session. A token is read from the database at most every AUTH_SECONDS
        per process (a revoked or expired token is refused within that time)."""
        header = request.headers.get("authorization", "")
        known = self._sessions.get(header)
        if known is not None and known[1] > time.monotonic():
            return known[0]
        scheme, _, bearer = header.partition(" ")
        if scheme.lower() != "bearer" or not bearer.strip():
            raise Unauthorized("send Authorization: Bearer <token> (make one with `accord token create`)")
        session = await run_in_threadpool(
            lambda: self.ledger.acting_as(self.ledger.authenticate(bearer.strip())))
        if len(self._sessions) >= MAX_SESSIONS:
            self._sessions.clear()
        self._sessions[header] = (session, time.monotonic() + AUTH_SECONDS)
        return session


Handler = Callable[[Request, Service, Session], Awaitable[Response]]


def _line(**fields: Any) -> str:
    return orjson.dumps(fields).decode()


def operation(method: str, path: str, handler: Handler, *, public: bool = False) -> Route:
    """A route whose handler gets the caller's session; errors become the error shape."""

    async def endpoint(request: Request) -> Response:
        service: Service = request.app.state.service
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:16]
        token_id: str | None = None
        response: Response
        try:
            session = None if public else await service.session(request)
            token_id = session.caller.token_id if session is not None else None
            response = await handler(request, service, session)  # type: ignore[arg-type]
        except Exception as err:
            answer = translate(err)
            if answer is None:
                log.error(_line(time=format_time(dt.datetime.now(dt.UTC)), request_id=request_id,
                                method=request.method, path=request.url.path, fault=repr(err)[:500],
                                trace=traceback.format_exc()[-4000:]))
                answer = HttpError(500, f"an unexpected fault; nothing of this request was stored "
                                   f"(request id {request_id})", [problem(f"request id {request_id}")])
            if answer.status in (401, 403, 404):
                service.metrics.denied(answer.status)
                log.warning(_line(time=format_time(dt.datetime.now(dt.UTC)), denied=answer.status,
                                  token=token_id, method=request.method, path=request.url.path,
                                  reason=answer.message))
            response = ORJSONResponse(answer.body(), answer.status, headers=answer.headers)
        response.headers["X-Request-Id"] = request_id
        service.metrics.request(request.method, path, response.status_code)
        log.info(_line(time=format_time(dt.datetime.now(dt.UTC)), request_id=request_id,
                       method=request.method, path=request.url.path, route=path,
                       status=response.status_code, token=token_id,
                       ms=round((time.perf_counter() - started) * 1000, 2)))
        return response

    return Route(path, endpoint, methods=[method], name=f"{method} {path}")


def _now(request: Request) -> dt.datetime | None:
    return _time_param(request, "now")


def _time_param(request: Request, name: str) -> dt.datetime | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError as err:
        raise HttpError(400, f"?{name}: {err}", [problem(str(err), None, name)]) from None


def _int_param(request: Request, name: str, required: bool = True) -> int | None:
    value = request.query_params.get(name)
    if value is None:
        if required:
            raise HttpError(400, f"?{name}=N is required", [problem("required", None, name)])
        return None
    if not value.isdigit() or len(value) > 18:
        raise HttpError(400, f"?{name}: {value!r} is not a whole number",
                        [problem("not a number", None, name)])
    return int(value)


def _field(body: dict[str, Any], name: str, kinds: type | tuple[type, ...], required: bool = True) -> Any:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in (
            kinds if isinstance(kinds, tuple) else (kinds,))):
        raise HttpError(400 if value is not None else 422, f"{name}: required, of the right type",
                        [problem("required" if value is None else "wrong type", 0, name)])
    return value


def _known(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = [k for k in body if k not in allowed]
    if unknown:
        raise HttpError(400, f"unknown key {unknown[0]!r}; this body takes {', '.join(allowed)}",
                        [problem("unknown key", 0, k) for k in unknown])


def ok(value: Any, status: int = 200) -> Response:
    return ORJSONResponse(value, status)


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
    _known(body, (*fields, "at", "note", "id"))
    at = _field(body, "at", str, required=False)
    note = _field(body, "note", str, required=False)
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
    items = await run_in_threadpool(session.review_queue, _now(request), request.query_params.get("role"))
    return ok({"items": [i.as_json() for i in items]})


async def get_exception_queue(request: Request, service: Service, session: Session) -> Response:
    items = await run_in_threadpool(session.exception_queue, _now(request), request.query_params.get("role"))
    return ok({"items": [i.as_json() for i in items]})


async def get_findings(request: Request, service: Service, session: Session) -> Response:
    found = await run_in_threadpool(session.findings, _now(request), request.query_params.get("workflow"))
    return ok({"findings": [f.as_json() for f in found]})


async def get_drill(request: Request, service: Service, session: Session) -> Response:
    report = await run_in_threadpool(session.drill, _now(request), request.query_params.get("workflow"))
    return ok(report.as_json())


async def post_incident(request: Request, service: Service, session: Session) -> Response:
    _, raw = await _body.read(request, service.max_body, _body.JSON)
    body = _body.json_object(raw)
    _known(body, ("case", "failed", "faulty", "should_have_escalated", "summary"))
    failed = _field(body, "failed", list)
    faulty = _field(body, "faulty", list, required=False) or []
    if not all(isinstance(d, str) for d in failed) or not all(
            isinstance(s, int) and not isinstance(s, bool) for s in faulty):
        raise HttpError(400, "failed is a list of dimensions and faulty a list of seqs",
                        [problem("wrong type", 0, "failed" if faulty else "faulty")])
    escalate = _field(body, "should_have_escalated", bool, required=False) or False
    opened = await run_in_threadpool(lambda: session.open_incident(
        _field(body, "case", str), failed=failed, summary=_field(body, "summary", str), faulty=faulty,
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
    found = await run_in_threadpool(session.learning_actions, _now(request))
    return ok({"learning_actions": [a.as_json() for a in found]})


async def post_learning_close(request: Request, service: Service, session: Session) -> Response:
    _, raw = await _body.read(request, service.max_body, _body.JSON)
    body = _body.json_object(raw)
    _known(body, ("change",))
    change = _field(body, "change", str)
    closed = await run_in_threadpool(session.close_learning, request.path_params["action"], change)
    return ok(closed.as_json())


# -- contracts and rosters ------------------------------------------------------------------------------

async def put_contract(request: Request, service: Service, session: Session) -> Response:
    _, raw = await _body.read(request, service.max_body, _body.YAML + _body.JSON)
    applied = await run_in_threadpool(session.apply_contract, request.path_params["workflow"],
                                      _body.text(raw))
    return ok({"workflow": applied.workflow, "version": applied.version, "hash": applied.hash,
               "seq": applied.seq, "new": applied.new}, 201 if applied.new else 200)


async def put_roster(request: Request, service: Service, session: Session) -> Response:
    _, raw = await _body.read(request, service.max_body, _body.YAML + _body.JSON)
    applied = await run_in_threadpool(session.apply_roster, _body.text(raw))
    return ok({"version": applied.version, "hash": applied.hash, "seq": applied.seq, "new": applied.new},
              201 if applied.new else 200)


def _contract_json(applied: Any) -> dict[str, Any]:
    return {"workflow": applied.workflow, "version": applied.version, "hash": applied.hash,
            "applied_at": applied.at, "seq": applied.seq,
            "contract": applied.contract.model_dump(mode="json", by_alias=True, exclude_none=True)}


async def get_contracts(request: Request, service: Service, session: Session) -> Response:
    applied = await run_in_threadpool(session.contracts)
    return ok({"contracts": [_contract_json(a) for a in applied]})


async def get_contract(request: Request, service: Service, session: Session) -> Response:
    version = _int_param(request, "version", required=False)
    applied = await run_in_threadpool(session.contract, request.path_params["workflow"], version or None)
    return ok(_contract_json(applied))


async def get_roster(request: Request, service: Service, session: Session) -> Response:
    applied = await run_in_threadpool(session.roster)
    if applied is None:
        raise HttpError(404, "no roster applied: every role is vacant")
    return ok({"version": applied.version, "hash": applied.hash, "applied_at": applied.at, "seq": applied.seq,
               "roster": applied.roster.model_dump(mode="json", by_alias=True, exclude_none=True)})


# -- integrity ------------------------------------------------------------------------------------------

async def get_checkpoint(request: Request, service: Service, session: Session) -> Response:
    signer = service.signer
    if signer is None:
        raise HttpError(404, "this server signs no checkpoints: start `accord serve --key KEY` to serve them")

    def sign() -> str:
        try:
            text = session.checkpoint(signer, service.last_checkpoint)
        except Exception:
            if service.last_checkpoint is None:
                raise
            text = session.checkpoint(signer, None)  # the log since the last one did not verify: all
        service.last_checkpoint = text
        return text

    return PlainTextResponse(await run_in_threadpool(sign))


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


async def get_inclusion(request: Request, service: Service, session: Session) -> Response:
    seq = _int_param(request, "seq")
    size = _int_param(request, "size", required=False)
    assert seq is not None
    found = await run_in_threadpool(session.proof, seq, size)
    return ok({"seq": found.seq, "index": found.seq - 1, "size": found.size,
               "leaf_hash": _b64(found.leaf_hash), "root": _b64(found.root),
               "hashes": [_b64(h) for h in found.path]})


async def get_consistency(request: Request, service: Service, session: Session) -> Response:
    old = _int_param(request, "from")
    new = _int_param(request, "to", required=False)
    assert old is not None
    found = await run_in_threadpool(session.consistency_proof, old, new)
    return ok(found.as_json())


async def get_verify(request: Request, service: Service, session: Session) -> Response:
    report = await run_in_threadpool(session.verify)
    return ok(report.as_json())


async def get_export(request: Request, service: Service, session: Session) -> Response:
    records = await run_in_threadpool(session.export, request.query_params.get("case"))

    def lines() -> Iterator[bytes]:
        for e in records:
            yield e.export_line() + b"\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson")


# -- operations -------------------------------------------------------------------------------------------

async def get_health(request: Request, service: Service, session: Session | None) -> Response:
    def head() -> int:
        with service.ledger.store.reading() as r:
            return r.head().size

    try:
        await run_in_threadpool(head)
    except Exception as err:
        reason = str(err).strip().splitlines()[0][:300] if str(err).strip() else type(err).__name__
        raise HttpError(503, "the ledger's database is unreachable", [problem(reason)]) from None
    return ok({"ok": True})


async def get_metrics(request: Request, service: Service, session: Session) -> Response:
    session.check("metrics")
    if time.monotonic() - service.gauges_at > 30:  # queues cost a read of every route: not per scrape
        def gauges() -> dict[str, tuple[str, dict[str, float]]]:
            reviews = service.ledger.review_queue()
            exceptions = service.ledger.exception_queue()
            return {"accord_queue_items": ("Items waiting in each queue.", {
                        'queue="reviews"': len(reviews), 'queue="exceptions"': len(exceptions)}),
                    "accord_exceptions_overdue": ("Exceptions past their due time with no decision.",
                                                  {"": sum(1 for i in exceptions if i.overdue)})}
        service.gauges = await run_in_threadpool(gauges)
        service.gauges_at = time.monotonic()
    waiting: dict[str, float] = {"": service.committer.waiting}
    gauges_now = {**service.gauges,
                  "accord_commit_waiting": ("Requests waiting for the next group commit.", waiting)}
    return PlainTextResponse(service.metrics.render(gauges_now),
                             media_type="text/plain; version=0.0.4; charset=utf-8")


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
