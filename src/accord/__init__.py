"""accord: accountability contracts and tamper-evident evidence for AI-assisted work.

The front door is :func:`open`: it returns a :class:`Ledger` with every use case
(apply contracts and rosters, record, queues, findings, incidents, learning,
drill, verify, checkpoints, proofs). Results are typed and frozen; their
``as_json()`` is what the command line prints with ``--json``.
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
from accord.integrity.proofs import ConsistencyProof, InclusionProof
from accord.integrity.verify import VerifyReport
from accord.ledger import Ledger, open
from accord.review.drill import DrillReport, WorkflowReadiness
from accord.review.incidents import IncidentOpened, IncidentReview, IncidentSummary
from accord.review.learning import LearningAction
from accord.runtime.book import AppliedContract, AppliedRoster
from accord.runtime.cases import CaseSummary, CaseView
from accord.runtime.findings import Finding
from accord.runtime.queues import Escalation, QueueItem
from accord.runtime.recording import Recorded
from accord.runtime.routing import Route
from accord.store.stored import StoredEvent

__version__ = "0.1.0"

__all__ = [
    "AccordError",
    "ActionRefused",
    "AppliedContract",
    "AppliedRoster",
    "Case",
    "CaseSummary",
    "CaseView",
    "ConsistencyProof",
    "ContractRefused",
    "DrillReport",
    "Escalation",
    "EventRefused",
    "Finding",
    "IncidentOpened",
    "IncidentReview",
    "IncidentSummary",
    "InclusionProof",
    "IntegrityError",
    "InvalidFile",
    "LearningAction",
    "Ledger",
    "NotFound",
    "QueueItem",
    "Recorded",
    "Route",
    "StoredEvent",
    "VerifyReport",
    "WorkflowReadiness",
    "open",
]
