"""Every call the demo makes past the public SDK, in one place.

The demo records through :class:`~accord.ledger.Ledger` only, but opening the
incident and reading the review, findings, queues and drill back still go
through ``ledger.service`` and the modules behind it. When the front door
(``accord.open(url)`` → a Ledger with every use case) offers them, this module
is the only one to change.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from accord.ledger import Ledger
from accord.review.drill import drill
from accord.review.incident import open_incident, render_html, review_incident
from accord.runtime import queues
from accord.store.stored import StoredEvent


def record_count(ledger: Ledger) -> int:
    """How many records the ledger's log holds."""
    with ledger.service.store.reading() as reader:
        return reader.head().size


def store_url(ledger: Ledger) -> str:
    """Where the ledger is stored, for messages."""
    return ledger.service.store.url


def first_record(ledger: Ledger) -> StoredEvent | None:
    """The ledger's first record, or None when it holds none."""
    return next(ledger.service.events(), None)


def faulty_output(ledger: Ledger, case: str) -> tuple[int, str]:
    """The seq of ``case``'s last AI output and the role that owns the case's outcome."""
    events = ledger.service.case_events(case)
    output = next(e for e in reversed(events) if e.type == "output.generated")
    contract = ledger.service.case_contract(events)
    return output.seq, str(contract.outcome_owner)


def open_case_incident(ledger: Ledger, case: str, *, failed: list[str], faulty: list[int],
                       summary: str, by: str, at: dt.datetime) -> dict[str, Any]:
    """Open an incident on ``case`` as ``by`` at ``at``; returns the incident as recorded."""
    return open_incident(ledger.service, case, failed=failed, faulty=faulty,
                         should_have_escalated=False, summary=summary, by=by, now=at)


@dataclass(frozen=True)
class ReadBack:
    """accord's answers about the finished month, read from the ledger."""

    review: dict[str, Any]
    findings: dict[str, int]
    waiting: dict[str, list[dict[str, Any]]]
    records: int
    roster_version: int
    incident_events: list[StoredEvent]
    drill: dict[str, Any]


def read_back(ledger: Ledger, incident: dict[str, Any], now: dt.datetime) -> ReadBack:
    """The incident's review, the findings, the waiting queues and the drill as of ``now``."""
    service = ledger.service
    review = review_incident(service, incident["incident"])
    found = queues.findings(service, now)
    waiting = {"reviews": [i.as_json() for i in queues.review_queue(service, now)],
               "exceptions": [i.as_json() for i in queues.exception_queue(service, now)]}
    roster = service.roster()
    return ReadBack(
        review=review, findings=dict(sorted(Counter(f.rule for f in found).items())),
        waiting=waiting, records=record_count(ledger), roster_version=roster.version if roster else 0,
        incident_events=service.case_events(incident["case"]), drill=drill(service, now=now))


def incident_brief(review: dict[str, Any], events: list[StoredEvent]) -> str:
    """The one-page HTML brief of a reviewed incident."""
    return render_html(review, events)
