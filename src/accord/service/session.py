"""The ledger's use cases as one caller may use them: what the HTTP API calls.

:meth:`accord.Ledger.acting_as` gives a :class:`Session`. Each method asks the rules of
:mod:`accord.service.access` first — NotFound for what the caller may not read, Forbidden
for what it may not do — then makes the one front-door call, so the HTTP adapter only
parses and renders. Events are bound to the caller (actor, reviewer, decider, ``by``) and
checked again inside the write transaction, against the case as it then stands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from accord._time import format_time
from accord.contract.loading import parse
from accord.contract.model import Contract, Roster
from accord.errors import Forbidden, NotFound, UsageError
from accord.integrity.checkpoint import Signer
from accord.integrity.proofs import ConsistencyProof, InclusionProof
from accord.integrity.verify import VerifyReport
from accord.review.drill import DrillReport
from accord.review.incidents import IncidentOpened, IncidentReview, IncidentSummary
from accord.review.learning import LearningAction
from accord.runtime.book import AppliedContract, AppliedRoster
from accord.runtime.cases import CaseView
from accord.runtime.core import Core
from accord.runtime.events import Event
from accord.runtime.evidence import approval
from accord.runtime.findings import Finding
from accord.runtime.ledger_rules import CaseState
from accord.runtime.queues import QueueItem
from accord.runtime.recording import GroupRequest
from accord.service import access
from accord.service.access import CaseFacts
from accord.service.tokens import Caller
from accord.store.stored import StoredEvent

if TYPE_CHECKING:
    from accord.ledger import Ledger


def _indexed(err: Forbidden | NotFound, index: int) -> Forbidden | NotFound:
    err.index = index
    return err


class Session:
    """One caller's view of a ledger; every method raises NotFound or Forbidden before it acts."""

    def __init__(self, ledger: Ledger, core: Core, caller: Caller) -> None:
        self.ledger = ledger
        self.core = core
        self.caller = caller

    def _now(self, now: dt.datetime | None = None) -> dt.datetime:
        return now if now is not None else self.core.clock.now()

    # -- cases ----------------------------------------------------------------------------------

    def _facts(self, case: str, events: Sequence[StoredEvent] | None = None) -> CaseFacts:
        found = list(events) if events is not None else self.core.case_events(case)
        contract = self.core.case_contract(found)
        return CaseFacts(case, found[0].workflow or "", contract, found, self.core.book.roles())

    def _readable(self, case: str) -> CaseFacts:
        try:
            facts = self._facts(case)
        except NotFound:
            raise NotFound(f"no case {case!r} in this ledger") from None
        if not access.may_read_case(self.caller, facts, self._now()):
            raise NotFound(f"no case {case!r} in this ledger")
        return facts

    def case_view(self, case: str) -> CaseView:
        """`case show` of a case the caller may read."""
        self._readable(case)
        return self.ledger.case_view(case)

    # -- recording ------------------------------------------------------------------------------

    def events(self, raw_events: Sequence[Any]) -> GroupRequest:
        """A batch of client events bound to the caller, to record with Ledger.record_group; the
        gate checks each against its case inside the write. Raises Forbidden (with ``index``)
        for an event naming someone else."""
        bound = []
        for i, raw in enumerate(raw_events):
            try:
                bound.append(access.bind_identity(self.caller, raw))
            except Forbidden as err:
                raise _indexed(err, i) from None
        return GroupRequest(bound, [str(i) for i in range(len(bound))], self._gate)

    def _gate(self, event: Event, where: str, state: CaseState | None) -> None:
        if state is not None and event.type in access.CASE_FACTS and self.caller.system_for(state.workflow):
            return  # the common case, a system recording its own workflow's facts, needs no more
        try:
            if event.type == "case.opened":
                access.check_opening(self.caller, str(event.data.get("workflow")))
            elif state is None:
                raise NotFound(f"no case {event.case!r} in this ledger")
            else:
                facts = CaseFacts(state.case, state.workflow, state.contract, state.events,
                                  self.core.book.roles(refresh=False))
                access.check_act(self.caller, event.type, facts, event.at, self._now())
        except (Forbidden, NotFound) as err:
            raise _indexed(err, int(where) if where.isdigit() else 0) from None

    def act(self, case: str, kind: str, data: dict[str, Any], at: str | None,
            note: str | None = None) -> GroupRequest:
        """One person's act on ``case`` (a review, decision or override) as a request to record.
        Raises NotFound for a case the caller may not read, and Forbidden for a system."""
        if self.caller.person is None:
            self._readable(case)
            raise Forbidden(f"{self.caller.subject} may not record {kind}: only a person may")
        event: dict[str, Any] = {"case": case, "type": kind, "at": at or format_time(self._now()),
                                 "data": {k: v for k, v in data.items() if v is not None}}
        if note is not None:
            event["note"] = note
        return self.events([event])

    def review_outcome(self, case: str) -> tuple[bool, list[str]]:
        """After a review: whether the route's approval holds now, and the routed dimensions
        still unattested."""
        events = self.core.case_events(case)
        appr = approval(self.core.case_contract(events), events, self.core.book.roles())
        return appr.holds, list(appr.missing_dimensions)

    # -- queues, findings, drill ----------------------------------------------------------------

    def _mine(self, items: list[QueueItem], now: dt.datetime) -> list[QueueItem]:
        if self.caller.admin or self.caller.auditor:
            return items
        roles, person = self.core.book.roles(), self.caller.person or ""
        return [i for i in items if roles.holds(i.role, person, now)]

    def review_queue(self, now: dt.datetime | None = None, role: str | None = None) -> list[QueueItem]:
        """Items for roles the person holds now (auditor, admin: all)."""
        access.check_ledger(self.caller, "queues")
        when = self._now(now)
        return self._mine(self.ledger.review_queue(when, role), when)

    def exception_queue(self, now: dt.datetime | None = None, role: str | None = None) -> list[QueueItem]:
        """Items for roles the person holds now (auditor, admin: all)."""
        access.check_ledger(self.caller, "queues")
        when = self._now(now)
        return self._mine(self.ledger.exception_queue(when, role), when)

    def _owned(self, workflow: str | None, now: dt.datetime) -> set[str] | None:
        """The workflows whose findings and drill the caller may read (None: all)."""
        if self.caller.admin or self.caller.auditor:
            return None
        roles = self.core.book.roles()
        owned = {c.workflow for c in self.core.book.contracts()
                 if access.outcome_owner_of(self.caller, self.core.book.contract(c.workflow).contract,
                                            roles, now)}
        if not owned or (workflow is not None and workflow not in owned):
            raise Forbidden(f"{self.caller.subject} may not read findings or the drill of "
                            f"{workflow or 'any workflow'}: only an auditor, an admin or the workflow's "
                            "outcome owner may")
        return owned

    def findings(self, now: dt.datetime | None = None, workflow: str | None = None) -> list[Finding]:
        when = self._now(now)
        owned = self._owned(workflow, when)
        found = self.ledger.findings(when, workflow)
        return found if owned is None else [f for f in found if f.workflow in owned]

    def drill(self, now: dt.datetime | None = None, workflow: str | None = None) -> DrillReport:
        when = self._now(now)
        owned = self._owned(workflow, when)
        report = self.ledger.drill(workflow=workflow, now=when)
        return report if owned is None else DrillReport([w for w in report.workflows if w.workflow in owned])

    # -- incidents and learning -----------------------------------------------------------------

    def open_incident(self, case: str, *, failed: Sequence[str], summary: str, faulty: Sequence[int] = (),
                      should_have_escalated: bool = False) -> IncidentOpened:
        """The workflow's outcome owner, or an admin, opens an incident (as themself)."""
        facts = self._readable(case)
        now = self._now()
        if self.caller.person is None or not (self.caller.admin or access.outcome_owner_of(
                self.caller, facts.contract, facts.roles, now)):
            raise Forbidden(f"{self.caller.subject} may not open an incident on case {case!r}: only the "
                            "workflow's outcome owner or an admin may")
        return self.ledger.open_incident(case, failed=failed, summary=summary, by=self.caller.person,
                                         faulty=faulty, should_have_escalated=should_have_escalated, now=now)

    def _incident_readable(self, incident: StoredEvent, now: dt.datetime) -> bool:
        contract: Contract | None = None
        if incident.workflow is not None and incident.contract_version is not None:
            contract = self.core.book.contract(incident.workflow, incident.contract_version).contract
        return access.may_read_incident(self.caller, incident, contract, self.core.book.roles(), now)

    def _incidents(self) -> Iterator[StoredEvent]:
        now = self._now()
        for e in self.core.kind_events(["incident.opened"]):
            if self._incident_readable(e, now):
                yield e

    def incidents(self) -> list[IncidentSummary]:
        """The incidents the caller may read, oldest first."""
        readable = {e.data["incident"] for e in self._incidents()}
        return [i for i in self.ledger.incidents() if i.incident in readable]

    def review_incident(self, incident: str) -> IncidentReview:
        if incident not in {e.data["incident"] for e in self._incidents()}:
            raise NotFound(f"no incident {incident!r} in this ledger")
        return self.ledger.review_incident(incident)

    def learning_actions(self, now: dt.datetime | None = None) -> list[LearningAction]:
        """The learning actions of incidents the caller may read, or that it may close."""
        when = self._now(now)
        readable = {e.data["incident"] for e in self._incidents()}
        roles = self.core.book.roles()
        return [a for a in self.ledger.learning_actions(when)
                if a.incident in readable or access.may_close_learning(self.caller, a.as_json(), roles, when)]

    def close_learning(self, action: str, change: str) -> LearningAction:
        """Its person, its role's holder now, or an admin closes it (as themself)."""
        now = self._now()
        found = next((a for a in self.learning_actions(now) if a.id == action), None)
        if found is None:
            raise NotFound(f"no learning action {action!r} in this ledger")
        if self.caller.person is None or not access.may_close_learning(
                self.caller, found.as_json(), self.core.book.roles(), now):
            raise Forbidden(f"{self.caller.subject} may not close {action}: only its person, the holder of "
                            f"{found.role or 'its role'} or an admin may")
        return self.ledger.close_learning(action, change, by=self.caller.person, now=now)

    # -- contracts and rosters --------------------------------------------------------------------

    def apply_contract(self, workflow: str, text: str) -> AppliedContract:
        """An admin applies a contract (YAML or JSON text) to ``workflow``."""
        access.check_ledger(self.caller, "apply")
        model = parse(text, "<request body>").model
        if not isinstance(model, Contract):
            raise UsageError("kind: a contract is `kind: contract`; a roster goes to PUT /v1/roster")
        if model.workflow != workflow:
            raise UsageError(f"workflow: the body's workflow {model.workflow!r} is not {workflow!r} "
                             "named in the path")
        return self.ledger.apply_contract(model, actor=self.caller.subject)

    def apply_roster(self, text: str) -> AppliedRoster:
        """An admin applies a roster (YAML or JSON text)."""
        access.check_ledger(self.caller, "apply")
        model = parse(text, "<request body>").model
        if not isinstance(model, Roster):
            raise UsageError("kind: a roster is `kind: roster`; a contract goes to PUT /v1/contracts/W")
        return self.ledger.apply_roster(model, actor=self.caller.subject)

    def contracts(self) -> list[AppliedContract]:
        return self.ledger.contracts()

    def contract(self, workflow: str, version: int | None = None) -> AppliedContract:
        return self.ledger.contract(workflow, version)

    def roster(self) -> AppliedRoster | None:
        return self.ledger.roster()

    # -- integrity --------------------------------------------------------------------------------

    def verify(self) -> VerifyReport:
        access.check_ledger(self.caller, "verify")
        return self.ledger.verify()

    def export(self, case: str | None = None) -> Iterator[StoredEvent]:
        """The log (or one case) in seq order, streamed; auditor and admin."""
        access.check_ledger(self.caller, "export")
        if case is not None:
            self.core.case_events(case)  # NotFound before the stream starts
        return iter(self.ledger.export(case))

    def consistency_proof(self, old: int, new: int | None = None) -> ConsistencyProof:
        access.check_ledger(self.caller, "consistency")
        return self.ledger.consistency_proof(old, new)

    def proof(self, seq: int, size: int | None = None) -> InclusionProof:
        """An inclusion proof of a record the caller may read (any record: auditor, admin)."""
        if not (self.caller.admin or self.caller.auditor):
            with self.core.store.reading() as r:
                rows = list(r.scan(seq, seq + 1)) if seq >= 1 else []
            if not rows:
                raise NotFound(f"no record {seq} in this ledger")
            row = rows[0]
            if row.case_id is not None:
                self._readable(row.case_id)
            elif row.type not in ("contract.applied", "roster.applied"):
                raise NotFound(f"no record {seq} in this ledger")
        return self.ledger.proof(seq, size)

    def checkpoint(self, signer: Signer, previous: str | None) -> str:
        """A signed checkpoint (any valid token), verified since ``previous`` when given."""
        return self.ledger.checkpoint(signer, previous=previous)

    def check(self, operation: str) -> None:
        """Raise Forbidden unless the caller may do ``operation`` (see access.LEDGER_READS)."""
        access.check_ledger(self.caller, operation)
