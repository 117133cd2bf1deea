"""What every operation of the JSON API shares: the service state, the wrapper that
authenticates, answers errors in one shape and logs, and the parsing of parameters and fields.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from accord._time import format_time, parse_time
from accord.errors import Unauthorized
from accord.integrity.checkpoint import Signer
from accord.ledger import Ledger
from accord.service.session import Session
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


def now_param(request: Request) -> dt.datetime | None:
    return time_param(request, "now")


def time_param(request: Request, name: str) -> dt.datetime | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError as err:
        raise HttpError(400, f"?{name}: {err}", [problem(str(err), None, name)]) from None


def int_param(request: Request, name: str, required: bool = True) -> int | None:
    value = request.query_params.get(name)
    if value is None:
        if required:
            raise HttpError(400, f"?{name}=N is required", [problem("required", None, name)])
        return None
    if not value.isdigit() or len(value) > 18:
        raise HttpError(400, f"?{name}: {value!r} is not a whole number",
                        [problem("not a number", None, name)])
    return int(value)


def field(body: dict[str, Any], name: str, kinds: type | tuple[type, ...], required: bool = True) -> Any:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in (
            kinds if isinstance(kinds, tuple) else (kinds,))):
        raise HttpError(400 if value is not None else 422, f"{name}: required, of the right type",
                        [problem("required" if value is None else "wrong type", 0, name)])
    return value


def known(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = [k for k in body if k not in allowed]
    if unknown:
        raise HttpError(400, f"unknown key {unknown[0]!r}; this body takes {', '.join(allowed)}",
                        [problem("unknown key", 0, k) for k in unknown])


def ok(value: Any, status: int = 200) -> Response:
    return ORJSONResponse(value, status)


