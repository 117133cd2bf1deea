"""Run-time failure-mode detectors, one small registered function each.

A detector reads a :class:`FindingContext` — every case's events, the contracts
they pinned, the roster, the log-level records and ``now`` — and yields
:class:`Finding`s. Adding a rule touches one place: a new ``@detector``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from accord.contract.model import Contract
from accord.runtime.core import Core
from accord.runtime.due import exception_statuses, overdue
from accord.runtime.evidence import approval, failed_policies, judge
from accord.runtime.queues import tick
from accord.runtime.roles import Roles
from accord.store.stored import StoredEvent


@dataclass(frozen=True, order=True)
class Finding:
    """One run-time finding, as `accord findings --json` prints it."""

    workflow: str | None
    case: str | None
    seq: int | None
    rule: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "workflow": self.workflow, "case": self.case, "seq": self.seq,
                "message": self.message}


@dataclass
class FindingContext:
    """What detectors read; built once per `accord findings` run."""

    now: dt.datetime
    cases: dict[str, list[StoredEvent]]
    contract_of: Callable[[str, int], Contract]
    roles: Roles
    log_events: list[StoredEvent] = field(default_factory=list)
    """Records not about one case's evidence: incidents and learning actions."""

    def contract(self, events: list[StoredEvent]) -> Contract:
        first = events[0]
        assert first.workflow is not None and first.contract_version is not None
        return self.contract_of(first.workflow, first.contract_version)


Detector = Callable[[FindingContext], Iterable[Finding]]
DETECTORS: dict[str, tuple[str, Detector]] = {}


def detector(rule: str) -> Callable[[Detector], Detector]:
    """Register a detector under its rule id; its docstring's first line is its doc."""
    def register(func: Detector) -> Detector:
        if rule in DETECTORS:
            raise ValueError(f"detector {rule!r} registered twice")
        DETECTORS[rule] = ((func.__doc__ or "").strip().splitlines()[0], func)
        return func
    return register


def detect(ctx: FindingContext, workflow: str | None = None) -> list[Finding]:
    """Every finding of every detector, sorted by workflow, case, seq, rule."""
    found = [f for _, func in DETECTORS.values() for f in func(ctx)]
    if workflow is not None:
        found = [f for f in found if f.workflow == workflow]
    return sorted(found, key=lambda f: (f.workflow or "", f.case or "", f.seq or 0, f.rule))


def _cases(ctx: FindingContext) -> Iterator[tuple[str, list[StoredEvent], Contract]]:
    """Every opened case with its records and pinned contract."""
    for case, events in ctx.cases.items():
        if events and events[0].type == "case.opened":
            yield case, events, ctx.contract(events)


@detector("unapproved-action")
def unapproved_action(ctx: FindingContext) -> Iterator[Finding]:
    """An action.taken while the route's approval did not hold."""
    for case, events, contract in _cases(ctx):
        for i, e in enumerate(events):
            if e.type != "action.taken":
                continue
            appr = approval(contract, events[: i + 1], ctx.roles)
            if not appr.holds:
                yield Finding(e.workflow, case, e.seq, "unapproved-action",
                              f"{e.data['action']} by {e.data['by']} without " +
                              "; ".join(appr.lacking()))


@detector("ignored-policy-failure")
def ignored_policy_failure(ctx: FindingContext) -> Iterator[Finding]:
    """An action.taken after a declared policy said fail, with no override recorded after it."""
    for case, events, contract in _cases(ctx):
        for i, e in enumerate(events):
            if e.type != "action.taken":
                continue
            for failed in failed_policies(contract, events[: i + 1]):
                yield Finding(e.workflow, case, e.seq, "ignored-policy-failure",
                              f"{e.data['action']} by {e.data['by']} went ahead after policy "
                              f"{failed.data['policy']} said fail at seq {failed.seq}, and nobody "
                              "recorded an override saying why")


@detector("evidence-gap")
def evidence_gap(ctx: FindingContext) -> Iterator[Finding]:
    """A case with a final action that misses a required evidence field."""
    for case, events, contract in _cases(ctx):
        report = judge(contract, events, ctx.roles)
        if report.action is not None and report.missing:
            yield Finding(report.action.workflow, case, report.action.seq, "evidence-gap",
                          "missing required evidence: " + ", ".join(report.missing))


@detector("reviewer-not-in-role")
def reviewer_not_in_role(ctx: FindingContext) -> Iterator[Finding]:
    """A reviewer or decider who did not hold the role at that time."""
    for case, events, _contract in _cases(ctx):
        route: StoredEvent | None = None
        escalated: set[str] = set()
        raised: dict[str, StoredEvent] = {}
        for e in events:
            if e.type == "routing.decided":
                route = e
            elif e.type == "exception.raised":
                raised[e.data["exception"]] = e
            elif e.type == "exception.escalated":
                escalated.add(e.data["exception"])
            elif e.type == "review.recorded":
                role = route.data.get("reviewer_role") if route else None
                person = e.data["reviewer"]
                if not ctx.roles.holds(role, person, e.when):
                    yield Finding(e.workflow, case, e.seq, "reviewer-not-in-role",
                                  _not_in_role(person, [role] if role else [], e.at))
            elif e.type == "exception.decided":
                name = e.data.get("exception")
                exc = raised.get(name or "")
                roles = [exc.data.get("owner")] if exc else []
                if exc and name in escalated and exc.data.get("escalate_to"):
                    roles.append(exc.data["escalate_to"])
                person = e.data["decider"]
                if not any(ctx.roles.holds(r, person, e.when) for r in roles):
                    yield Finding(e.workflow, case, e.seq, "reviewer-not-in-role",
                                  _not_in_role(person, [r for r in roles if r], e.at))


def _not_in_role(person: str, roles: list[str], at: str) -> str:
    if not roles:
        return f"{person} acted with no role routed to them at {at}"
    return f"{person} did not hold {' or '.join(roles)} at {at}"


@detector("owner-vacancy")
def owner_vacancy(ctx: FindingContext) -> Iterator[Finding]:
    """The outcome owner role had no holder when the case opened."""
    for case, events, contract in _cases(ctx):
        role = contract.outcome_owner if isinstance(contract.outcome_owner, str) else None
        opened = events[0]
        if ctx.roles.holder(role, opened.when) is None:
            yield Finding(opened.workflow, case, opened.seq, "owner-vacancy",
                          f"outcome owner {role or '(none named)'} had no holder at {opened.at}")


@detector("exception-overdue")
def exception_overdue(ctx: FindingContext) -> Iterator[Finding]:
    """An exception with no on-time decision, once its due time has passed or a late decision exists."""
    for _case, events, _contract in _cases(ctx):
        for status in exception_statuses(events, ctx.roles):
            late = status.late
            if status.overdue(ctx.now) or (late and not status.on_time):
                e = status.raised
                what = f"decided late at {late[0].at}" if late else "still undecided"
                yield Finding(e.workflow, e.case, e.seq, "exception-overdue",
                              f"exception {status.name} owned by {e.data.get('owner')} was due "
                              f"{e.data['due']}: {what}")


@detector("learning-overdue")
def learning_overdue(ctx: FindingContext) -> Iterator[Finding]:
    """A learning action past its due date and still open."""
    closed = {e.data["id"] for e in ctx.log_events if e.type == "learning.closed"}
    for e in ctx.log_events:
        if e.type == "learning.opened" and e.data["id"] not in closed and overdue(e.data["due"], ctx.now):
            d = e.data
            yield Finding(e.workflow, e.case, e.seq, "learning-overdue",
                          f"{d['id']} of {d['incident']} ({d['cause']}): {d['role']} "
                          f"({d['person'] or 'vacant'}) was to change the {d['artefact']} by "
                          f"{d['due']}; still open")


@detector("recurrence")
def recurrence(ctx: FindingContext) -> Iterator[Finding]:
    """An incident whose cause returns on a case opened after that cause's learning action closed."""
    opened = {e.data["id"]: e for e in ctx.log_events if e.type == "learning.opened"}
    fixes = [(opened[e.data["id"]], e) for e in ctx.log_events
             if e.type == "learning.closed" and e.data["id"] in opened]
    for inc in ctx.log_events:
        case_events = ctx.cases.get(inc.case or "") if inc.type == "incident.opened" else None
        if not case_events:
            continue
        case_opened = case_events[0]
        for cause in inc.data["causes"]:
            # a case that ran before the fix is no evidence against it
            earlier = [(la, done) for la, done in fixes if la.workflow == inc.workflow
                       and la.data["cause"] == cause and done.when < case_opened.when]
            if earlier:
                la, done = max(earlier, key=lambda pair: pair[1].seq)
                yield Finding(inc.workflow, inc.case, inc.seq, "recurrence",
                              f"{inc.data['incident']} names {cause} again: case {inc.case} opened at "
                              f"{case_opened.at}, after {la.data['id']} (the {la.data['artefact']}) "
                              f"was closed at {done.at} with change {done.data['change']}")


_BLAME = re.compile(r"\b(ai|model|llm|gpt|bot|chatbot|hallucinat\w*)\b", re.IGNORECASE)


@detector("tool-blame")
def tool_blame(ctx: FindingContext) -> Iterator[Finding]:
    """An incident with no --faulty event whose summary blames the tool."""
    for e in ctx.log_events:
        if e.type != "incident.opened" or e.data["faulty"]:
            continue
        blamed = _BLAME.search(e.data["summary"])
        if blamed:
            yield Finding(e.workflow, e.case, e.seq, "tool-blame",
                          f"{e.data['incident']} blames the tool ({blamed.group(0)!r}) and names no "
                          "--faulty event, so no artefact and owner can be named for its origin: "
                          "point at the faulty records instead")


LOG_TYPES = ("incident.opened", "learning.opened", "learning.closed")


def find(core: Core, now: dt.datetime, workflow: str | None = None) -> list[Finding]:
    """Every run-time finding at ``now`` (ticking first), optionally for one workflow."""
    tick(core, now)
    cases: dict[str, list[StoredEvent]] = {}
    log_events: list[StoredEvent] = []
    for e in core.events():
        if e.type in LOG_TYPES:
            log_events.append(e)
        elif e.case is not None:
            cases.setdefault(e.case, []).append(e)
    ctx = FindingContext(now=now, cases=cases,
                         contract_of=lambda wf, v: core.book.contract(wf, v).contract,
                         roles=core.book.roles(), log_events=log_events)
    return detect(ctx, workflow)
