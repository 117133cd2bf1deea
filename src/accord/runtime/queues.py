"""What waits for whom: review and exception queues, and `tick`, which escalates
every exception still undecided at its due time (queue and findings reads tick first).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from accord.runtime.core import Core
from accord.runtime.due import EXCEPTION_TYPES, exception_statuses
from accord.runtime.events import SYSTEM_ACTOR
from accord.runtime.evidence import REVIEWED_ROUTES, approval
from accord.runtime.writer import Batch
from accord.store.ports import Writer
from accord.store.stored import StoredEvent


@dataclass(frozen=True)
class QueueItem:
    """One case waiting for a review or an exception decision."""

    case: str
    workflow: str
    role: str | None
    since: str
    due: str | None
    overdue: bool
    what: str

    def as_json(self) -> dict[str, Any]:
        """A `queue --json` item."""
        return {"case": self.case, "workflow": self.workflow, "role": self.role,
                "since": self.since, "due": self.due, "overdue": self.overdue}


@dataclass(frozen=True)
class Escalation:
    """An `exception.escalated` that `tick` appended."""

    case: str
    exception: str
    escalate_to: str | None
    seq: int
    at: str

    def as_json(self) -> dict[str, Any]:
        return {"case": self.case, "exception": self.exception, "escalate_to": self.escalate_to,
                "seq": self.seq, "at": self.at}


def _ordered(items: list[QueueItem]) -> list[QueueItem]:
    """Overdue first, then by due time, then oldest first."""
    return sorted(items, key=lambda i: (not i.overdue, i.due is None, i.due or "", i.since, i.case))


def tick(core: Core, now: dt.datetime) -> list[Escalation]:
    """Append one `exception.escalated` (at its due time) for each exception undecided by
    its due time and not yet escalated; returns what was appended."""
    written: list[Escalation] = []

    def build(w: Writer, batch: Batch) -> None:
        written.clear()  # a second run (see Writer.write) starts again
        records = [StoredEvent.from_row(row) for row in w.kind_rows(EXCEPTION_TYPES)]
        roles = core.book.roles(refresh=False)
        lapsed = [s for s in exception_statuses(records, roles) if not s.escalated and s.overdue(now)]
        for status in sorted(lapsed, key=lambda s: (s.due, s.raised.seq)):
            e, data = status.raised, status.raised.data
            stored = batch.stamp(
                case=e.case, workflow=e.workflow, type="exception.escalated", at=data["due"],
                actor=SYSTEM_ACTOR, version=e.contract_version,
                data={"exception": data["exception"], "owner": data.get("owner"),
                      "escalate_to": data.get("escalate_to"), "due": data["due"], "raised_seq": e.seq})
            written.append(Escalation(e.case or "", data["exception"], data.get("escalate_to"),
                                      stored.seq, stored.at))

    core.writer.write(build)
    return written


def review_queue(core: Core, now: dt.datetime, role: str | None = None) -> list[QueueItem]:
    """Cases routed `required`/`sampled_in`, not acted on, whose approval does not hold yet."""
    tick(core, now)
    latest_route: dict[str, StoredEvent] = {}
    acted: set[str] = set()
    for e in core.kind_events(["routing.decided", "action.taken"]):
        assert e.case is not None
        if e.type == "routing.decided":
            latest_route[e.case] = e
        else:
            acted.add(e.case)
    waiting = [c for c, r in latest_route.items()
               if c not in acted and r.data["review"] in REVIEWED_ROUTES
               and (role is None or r.data.get("reviewer_role") == role)]
    items = []
    roles = core.book.roles()
    for case, events in core.cases_events(waiting).items():
        appr = approval(core.case_contract(events), events, roles)
        if appr.missing_dimensions:  # an undecided exception waits in the exception queue
            route = latest_route[case]
            items.append(QueueItem(case, route.workflow or "", route.data.get("reviewer_role"),
                                   route.at, None, False,
                                   "needs approval of " + ", ".join(appr.missing_dimensions)))
    return _ordered(items)


def exception_queue(core: Core, now: dt.datetime, role: str | None = None) -> list[QueueItem]:
    """Raised, undecided exceptions with their due time; escalated ones go to `escalate_to`."""
    tick(core, now)
    items = []
    for status in exception_statuses(core.kind_events(EXCEPTION_TYPES), core.book.roles()):
        owner = status.deciding_role
        if status.decided or (role is not None and owner != role):
            continue
        raised = status.raised
        items.append(QueueItem(raised.case or "", raised.workflow or "", owner, raised.at,
                               raised.data["due"], status.overdue(now),
                               f"exception {status.name}" + (" (escalated)" if status.escalated else "")))
    return _ordered(items)
