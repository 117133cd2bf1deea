"""Learning actions: who changes which artefact after an incident, and their closing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from accord._time import format_time
from accord.errors import NotFound, UsageError
from accord.runtime.core import Core
from accord.runtime.due import overdue
from accord.runtime.writer import Batch
from accord.store.ports import Writer
from accord.store.stored import StoredEvent

LEARNING_TYPES = ("learning.opened", "learning.closed")


@dataclass(frozen=True)
class LearningAction:
    """One learning action as `learning list` shows it; ``overdue`` is judged at a given now."""

    id: str
    incident: str
    case: str | None
    workflow: str | None
    cause: str
    artefact: str
    role: str | None
    person: str | None
    due: str
    status: str
    change: str | None
    overdue: bool

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _item(opened: StoredEvent, closed: StoredEvent | None, now: dt.datetime) -> LearningAction:
    d = opened.data
    return LearningAction(d["id"], d["incident"], opened.case, opened.workflow, d["cause"], d["artefact"],
                          d["role"], d["person"], d["due"], "closed" if closed else "open",
                          closed.data["change"] if closed else None,
                          closed is None and overdue(d["due"], now))


def _records(records: Iterable[StoredEvent]) -> dict[str, tuple[StoredEvent, StoredEvent | None]]:
    found: dict[str, tuple[StoredEvent, StoredEvent | None]] = {}
    for e in records:
        if e.type == "learning.opened":
            found[e.data["id"]] = (e, None)
        elif e.type == "learning.closed" and e.data["id"] in found:
            found[e.data["id"]] = (found[e.data["id"]][0], e)
    return found


def learning_actions(core: Core, now: dt.datetime) -> list[LearningAction]:
    """Every learning action, oldest first; ``overdue`` says whether an open one is past due at ``now``."""
    records = _records(core.kind_events(LEARNING_TYPES))
    return [_item(opened, closed, now) for opened, closed in records.values()]


def close_learning(core: Core, la_id: str, change: str, by: str | None, now: dt.datetime) -> LearningAction:
    """Close learning action ``la_id`` with a reference to the change that was made.

    ``by`` defaults to the person the action was assigned to. Returns the closed
    action. Raises NotFound for an unknown id and UsageError for an empty change,
    a ``system:`` closer, a ``now`` before it opened or a second close.
    """
    if not change.strip():
        raise UsageError("--change: name the change that was made (a commit, a prompt version, a ticket)")
    result: list[LearningAction] = []

    def build(w: Writer, batch: Batch) -> None:
        result.clear()
        records = _records(StoredEvent.from_row(r) for r in w.kind_rows(LEARNING_TYPES))
        if la_id not in records:
            raise NotFound(f"no learning action {la_id!r} in this ledger; see `accord learning list`")
        opened, closed = records[la_id]
        if closed is not None:
            raise UsageError(f"{la_id} was already closed at {closed.at} by {closed.actor} with change "
                             f"{closed.data['change']}; open a new incident if the fix did not hold")
        if now < opened.when:
            raise UsageError(f"--now {format_time(now)} is before {la_id} was opened ({opened.at}); "
                             "give a later --now")
        closer = by or opened.data["person"]
        if not closer or closer.startswith("system:"):
            raise UsageError(f"--by: {la_id} must be closed by a person; its role "
                             f"{opened.data['role']} had no holder, so name who made the change")
        done = batch.stamp(case=opened.case, workflow=opened.workflow, type="learning.closed",
                           at=format_time(now), actor=closer, version=opened.contract_version,
                           data={"id": la_id, "incident": opened.data["incident"], "change": change})
        result.append(_item(opened, done, now))

    core.writer.write(build)
    return result[0]
