"""`accord demo`: four simulated weeks of three AI-assisted workflows, kept as evidence.

:func:`build_demo` applies the example roster and contracts shipped in
``accord/_data/demo`` (byte-identical to ``examples/``) and drives several
hundred cases through the public SDK only — ``Ledger.record_many`` one batch per
step of a case, ``Ledger.tick``, ``Ledger.apply_roster`` — then opens the
incident through :func:`accord.review.incident.open_incident` and reads the review,
the findings and the drill back from the ledger. Nothing it reports is
hard-coded: routes, causes, owners, findings and readiness are accord's own
answers about what was recorded.

What the month holds: refund replies with risk-based skips and reviews of narrow
and whole-action scopes, large refunds decided by the escalations desk (one left
undecided, so it escalates at its SLA), clause drafting under legal review with
``enforce: true`` (one early send is refused), claims triage with sampled QA and
thin evidence, a hand-over in the roster with a reviewer acting after she left,
and the incident: a reply that promised a €480 refund on a €48 order after its
review was skipped.

Every time comes from the simulated start, never from today's date, and the
only randomness is ``random.Random(seed)``: the same seed gives the same ledger
(apart from its origin line, which names each database uniquely).
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from accord.contract.model import Holder, Roster
from accord.demo import _internals
from accord.demo._report import DemoResult, Handover, WorkflowTally
from accord.errors import AccordError, ActionRefused, UsageError
from accord.ledger import Ledger
from accord.ledger import open as open_ledger
from accord.runtime.events import format_time
from accord.runtime.routing import Route
from accord.testing import FixedClock

__all__ = ["CONTRACT_FILES", "DB_NAME", "DEMO_SEED", "DEMO_START", "ROSTER_FILE", "WEEKS", "WORKFLOWS",
           "DemoResult", "Handover", "WorkflowTally", "build_demo", "demo_file", "run_demo"]

DEMO_START = dt.datetime(2026, 10, 5, 8, 0, tzinfo=dt.UTC)
"""The simulated Monday the month starts on; every time in the demo derives from it."""
DEMO_SEED = 7
WEEKS = 4
DEMO_ACTOR = "system:accord-demo"
"""Who applies the demo's roster and contracts; how a previous demo's ledger is recognised."""

REFUNDS, CLAUSES, CLAIMS = "refund-replies", "clause-drafting", "claims-triage"
WORKFLOWS = (REFUNDS, CLAUSES, CLAIMS)
CONTRACT_FILES = tuple(f"{workflow}.yaml" for workflow in WORKFLOWS)
ROSTER_FILE = "roster.yaml"

HANDOVER_ROLE = "support-agent"
HANDOVER_DAY = 14
"""Days after the start when the support agent hands over (the third Monday)."""
SUCCESSOR = "kofi.boateng@example.com"
UNDECIDED_DAY = 3
INCIDENT_DAY = 16
COMPLAINT_AFTER = dt.timedelta(days=1, hours=21, minutes=25)
INCIDENT_SUMMARY = "Reply promised a €480 refund on a €48 order"

DB_NAME = "accord.db"
MARKER = ".accord-demo"
"""The file a demo leaves in its folder so a later run may replace the ledger there."""

_MINUTE = dt.timedelta(minutes=1)


# -- the packaged example files ------------------------------------------------------------------


@contextmanager
def demo_file(name: str) -> Iterator[Path]:
    """A path to one of the example files packaged in ``accord/_data/demo``."""
    with resources.as_file(resources.files("accord") / "_data" / "demo" / name) as path:
        yield path


# -- running it in a folder ----------------------------------------------------------------------


def run_demo(directory: Path, *, seed: int = DEMO_SEED, start: dt.datetime = DEMO_START) -> DemoResult:
    """Build the demo ledger afresh in ``directory`` and write its incident brief there.

    Creates ``directory/accord.db`` (replacing a previous demo's ledger, never any
    other) and ``directory/incident-INC-<n>.html``. Returns the :class:`DemoResult`
    with ``ledger`` (the database URL) and ``brief`` set. Raises UsageError when
    the folder holds a ledger the demo did not make, and whatever the SDK raises
    if the packaged examples no longer describe a working month.
    """
    database = _fresh_database(directory)
    # written first, so a run that was interrupted can still be replaced by the next one
    (directory / MARKER).write_text(f"accord demo, seed {seed}: {DB_NAME} may be replaced by "
                                    "the next `accord demo` run in this folder\n")
    url = f"sqlite:///{database}"
    with open_ledger(url, clock=FixedClock(start)) as ledger:
        result = build_demo(ledger, seed=seed, start=start)
    brief = directory / f"incident-{result.review['incident']}.html"
    brief.write_text(_internals.incident_brief(result.review, result.incident_events), encoding="utf-8")
    result.ledger, result.brief = url, brief
    return result


def _fresh_database(directory: Path) -> Path:
    """The demo's database path in ``directory``, cleared; refuses another ledger."""
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"--dir {directory}: is a file; name a folder for the demo ledger")
    database = directory / DB_NAME
    previous = _previous_demo(directory)
    if database.exists() and database.stat().st_size > 0 and not previous:
        raise UsageError(
            f"--dir {directory}: {database} already holds a ledger that `accord demo` did not "
            "create, and the demo never overwrites one; choose another folder with --dir")
    directory.mkdir(parents=True, exist_ok=True)
    stale = [database, *(directory / (DB_NAME + s) for s in ("-wal", "-shm", "-journal"))]
    if previous:  # only a demo's own briefs; a folder of someone else's files keeps them
        stale += directory.glob("incident-INC-*.html")
    for path in stale:
        path.unlink(missing_ok=True)
    return database


def _previous_demo(directory: Path) -> bool:
    """True when ``directory`` holds a ledger an earlier demo made (marker and first record)."""
    if not (directory / MARKER).is_file() or not (directory / DB_NAME).is_file():
        return False
    try:
        with open_ledger(f"sqlite:///{directory / DB_NAME}") as ledger:
            first = _internals.first_record(ledger)
    except AccordError:
        return False
    return first is None or first.actor == DEMO_ACTOR


# -- the simulation ---------------------------------------------------------------------------


def build_demo(ledger: Ledger, *, seed: int = DEMO_SEED, start: dt.datetime = DEMO_START) -> DemoResult:
    """Record four simulated weeks from ``start`` into an empty ``ledger`` and read back the results.

    When the ledger's clock is a :class:`~accord.testing.FixedClock` it follows the
    simulation, so each record's ``recorded_at`` is its batch's simulated time.
    Returns the :class:`DemoResult` (``ledger`` and ``brief`` unset). Raises
    UsageError for a ledger that already holds records, and the SDK's errors if
    the packaged examples no longer fit the simulated month.
    """
    if _internals.record_count(ledger):
        raise UsageError(f"the demo needs an empty ledger; {_internals.store_url(ledger)} already "
                         "holds records")
    return _Month(ledger, seed, start).run()


class _Batch:
    """One step of one case: events recorded together in one `record_many` call."""

    def __init__(self, case: str) -> None:
        self.case = case
        self.events: list[dict[str, Any]] = []
        self.latest: dt.datetime | None = None

    def add(self, event_type: str, at: dt.datetime, actor: str, /, **data: Any) -> None:
        self.events.append({"case": self.case, "type": event_type, "at": format_time(at), "actor": actor,
                            "data": {k: v for k, v in data.items() if v is not None}})
        self.latest = at if self.latest is None else max(self.latest, at)


Step = Callable[[], None]


class _Month:
    """The simulated month: an agenda of case steps run in time order."""

    def __init__(self, ledger: Ledger, seed: int, start: dt.datetime) -> None:
        self.ledger = ledger
        self.rng = random.Random(seed)
        self.seed = seed
        self.start = start
        self.end = start + dt.timedelta(weeks=WEEKS)
        self.clock = ledger.clock if isinstance(ledger.clock, FixedClock) else None
        self.agenda: list[tuple[dt.datetime, int, Step]] = []
        self.scheduled = 0
        self.tallies = {wf: WorkflowTally(wf) for wf in WORKFLOWS}
        self.numbers = {REFUNDS: 1000, CLAUSES: 2000, CLAIMS: 3000}
        self.roster: Roster | None = None
        self.handover: Handover | None = None
        self.late_reviewer: str | None = None
        self.escalated = 0
        self.incident: dict[str, Any] = {}
        self.enforce_demo_pending = True

    # -- plumbing --------------------------------------------------------------------------

    def schedule(self, at: dt.datetime, step: Step) -> None:
        self.scheduled += 1  # ties run in the order they were planned
        heapq.heappush(self.agenda, (at, self.scheduled, step))

    def _advance(self, at: dt.datetime) -> None:
        if self.clock is not None:
            self.clock.set(at)

    def record(self, batch: _Batch) -> Route | None:
        """Record one step; returns the route accord decided when it held an output."""
        assert batch.latest is not None
        self._advance(batch.latest)
        recorded = self.ledger.record_many(batch.events)
        return recorded.routes.get(batch.case)

    def person(self, role: str, at: dt.datetime) -> str:
        assert self.roster is not None
        holder = self.roster.holder(role, at)
        if holder is None:
            raise AccordError(f"demo: role {role} has no holder at {format_time(at)} in the example "
                              "roster; the demo needs every role it routes to held")
        return holder

    def next_case(self, workflow: str, prefix: str) -> str:
        self.numbers[workflow] += 1
        self.tallies[workflow].cases += 1
        return f"{prefix}-{self.numbers[workflow]}"

    def routed(self, workflow: str, route: Route | None) -> Route:
        assert route is not None, "an output.generated is always routed"
        tally = self.tallies[workflow]
        tally.routes[route.review] += 1
        tally.exceptions += route.exception is not None
        return route

    def act(self, batch: _Batch, workflow: str) -> None:
        self.record(batch)
        self.tallies[workflow].closed += 1

    # -- the month ---------------------------------------------------------------------------

    def run(self) -> DemoResult:
        self._advance(self.start - dt.timedelta(days=3))
        with demo_file(ROSTER_FILE) as path:
            applied, _ = self.ledger.apply_roster(path, actor=DEMO_ACTOR)
        self.roster = applied.roster
        contracts = []
        for name in CONTRACT_FILES:
            with demo_file(name) as path:
                contract, _ = self.ledger.apply_contract(path, actor=DEMO_ACTOR)
            contracts.append({"workflow": contract.workflow, "version": contract.version})
        for day in range(WEEKS * 7):
            date = self.start + dt.timedelta(days=day)
            if day == HANDOVER_DAY:
                self.schedule(date - dt.timedelta(hours=1), self.hand_over)
            if date.weekday() < 5:
                self.plan_workday(day, date)
            midnight = date.replace(hour=23, minute=59)
            self.schedule(midnight, functools.partial(self.tick, midnight))
        while self.agenda:
            at, _, step = heapq.heappop(self.agenda)
            if at > self.end:
                break
            step()
        self.tick(self.end)
        return self.report(contracts)

    def tick(self, now: dt.datetime) -> None:
        self._advance(now)
        self.escalated += self.ledger.tick(now=now)

    def hand_over(self) -> None:
        """A new support agent takes over on Monday; the roster keeps who held the role before."""
        assert self.roster is not None
        day = (self.start + dt.timedelta(days=HANDOVER_DAY)).date()
        body = self.roster.model_dump(mode="json", by_alias=True, exclude_none=True)
        holders = body["roles"][HANDOVER_ROLE]["held_by"]
        current = next(h for h in holders if Holder.model_validate(h, strict=False).holds_on(day))
        left = current["person"]
        until = current.get("until")
        current["until"] = (day - dt.timedelta(days=1)).isoformat()
        holders.append({"person": SUCCESSOR, "from": day.isoformat(),
                        **({"until": until} if until else {})})
        self._advance(self.start + dt.timedelta(days=HANDOVER_DAY, hours=-1))
        applied, _ = self.ledger.apply_roster(Roster.model_validate(body, strict=False), actor=DEMO_ACTOR)
        self.roster = applied.roster
        self.late_reviewer = left
        self.handover = Handover(HANDOVER_ROLE, left, SUCCESSOR, day, None)

    def plan_workday(self, day: int, date: dt.datetime) -> None:
        rng = self.rng

        def when() -> dt.datetime:
            return date + dt.timedelta(minutes=rng.randrange(0, 9 * 60))

        for _ in range(rng.randint(10, 14)):
            self.schedule_case(when(), self.refund)
        for _ in range(rng.randint(3, 5)):
            self.schedule_case(when(), self.clause)
        for _ in range(rng.randint(7, 10)):
            self.schedule_case(when(), self.claim)
        if day == UNDECIDED_DAY:
            at = date + dt.timedelta(hours=7, minutes=10)
            self.schedule(at, lambda: self.refund(at, amount=round(rng.uniform(600, 900), 2),
                                                  tier="plus", risk=0.35, decided=False))
        if day == INCIDENT_DAY:
            at = date + dt.timedelta(hours=3, minutes=40)
            self.schedule(at, lambda: self.refund(at, amount=48.0, tier="standard", risk=0.08,
                                                  misread_total=True))

    def schedule_case(self, at: dt.datetime, start_case: Callable[[dt.datetime], None]) -> None:
        self.schedule(at, lambda: start_case(at))

    # -- refund replies -------------------------------------------------------------------------

    def refund(self, t0: dt.datetime, *, amount: float | None = None, tier: str | None = None,
               risk: float | None = None, decided: bool = True, misread_total: bool = False) -> None:
        """A refund request: drafted by the AI, checked against RP-4, routed by risk."""
        rng = self.rng
        case = self.next_case(REFUNDS, "R")
        late_window = rng.random() < 0.07
        if amount is None:
            amount = round(rng.lognormvariate(4.1, 0.9), 2) if rng.random() > 0.05 else \
                round(rng.uniform(500, 1400), 2)
        if tier is None:
            tier = rng.choices(["standard", "plus", "enterprise"], [75, 22, 3])[0]
        if risk is None:
            risk = round(min(0.99, rng.betavariate(1.3, 5) + (0.4 if late_window else 0)), 2)
        customer, product = rng.choice(CUSTOMERS), rng.choice(PRODUCTS)
        order = f"ORD-{rng.randrange(100000, 999999)}"
        stated = amount * 10 if misread_total else amount
        b = _Batch(case)
        b.add("case.opened", t0, "system:helpdesk",
              workflow=REFUNDS, attributes={"amount": amount, "tier": tier, "risk": risk})
        b.add("input.received", t0 + dt.timedelta(seconds=20), "system:helpdesk",
              content=f"From {customer}: my {product} (order {order}) {rng.choice(REASONS)}. "
                      f"I would like my {_eur(amount)} back, please.")
        b.add("source.used", t0 + dt.timedelta(seconds=40), "system:refund-drafter",
              uri=f"orders://{order}", version=f"snapshot {(t0 - dt.timedelta(hours=3)).date()}",
              excerpt=f"{product}; order total {_eur(amount)}; "
                      f"delivered {(t0 - dt.timedelta(days=35 if late_window else 6)).date()}")
        b.add("source.used", t0 + dt.timedelta(seconds=41), "system:refund-drafter",
              uri="kb://refund-policy", version="RP-4 (2026-09)")
        draft = _refund_reply(customer, product, order, stated)
        b.add("output.generated", t0 + dt.timedelta(seconds=75), "system:refund-drafter",
              content=draft,
              model="m-2026-10", prompt_version="refund-v7",
              confidence=round(rng.uniform(0.7, 0.98), 2))
        b.add("policy.applied", t0 + dt.timedelta(seconds=80), "system:policy-engine",
              policy="refund-policy", version="RP-4", result="fail" if late_window else "pass")
        route = self.routed(REFUNDS, self.record(b))
        if misread_total:
            complaint_at = t0 + COMPLAINT_AFTER
            self.schedule(t0 + dt.timedelta(minutes=2), lambda: self.refund_sent(case, draft, t0))
            self.schedule(complaint_at, lambda: self.complaint(case, order, amount, stated,
                                                               complaint_at))
            return
        if route.exception is not None and not decided:
            return  # nobody on the escalations desk picks it up: it escalates at its SLA
        t1 = t0 + dt.timedelta(minutes=rng.randrange(6, 95))
        self.schedule(t1, lambda: self.refund_handled(case, route, draft, t1, late_window))

    def refund_sent(self, case: str, draft: str, t0: dt.datetime) -> None:
        b = _Batch(case)
        b.add("action.taken", t0 + dt.timedelta(minutes=2), "system:mailer",
              action="email.sent", by="system:mailer", content=draft)
        self.act(b, REFUNDS)

    def refund_handled(self, case: str, route: Route, draft: str, t: dt.datetime,
                       late_window: bool) -> None:
        """People take it from here: the escalations desk, the reviewer, then the send."""
        rng = self.rng
        b = _Batch(case)
        text = draft
        if route.exception is not None:
            decider = self.person(route.exception_owner or "", t)
            if rng.random() < 0.2:
                text = draft.replace("Kind regards", "As a thank-you for your patience we have "
                                     "added free delivery on your next order.\n\nKind regards")
                b.add("human.edited", t, decider, content=text)
                decision = "modified"
            else:
                decision = "approved"
            b.add("exception.decided", t + _MINUTE, decider, decider=decider, decision=decision,
                  exception=route.exception, note="Order and customer history checked.")
            t += dt.timedelta(minutes=rng.randrange(5, 40))
        by = "system:mailer"
        if route.review_required:
            reviewer = self.person(route.reviewer_role or "", t)
            if self.late_reviewer is not None:
                # the departed agent still had the old queue open on her first day away
                reviewer, self.late_reviewer = self.late_reviewer, None
                assert self.handover is not None
                self.handover = Handover(self.handover.role, self.handover.left,
                                         self.handover.took_over, self.handover.on, case)
            text = self.review_refund(b, route, reviewer, text, t)
            if late_window:
                b.add("override.recorded", t + 3 * _MINUTE, reviewer, by=reviewer,
                      what="refund-policy RP-4 (30-day window)",
                      reason="Courier delay confirmed by tracking; goodwill refund.")
            by = reviewer
        content = text
        if by != "system:mailer" and rng.random() < 0.03:
            content = text + "\n\nP.S. I have also flagged your account for priority handling."
        b.add("action.taken", t + 4 * _MINUTE, by, action="email.sent", by=by, content=content)
        self.act(b, REFUNDS)

    def review_refund(self, b: _Batch, route: Route, reviewer: str, text: str,
                      t: dt.datetime) -> str:
        """A support agent's review; scopes vary as they do in real queues."""
        kind = self.rng.random()
        attests = route.attests
        if kind < 0.55:
            b.add("review.recorded", t, reviewer, reviewer=reviewer, attests=attests,
                  decision="approved", note="Amount checked against the order.")
        elif kind < 0.72:
            b.add("review.recorded", t, reviewer, reviewer=reviewer, attests=["whole_action"],
                  decision="approved", note="Checked the whole reply before sending.")
        elif kind < 0.84:
            b.add("review.recorded", t, reviewer, reviewer=reviewer, attests=["appropriately_toned"],
                  decision="changes_requested", note="Too curt; soften the opening.")
            text = text.replace("Hello", "Hello, and thank you for getting in touch", 1)
            b.add("human.edited", t + _MINUTE, reviewer, content=text)
            b.add("review.recorded", t + 2 * _MINUTE, reviewer, reviewer=reviewer, attests=attests,
                  decision="approved")
        elif kind < 0.93:
            # two narrow approvals that together cover the routed scope
            b.add("review.recorded", t, reviewer, reviewer=reviewer, attests=["appropriately_toned"],
                  decision="approved", note="Tone fine.")
            b.add("review.recorded", t + 2 * _MINUTE, reviewer, reviewer=reviewer, attests=["correct"],
                  decision="approved", note="Amount matches the order record.")
        else:
            # only the tone was checked, and the reply went out anyway
            b.add("review.recorded", t, reviewer, reviewer=reviewer, attests=["appropriately_toned"],
                  decision="approved", note="Tone fine; order system was down, amount not checked.")
        return text

    def complaint(self, case: str, order: str, amount: float, stated: float, at: dt.datetime) -> None:
        """The customer writes back; the outcome owner opens the incident."""
        b = _Batch(case)
        b.add("outcome.reported", at, "system:helpdesk", kind="complaint",
              description=f"Customer: your reply promised a {_eur(stated)} refund for order {order}, "
                          f"but only {_eur(amount)} arrived. When will the rest be paid?")
        self.record(b)
        opened_at = at + dt.timedelta(hours=1, minutes=20)
        self.schedule(opened_at, lambda: self.open_the_incident(case, opened_at))

    def open_the_incident(self, case: str, at: dt.datetime) -> None:
        output, owner_role = _internals.faulty_output(self.ledger, case)
        owner = self.person(owner_role, at)
        self._advance(at)
        self.incident = _internals.open_case_incident(self.ledger, case, failed=["correct"],
                                                      faulty=[output], summary=INCIDENT_SUMMARY,
                                                      by=owner, at=at)

    # -- clause drafting ------------------------------------------------------------------------

    def clause(self, t0: dt.datetime) -> None:
        """A clause drafted from the library; counsel reviews every one (enforced)."""
        rng = self.rng
        case = self.next_case(CLAUSES, "CL")
        customer = rng.choice(COMPANIES)
        clause = rng.choice(CLAUSE_KINDS)
        cap = rng.choices([1.0, 1.5, 2.0], [85, 10, 5])[0]
        paper = rng.random() < 0.08
        law = rng.choice(["england-wales", "germany", "new-york", "netherlands"])
        deal = round(rng.uniform(20_000, 600_000), -2)
        entity_ok = rng.random() > 0.08
        b = _Batch(case)
        b.add("case.opened", t0, "system:crm", workflow=CLAUSES,
              attributes={"deal_value": deal, "liability_cap_multiple": cap, "governing_law": law,
                          "on_customer_paper": paper})
        b.add("input.received", t0 + _MINUTE, "system:crm",
              content=f"Order form for {customer}: {clause} clause, {law} law, liability cap "
                      f"{cap:g}x annual fees, deal value {_eur(deal)}"
                      + (", on the customer's paper." if paper else "."))
        b.add("source.used", t0 + 2 * _MINUTE, "system:clause-drafter",
              uri=f"clause-library://{clause}", version="2026.09")
        b.add("source.used", t0 + 2 * _MINUTE, "system:clause-drafter",
              uri=f"crm://accounts/{customer.lower().replace(' ', '-')}", version="2026-10")
        named = customer if entity_ok else customer.split()[0] + " Holdings"
        draft = _clause_text(clause, named, cap, law)
        b.add("output.generated", t0 + 3 * _MINUTE, "system:clause-drafter", content=draft,
              model="m-2026-10", prompt_version="clause-v4", playbook_version="library-2026.09",
              confidence=round(rng.uniform(0.6, 0.95), 2))
        b.add("policy.applied", t0 + 4 * _MINUTE, "system:clause-checks",
              policy="clause-library-coverage", version="2026.09", result="pass")
        b.add("policy.applied", t0 + 4 * _MINUTE, "system:clause-checks",
              policy="entity-name-match", version="3", result="pass" if entity_ok else "fail")
        route = self.routed(CLAUSES, self.record(b))
        t1 = t0 + dt.timedelta(minutes=rng.randrange(45, 300))
        fix = None if entity_ok else (named, customer)
        self.schedule(t1, lambda: self.clause_reviewed(case, route, draft, fix, t1))

    def clause_reviewed(self, case: str, route: Route, draft: str, fix: tuple[str, str] | None,
                        t: dt.datetime) -> None:
        rng = self.rng
        counsel = self.person(route.reviewer_role or "", t)
        if self.enforce_demo_pending:
            # the first counsel to try sends before reviewing: enforce: true refuses it
            self.enforce_demo_pending = False
            early = _Batch(case)
            early.add("action.taken", t, counsel, action="clause.sent", by=counsel, content=draft)
            try:
                self.record(early)
            except ActionRefused as refused:
                self.tallies[CLAUSES].refused.append(f"{case} (missing {'; '.join(refused.missing)})")
            t += 10 * _MINUTE
        b = _Batch(case)
        text = draft
        if fix is not None:
            text = text.replace(*fix)
            b.add("human.edited", t, counsel, content=text)
            b.add("policy.applied", t + _MINUTE, "system:clause-checks",
                  policy="entity-name-match", version="3", result="pass")
            t += 2 * _MINUTE
        kind = rng.random()
        if kind < 0.2:
            b.add("review.recorded", t, counsel, reviewer=counsel, attests=["x-enforceable"],
                  decision="changes_requested", note="Carve-out wording would not survive in court.")
            text = text.replace("reasonable", "reasonable and documented")
            b.add("human.edited", t + 5 * _MINUTE, counsel, content=text)
            t += 6 * _MINUTE
        attests = ["whole_action"] if kind > 0.7 else route.attests
        b.add("review.recorded", t, counsel, reviewer=counsel, attests=attests, decision="approved")
        if route.exception is None:
            b.add("action.taken", t + 2 * _MINUTE, counsel, action="clause.sent", by=counsel,
                  content=text)
            self.act(b, CLAUSES)
            return
        self.record(b)
        t2 = t + dt.timedelta(hours=rng.randrange(2, 30))
        self.schedule(t2, lambda: self.clause_escalation_decided(case, route, counsel, text, t2))

    def clause_escalation_decided(self, case: str, route: Route, counsel: str, text: str,
                                  t: dt.datetime) -> None:
        decider = self.person(route.exception_owner or "", t)
        b = _Batch(case)
        b.add("exception.decided", t, decider, decider=decider, decision="approved",
              exception=route.exception, note="Cap accepted for this deal size; logged in the deal desk.")
        b.add("action.taken", t + 20 * _MINUTE, counsel, action="clause.sent", by=counsel, content=text)
        self.act(b, CLAUSES)

    # -- claims triage --------------------------------------------------------------------------

    def claim(self, t0: dt.datetime) -> None:
        """A first notice of loss triaged by the model; QA samples one in ten; thin evidence."""
        rng = self.rng
        case = self.next_case(CLAIMS, "FN")
        line = rng.choice(["motor", "home", "travel"])
        amount = round(rng.lognormvariate(8.0, 1.1), 2)
        injury = line == "motor" and rng.random() < 0.12
        fraud = round(rng.betavariate(1.2, 8) if rng.random() > 0.04 else rng.uniform(0.7, 0.95), 2)
        severity = "high" if injury or amount > 25_000 else rng.choice(["low", "medium"])
        b = _Batch(case)
        b.add("case.opened", t0, "system:fnol-intake", workflow=CLAIMS,
              attributes={"claim_amount": amount, "line_of_business": line,
                          "injury_reported": injury, "fraud_score": fraud})
        b.add("input.received", t0 + dt.timedelta(seconds=10), "system:fnol-intake",
              content=f"{rng.choice(CUSTOMERS)} reports {rng.choice(LOSSES[line])}; estimated loss "
                      f"{_eur(amount)}" + ("; the driver was injured." if injury else "."))
        if rng.random() < 0.7:  # the policy record is often not attached: thin evidence
            b.add("source.used", t0 + dt.timedelta(seconds=20), "system:claims-triage",
                  uri=f"policies://POL-{rng.randrange(10000, 99999)}", version="2026-10")
        draft = (f"Severity {severity}; queue {line}-{severity}; "
                 f"fraud flag {'yes' if fraud >= 0.7 else 'no'}.")
        b.add("output.generated", t0 + dt.timedelta(seconds=40), "system:claims-triage",
              content=draft,
              model="triage-2026-09", prompt_version="fnol-v3",
              confidence=round(rng.uniform(0.55, 0.97), 2))
        if rng.random() < 0.8:
            b.add("policy.applied", t0 + dt.timedelta(seconds=45), "system:claims-checks",
                  policy="fnol-required-fields", version="CH-12", result="pass")
        if rng.random() < 0.85:
            b.add("policy.applied", t0 + dt.timedelta(seconds=45), "system:claims-checks",
                  policy="routing-sla", version="1", result="pass")
        route = self.routed(CLAIMS, self.record(b))
        t1 = t0 + dt.timedelta(minutes=rng.randrange(3, 14))
        self.schedule(t1, lambda: self.claim_handled(case, route, draft, t1))

    def claim_handled(self, case: str, route: Route, draft: str, t: dt.datetime) -> None:
        rng = self.rng
        b = _Batch(case)
        text = draft
        if route.review_required:
            analyst = self.person(route.reviewer_role or "", t)
            if rng.random() < 0.25:
                b.add("review.recorded", t, analyst, reviewer=analyst, attests=["correct"],
                      decision="changes_requested", note="Severity understated per CH-12.")
                text = draft.replace("low", "medium")
                b.add("human.edited", t + _MINUTE, analyst, content=text)
                t += 2 * _MINUTE
            b.add("review.recorded", t, analyst, reviewer=analyst, attests=route.attests,
                  decision="approved")
        if route.exception is not None:
            t += dt.timedelta(minutes=rng.randrange(10, 80))
            decider = self.person(route.exception_owner or "", t)
            b.add("exception.decided", t, decider, decider=decider, decision="approved",
                  exception=route.exception, note="Reviewed the notice and the policy.")
        b.add("action.taken", t + _MINUTE, "system:claims-router", action="claim.routed",
              by="system:claims-router", content=text)
        self.act(b, CLAIMS)

    # -- reading it back ----------------------------------------------------------------------

    def report(self, contracts: list[dict[str, Any]]) -> DemoResult:
        if not self.incident or self.handover is None:
            raise AccordError("demo: the simulated month ended before its incident or hand-over; "
                              f"WEEKS={WEEKS} must cover INCIDENT_DAY and HANDOVER_DAY")
        answers = _internals.read_back(self.ledger, self.incident, self.end)
        return DemoResult(
            seed=self.seed, start=self.start, now=self.end, events=answers.records, contracts=contracts,
            rosters=answers.roster_version, handover=self.handover,
            workflows=list(self.tallies.values()), escalated=self.escalated, waiting=answers.waiting,
            incident=self.incident, review=answers.review, incident_events=answers.incident_events,
            findings=answers.findings, drill=answers.drill)


# -- words for the simulated texts ----------------------------------------------------------------


def _eur(amount: float) -> str:
    return f"€{amount:,.2f}"


def _refund_reply(customer: str, product: str, order: str, amount: float) -> str:
    first = customer.split()[0]
    return (f"Hello {first},\n\nI'm sorry your {product} did not work out. We have issued a refund "
            f"of {_eur(amount)} for order {order} to your original payment method; it will arrive "
            "within 5 working days.\n\nKind regards,\nCustomer Support")


def _clause_text(clause: str, customer: str, cap: float, law: str) -> str:
    return (f"{clause.title()}. Each party's total liability to {customer} and to the Supplier "
            f"under this Agreement is limited to {cap:g} times the fees paid in the twelve months "
            "before the claim, except for reasonable costs of recovering unpaid fees. This "
            f"Agreement is governed by the laws of {law.replace('-', ' and ').title()}.")


CUSTOMERS = ("Maria Santos", "Jonas Berg", "Aiko Tanaka", "Liam O'Brien", "Fatou Diallo",
             "Chen Wei", "Sofia Rossi", "Mateo García", "Anna Kowalska", "Noah Fischer",
             "Zara Ahmed", "Elif Yılmaz")
PRODUCTS = ("kettle", "desk lamp", "rain jacket", "blender", "headphones", "backpack",
            "coffee grinder", "yoga mat", "air fryer", "office chair")
REASONS = ("arrived broken", "never arrived", "arrived late for the event I bought it for",
           "is not what the listing showed", "stopped working after a week", "was the wrong size")
COMPANIES = ("Northwind Traders Ltd", "Contoso Pharma GmbH", "Fabrikam Logistics BV",
             "Tailspin Air Inc", "Litware Analytics Ltd", "Adatum Health SE")
CLAUSE_KINDS = ("limitation of liability", "indemnity", "data protection", "termination",
                "service levels")
LOSSES = {"motor": ("a rear-end collision at a junction", "a scraped door in a car park",
                    "a windscreen crack from a stone"),
          "home": ("a burst pipe in the kitchen", "storm damage to the roof", "a break-in"),
          "travel": ("a lost suitcase", "a cancelled flight", "a hospital visit abroad")}
