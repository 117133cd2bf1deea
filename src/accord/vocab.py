"""The fixed vocabularies: quality dimensions, evidence fields, learning artefacts, causes."""

from __future__ import annotations

import re
from typing import Final

QUALITY_DIMENSIONS: Final = (
    "correct", "complete", "timely", "compliant", "appropriately_toned",
    "customer_specific", "reversible", "documented", "margin_safe", "policy_safe",
)
WHOLE_ACTION: Final = "whole_action"
EVIDENCE_FIELDS: Final = (
    "input", "sources", "output", "edits", "approval", "policy",
    "final_action", "confidence", "override", "prompt_version",
)
LEARNING_ARTEFACTS: Final = (
    "prompt", "playbook", "data_source", "routing_rule",
    "exception_threshold", "policy", "training_material",
)
CAUSES: Final = (
    "bad_judgment", "bad_source", "bad_prompt", "bad_policy",
    "bad_routing_rule", "bad_exception_threshold",
)
REVIEW_MODES: Final = ("always", "sampled", "risk_based", "none")
ATTRIBUTE_TYPES: Final = ("string", "number", "integer", "boolean")

ROLE_SLUG: Final = re.compile(r"[a-z0-9][a-z0-9-]*")
SYSTEM_PREFIX: Final = "system:"
"""How a system actor is written: ``system:<name>``."""
MAX_ID_LENGTH: Final = 256
"""The longest person id or case id accord takes."""
DURATION: Final = re.compile(r"([0-9]+)([smhd])")
_DURATION_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def is_dimension(name: str) -> bool:
    """A quality dimension from the vocabulary, or a contract's own ``x-name``."""
    return name in QUALITY_DIMENSIONS or (name.startswith("x-") and len(name) > 2)


def is_role(value: str) -> bool:
    """A role slug: lower-case ASCII letters, digits and hyphens, starting with a letter or digit."""
    return ROLE_SLUG.fullmatch(value) is not None


def is_system(actor: str) -> bool:
    """Whether an actor id names a system (``system:<name>``), compared as a person would read it:
    case-insensitive, surrounding spaces ignored."""
    return actor.strip().lower().startswith(SYSTEM_PREFIX)


def id_problem(value: str, what: str) -> str | None:
    """Why ``value`` cannot be an id (a person or a case): blank, too long, surrounding spaces,
    or a control character. None when it is fine."""
    if not value.strip():
        return f"{what} is blank"
    if len(value) > MAX_ID_LENGTH:
        return f"{what} is {len(value)} characters long; at most {MAX_ID_LENGTH}"
    if value != value.strip():
        return f"{what} {value.strip()!r} has spaces around it; remove them"
    if any(not ch.isprintable() for ch in value):
        return f"{what} holds a control or invisible character; use printable characters only"
    return None


def person_problem(value: str) -> str | None:
    """Why ``value`` cannot be a person's id (see :func:`id_problem`; a system is no person)."""
    if is_system(value):
        return f"{value!r} is a system; a person is named by an id such as an e-mail address"
    return id_problem(value, "the person id")


def duration_problem(value: object) -> str | None:
    """Why ``value`` is not a duration (``4h``, ``30m``, ``45s``, ``2d``), in words; None when it is."""
    if isinstance(value, str) and DURATION.fullmatch(value):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value} has no unit: write {value}h, 1d, 30m or 45s"
    if isinstance(value, str) and value.strip().isdigit():
        return f"{value.strip()} has no unit: write {value.strip()}h, 1d, 30m or 45s"
    if isinstance(value, str):
        return f"{value!r} is not a duration like 30s, 15m, 4h or 2d"
    return "must be a duration like 30s, 15m, 4h or 2d"


def duration_seconds(text: str) -> int:
    """Seconds in ``4h``/``30m``/``400d``; raises ValueError (saying why) on anything else."""
    m = DURATION.fullmatch(text) if isinstance(text, str) else None
    if m is None:
        raise ValueError(duration_problem(text))
    return int(m.group(1)) * _DURATION_SECONDS[m.group(2)]
