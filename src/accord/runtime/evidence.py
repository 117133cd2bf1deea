"""Judging a case's evidence and approval from its events.

Pure functions over a contract and a case's stored events in seq order; the
service, `case show`, findings, enforcement and the incident review all ask
here, so "is the approval there?" has one answer everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from accord.contract.model import Contract
from accord.runtime.roles import Roles
from accord.store.stored import StoredEvent
from accord.vocab import WHOLE_ACTION

REVIEWED_ROUTES = ("required", "sampled_in")
UNREVIEWED_ROUTES = ("skipped", "sampled_out", "not_required")
CONTENT_TYPES = ("output.generated", "human.edited")


@dataclass
class Approval:
    """Whether the route's approval holds before an action, and what is lacking if not."""

    holds: bool
    route: StoredEvent | None
    approving: list[int] = field(default_factory=list)
    missing_dimensions: list[str] = field(default_factory=list)
    undecided_exceptions: list[str] = field(default_factory=list)
    uncounted: list[str] = field(default_factory=list)
    """Reviews and decisions that count for nothing, each with why in words: by someone not
    holding the role then, or dated after the action."""

    def lacking(self) -> list[str]:
        """Plain-words reasons the approval does not hold."""
        reasons = []
        if self.route is None:
            reasons.append("no routing decision (no output.generated before the action)")
        if self.missing_dimensions:
            reasons.append("approval attesting " + ", ".join(self.missing_dimensions))
        reasons.extend(f"an approving decision on exception {name!r}"
                       for name in self.undecided_exceptions)
        if reasons and self.uncounted:
            reasons.append("(" + "; ".join(self.uncounted) + ")")
        return reasons


@dataclass
class EvidenceReport:
    present: dict[str, list[int]]
    missing: list[str]
    approval: Approval
    action: StoredEvent | None

    def as_json(self) -> dict[str, Any]:
        return {"present": self.present, "missing": self.missing}


def last_of(events: Sequence[StoredEvent], kind: str) -> StoredEvent | None:
    return next((e for e in reversed(events) if e.type == kind), None)


def upto_last_action(events: Sequence[StoredEvent]) -> list[StoredEvent]:
    """The events up to and including the last ``action.taken`` (all, when none)."""
    for i in range(len(events) - 1, -1, -1):
        if events[i].type == "action.taken":
            return list(events[: i + 1])
    return list(events)


def approval(contract: Contract, events: Sequence[StoredEvent], roles: Roles) -> Approval:
    """Does the route's approval hold at the end of ``events`` (the action's point)?

    Only reviews by holders of the routed reviewer role, and exception decisions
    by holders of the exception's owner role (or its ``escalate_to`` once
    escalated), count — each at its own ``at``. When ``events`` end at an
    ``action.taken``, what is dated after the action does not count either.
    """
    route = last_of(events, "routing.decided")
    if route is None:
        return Approval(False, None)
    result = Approval(True, route)
    cutoff = events[-1].when if events[-1].type == "action.taken" else None

    def counts(e: StoredEvent, allowed: Sequence[str | None], person: str) -> bool:
        what = f"the {'review' if e.type == 'review.recorded' else 'decision'} at seq {e.seq} by {person}"
        if cutoff is not None and e.when > cutoff:
            result.uncounted.append(f"{what} is dated {e.at}, after the action, and counts for nothing")
            return False
        if not any(roles.holds(r, person, e.when) for r in allowed):
            held = " or ".join(r for r in allowed if r) or "the role routed to decide"
            result.uncounted.append(f"{what} counts for nothing: {person} did not hold {held} at {e.at}")
            return False
        return True

    if route.data.get("review") in REVIEWED_ROUTES:
        routed = list(route.data.get("attests") or [])
        role = route.data.get("reviewer_role")
        last_content = max((i for i, e in enumerate(events) if e.type in CONTENT_TYPES), default=-1)
        covered: set[str] = set()
        approving: dict[str, int] = {}
        for e in events[last_content + 1:]:
            if e.type != "review.recorded" or not counts(e, [role], e.data["reviewer"]):
                continue
            attests = set(e.data["attests"])
            if WHOLE_ACTION in attests:
                attests |= set(contract.dimensions) | set(routed)
            if e.data["decision"] == "approved":
                covered |= attests
                for dim in attests:
                    approving[dim] = e.seq
            else:
                # a later rejection of any part takes back the whole-action approval too
                covered -= attests | {WHOLE_ACTION}
        missing = [d for d in routed if d not in covered]
        result.missing_dimensions = missing
        result.approving = sorted({approving[d] for d in routed if d in approving})
        result.holds = not missing
    for name, decision in _counted_decisions(events, counts).items():
        if decision is None or decision.data["decision"] not in ("approved", "modified"):
            result.undecided_exceptions.append(name)
            result.holds = False
        else:
            result.approving = sorted({*result.approving, decision.seq})
    return result


def _counted_decisions(events: Sequence[StoredEvent],
                       counts: Callable[[StoredEvent, Sequence[str | None], str], bool]
                       ) -> dict[str, StoredEvent | None]:
    """Each raised exception with its latest decision that counts (by its deciding role's holder)."""
    raised: dict[str, StoredEvent] = {}
    escalated: set[str] = set()
    out: dict[str, StoredEvent | None] = {}
    for e in events:
        if e.type == "exception.raised":
            raised.setdefault(e.data["exception"], e)
            out.setdefault(e.data["exception"], None)
        elif e.type == "exception.escalated":
            escalated.add(e.data["exception"])
        elif e.type == "exception.decided" and e.data.get("exception") in raised:
            name = e.data["exception"]
            data = raised[name].data
            allowed = [data.get("owner")] + ([data.get("escalate_to")] if name in escalated else [])
            if counts(e, allowed, e.data["decider"]):
                out[name] = e
    return out


def exception_decisions(events: Sequence[StoredEvent]) -> dict[str, StoredEvent | None]:
    """Each raised exception (by route name) with its latest decision, or None."""
    out: dict[str, StoredEvent | None] = {}
    for e in events:
        if e.type == "exception.raised":
            out.setdefault(e.data["exception"], None)
        elif e.type == "exception.decided":
            name = e.data.get("exception") or _open_exception(out)
            if name is not None and name in out:
                out[name] = e
    return out


def _open_exception(decisions: dict[str, StoredEvent | None]) -> str | None:
    undecided = [n for n, d in decisions.items() if d is None]
    if undecided:
        return undecided[-1]
    return next(reversed(decisions), None)


def latest_text(events: Sequence[StoredEvent]) -> str | None:
    """The latest output or human edit text in ``events``."""
    for e in reversed(events):
        if e.type in CONTENT_TYPES:
            return str(e.data["content"])
    return None


def failed_policies(contract: Contract, events: Sequence[StoredEvent]) -> list[StoredEvent]:
    """Declared policies whose latest result is ``fail`` with no later override."""
    declared = {p.id for p in contract.policies}
    latest: dict[str, StoredEvent] = {}
    for e in events:
        if e.type == "policy.applied" and e.data["policy"] in declared:
            latest[e.data["policy"]] = e
    last_override = max((e.seq for e in events if e.type == "override.recorded"), default=0)
    return [e for e in latest.values() if e.data["result"] == "fail" and e.seq > last_override]


def judge(contract: Contract, events: Sequence[StoredEvent], roles: Roles) -> EvidenceReport:
    """Which evidence fields are present (with seqs) and which are missing."""
    judged = upto_last_action(events)
    action = judged[-1] if judged and judged[-1].type == "action.taken" else None
    present: dict[str, list[int]] = {}

    def add(name: str, seqs: list[int]) -> None:
        present[name] = sorted(seqs)

    by_type: dict[str, list[StoredEvent]] = {}
    for e in judged:
        by_type.setdefault(e.type, []).append(e)
    if inputs := by_type.get("input.received"):
        add("input", [e.seq for e in inputs])
    if sources := by_type.get("source.used"):
        add("sources", [e.seq for e in sources])
    outputs = by_type.get("output.generated", [])
    if outputs:
        add("output", [e.seq for e in outputs])
        if versioned := [e.seq for e in outputs if "prompt_version" in e.data]:
            add("prompt_version", versioned)
        if confident := [e.seq for e in outputs if "confidence" in e.data]:
            add("confidence", confident)
    edits = by_type.get("human.edited", [])
    if action is not None:
        content = action.data.get("content")
        before = latest_text(judged[:-1])
        if content is None or content == before:
            add("edits", [e.seq for e in edits] or [action.seq])
        add("final_action", [e.seq for e in by_type["action.taken"]])
    elif edits:
        add("edits", [e.seq for e in edits])
    appr = approval(contract, judged, roles)
    if appr.holds and appr.route is not None:
        # for an unreviewed route the recorded decision not to review is the evidence
        add("approval", appr.approving or [appr.route.seq])
    declared = [p.id for p in contract.policies]
    applied = by_type.get("policy.applied", [])
    if not declared:
        add("policy", [])
    elif all(any(e.data["policy"] == pid for e in applied) for pid in declared):
        add("policy", [e.seq for e in applied if e.data["policy"] in declared])
    if overrides := by_type.get("override.recorded"):
        add("override", [e.seq for e in overrides])
    elif action is not None:
        add("override", [action.seq])
    required = contract.required_evidence
    missing = [f for f in required if f not in present]
    return EvidenceReport(present, missing, appr, action)
