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
    duration_seconds,
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


def _duration(value: str) -> str:
    duration_seconds(value)
    return value


Dimension = Annotated[str, AfterValidator(_dimension)]
Attested = Annotated[str, AfterValidator(_attested)]
EvidenceField = Annotated[str, AfterValidator(_evidence_field)]
Duration = Annotated[str, AfterValidator(_duration)]
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
    """Who holds which role, when."""

    accord: Literal[1]
    kind: Literal["roster"]
    roles: dict[str, Role] = Field(default_factory=dict)

    def holder(self, role: str, at: dt.datetime | dt.date) -> str | None:
        """The person holding ``role`` at the instant ``at`` (UTC), or None for a vacancy."""
        day = at.astimezone(dt.UTC).date() if isinstance(at, dt.datetime) else at
        spec = self.roles.get(role)
        if spec is None:
            return None
        return next((h.person for h in spec.held_by if h.holds_on(day)), None)


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
    "Policy", "Review", "Role", "Roster", "Slice", "json_schema",
]
