"""Running the application under uvicorn: one process (SQLite, or PostgreSQL with one worker)
or uvicorn's supervisor over N worker processes (PostgreSQL), each opening the ledger itself.

SIGTERM stops accepting connections, lets requests in flight finish (their commits included)
and then closes the ledger.
"""

from __future__ import annotations

import logging
import os
import sys

import uvicorn
from starlette.applications import Starlette

import accord
from accord.integrity.keys import load_signer
from accord.web import create_app

GRACE_SECONDS = 30
"""How long SIGTERM waits for requests in flight before it closes connections."""
_ENV = ("ACCORD_SERVE_DB", "ACCORD_SERVE_KEY", "ACCORD_SERVE_MAX_BODY")


def configure_logging() -> None:
    """The server's log: one JSON object a line on standard error (access, denials, faults)."""
    logger = logging.getLogger("accord.http")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def app_from_environment() -> Starlette:
    """The application a worker process builds (uvicorn's factory), from what `accord serve` set."""
    configure_logging()
    key = os.environ.get("ACCORD_SERVE_KEY") or None
    return create_app(accord.open(os.environ["ACCORD_SERVE_DB"]),
                      signer=load_signer(key) if key else None,
                      max_body=int(os.environ["ACCORD_SERVE_MAX_BODY"]))


def serve(db: str, *, host: str, port: int, workers: int, key: str | None, max_body: int) -> None:
    """Serve the ledger at ``db`` until SIGTERM or SIGINT."""
    configure_logging()
    options = {"host": host, "port": port, "access_log": False, "log_level": "warning",
               "timeout_graceful_shutdown": GRACE_SECONDS, "lifespan": "on", "loop": "uvloop",
               "http": "httptools", "server_header": False}
    if workers == 1:
        app = create_app(accord.open(db), signer=load_signer(key) if key else None, max_body=max_body)
        uvicorn.Server(uvicorn.Config(app, **options)).run()  # type: ignore[arg-type]
        return
    os.environ.update(dict(zip(_ENV, (db, key or "", str(max_body)), strict=True)))
    uvicorn.run("accord.web._run:app_from_environment", factory=True, workers=workers,
                **options)  # type: ignore[arg-type]
