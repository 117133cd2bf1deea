"""The public API is explicit: `accord.__all__` is the front door and what it returns."""

from __future__ import annotations

import accord
import accord.testing


def test_the_front_door_exports_exactly_these_names() -> None:
    assert accord.__all__ == [
        "AccordError", "ActionRefused", "AppliedContract", "AppliedRoster", "Case", "CaseSummary", "CaseView",
        "ConsistencyProof", "ContractRefused", "DrillReport", "Escalation", "EventRefused", "Finding",
        "IncidentOpened", "IncidentReview", "IncidentSummary", "InclusionProof", "IntegrityError",
        "InvalidFile", "LearningAction", "Ledger", "NotFound", "QueueItem", "Recorded", "Route",
        "StoredEvent", "VerifyReport", "WorkflowReadiness", "open",
    ]


def test_every_exported_name_is_importable_and_documented() -> None:
    for name in accord.__all__:
        value = getattr(accord, name)
        assert (value.__doc__ or "").strip(), f"accord.{name} needs a docstring"


def test_the_testing_helpers_are_public() -> None:
    assert accord.testing.__all__ == ["FixedClock", "MemoryStore"]
    with accord.open(store=accord.testing.MemoryStore()) as ledger:
        assert ledger.contracts() == []
