"""One case as a person reads it: its records, its evidence present and missing, its route."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord.runtime.core import Core
from accord.runtime.evidence import EvidenceReport, judge, last_of
from accord.store.stored import StoredEvent


@dataclass(frozen=True)
class CaseView:
    """`accord case show`: the case's records in seq order, its evidence, its latest route."""

    case: str
    workflow: str | None
    contract_version: int | None
    events: tuple[StoredEvent, ...]
    evidence: EvidenceReport
    route: StoredEvent | None

    def as_json(self) -> dict[str, Any]:
        """`accord case show --json`."""
        return {"case": self.case, "workflow": self.workflow, "contract_version": self.contract_version,
                "events": [e.export() for e in self.events], "evidence": self.evidence.as_json(),
                "route": self.route.data if self.route else None}


def case_view(core: Core, case: str) -> CaseView:
    """The case's view; raises NotFound for an unknown case."""
    events = core.case_events(case)
    report = judge(core.case_contract(events), events)
    opened = events[0]
    return CaseView(case, opened.workflow, opened.contract_version, tuple(events), report,
                    last_of(events, "routing.decided"))
