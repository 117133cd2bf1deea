"""Why a bad outcome happened: the origin of each faulty event, and how each failed
quality dimension got through, each laid at the owner of the artefact to change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from accord.contract.model import Contract
from accord.review.describe import describe, route_words
from accord.runtime.evidence import REVIEWED_ROUTES, approval
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


@dataclass(frozen=True)
class Charge:
    """One cause laid at the owner of one artefact, with the evidence that says why."""

    cause: str
    artefact: str
    role: str | None
    why: str


def origin(e: StoredEvent, contract: Contract) -> list[Charge]:
    """The charges a faulty event brings: its cause, owned by the artefact's learning owner."""
    cause = ORIGIN_CAUSE[e.type]
    why = f"the {e.type} at seq {e.seq} introduced the defect"
    if cause == "bad_prompt":
        playbook = e.data.get("playbook_version")
        # one phrase for both owners, so the answer names the output once
        prompt = e.data.get("prompt_version") or "of no recorded version"
        why += f" (prompt {prompt}" + (f", playbook {playbook})" if playbook else ")")
        charges = [Charge(cause, "prompt", contract.learning_owner("prompt"), why)]
        if playbook:
            charges.append(Charge(cause, "playbook", contract.learning_owner("playbook"), why))
        return charges
    if cause == "bad_routing_rule":
        return [Charge(cause, "routing_rule", e.data.get("rule_owner"), f"{why} ({route_words(e.data)})")]
    artefact = ARTEFACT_OF[cause]
    return [Charge(cause, artefact, contract.learning_owner(artefact), why)]


def passage(dim: str, contract: Contract, judged: Sequence[StoredEvent], action: StoredEvent | None,
            route: StoredEvent | None, roles: Roles) -> Charge:
    """Why a failed dimension got through: the first of the six passage rules that applies."""
    def judgment(why: str) -> Charge:
        return Charge("bad_judgment", "training_material", contract.learning_owner("training_material"), why)

    approvals = [e for e in reversed(judged)
                 if e.type == "review.recorded" and e.data["decision"] == "approved"
                 and (dim in e.data["attests"] or WHOLE_ACTION in e.data["attests"])]
    approvals += [e for e in reversed(judged) if e.type == "exception.decided"
                  and e.data["decision"] in ("approved", "modified")]
    if approvals:
        return judgment(f"{dim} was approved at seq {approvals[0].seq} ({describe(approvals[0])})")
    covering = [p.id for p in contract.policies if dim in p.covers]
    said = {e.data["policy"]: e for e in judged
            if e.type == "policy.applied" and e.data["policy"] in covering}
    failed = [e for e in said.values() if e.data["result"] == "fail"]
    if failed and action is not None:
        return judgment(f"policy {failed[0].data['policy']} said fail on {dim} at seq {failed[0].seq}, "
                        f"and the action at seq {action.seq} went ahead anyway")
    if passing := [e for e in said.values() if e.data["result"] != "fail"]:
        return Charge("bad_policy", "policy", contract.learning_owner("policy"),
                      f"policy {passing[0].data['policy']} said {passing[0].data['result']} on {dim} "
                      f"at seq {passing[0].seq}: the policy let the failure through")
    d = route.data if route is not None else {}
    routed = dim in (d.get("attests") or []) or WHOLE_ACTION in (d.get("attests") or [])
    if d.get("review") in REVIEWED_ROUTES and routed and action is not None:
        lacking = approval(contract, judged, roles).lacking()
        return judgment(f"{dim} was routed to {d.get('reviewer_role')} for review, but the action at seq "
                        f"{action.seq} went ahead without " + ("; ".join(lacking) or "the approval"))
    risk = next((r for r in contract.accepted_risks if r.dimension == dim), None)
    if risk is not None:
        owner = contract.outcome_owner if isinstance(contract.outcome_owner, str) else None
        return Charge("bad_routing_rule", "routing_rule", owner,
                      f"{dim} is an accepted risk ({risk.reason.strip()}): nobody checks it, by decision "
                      f"of the outcome owner {owner}")
    if route is not None and (d["review"] == "not_required"
                              or (d["review"] in ("skipped", "sampled_out") and routed)):
        return Charge("bad_routing_rule", "routing_rule", d.get("rule_owner"),
                      f"nobody checked {dim}: the route at seq {route.seq} said {route_words(d)}")
    return Charge("bad_routing_rule", "routing_rule", contract.learning_owner("routing_rule"),
                  f"nobody was routed to check {dim}: no review attests it, no policy covers it and no "
                  "accepted risk names it")
