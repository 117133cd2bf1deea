"""One case as a person reads it: its records, its evidence present and missing, its route."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord.errors import IntegrityError
from accord.integrity.verify import Tampering
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
    tampered: tuple[Tampering, ...] = ()
    """Records of the case that do not re-hash to what the log holds (none when intact)."""

    def as_json(self) -> dict[str, Any]:
        """`accord case show --json` (with ``tampered`` only when a record does not hold)."""
        out = {"case": self.case, "workflow": self.workflow, "contract_version": self.contract_version,
               "events": [e.export() for e in self.events], "evidence": self.evidence.as_json(),
               "route": self.route.data if self.route else None}
        if self.tampered:
            out["tampered"] = [t.as_json() for t in self.tampered]
        return out


def case_view(core: Core, case: str) -> CaseView:
    """The case's view, every record re-hashed on the way; raises NotFound for an unknown case."""
    events, tampered = core.checked_case(case)
    if not events or events[0].type != "case.opened":
        raise IntegrityError(f"case {case!r}: its opening record does not hold: "
                             + "; ".join(t.problem for t in tampered))
    report = judge(core.case_contract(events), events, core.book.roles())
    opened = events[0]
    return CaseView(case, opened.workflow, opened.contract_version, tuple(events), report,
                    last_of(events, "routing.decided"), tuple(tampered))
