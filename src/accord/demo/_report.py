"""What `accord demo` reports: the tallies the simulation kept and the answers read back from the ledger."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accord._time import format_time
from accord.review.drill import DrillReport
from accord.review.incidents import IncidentOpened, IncidentReview


@dataclass
class WorkflowTally:
    """How one workflow's cases went, as the simulation saw accord route them."""

    workflow: str
    cases: int = 0
    closed: int = 0
    routes: Counter[str] = field(default_factory=Counter)
    exceptions: int = 0
    refused: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"workflow": self.workflow, "cases": self.cases, "closed": self.closed,
                "routes": dict(sorted(self.routes.items())), "exceptions_raised": self.exceptions,
                "refused_actions": list(self.refused)}


@dataclass(frozen=True)
class Handover:
    """The roster change of the month: who left a role, who took it over, who acted late."""

    role: str
    left: str
    took_over: str
    on: dt.date
    late_review: str | None
    """The case the departed holder reviewed after leaving (a `reviewer-not-in-role`)."""

    def as_json(self) -> dict[str, Any]:
        return {"role": self.role, "left": self.left, "took_over": self.took_over,
                "on": self.on.isoformat(), "late_review": self.late_review}


@dataclass
class DemoResult:
    """Everything the demo built and read back; ``as_json`` is `accord demo --json`."""

    seed: int
    start: dt.datetime
    now: dt.datetime
    events: int
    contracts: list[dict[str, Any]]
    rosters: int
    handover: Handover
    workflows: list[WorkflowTally]
    escalated: int
    waiting: dict[str, list[dict[str, Any]]]
    incident: IncidentOpened
    review: IncidentReview
    findings: dict[str, int]
    drill: DrillReport
    ledger: str | None = None
    brief: Path | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "ledger": self.ledger, "brief": str(self.brief) if self.brief else None,
            "seed": self.seed, "start": format_time(self.start), "now": format_time(self.now),
            "events": self.events, "contracts": self.contracts, "rosters": self.rosters,
            "handover": self.handover.as_json(),
            "workflows": [w.as_json() for w in self.workflows], "escalated": self.escalated,
            "waiting": self.waiting, "incident": self.incident.as_json(),
            "review": self.review.as_json(), "findings": self.findings, "drill": self.drill.as_json(),
        }
