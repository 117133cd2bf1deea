"""Request bodies: bounded in size, typed by Content-Type, parsed strictly.

A body over the server's ``--max-body`` is 413 before it is read whole; a Content-Type the
operation does not take is 415; text that is not UTF-8 or not JSON (a repeated key, NaN,
nesting hundreds deep) is 400; more than MAX_EVENTS events is 413.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from starlette.requests import Request

from accord.integrity.canonical import parse_json
from accord.web._errors import HttpError, problem

_SAFE = 2**53
MAX_EVENTS = 10_000
"""The most events one request may carry."""
DEFAULT_MAX_BODY = 16 * 1024 * 1024
JSON = ("application/json",)
NDJSON = ("application/x-ndjson", "application/jsonl", "application/json-lines")
YAML = ("application/yaml", "application/x-yaml", "text/yaml")


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def read(request: Request, max_body: int, accepted: tuple[str, ...]) -> tuple[str, bytes]:
    """The body's media type and bytes. Raises HttpError 415 for another type, 413 when larger
    than ``max_body``."""
    kind = media_type(request)
    if kind not in accepted:
        raise HttpError(415, f"Content-Type {kind or '(none)'!r} is not taken here: send "
                        + " or ".join(accepted))
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_body:
        raise HttpError(413, f"the body is {int(declared):,} bytes; this server takes at most {max_body:,}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body:
            raise HttpError(413, f"the body is over {max_body:,} bytes, the most this server takes")
        chunks.append(chunk)
    return kind, b"".join(chunks)


# Every key of a JSON text ends in '":' unless space stands before its colon. With no '"' followed
# by space and a colon anywhere, counting '":' counts every key once, and more only when a string
# holds '":' itself: fewer keys in the value than that count means a key was repeated (or the text
# is unusual), and the careful parser decides.
_SPACED_COLON = re.compile(rb'"\s+:')


def _keys(value: Any) -> int | None:
    """How many object keys ``value`` holds, at every depth; None when it holds a float zero
    (which orjson also makes of a number too small for a double) or a number beyond ±2^53:
    the careful path tells."""
    count, stack = 0, [value]
    while stack:
        item = stack.pop()
        values = item.values() if type(item) is dict else item
        if type(item) is dict:
            count += len(item)
        for v in values:
            kind = type(v)
            if kind is dict or kind is list:
                stack.append(v)
            elif (kind is float and (v == 0.0 or not -_SAFE <= v <= _SAFE)) or (
                    kind is int and not -_SAFE <= v <= _SAFE):
                return None
    return count


def strict_json(body: bytes) -> Any:
    """:func:`parse_json` with ledger numbers, fast: orjson (strict UTF-8, no NaN, no lone
    surrogate) for an object or array whose text holds as many keys as the value (no key
    repeated) and no float zero (a number too small for a double reads as one); anything else
    goes the careful way, which words the problem. Raises ValueError."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return parse_json(body, ledger_numbers=True)
    if type(value) not in (dict, list):
        return parse_json(body, ledger_numbers=True)
    if _SPACED_COLON.search(body) or body.count(b'":') != _keys(value):
        return parse_json(body, ledger_numbers=True)
    return value


def json_value(body: bytes) -> Any:
    """The body as one JSON value; 400 when it is not one."""
    try:
        return strict_json(body)
    except ValueError as err:
        raise HttpError(400, f"the body is not JSON: {err}", [problem(str(err))]) from None


def json_object(body: bytes) -> dict[str, Any]:
    value = json_value(body)
    if not isinstance(value, dict):
        raise HttpError(400, "the body must be a JSON object", [problem("expected a JSON object")])
    return value


def events(kind: str, body: bytes) -> list[Any]:
    """The events of a POST /v1/events body: a JSON array, or one JSON object a line."""
    if kind in NDJSON:
        found: list[Any] = []
        for number, line in enumerate(body.split(b"\n")):
            if not line.strip():
                continue
            if len(found) >= MAX_EVENTS:
                raise HttpError(413, f"more than {MAX_EVENTS:,} events in one request; send them in batches")
            try:
                found.append(strict_json(line))
            except ValueError as err:
                raise HttpError(400, f"line {number + 1} is not JSON: {err}",
                                [problem(str(err), len(found), "")]) from None
        return found
    value = json_value(body)
    if not isinstance(value, list):
        raise HttpError(400, "the body must be a JSON array of events (or send application/x-ndjson)",
                        [problem("expected a JSON array")])
    if len(value) > MAX_EVENTS:
        raise HttpError(413, f"{len(value):,} events in one request; at most {MAX_EVENTS:,}: send batches")
    return value


def text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise HttpError(400, f"the body is not UTF-8 text (byte {err.start})") from None
