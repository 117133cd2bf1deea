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
from accord.ledger import Case, Ledger, open
from accord.runtime.routing import Route

__version__ = "0.1.0"

__all__ = [
    "AccordError",
    "ActionRefused",
    "Case",
    "ContractRefused",
    "EventRefused",
    "IntegrityError",
    "InvalidFile",
    "Ledger",
    "NotFound",
    "Route",
    "open",
]
