"""`accord serve`'s web application: the JSON API (``api.py``) and its OpenAPI description
(``openapi.py``); the web pages and OTLP ingest join as modules of their own.

:func:`create_app` builds the ASGI application over one open ledger. Every adapter here
parses a request, makes one call on the front door and renders the result.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accord.integrity.checkpoint import Signer
from accord.ledger import Ledger
from accord.web import _handling, api, openapi
from accord.web._body import DEFAULT_MAX_BODY
from accord.web._errors import HttpError

__all__ = ["create_app"]


def create_app(ledger: Ledger, *, signer: Signer | None = None,
               max_body: int = DEFAULT_MAX_BODY) -> Starlette:
    """The ASGI application serving ``ledger``: the API of docs/http.md, /healthz, /metrics and
    /openapi.json. ``signer`` signs GET /v1/checkpoint (404 without one); bodies over ``max_body``
    bytes are refused (413). The ledger is closed when the application shuts down."""
    service = _handling.Service(ledger, max_body=max_body, signer=signer)
    spec = openapi.document()

    async def openapi_json(request: Request) -> Response:
        return _handling.ok(spec)

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        message = {404: f"no such operation: {request.method} {request.url.path} (see /openapi.json)",
                   405: f"{request.method} is not an operation on {request.url.path} (see /openapi.json)"
                   }.get(status, "an unexpected fault")
        error = HttpError(status, message)
        return _handling.ORJSONResponse(error.body(), status, headers=getattr(exc, "headers", None))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            service.committer.close()
            ledger.close()

    app = Starlette(routes=[*api.ROUTES, Route("/openapi.json", openapi_json, methods=["GET"])],
                    exception_handlers={HTTPException: http_error}, lifespan=lifespan)
    app.state.service = service
    return app
