"""Why a bad outcome happened: the origin of each faulty event, and how each failed
quality dimension got through, each laid at the owner of the artefact to change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from accord.contract.model import Contract
from accord.review.describe import describe, route_words, words
from accord.runtime.evidence import REVIEWED_ROUTES, Approval, approval
from accord.runtime.roles import Roles
from accord.store.stored import StoredEvent
from accord.vocab import WHOLE_ACTION

ORIGIN_CAUSE: dict[str, str] = {
    "source.used": "bad_source", "input.received": "bad_source", "case.opened": "bad_source",
    "output.generated": "bad_prompt", "policy.applied": "bad_policy",
    "human.edited": "bad_judgment", "review.recorded": "bad_judgment",
    "exception.decided": "bad_judgment", "override.recorded": "bad_judgment",
    "action.taken": "bad_judgment", "routing.decided": "bad_routing_rule",
    "exception.raised": "bad_exception_threshold", "exception.escalated": "bad_exception_threshold",
}
"""The cause an event introduces when it is named faulty."""
ARTEFACT_OF: dict[str, str] = {
    "bad_prompt": "prompt", "bad_source": "data_source", "bad_policy": "policy",
    "bad_judgment": "training_material", "bad_routing_rule": "routing_rule",
    "bad_exception_threshold": "exception_threshold",
}
"""The learning artefact that changes for each cause."""


CAUSE_WORDS: dict[str, str] = {
    "bad_prompt": "the prompt", "bad_source": "a source", "bad_policy": "a policy",
    "bad_judgment": "a person's judgment", "bad_routing_rule": "the routing rule",
    "bad_exception_threshold": "the exception threshold",
}
"""Each cause as a brief names it."""


@dataclass(frozen=True)
class Charge:
    """One cause laid at the owner of one artefact, with the evidence that says why."""

    cause: str
    artefact: str
    role: str | None
    why: str
    """Why, with the seqs and rule text it rests on (the review JSON's words)."""
    words: str
    """The same in plain words, for the brief: no seqs, no rule text."""
    details: str
    """The seqs and rule text behind ``words``, for the brief's details line."""


def route_plain(d: dict[str, Any]) -> tuple[str, str]:
    """A `routing.decided` for the brief: who had to check what (or why nobody did) in plain
    words, and the rule text and inputs behind it."""
    review, owner = d["review"], d.get("rule_owner") or "nobody"
    scope, role = words(d.get("attests") or []) or "nothing", d.get("reviewer_role")
    rule = d.get("rule")
    if review == "required":
        return (f"a {role} had to approve {scope}",
                f"skip rule (did not hold): {rule}; owned by {owner}" if rule else "")
    if review == "sampled_in":
        return (f"the case was sampled for review: a {role} had to approve {scope}",
                f"sampling rule: {rule}; owned by {owner}")
    if review == "sampled_out":
        return (f"review of {scope} was sampled out by the sampling rule owned by {owner}",
                f"sampling rule: {rule}; sample value {d.get('sample_value', 0):.4f}")
    if review == "skipped":
        inputs = ", ".join(f"{k}={v}" for k, v in (d.get("inputs") or {}).items())
        return (f"review of {scope} was skipped because the case met the skip rule owned by {owner}",
                f"skip rule: {rule}; inputs: {inputs}")
    return f"the contract requires no review (a decision owned by {owner})", ""


def _record_words(e: StoredEvent) -> str:
    """The record a faulty seq points at, named for a person."""
    d = e.data
    named = {
        "case.opened": "the case's attributes", "input.received": "the input",
        "source.used": f"the source {d.get('uri')}", "human.edited": f"the edit by {e.actor}",
        "policy.applied": f"policy {d.get('policy')} (version {d.get('version')})",
        "review.recorded": f"the review by {d.get('reviewer')}",
        "exception.decided": f"the exception decision by {d.get('decider')}",
        "override.recorded": f"the override by {d.get('by')}",
        "action.taken": f"the action {d.get('action')} by {d.get('by')}",
        "exception.raised": f"exception {d.get('exception')}",
        "exception.escalated": f"the escalation of exception {d.get('exception')}",
    }
    if e.type == "routing.decided":
        return f"the routing decision ({route_plain(d)[0]})"
    return named.get(e.type, e.type)


def origin(e: StoredEvent, contract: Contract) -> list[Charge]:
    """The charges a faulty event brings: its cause, owned by the artefact's learning owner."""
    cause = ORIGIN_CAUSE[e.type]
    why = f"the {e.type} at seq {e.seq} introduced the defect"
    details = f"faulty: {e.type} seq {e.seq}"
    if cause == "bad_prompt":
        playbook = e.data.get("playbook_version")
        # one phrase for both owners, so the answer names the output once
        prompt = e.data.get("prompt_version") or "of no recorded version"
        why += f" (prompt {prompt}" + (f", playbook {playbook})" if playbook else ")")
        said = (f"the AI output (prompt {prompt}"
                + (f", playbook {playbook})" if playbook else ")") + " introduced the defect")
        charges = [Charge(cause, "prompt", contract.learning_owner("prompt"), why, said, details)]
        if playbook:
            charges.append(Charge(cause, "playbook", contract.learning_owner("playbook"), why, said, details))
        return charges
    said = f"{_record_words(e)} introduced the defect"
    if cause == "bad_routing_rule":
        rule = route_plain(e.data)[1]
        return [Charge(cause, "routing_rule", e.data.get("rule_owner"), f"{why} ({route_words(e.data)})",
                       said, f"{details}; {rule}" if rule else details)]
    artefact = ARTEFACT_OF[cause]
    return [Charge(cause, artefact, contract.learning_owner(artefact), why, said, details)]


def _lacking(appr: Approval) -> tuple[str, str]:
    """What an approval that does not hold lacks, in plain words; and the reviews or decisions
    that did not count, with their seqs."""
    reasons = ["a routing decision"] if appr.route is None else []
    if appr.missing_dimensions:
        reasons.append("an approval of " + words(appr.missing_dimensions))
    reasons += [f"an approving decision on exception {name}" for name in appr.undecided_exceptions]
    return words(reasons) or "the approval", "; ".join(appr.uncounted)


def passage(dim: str, contract: Contract, judged: Sequence[StoredEvent], action: StoredEvent | None,
            route: StoredEvent | None, roles: Roles) -> Charge:
    """Why a failed dimension got through: the first of the six passage rules that applies."""
    def judgment(why: str, said: str, details: str) -> Charge:
        return Charge("bad_judgment", "training_material", contract.learning_owner("training_material"),
                      why, said, details)

    approvals = [e for e in reversed(judged)
                 if e.type == "review.recorded" and e.data["decision"] == "approved"
                 and (dim in e.data["attests"] or WHOLE_ACTION in e.data["attests"])]
    approvals += [e for e in reversed(judged) if e.type == "exception.decided"
                  and e.data["decision"] in ("approved", "modified")]
    if approvals:
        first = approvals[0]
        said = (f"{dim} was approved by {first.data['reviewer']}" if first.type == "review.recorded" else
                f"{dim} got through when {first.data['decider']} {first.data['decision']} exception "
                f"{first.data.get('exception')}")
        return judgment(f"{dim} was approved at seq {first.seq} ({describe(first)})", said,
                        f"{first.type} seq {first.seq}")
    covering = [p.id for p in contract.policies if dim in p.covers]
    said_by = {e.data["policy"]: e for e in judged
               if e.type == "policy.applied" and e.data["policy"] in covering}
    failed = [e for e in said_by.values() if e.data["result"] == "fail"]
    if failed and action is not None:
        name = failed[0].data["policy"]
        return judgment(f"policy {name} said fail on {dim} at seq {failed[0].seq}, "
                        f"and the action at seq {action.seq} went ahead anyway",
                        f"policy {name} said fail on {dim}, and the action went ahead anyway",
                        f"policy.applied seq {failed[0].seq}; action.taken seq {action.seq}")
    if passing := [e for e in said_by.values() if e.data["result"] != "fail"]:
        name, result = passing[0].data["policy"], passing[0].data["result"]
        return Charge("bad_policy", "policy", contract.learning_owner("policy"),
                      f"policy {name} said {result} on {dim} at seq {passing[0].seq}: the policy let the "
                      "failure through",
                      f"policy {name} said {result} on {dim}: the policy let the failure through",
                      f"policy.applied seq {passing[0].seq}")
    d = route.data if route is not None else {}
    routed = dim in (d.get("attests") or []) or WHOLE_ACTION in (d.get("attests") or [])
    if d.get("review") in REVIEWED_ROUTES and routed and action is not None:
        held = approval(contract, judged, roles)
        lacking, uncounted = _lacking(held)
        return judgment(f"{dim} was routed to {d.get('reviewer_role')} for review, but the action at seq "
                        f"{action.seq} went ahead without " + ("; ".join(held.lacking()) or "the approval"),
                        f"{dim} was routed to a {d.get('reviewer_role')} for review, but the action went "
                        f"ahead without {lacking}",
                        f"action.taken seq {action.seq}" + (f"; {uncounted}" if uncounted else ""))
    risk = next((r for r in contract.accepted_risks if r.dimension == dim), None)
    if risk is not None:
        owner = contract.outcome_owner if isinstance(contract.outcome_owner, str) else None
        why = (f"{dim} is an accepted risk ({risk.reason.strip()}): nobody checks it, by decision "
               f"of the outcome owner {owner}")
        return Charge("bad_routing_rule", "routing_rule", owner, why, why, "")
    if route is not None and (d["review"] == "not_required"
                              or (d["review"] in ("skipped", "sampled_out") and routed)):
        said, rule = route_plain(d)
        return Charge("bad_routing_rule", "routing_rule", d.get("rule_owner"),
                      f"nobody checked {dim}: the route at seq {route.seq} said {route_words(d)}",
                      f"nobody checked {dim}: {said}",
                      f"routing.decided seq {route.seq}" + (f"; {rule}" if rule else ""))
    why = (f"nobody was routed to check {dim}: no review attests it, no policy covers it and no "
           "accepted risk names it")
    return Charge("bad_routing_rule", "routing_rule", contract.learning_owner("routing_rule"), why, why, "")
