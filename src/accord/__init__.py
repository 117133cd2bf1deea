"""accord: accountability contracts and tamper-evident evidence for AI-assisted work.

The front door is :func:`open`: it returns a :class:`Ledger` with every use case
(apply contracts and rosters, record, queues, findings, incidents, learning,
drill, verify, checkpoints, proofs); results are typed and frozen, and their
``as_json()`` is what the command line prints.
"""

from __future__ import annotations

from accord.case import Case
from accord.errors import (
    AccordError,
    ActionRefused,
    ContractRefused,
    EventRefused,
    IntegrityError,
    InvalidFile,
    NotFound,
)
from accord.ledger import Ledger, open
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
