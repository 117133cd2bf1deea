"""accord: accountability contracts and tamper-evident evidence for AI-assisted work."""

from __future__ import annotations

from accord.errors import (
    AccordError,
    ActionRefused,
    ContractRefused,
    EventRefused,
    IntegrityError,
    InvalidFile,
    NotFound,
)

__all__ = [
    "AccordError",
    "ActionRefused",
    "ContractRefused",
    "EventRefused",
    "IntegrityError",
    "InvalidFile",
    "NotFound",
]
