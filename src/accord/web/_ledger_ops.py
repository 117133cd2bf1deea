"""Operations on the ledger as a whole: contracts and roster, integrity, health and metrics."""
from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from accord.service.session import Session
from accord.web import _body
from accord.web._errors import HttpError, problem
from accord.web._handling import Service, int_param, ok

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
    version = int_param(request, "version", required=False)
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
    seq = int_param(request, "seq")
    size = int_param(request, "size", required=False)
    assert seq is not None
    found = await run_in_threadpool(session.proof, seq, size)
    return ok({"seq": found.seq, "index": found.seq - 1, "size": found.size,
               "leaf_hash": _b64(found.leaf_hash), "root": _b64(found.root),
               "hashes": [_b64(h) for h in found.path]})


async def get_consistency(request: Request, service: Service, session: Session) -> Response:
    old = int_param(request, "from")
    new = int_param(request, "to", required=False)
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
