"""Who may do what over the HTTP API: one table of rules, each a small function.

Every rule answers for one :class:`Caller` (from its token, never from a request body)
about one object: a case (its workflow, pinned contract and records so far), an
incident, a learning action, or the ledger as a whole. Roles come from the latest
roster, at the event's ``at`` for acts and at ``now`` for reads.

An object the caller may not read is *not found* (its existence is not revealed); a
forbidden act on an object the caller may read is *forbidden*. :data:`RULES` lists them
all with their words, which docs/http.md repeats and the tests walk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from accord.contract.model import Contract
from accord.errors import Forbidden, NotFound
from accord.runtime.due import exception_statuses
from accord.runtime.evidence import REVIEWED_ROUTES, approval, last_of
from accord.runtime.roles import Roles
from accord.service.tokens import Caller
from accord.store.stored import StoredEvent

CASE_FACTS = ("case.opened", "input.received", "source.used", "output.generated", "human.edited",
              "policy.applied", "action.taken", "outcome.reported")
"""What a system records for the workflows its token is granted."""
PEOPLE_FIELDS = {"review.recorded": "reviewer", "exception.decided": "decider", "override.recorded": "by",
                 "action.taken": "by"}
"""The data field of each event type that names who acted; over HTTP it is the caller."""


@dataclass(frozen=True)
class CaseFacts:
    """What the rules read about one case: its workflow, pinned contract and records so far."""

    case: str
    workflow: str
    contract: Contract
    events: Sequence[StoredEvent]
    roles: Roles

    def outcome_owner(self) -> str | None:
        owner = self.contract.outcome_owner
        return owner if isinstance(owner, str) else None

    def reviewer_role(self) -> str | None:
        """The reviewer role of the latest route, when it asks for a review."""
        route = last_of(self.events, "routing.decided")
        if route is None or route.data.get("review") not in REVIEWED_ROUTES:
            return None
        role = route.data.get("reviewer_role")
        return role if isinstance(role, str) else None

    def deciding_roles(self, pending_only: bool = False) -> list[str]:
        """The roles that decide the case's raised exceptions: the owner, or ``escalate_to`` once
        escalated (either may decide then); with ``pending_only``, undecided ones only."""
        roles: list[str] = []
        for status in exception_statuses(self.events, self.roles):
            if pending_only and status.decided:
                continue
            data = status.raised.data
            roles += [r for r in (data.get("owner"), data.get("escalate_to") if status.escalated else None)
                      if isinstance(r, str)]
        return roles

    def holds(self, person: str | None, roles: Sequence[str | None], at: dt.datetime) -> bool:
        return person is not None and any(self.roles.holds(r, person, at) for r in roles)

    def acted(self, person: str) -> bool:
        """Whether ``person`` recorded, reviewed, decided or overrode anything on the case."""
        return any(e.actor == person or any(e.data.get(f) == person for f in ("reviewer", "decider", "by"))
                   for e in self.events)

    def in_queue_of(self, person: str, now: dt.datetime) -> bool:
        """Whether the case waits in a queue of a role ``person`` holds now: a review whose
        approval does not hold yet (and no action was taken), or an undecided exception."""
        role = self.reviewer_role()
        if (role is not None and self.roles.holds(role, person, now)
                and not any(e.type == "action.taken" for e in self.events)
                and approval(self.contract, self.events, self.roles).missing_dimensions):
            return True
        return self.holds(person, self.deciding_roles(pending_only=True), now)


def may_read_case(caller: Caller, facts: CaseFacts, now: dt.datetime) -> bool:
    """Auditor; admin; the workflow's outcome owner; a person whose queue holds the case or who
    acted on it; a system token granted the workflow."""
    if caller.admin or caller.auditor or caller.system_for(facts.workflow):
        return True
    person = caller.person
    if person is None:
        return False
    return (facts.holds(person, [facts.outcome_owner()], now) or facts.acted(person)
            or facts.in_queue_of(person, now))


# -- acts on a case: the caller, the case, and the act's time ---------------------------------------

Act = Callable[[Caller, CaseFacts, dt.datetime], bool]


def _system_fact(caller: Caller, facts: CaseFacts, at: dt.datetime) -> bool:
    return caller.system_for(facts.workflow)


def _review(caller: Caller, facts: CaseFacts, at: dt.datetime) -> bool:
    return facts.holds(caller.person, [facts.reviewer_role()], at)


def _decide(caller: Caller, facts: CaseFacts, at: dt.datetime) -> bool:
    return facts.holds(caller.person, facts.deciding_roles(), at)


def _override(caller: Caller, facts: CaseFacts, at: dt.datetime) -> bool:
    return facts.holds(caller.person, [facts.outcome_owner()], at)


def _edit_or_act(caller: Caller, facts: CaseFacts, at: dt.datetime) -> bool:
    if caller.kind == "system":
        return _system_fact(caller, facts, at)
    return _review(caller, facts, at) or _decide(caller, facts, at)


ACTS: dict[str, tuple[str, Act]] = {
    **{kind: ("a system token granted the workflow", _system_fact) for kind in CASE_FACTS},
    "human.edited": ("a system token granted the workflow, or a person who may review or decide the case",
                     _edit_or_act),
    "action.taken": ("a system token granted the workflow, or a person who may review or decide the case",
                     _edit_or_act),
    "review.recorded": ("a person holding the case's routed reviewer role at the review's time", _review),
    "exception.decided": ("a person holding the exception's owner role, or its escalation role once "
                          "escalated, at the decision's time", _decide),
    "override.recorded": ("a person holding the workflow's outcome owner role at the override's time",
                          _override),
}
"""Each client event type: who may record it (in words) and the rule."""


def check_act(caller: Caller, event_type: str, facts: CaseFacts, at: dt.datetime, now: dt.datetime) -> None:
    """Raise NotFound when the caller may not read the case, Forbidden when it may not record
    ``event_type`` on it at ``at``. Nothing else is judged here (the ledger's rules are)."""
    if _act(caller, event_type, facts, at):
        return
    if not may_read_case(caller, facts, now):
        raise NotFound(f"no case {facts.case!r} in this ledger")
    who = ACTS[event_type][0] if event_type in ACTS else "nobody"
    raise Forbidden(f"{caller.subject} may not record {event_type} on case {facts.case!r}: only {who} may")


def _act(caller: Caller, event_type: str, facts: CaseFacts, at: dt.datetime) -> bool:
    rule = ACTS.get(event_type)
    return rule is not None and rule[1](caller, facts, at)


def check_opening(caller: Caller, workflow: str) -> None:
    """A case.opened: only a system token granted its workflow (applied contracts are no secret)."""
    if not caller.system_for(workflow):
        raise Forbidden(f"{caller.subject} may not open cases of {workflow!r}: only a system token granted "
                        "the workflow may")


def bind_identity(caller: Caller, raw: Any) -> Any:
    """The event with its ``actor`` (and its reviewer, decider or ``by``) set to the caller.

    Raises Forbidden when the body names someone else: identity comes from the token.
    Anything that is not an event object is left for the ledger to refuse.
    """
    if not isinstance(raw, dict):
        return raw
    actor = raw.get("actor")
    if actor is not None and actor != caller.subject:
        raise Forbidden(f"actor {actor!r} is not the token's subject {caller.subject!r}: over HTTP an event "
                        "is recorded as the caller; leave actor out")
    event = {**raw, "actor": caller.subject}
    person_field = PEOPLE_FIELDS.get(str(raw.get("type")))
    data = raw.get("data")
    if person_field is not None and isinstance(data, dict):
        named = data.get(person_field)
        if named is not None and named != caller.subject:
            raise Forbidden(f"data.{person_field} {named!r} is not the token's subject {caller.subject!r}: "
                            "over HTTP it is the caller; leave it out")
        event["data"] = {**data, person_field: caller.subject}
    return event


# -- reads and acts that are not about one case -------------------------------------------------------

def outcome_owner_of(caller: Caller, contract: Contract, roles: Roles, now: dt.datetime) -> bool:
    """Whether the caller holds ``contract``'s outcome owner role now."""
    owner = contract.outcome_owner
    return caller.person is not None and isinstance(owner, str) and roles.holds(owner, caller.person, now)


def may_read_incident(caller: Caller, incident: StoredEvent, contract: Contract | None, roles: Roles,
                      now: dt.datetime) -> bool:
    """Auditor, admin, the workflow's outcome owner, the people owning its learning actions."""
    if caller.admin or caller.auditor:
        return True
    if caller.person is None:
        return False
    if contract is not None and outcome_owner_of(caller, contract, roles, now):
        return True
    return any(o.get("person") == caller.person for o in incident.data.get("owners", []))


def may_close_learning(caller: Caller, action: dict[str, Any], roles: Roles, now: dt.datetime) -> bool:
    """Its person or its role's holder now; admin."""
    return caller.admin or (caller.person is not None and (
        action.get("person") == caller.person or roles.holds(action.get("role"), caller.person, now)))


LEDGER_READS: dict[str, tuple[str, Callable[[Caller], bool]]] = {
    "verify": ("auditor, admin", lambda c: c.admin or c.auditor),
    "export": ("auditor, admin", lambda c: c.admin or c.auditor),
    "consistency": ("auditor, admin", lambda c: c.admin or c.auditor),
    "apply": ("admin", lambda c: c.admin),
    "metrics": ("admin, auditor, system tokens", lambda c: c.admin or c.auditor or c.kind == "system"),
    "queues": ("a person (items for roles held now; auditor and admin: all)", lambda c: c.kind == "person"),
    "documents": ("any valid token", lambda c: True),
}
"""Operations on the ledger as a whole: who may (in words) and the rule."""


def check_ledger(caller: Caller, operation: str) -> None:
    """Raise Forbidden unless the caller may do ``operation`` (a key of LEDGER_READS)."""
    who, allowed = LEDGER_READS[operation]
    if not allowed(caller):
        raise Forbidden(f"{caller.subject} may not {operation}: only {who} may")
