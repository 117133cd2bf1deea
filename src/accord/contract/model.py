"""The contract and roster formats as frozen pydantic models.

Fields whose absence is a *lint finding* rather than a parse error are optional
here (``outcome_owner``, ``quality_bar``, ``review.reviewer`` …); fields whose
absence makes the file unreadable (``workflow``, ``purpose``, ``review.mode``)
are required. Owner fields accept a list so that lint can call it
``diffuse-owner`` instead of refusing the file.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from accord.vocab import (
    EVIDENCE_FIELDS,
    WHOLE_ACTION,
    duration_problem,
    is_dimension,
)


def _dimension(value: str) -> str:
    if not is_dimension(value):
        raise ValueError(
            f"unknown quality dimension {value!r}: use one of the vocabulary "
            "(correct, complete, timely, compliant, appropriately_toned, customer_specific, "
            "reversible, documented, margin_safe, policy_safe) or name your own x-<name>"
        )
    return value


def _attested(value: str) -> str:
    return value if value == WHOLE_ACTION else _dimension(value)


def _evidence_field(value: str) -> str:
    if value not in EVIDENCE_FIELDS:
        raise ValueError(
            f"unknown evidence field {value!r}: use one of {', '.join(EVIDENCE_FIELDS)}"
        )
    return value


def _duration(value: Any) -> Any:
    # Before the strict str check: `decide_within: 24` deserves the same help as `1 day`.
    if (problem := duration_problem(value)) is not None:
        raise ValueError(problem)
    return value


Dimension = Annotated[str, AfterValidator(_dimension)]
Attested = Annotated[str, AfterValidator(_attested)]
EvidenceField = Annotated[str, AfterValidator(_evidence_field)]
Duration = Annotated[str, BeforeValidator(_duration)]
def _owner(value: Any) -> Any:
    # One clear message instead of one per member of the union below.
    if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return value
    raise ValueError(f"must be a role name such as support-ops-lead, not {type(value).__name__} "
                     f"{value!r}")


Owner = Annotated[str | list[str], BeforeValidator(_owner)]
"""A role slug; a list is accepted only so lint can report it as ``diffuse-owner``."""

AttributeType = Literal["string", "number", "integer", "boolean"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Policy(_Model):
    id: str
    covers: list[Dimension] = Field(default_factory=list)


class Review(_Model):
    mode: Literal["always", "sampled", "risk_based", "none"]
    reviewer: Owner | None = None
    attests: list[Attested] | None = None
    skip_when: str | None = None
    threshold_owner: Owner | None = None
    sample_rate: float | None = None  # strict: an integer is a number, true and "0.5" are not
    sampling_owner: Owner | None = None


class ExceptionRoute(_Model):
    name: str | None = None
    when: str | None = None
    owner: Owner | None = None
    decide_within: Duration | None = None
    evidence: list[EvidenceField] | None = None
    escalate_to: Owner | None = None


class Evidence(_Model):
    required: list[EvidenceField] = Field(default_factory=list)
    retain_for: Duration | None = None


class Learning(_Model):
    prompt: Owner | None = None
    playbook: Owner | None = None
    data_source: Owner | None = None
    routing_rule: Owner | None = None
    exception_threshold: Owner | None = None
    policy: Owner | None = None
    training_material: Owner | None = None

    def owner_of(self, artefact: str) -> str | None:
        value = getattr(self, artefact)
        return value if isinstance(value, str) else None


class AcceptedRisk(_Model):
    dimension: Dimension
    reason: str


class Slice(_Model):
    team: str
    owns: str


class Contract(_Model):
    """One workflow's accountability contract."""

    accord: Literal[1]
    kind: Literal["contract"]
    workflow: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    title: str | None = None
    purpose: str
    outcome_owner: Owner | None = None
    attributes: dict[str, AttributeType] = Field(default_factory=dict)
    quality_bar: dict[Dimension, str | None] | None = None
    policies: list[Policy] = Field(default_factory=list)
    review: Review
    exceptions: list[ExceptionRoute] = Field(default_factory=list)
    evidence: Evidence | None = None
    learning: Learning | None = None
    accepted_risks: list[AcceptedRisk] = Field(default_factory=list)
    enforce: bool = False
    slices: list[Slice] = Field(default_factory=list)

    @property
    def dimensions(self) -> list[str]:
        return list(self.quality_bar or {})

    @property
    def required_evidence(self) -> list[str]:
        return list(self.evidence.required) if self.evidence else []

    def learning_owner(self, artefact: str) -> str | None:
        return self.learning.owner_of(artefact) if self.learning else None

    def exception(self, name: str) -> ExceptionRoute | None:
        return next((e for e in self.exceptions if e.name == name), None)


class Holder(_Model):
    person: str
    from_: dt.date = Field(alias="from", strict=False)
    until: dt.date | None = Field(default=None, strict=False)

    def holds_on(self, day: dt.date) -> bool:
        return self.from_ <= day and (self.until is None or day <= self.until)


class Role(_Model):
    title: str | None = None
    held_by: list[Holder] = Field(default_factory=list)


class Roster(_Model):
    """Who holds which role, when. A role may have several holders at once (a review team),
    except an owner role (see :func:`owner_roles`), which resolves to one person."""

    accord: Literal[1]
    kind: Literal["roster"]
    roles: dict[str, Role] = Field(default_factory=dict)

    def holders(self, role: str | None, at: dt.datetime | dt.date) -> list[str]:
        """Everyone holding ``role`` at the instant ``at`` (UTC), earliest holding first."""
        spec = self.roles.get(role) if role is not None else None
        if spec is None:
            return []
        day = at.astimezone(dt.UTC).date() if isinstance(at, dt.datetime) else at
        found = sorted((h for h in spec.held_by if h.holds_on(day)), key=lambda h: h.from_)
        return list(dict.fromkeys(h.person for h in found))

    def holder(self, role: str | None, at: dt.datetime | dt.date) -> str | None:
        """The one person an owner role resolves to at ``at`` (the earliest holding), None for a vacancy."""
        found = self.holders(role, at)
        return found[0] if found else None

    def holds(self, role: str | None, person: str, at: dt.datetime | dt.date) -> bool:
        """Whether ``person`` held ``role`` at the instant ``at``."""
        return person in self.holders(role, at)

    def overlaps(self, role: str) -> list[tuple[Holder, Holder]]:
        """Pairs of holdings of ``role`` that share a day (a diffuse owner, for an owner role)."""
        spec = self.roles.get(role)
        if spec is None:
            return []
        spans = sorted(spec.held_by, key=lambda h: h.from_)
        return [(a, b) for i, a in enumerate(spans) for b in spans[i + 1:]
                if a.until is None or b.from_ <= a.until]


def owner_roles(contract: Contract) -> dict[str, list[str]]:
    """The roles a contract names as owners (outcome, threshold, sampling, learning), each with
    the fields that name it: these must resolve to one person at any instant."""
    named: dict[str, list[str]] = {}

    def add(field: str, value: str | list[str] | None) -> None:
        if isinstance(value, str):
            named.setdefault(value, []).append(field)

    add("outcome_owner", contract.outcome_owner)
    add("review.threshold_owner", contract.review.threshold_owner)
    add("review.sampling_owner", contract.review.sampling_owner)
    if contract.learning is not None:
        for artefact in type(contract.learning).model_fields:
            add(f"learning.{artefact}", getattr(contract.learning, artefact))
    return named


def json_schema() -> dict[str, Any]:
    """The JSON Schema editors use to validate and complete contract and roster files."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "accord contract or roster",
        "oneOf": [
            {"$ref": "#/$defs/Contract"},
            {"$ref": "#/$defs/Roster"},
        ],
        "$defs": {
            **Contract.model_json_schema(ref_template="#/$defs/{model}", by_alias=True).get("$defs", {}),
            **Roster.model_json_schema(ref_template="#/$defs/{model}", by_alias=True).get("$defs", {}),
            "Contract": {
                k: v for k, v in Contract.model_json_schema(
                    ref_template="#/$defs/{model}", by_alias=True).items() if k != "$defs"
            },
            "Roster": {
                k: v for k, v in Roster.model_json_schema(
                    ref_template="#/$defs/{model}", by_alias=True).items() if k != "$defs"
            },
        },
    }


__all__ = [
    "AcceptedRisk", "Contract", "Evidence", "ExceptionRoute", "Holder", "Learning",
    "Policy", "Review", "Role", "Roster", "Slice", "json_schema", "owner_roles",
]
