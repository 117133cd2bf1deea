"""One error shape for every non-2xx answer, and which status each accord error gets.

``{"status", "error", "message", "errors": [{"index", "path", "message"}]}``: ``error`` is
one word per status, ``message`` one line, ``errors`` each problem (``index`` counts the
events of a batch from 0; null when the problem is not about one event).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from accord import errors

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 406: "not_acceptable", 413: "too_large",
         415: "unsupported_media_type", 422: "refused",
         500: "internal", 503: "unavailable"}


class HttpError(Exception):
    """An answer other than 2xx, with its problems."""

    def __init__(self, status: int, message: str, problems: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"status": self.status, "error": CODES.get(self.status, "error"),
                "message": self.message, "errors": self.problems}


def problem(message: str, index: int | None = None, path: str = "") -> dict[str, Any]:
    return {"index": index, "path": path, "message": message}


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _index(where: str) -> int | None:
    return int(where) if where.isdigit() else None


def translate(err: BaseException) -> HttpError | None:
    """The answer for an error accord raised on purpose (or the database being away); None for
    anything else, which is a fault (500)."""
    if isinstance(err, HttpError):
        return err
    if isinstance(err, errors.Unauthorized):
        return HttpError(401, str(err), [problem(str(err))], {"WWW-Authenticate": 'Bearer realm="accord"'})
    if isinstance(err, errors.Forbidden):
        return HttpError(403, str(err), [problem(str(err), err.index)])
    if isinstance(err, errors.NotFound):
        return HttpError(404, str(err), [problem(str(err), err.index)])
    if isinstance(err, errors.EventRefused):
        listed = [problem(p.message, _index(p.where), p.field) for p in err.problems]
        if err.unlisted:
            listed.append(problem(f"… and {err.unlisted:,} more problems"))
        count = len(err.problems) + err.unlisted
        head = f"refused, nothing stored: {count:,} problem{'s' if count != 1 else ''}"
        if isinstance(err, errors.ActionRefused):
            head = "action refused, nothing stored: missing " + "; ".join(err.missing)
        first = err.problems[0] if err.problems else None
        if first is not None:
            head += f" (first: {first})"
        return HttpError(422, _first_line(head), listed)
    if isinstance(err, errors.InvalidFile | errors.ContractRefused):
        listed = [problem(f"{p.severity} {p.rule} {p.message}", None, f"{p.line}:{p.column}")
                  for p in err.problems]
        return HttpError(422, f"refused, nothing applied: {len(listed)} problem"
                         f"{'s' if len(listed) != 1 else ''} (first: {_first_line(str(err))})", listed)
    if isinstance(err, errors.RosterRefused):
        return HttpError(422, _first_line(f"refused, nothing applied: {err.hint}"),
                         [problem(p) for p in err.problems])
    if isinstance(err, errors.UsageError):
        return HttpError(422, _first_line(str(err)), [problem(_first_line(str(err)), err.index)])
    if isinstance(err, errors.StorageError | sa.exc.OperationalError | sa.exc.InterfaceError
                  | sa.exc.TimeoutError):
        return HttpError(503, "the ledger's database is unavailable; nothing was stored, try again",
                         [problem(_first_line(str(getattr(err, "orig", None) or err))[:300])])
    return None
