"""Route decisions: review, sampling, skip thresholds and exceptions.

A :class:`Router` is built once per contract version (its CEL rules compiled
once, into one set that CEL evaluates together) and decides from the case
attributes plus ``confidence``; the decision is the ``data`` of the
``routing.decided`` event the service appends.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accord._time import format_time
from accord.contract.model import Contract
from accord.rules import EvaluationError, compile_rules
from accord.vocab import duration_seconds


def sample_value(workflow: str, case: str) -> float:
    """The case's deterministic sampling value in [0, 1): auditable by anyone."""
    digest = hashlib.sha256(f"{workflow}:{case}".encode()).hexdigest()
    return int(digest[:8], 16) / 2**32


@dataclass(frozen=True)
class Route:
    """A routing decision as the SDK returns it from ``Case.output``."""

    review: str
    rule: str | None
    rule_owner: str | None
    reviewer_role: str | None
    attests: list[str]
    exception: str | None
    exception_owner: str | None
    due: str | None
    contract_version: int
    inputs: dict[str, Any]
    errors: list[str]
    seq: int | None = None

    @property
    def review_required(self) -> bool:
        """True when a person must review: routed ``required`` or ``sampled_in``."""
        return self.review in ("required", "sampled_in")

    @classmethod
    def from_data(cls, data: Mapping[str, Any], seq: int | None = None) -> Route:
        return cls(
            review=data["review"], rule=data.get("rule"), rule_owner=data.get("rule_owner"),
            reviewer_role=data.get("reviewer_role"), attests=list(data.get("attests") or []),
            exception=data.get("exception"), exception_owner=data.get("exception_owner"),
            due=data.get("due"), contract_version=data["contract_version"],
            inputs=dict(data.get("inputs") or {}), errors=list(data.get("errors") or []), seq=seq,
        )


class Router:
    """Decides routes for one contract version; rules compiled once.

    Everything a decision takes from the contract alone — the review mode's
    fixed fields, roles, the attested scope, each exception route's owner and
    time to decide — is worked out here, once, not on every output.
    """

    def __init__(self, contract: Contract, version: int) -> None:
        self.contract = contract
        self.version = version
        attrs = dict(contract.attributes)
        review = contract.review
        skip_when = [review.skip_when] if review.mode == "risk_based" and review.skip_when else []
        routes = [route for route in contract.exceptions if route.when and route.name]
        # the version's rules in one set, which CEL evaluates together once per output
        self.rules = compile_rules([*skip_when, *(route.when or "" for route in routes)], attrs)
        self._skip_rules = len(skip_when)
        # each route with its owner and time to decide: names need not be unique
        self.exception_routes = [
            (route.name or "", _role(route.owner),
             dt.timedelta(seconds=duration_seconds(route.decide_within or "0s")))
            for route in routes
        ]
        self.attribute_names = list(attrs)
        self._mode = review.mode
        self._sample_rate = review.sample_rate or 0.0
        self._fixed: dict[str, Any] = {}  # review, rule and rule_owner where they do not vary
        if review.mode == "always":
            self._fixed = {"review": "required", "rule": None,
                           "rule_owner": contract.learning_owner("routing_rule")}
        elif review.mode == "none":
            self._fixed = {"review": "not_required", "rule": None,
                           "rule_owner": _role(review.threshold_owner)}
        owner = review.sampling_owner if review.mode == "sampled" else review.threshold_owner
        self._rule_owner = _role(owner)
        self._reviewer_role = _role(review.reviewer) if review.mode != "none" else None
        self._attests = list(review.attests or []) if review.mode != "none" else []

    def decide(self, case: str, attributes: Mapping[str, Any], confidence: float | None,
               at: dt.datetime, raised: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The ``routing.decided`` data; ``raised`` maps already-raised exceptions to due times."""
        inputs: dict[str, Any] = {name: attributes.get(name) for name in self.attribute_names}
        inputs["confidence"] = confidence
        env = {k: v for k, v in inputs.items() if v is not None}
        errors: list[str] = []
        outcomes = self.rules.outcomes(env)
        mode = self._mode
        decision: dict[str, Any]
        if mode == "sampled":
            rate = self._sample_rate
            value = sample_value(self.contract.workflow, case)
            decision = {"review": "sampled_in" if value < rate else "sampled_out",
                        "rule": f"sample_rate {rate:g}", "sample_value": value,
                        "rule_owner": self._rule_owner}
        elif mode == "risk_based":
            skip = outcomes[0] if self._skip_rules else False
            if isinstance(skip, EvaluationError):
                errors.append(f"skip_when: {skip}; reviewing instead of skipping")
                skip = False
            decision = {"review": "skipped" if skip else "required",
                        "rule": self.contract.review.skip_when, "rule_owner": self._rule_owner}
        else:
            decision = dict(self._fixed)
        decision["reviewer_role"] = self._reviewer_role
        decision["attests"] = list(self._attests)
        decision.update(exception=None, exception_owner=None, due=None)
        hits = outcomes[self._skip_rules:]
        for (name, owner, within), hit in zip(self.exception_routes, hits, strict=True):
            if isinstance(hit, EvaluationError):
                errors.append(f"exception {name} when: {hit}; escalating instead")
                hit = True
            if hit:
                due = (raised or {}).get(name) or format_time(at + within)
                decision.update(exception=name, exception_owner=owner, due=due)
                break
        decision.update(contract_version=self.version, inputs=inputs, errors=errors)
        return decision


def _role(value: str | list[str] | None) -> str | None:
    return value if isinstance(value, str) else None
