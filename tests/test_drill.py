"""`accord drill` (SPEC §7): readiness, failing counts, examples and deterministic samples.

The command's output and exit statuses are checked in test_cli_incident.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

import accord.ledger
from accord.errors import NotFound
from accord.ledger import Ledger
from accord.review.questions import keys
from accord.testing import FixedClock, MemoryStore
from tests.helpers import CLOCK_AT, PEOPLE, T0, memory_ledger, refund_contract, roster, run_case

NOW = T0 + dt.timedelta(days=1)


def by_workflow(result: dict[str, object], workflow: str = "refund-replies") -> dict[str, object]:
    found = [w for w in result["workflows"] if w["workflow"] == workflow]  # type: ignore[attr-defined]
    assert len(found) == 1
    return dict(found[0])


@pytest.fixture
def refunds() -> Ledger:
    """R-1 complete, R-2 without its policy result, R-3 still open (no action)."""
    ledger = memory_ledger()
    run_case(ledger, "R-1", attests=["correct", "appropriately_toned"])
    run_case(ledger, "R-2", policy=None, attests=["correct", "appropriately_toned"])
    run_case(ledger, "R-3", attests=["correct"], action=False)
    return ledger


def test_drill_counts_closed_cases_and_the_ones_that_would_pass(refunds: Ledger) -> None:
    report = by_workflow(refunds.drill(now=NOW).as_json())
    assert (report["cases"], report["ready"], report["readiness"]) == (2, 1, 0.5)
    assert report["failing"] == {**{key: 0 for key in keys()}, "evidence": 1}
    assert report["examples"] == {**{key: [] for key in keys()}, "evidence": ["R-2"]}


def test_failing_always_has_all_seven_keys_and_readiness_is_null_without_cases(refunds: Ledger) -> None:
    refunds.apply_contract(refund_contract(workflow="claims-triage"))
    report = by_workflow(refunds.drill(now=NOW).as_json(), "claims-triage")
    assert (report["cases"], report["ready"], report["readiness"]) == (0, 0, None)
    assert report["failing"] == {key: 0 for key in keys()}


def test_drill_asks_the_same_questions_as_a_review(refunds: Ledger) -> None:
    """A real incident failing every dimension at the last output fails exactly what the drill says."""
    contract = refund_contract()
    output = [e.seq for e in list(refunds.events("R-2")) if e.type == "output.generated"][-1]
    opened = refunds.open_incident("R-2", failed=contract.dimensions, faulty=[output],
                           summary="x", by="dana@example.com", now=NOW).as_json()
    review = refunds.review_incident(str(opened["incident"])).as_json()
    failing = [key for key in keys() if not review["questions"][key]["answered"]]
    report = by_workflow(refunds.drill(now=NOW).as_json())
    assert failing == [key for key in keys() if "R-2" in report["examples"][key]] == ["evidence"]  # type: ignore[index]


def test_a_vacant_learning_role_fails_who_changes_in_the_drill() -> None:
    ledger = accord.ledger.open(store=MemoryStore(), clock=FixedClock(CLOCK_AT))
    ledger.apply_contract(refund_contract())
    ledger.apply_roster(roster(**{k: v for k, v in PEOPLE.items() if k != "refunds-policy-owner"}))
    run_case(ledger, "R-1", attests=["correct", "appropriately_toned"])
    report = by_workflow(ledger.drill(now=NOW).as_json())
    assert report["failing"]["who_changes"] == 1 and report["ready"] == 0  # type: ignore[index]


def test_drill_of_one_workflow_and_of_an_unknown_one(refunds: Ledger) -> None:
    refunds.apply_contract(refund_contract(workflow="claims-triage"))
    only = refunds.drill(workflow="claims-triage", now=NOW).as_json()["workflows"]
    assert [w["workflow"] for w in only] == ["claims-triage"]
    with pytest.raises(NotFound, match="no-such-flow"):
        refunds.drill(workflow="no-such-flow", now=NOW).as_json()


def test_a_sample_takes_the_cases_with_the_smallest_seeded_hash() -> None:
    ledger = accord.ledger.open(store=MemoryStore(), clock=FixedClock(CLOCK_AT))
    ledger.apply_contract(refund_contract())  # no roster: every case fails the owner question
    cases = [f"R-{i}" for i in range(12)]
    for case in cases:
        run_case(ledger, case, attests=["correct", "appropriately_toned"])
    for seed in (0, 7):
        def key(case: str, seed: int = seed) -> str:
            return hashlib.sha256(f"{seed}:refund-replies:{case}".encode()).hexdigest()

        expected = sorted(cases, key=key)[:3]
        report = by_workflow(ledger.drill(sample=3, seed=seed, now=NOW).as_json())
        assert report["cases"] == 3
        assert sorted(report["examples"]["owner"]) == sorted(expected)  # type: ignore[index]
        assert ledger.drill(sample=3, seed=seed, now=NOW) == ledger.drill(
            sample=3, seed=seed, now=NOW), "the same seed gives the same drill"
