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
DURATION: Final = re.compile(r"([0-9]+)([smhd])")
_DURATION_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def is_dimension(name: str) -> bool:
    """A quality dimension from the vocabulary, or a contract's own ``x-name``."""
    return name in QUALITY_DIMENSIONS or (name.startswith("x-") and len(name) > 2)


def is_role(value: str) -> bool:
    return ROLE_SLUG.fullmatch(value) is not None


def duration_seconds(text: str) -> int:
    """Seconds in ``4h``/``30m``/``400d``; raises ValueError on anything else."""
    m = DURATION.fullmatch(text)
    if m is None:
        raise ValueError(f"{text!r} is not a duration like 30s, 15m, 4h or 2d")
    return int(m.group(1)) * _DURATION_SECONDS[m.group(2)]
