"""Reading the running system: review and exception queues, and findings (SPEC §6).

Every read ticks first, so an exception past its due time is escalated before
anyone looks at a queue or a finding.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from accord.runtime.evidence import REVIEWED_ROUTES, approval, exception_decisions
from accord.runtime.findings import Finding, FindingContext, detect
from accord.runtime.service import LedgerService
from accord.store.stored import StoredEvent


@dataclass(frozen=True)
class QueueItem:
    case: str
    workflow: str
    role: str | None
    since: str
    due: str | None
    overdue: bool
    what: str

    def as_json(self) -> dict[str, Any]:
        return {"case": self.case, "workflow": self.workflow, "role": self.role,
                "since": self.since, "due": self.due, "overdue": self.overdue}


def _ordered(items: list[QueueItem]) -> list[QueueItem]:
    """Overdue first, then by due time, then oldest first."""
    return sorted(items, key=lambda i: (not i.overdue, i.due is None, i.due or "", i.since, i.case))


def review_queue(service: LedgerService, now: dt.datetime, role: str | None = None) -> list[QueueItem]:
    """Cases routed `required`/`sampled_in`, not acted on, whose approval does not hold yet."""
    service.tick(now)
    latest_route: dict[str, StoredEvent] = {}
    acted: set[str] = set()
    for e in service.kind_events(["routing.decided", "action.taken"]):
        assert e.case is not None
        if e.type == "routing.decided":
            latest_route[e.case] = e
        else:
            acted.add(e.case)
    waiting = [c for c, r in latest_route.items()
               if c not in acted and r.data["review"] in REVIEWED_ROUTES
               and (role is None or r.data.get("reviewer_role") == role)]
    items = []
    for case, events in service.cases_events(waiting).items():
        contract = service.case_contract(events)
        appr = approval(contract, events)
        if appr.missing_dimensions:  # an undecided exception waits in the exception queue
            route = latest_route[case]
            items.append(QueueItem(case, route.workflow or "", route.data.get("reviewer_role"),
                                   route.at, None, False,
                                   "needs approval of " + ", ".join(appr.missing_dimensions)))
    return _ordered(items)


def exception_queue(service: LedgerService, now: dt.datetime,
                    role: str | None = None) -> list[QueueItem]:
    """Raised, undecided exceptions with their due time; escalated ones go to `escalate_to`."""
    service.tick(now)
    by_case: dict[str, list[StoredEvent]] = {}
    for e in service.kind_events(["exception.raised", "exception.decided", "exception.escalated"]):
        by_case.setdefault(e.case or "", []).append(e)
    items = []
    for case, events in by_case.items():
        escalated = {e.data["exception"] for e in events if e.type == "exception.escalated"}
        for name, decision in exception_decisions(events).items():
            if decision is not None:
                continue
            raised = next(e for e in events if e.type == "exception.raised"
                          and e.data["exception"] == name)
            owner = raised.data.get("escalate_to") if name in escalated else raised.data.get("owner")
            if role is not None and owner != role:
                continue
            due = raised.data["due"]
            items.append(QueueItem(case, raised.workflow or "", owner, raised.at, due,
                                   now > dt.datetime.fromisoformat(due),
                                   f"exception {name}" + (" (escalated)" if name in escalated else "")))
    return _ordered(items)


def findings(service: LedgerService, now: dt.datetime, workflow: str | None = None) -> list[Finding]:
    """Every run-time finding (ticking first), optionally for one workflow."""
    service.tick(now)
    cases: dict[str, list[StoredEvent]] = {}
    log_events: list[StoredEvent] = []
    for e in service.events():
        if e.type in ("incident.opened", "learning.opened", "learning.closed"):
            log_events.append(e)
        elif e.case is not None:
            cases.setdefault(e.case, []).append(e)
    ctx = FindingContext(now=now, cases=cases,
                         contract_of=lambda wf, v: service.contract(wf, v).contract,
                         holder=service.holder, log_events=log_events)
    return detect(ctx, workflow)
