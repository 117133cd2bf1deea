"""The month's scripted moments: each a function planned at its day and time.

The workflows give the month its volume; these moments give it its story. Each
is planned on the agenda like any case (see :meth:`Script.moments`). A moment
that follows from another plans it at its own time (the complaint after the
wrong reply, the incident after the complaint). The two that change how the
next step of a workflow goes, the early send and the late review, cue a
stand-in that the workflow takes for that step only (see :class:`~._sim.Cue`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from accord.contract.model import Holder, Roster
from accord.demo import clauses, refunds
from accord.demo._report import Handover
from accord.demo._sim import MINUTE, Batch, Simulation
from accord.demo._words import eur
from accord.errors import ActionRefused
from accord.review.incidents import IncidentOpened

UNDECIDED_DAY = 3
HANDOVER_DAY = 14
"""Days after the start when the support agent hands over (the third Monday)."""
HANDOVER_ROLE = "support-agent"
SUCCESSOR = "kofi.boateng@example.com"
INCIDENT_DAY = 16
INCIDENT_AMOUNT = 48.0
COMPLAINT_AFTER = dt.timedelta(days=1, hours=21, minutes=25)
INCIDENT_SUMMARY = "Reply promised a €480 refund on a €48 order"


@dataclass(frozen=True)
class Moment:
    """A scripted moment and when it happens: ``day`` after the start, ``after_opening`` into that day."""

    day: int
    after_opening: dt.timedelta
    play: Callable[[dt.datetime], None]


class Script:
    """The scripted moments of one simulated month, and what they leave for the report."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.handover: Handover | None = None
        self.incident: IncidentOpened | None = None
        """The incident as opened, once it is."""

    def moments(self) -> list[Moment]:
        """The moments in the order they are planned (times as on the default 08:00 opening)."""
        return [
            Moment(0, dt.timedelta(0), self.first_counsel_sends_early),  # Mon 08:00
            Moment(UNDECIDED_DAY, dt.timedelta(hours=7, minutes=10), self.exception_left_undecided),  # 15:10
            Moment(HANDOVER_DAY, dt.timedelta(hours=-1), self.hand_over),  # Mon 07:00
            Moment(INCIDENT_DAY, dt.timedelta(hours=3, minutes=40), self.wrong_amount_sent),  # 11:40
        ]

    # -- clause drafting: the send that enforce: true refuses ---------------------------------

    def first_counsel_sends_early(self, at: dt.datetime) -> None:
        """The first counsel to take up a clause this month sends it before reviewing it."""
        self.sim.cue(clauses.SEND_BEFORE_REVIEW, self._send_before_review)

    def _send_before_review(self, case: str, counsel: str, draft: str, at: dt.datetime) -> dt.datetime:
        early = Batch(case)
        early.add("action.taken", at, counsel, action="clause.sent", by=counsel, content=draft)
        try:
            self.sim.record(early)
        except ActionRefused as refused:
            self.sim.tallies[clauses.WORKFLOW.name].refused.append(
                f"{case} (missing {'; '.join(refused.missing)})")
        return at + 10 * MINUTE

    # -- refunds: the exception nobody decides ------------------------------------------------

    def exception_left_undecided(self, at: dt.datetime) -> None:
        """A large refund goes to the escalations desk; nobody picks it up, so it escalates at its SLA."""
        request = refunds.draft(self.sim, at, amount=round(self.sim.rng.uniform(600, 900), 2),
                                tier="plus", risk=0.35)
        if request.route.exception is None:  # no desk involved: handled like any other
            refunds.handle_later(self.sim, request)

    # -- the roster: a hand-over, and a review from the old queue -----------------------------

    def hand_over(self, at: dt.datetime) -> None:
        """A new support agent takes over on Monday; the roster keeps who held the role before."""
        sim = self.sim
        assert sim.roster is not None
        day = (sim.start + dt.timedelta(days=HANDOVER_DAY)).date()
        body = sim.roster.model_dump(mode="json", by_alias=True, exclude_none=True)
        holders = body["roles"][HANDOVER_ROLE]["held_by"]
        current = next(h for h in holders if Holder.model_validate(h, strict=False).holds_on(day))
        left = current["person"]
        until = current.get("until")
        current["until"] = (day - dt.timedelta(days=1)).isoformat()
        holders.append({"person": SUCCESSOR, "from": day.isoformat(),
                        **({"until": until} if until else {})})
        sim.apply_roster(Roster.model_validate(body, strict=False), at)
        self.handover = Handover(HANDOVER_ROLE, left, SUCCESSOR, day, None)
        sim.cue(refunds.REVIEWER, self._late_review)

    def _late_review(self, case: str) -> str:
        """The departed agent still had the old queue open on her first day away."""
        assert self.handover is not None
        self.handover = dataclasses.replace(self.handover, late_review=case)
        return self.handover.left

    # -- the incident: a wrong amount, sent unreviewed ----------------------------------------

    def wrong_amount_sent(self, at: dt.datetime) -> None:
        """A €48 refund skips review (low risk, under €50); its reply promises ten times the amount."""
        sim = self.sim
        request = refunds.draft(sim, at, amount=INCIDENT_AMOUNT, tier="standard", risk=0.08,
                                promised=INCIDENT_AMOUNT * 10)  # the drafter misread the order total
        sent_at = at + 2 * MINUTE
        sim.at(sent_at, lambda: refunds.send_unreviewed(sim, request, sent_at))
        complaint_at = at + COMPLAINT_AFTER
        sim.at(complaint_at, lambda: self.customer_complains(request, complaint_at))

    def customer_complains(self, request: refunds.Request, at: dt.datetime) -> None:
        """The customer writes back; the outcome owner opens the incident a little later."""
        b = Batch(request.case)
        b.add("outcome.reported", at, "system:helpdesk", kind="complaint",
              description=f"Customer: your reply promised a {eur(request.promised)} refund for order "
                          f"{request.order}, but only {eur(request.amount)} arrived. When will the "
                          "rest be paid?")
        self.sim.record(b)
        opened_at = at + dt.timedelta(hours=1, minutes=20)
        self.sim.at(opened_at, lambda: self.incident_opened(request.case, opened_at))

    def incident_opened(self, case: str, at: dt.datetime) -> None:
        """The outcome owner opens an incident: `correct` failed, the AI output was faulty."""
        ledger = self.sim.ledger
        view = ledger.case_view(case)
        output = next(e for e in reversed(view.events) if e.type == "output.generated")
        assert view.workflow is not None
        owner_role = ledger.contract(view.workflow, view.contract_version).contract.outcome_owner
        owner = self.sim.person(str(owner_role), at)
        self.sim.advance(at)
        self.incident = ledger.open_incident(case, failed=["correct"], faulty=[output.seq],
                                             summary=INCIDENT_SUMMARY, by=owner, now=at)
