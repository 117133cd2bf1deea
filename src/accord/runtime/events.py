"""Events as clients send them: shape checks before any ledger rule.

``parse_event`` turns one raw JSON object into an :class:`Event` or a list of
:class:`~accord.errors.EventProblem`; the ledger rules that need the case's
history (``case.opened`` first, review after output …) live in
:mod:`accord.runtime.ledger_rules`.

Limits on what one event may be: at most :func:`max_event_bytes` of canonical
JSON (1 MiB unless ``ACCORD_MAX_EVENT_BYTES`` says otherwise), ``data`` nested
at most :data:`MAX_DEPTH` levels, ids (case, event) at most
:data:`~accord.vocab.MAX_ID_LENGTH` characters with no control characters.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import re
from typing import Any, Literal, NamedTuple

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accord._time import format_time, parse_time
from accord.errors import EventProblem
from accord.integrity.canonical import canonical_bytes
from accord.vocab import id_problem, is_system

MAX_SAFE = 2**53
MAX_DEPTH = 64
"""How deeply an event's ``data`` may nest (objects and lists); deeper is refused at input."""
MAX_EVENT_BYTES = 1 << 20
"""The default largest event: 1 MiB of canonical JSON (``ACCORD_MAX_EVENT_BYTES`` changes it)."""
MAX_EVENT_ID = 128
"""The longest client event ``id``."""

CLIENT_TYPES = (
    "case.opened", "input.received", "source.used", "output.generated", "human.edited",
    "review.recorded", "policy.applied", "exception.decided", "override.recorded",
    "action.taken", "outcome.reported",
)
ACCORD_TYPES = (
    "routing.decided", "exception.raised", "exception.escalated", "contract.applied",
    "roster.applied", "incident.opened", "learning.opened", "learning.closed",
    "token.created", "token.revoked",
)
LEDGER_KEYS = ("seq", "workflow", "contract_version", "recorded_at", "leaf_hash")
ENVELOPE_KEYS = ("id", "case", "type", "at", "actor", "data", "note")
SYSTEM_ACTOR = "system:accord"


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)




class CaseOpened(_Data):
    workflow: str = Field(min_length=1)
    attributes: dict[str, Any] = Field(default_factory=dict)


class InputReceived(_Data):
    content: str | dict[str, Any]


class SourceUsed(_Data):
    uri: str = Field(min_length=1)
    version: str | None = None
    excerpt: str | None = None


class OutputGenerated(_Data):
    content: str
    model: str = Field(min_length=1)
    prompt_version: str | None = Field(default=None, min_length=1)
    playbook_version: str | None = None
    confidence: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)


class HumanEdited(_Data):
    content: str


class ReviewRecorded(_Data):
    reviewer: str = Field(min_length=1)
    attests: list[str] = Field(min_length=1)
    decision: Literal["approved", "rejected", "changes_requested"]
    note: str | None = None


class PolicyApplied(_Data):
    policy: str = Field(min_length=1)
    version: str = Field(min_length=1)
    result: Literal["pass", "fail", "not_applicable"]


class ExceptionDecided(_Data):
    decider: str = Field(min_length=1)
    decision: Literal["approved", "rejected", "modified"]
    note: str | None = None
    exception: str | None = None
    """Which raised exception (by route name); the latest undecided one when omitted."""


class OverrideRecorded(_Data):
    by: str = Field(min_length=1)
    what: str = Field(min_length=1)
    reason: str = Field(min_length=1)


class ActionTaken(_Data):
    action: str = Field(min_length=1)
    by: str = Field(min_length=1)
    content: str | None = None


class OutcomeReported(_Data):
    kind: Literal["complaint", "harm", "correction", "praise"]
    description: str


DATA_MODELS: dict[str, type[_Data]] = {
    "case.opened": CaseOpened,
    "input.received": InputReceived,
    "source.used": SourceUsed,
    "output.generated": OutputGenerated,
    "human.edited": HumanEdited,
    "review.recorded": ReviewRecorded,
    "policy.applied": PolicyApplied,
    "exception.decided": ExceptionDecided,
    "override.recorded": OverrideRecorded,
    "action.taken": ActionTaken,
    "outcome.reported": OutcomeReported,
}
_PEOPLE_FIELDS = {"review.recorded": "reviewer", "exception.decided": "decider",
                  "override.recorded": "by"}


class Event(NamedTuple):
    """A client event that passed the shape checks; ``data`` is plain JSON (nulls dropped).

    A NamedTuple: immutable like a frozen dataclass, and several times cheaper to make,
    which counts once per ingested event.
    """

    case: str
    type: str
    at: dt.datetime
    actor: str
    data: dict[str, Any]
    at_text: str
    """``at`` as stored (UTC, ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``)."""
    note: str | None = None
    id: str | None = None
    """The client's id for the event, unique in the ledger: a repeat is skipped, not stored."""


@functools.cache
def max_event_bytes() -> int:
    """The largest event accepted, in canonical bytes: ``ACCORD_MAX_EVENT_BYTES`` or 1 MiB."""
    text = os.environ.get("ACCORD_MAX_EVENT_BYTES", "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else MAX_EVENT_BYTES


def event_id_problem(value: Any) -> str | None:
    """Why ``value`` cannot be an event id (1–128 printable characters), or None."""
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_EVENT_ID or not value.isprintable():
        return f"must be 1 to {MAX_EVENT_ID} printable characters (a retry sends the same id)"
    return None


# `at` already in its stored form: kept as sent instead of formatted again.
_STORED_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def _numbers_fine(value: Any, depth: int = 0) -> bool:
    """Whether every number in ``value`` is one the ledger takes and it nests no deeper than
    MAX_DEPTH (``value`` itself sits at ``depth``); one pass, no paths."""
    stack = [(value, depth)]
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is dict or kind is list:
            if depth >= MAX_DEPTH:
                return False
            stack.extend((v, depth + 1) for v in (item.values() if kind is dict else item))
        elif kind is int or kind is float:
            if not -MAX_SAFE <= item <= MAX_SAFE:  # NaN fails this too
                return False
        else:
            return False
    return True


def _number_problems(value: Any, path: str, depth: int = 0) -> list[str]:
    """Each number the ledger refuses, and the first place nesting goes too deep, with its path
    (``data.attributes.amount``)."""
    if _numbers_fine(value, depth):
        return []
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return []
    if isinstance(value, dict | list) and depth >= MAX_DEPTH:
        return [f"{path}: nested deeper than {MAX_DEPTH} levels; flatten it"]
    if isinstance(value, int):
        return [] if -MAX_SAFE <= value <= MAX_SAFE else [f"{path}: {value} is beyond ±2^53"]
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return [f"{path}: NaN and infinities are not JSON numbers"]
        return [] if -MAX_SAFE <= value <= MAX_SAFE else [f"{path}: {value} is beyond ±2^53"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _number_problems(v, f"{path}.{k}", depth + 1)]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _number_problems(v, f"{path}[{i}]", depth + 1)]
    return [f"{path}: {type(value).__name__} is not a JSON value"]


_ENVELOPE_SET = frozenset(ENVELOPE_KEYS)


def parse_event(raw: Any, where: str) -> Event | list[EventProblem]:
    """Check one raw event's envelope and data; returns the Event or its problems.

    Most events are well formed and already carry ``at`` in its stored form: they
    are checked here in one pass. Anything else, and every event with a problem,
    goes through :func:`_parse_event_checked`, which finds and words each
    problem; both give the same answer (tests/test_events.py).
    """
    if type(raw) is dict and raw.keys() <= _ENVELOPE_SET:
        kind: Any = raw.get("type")
        case, actor, at_text, note = raw.get("case"), raw.get("actor"), raw.get("at"), raw.get("note")
        event_id = raw.get("id")
        data = raw.get("data", {})
        model = DATA_MODELS.get(kind) if type(kind) is str else None
        if (model is not None and type(case) is str and _PLAIN_ID.fullmatch(case)
                and type(actor) is str and _PLAIN_ID.fullmatch(actor)
                and (note is None or type(note) is str) and type(data) is dict
                and (event_id is None or (type(event_id) is str and _PLAIN_EVENT_ID.fullmatch(event_id)))
                and type(at_text) is str and _STORED_TIME.fullmatch(at_text)
                and _numbers_fine(data) and _small(raw)):
            person = _PEOPLE_FIELDS.get(kind)
            try:
                at = dt.datetime.fromisoformat(at_text)  # ...Z: aware, in UTC
                model.model_validate(data)
            except (ValueError, ValidationError):  # a day that does not exist, or bad data
                pass
            else:
                if person is None or _PLAIN_PERSON.fullmatch(data[person]):
                    # strict validation coerces nothing, so the checked input is what we store
                    clean = dict(data) if None not in data.values() else {
                        k: v for k, v in data.items() if v is not None}
                    return Event(case, kind, at, actor, clean, at_text, note, event_id)
    return _parse_event_checked(raw, where)


# What the one-pass path takes as is; anything else is worded by the checked path.
_PLAIN_ID = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]{0,254}[\x21-\x7e])?")  # printable ASCII, no edge spaces
_PLAIN_EVENT_ID = re.compile(r"[\x20-\x7e]{1,128}")
_PLAIN_PERSON = re.compile(r"(?![Ss][Yy][Ss][Tt][Ee][Mm]:)[\x21-\x7e](?:[\x20-\x7e]{0,254}[\x21-\x7e])?")


def _small(raw: dict[str, Any]) -> bool:
    """Certainly within max_event_bytes (a cheap bound; the checked path measures exactly)."""
    try:
        return len(orjson.dumps(raw)) < max_event_bytes() * 0.9
    except (TypeError, orjson.JSONEncodeError):
        return False


def _size_problem(raw: dict[str, Any]) -> str | None:
    """The event's canonical size when over max_event_bytes, in words; None when within."""
    limit = max_event_bytes()
    try:
        size = len(canonical_bytes(raw))
    except ValueError as err:  # e.g. a lone surrogate in a string: not UTF-8, cannot be stored
        return str(err).replace("cannot canonicalise $", "cannot store event")
    if size <= limit:
        return None
    return (f"the event is {size:,} bytes as canonical JSON; the limit is {limit:,} "
            "(ACCORD_MAX_EVENT_BYTES): keep large documents elsewhere and record their uri and hash")


def _parse_event_checked(raw: Any, where: str) -> Event | list[EventProblem]:
    """:func:`parse_event` the long way: every check in turn, every problem listed."""
    if not isinstance(raw, dict):
        return [EventProblem(where, "", "an event is a JSON object with case, type, at, actor, data")]
    problems: list[EventProblem] = []

    def bad(field: str, message: str) -> None:
        problems.append(EventProblem(where, field, message))

    for key in raw:
        if key in LEDGER_KEYS:
            bad(key, "is written by the ledger; a client must not send it")
        elif key not in ENVELOPE_KEYS:
            bad(key, f"unknown key; an event has {', '.join(ENVELOPE_KEYS)}")
    kind = raw.get("type")
    case = raw.get("case")
    actor = raw.get("actor")
    if not isinstance(case, str) or not case:
        bad("case", "required: the case id as a non-empty string")
    elif problem := id_problem(case, "the case id"):
        bad("case", problem)
    if "id" in raw and (problem := event_id_problem(raw["id"])):
        bad("id", problem)
    if not isinstance(kind, str):
        bad("type", "required: one of " + ", ".join(CLIENT_TYPES))
    elif kind in ACCORD_TYPES:
        bad("type", f"{kind!r} is written by accord itself; a client cannot record it")
    elif kind not in DATA_MODELS:
        bad("type", f"unknown type {kind!r}: use one of " + ", ".join(CLIENT_TYPES))
    if not isinstance(actor, str) or not actor:
        bad("actor", "required: who or what did this (a person id, or system:<name>)")
    elif problem := id_problem(actor, "the actor"):
        bad("actor", problem)
    note = raw.get("note")
    if note is not None and not isinstance(note, str):
        bad("note", "must be a string")
    at: dt.datetime | None = None
    try:
        at = parse_time(raw.get("at"))  # type: ignore[arg-type]
    except ValueError as err:
        bad("at", "required: " + str(err) if raw.get("at") is None else str(err))
    data = raw.get("data", {})
    if not isinstance(data, dict):
        bad("data", "must be a JSON object")
        data = {}
    for message in _number_problems(data, "data"):
        field, _, text = message.partition(": ")
        bad(field, text)
    model = DATA_MODELS.get(kind) if isinstance(kind, str) else None
    clean: dict[str, Any] = {}
    if model is not None:
        try:
            model.model_validate(data)
            # strict validation coerces nothing, so the checked input is what we store
            clean = {k: v for k, v in data.items() if v is not None}
        except ValidationError as err:
            for e in err.errors():
                loc = ".".join(str(p) for p in e["loc"])
                msg = "unknown key for " + str(kind) if e["type"] == "extra_forbidden" else (
                    "required" if e["type"] == "missing" else e["msg"])
                bad(f"data.{loc}" if loc else "data", msg)
        person_field = _PEOPLE_FIELDS.get(str(kind))
        person = data.get(person_field) if person_field else None
        if isinstance(person, str) and is_system(person):
            bad(f"data.{person_field}", "must be a person; a system cannot review, decide or override")
        elif isinstance(person, str) and (problem := id_problem(person, "the person id")):
            bad(f"data.{person_field}", problem)
    if not problems and (too_big := _size_problem(raw)):
        bad("", too_big)
    if problems:
        return problems
    assert at is not None and isinstance(case, str) and isinstance(kind, str)
    assert isinstance(actor, str)
    at_text = raw["at"] if _STORED_TIME.fullmatch(raw["at"]) else format_time(at)
    return Event(case, kind, at, actor, clean, at_text, note, raw.get("id"))
