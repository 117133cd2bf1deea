"""Why it happened and who changes what (SPEC §7): each faulty event's origin cause, how
each failed dimension got past the checks, and the owner the contract names for each cause.

Most tests run the refund workflow in memory through the library; the table of scenarios on
the examples/ contracts goes through the command line (tests/cli_scenarios.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import accord.ledger
from accord.ledger import Ledger
from accord.testing import FixedClock, MemoryStore
from tests.cli_scenarios import CLAIMS, REVIEWED, SKIPPED, Capsys, CliLedger, causes_and_owners, refund_case
from tests.helpers import (
    CLOCK_AT,
    INCIDENT_AT,
    PEOPLE,
    at,
    event,
    incident,
    memory_ledger,
    refund_contract,
    roster,
    run_case,
    seq,
)


@pytest.fixture
def refunds() -> Ledger:
    """The refund workflow in memory (helpers.memory_ledger): fast, and its reads can be watched."""
    return memory_ledger()


def owners(review: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(o["cause"], o["role"]) for o in review["questions"]["who_changes"]["owners"]]


# -- origin ------------------------------------------------------------------------------------------


def test_each_faulty_event_type_maps_to_its_origin_cause(refunds: Ledger) -> None:
    run_case(refunds, "R-1", amount=900, attests=["correct"], decide="approved")
    c = refunds.case("refund-replies", "R-1")
    c.edit("We refund 100 EUR.", by="ann@example.com", at=at(8))
    c.override(by="dana@example.com", what="refund-policy", reason="goodwill", at=at(9))
    c.action("email.sent", by="system:mailer", at=at(10))
    run_case(refunds, "R-2", amount=900, attests=["correct"], action=False)
    refunds.tick(at(60 * 5))
    expected = {"case.opened": "bad_source", "input.received": "bad_source", "source.used": "bad_source",
                "output.generated": "bad_prompt", "routing.decided": "bad_routing_rule",
                "exception.raised": "bad_exception_threshold", "policy.applied": "bad_policy",
                "review.recorded": "bad_judgment", "exception.decided": "bad_judgment",
                "human.edited": "bad_judgment", "override.recorded": "bad_judgment",
                "action.taken": "bad_judgment"}
    found = {}
    for kind in expected:
        opened = refunds.open_incident("R-1", failed=["correct"], faulty=[seq(refunds, "R-1", kind)],
                               summary="x", by="dana@example.com",
                               now=INCIDENT_AT).as_json()
        found[kind] = opened["causes"][0]
    assert found == expected
    escalated = refunds.open_incident("R-2", failed=["correct"],
                              faulty=[seq(refunds, "R-2", "exception.escalated")],
                              summary="x", by="dana@example.com",
                              now=INCIDENT_AT).as_json()
    assert escalated["causes"][0] == "bad_exception_threshold"


def test_a_faulty_route_is_owned_by_the_rules_owner(refunds: Ledger) -> None:
    run_case(refunds, "R-1", amount=40, risk=0.1)
    review = incident(refunds, "R-1", ["correct"], [seq(refunds, "R-1", "routing.decided")])
    assert review["questions"]["cause"]["causes"] == ["bad_routing_rule"]
    assert owners(review) == [("bad_routing_rule", "risk-manager")]


def test_a_faulty_output_naming_a_playbook_charges_the_playbook_owner_too(refunds: Ledger) -> None:
    run_case(refunds, "R-1", playbook="refunds-pb-3", attests=["correct", "appropriately_toned"])
    review = incident(refunds, "R-1", ["correct"], [seq(refunds, "R-1", "output.generated")])
    assert owners(review) == [("bad_prompt", "ai-enablement"), ("bad_prompt", "support-enablement"),
                              ("bad_judgment", "support-enablement")]
    assert "refunds-pb-3" in review["questions"]["cause"]["answer"]


def test_origin_causes_come_first_then_passage_each_once(refunds: Ledger) -> None:
    run_case(refunds, "R-1", attests=["correct", "appropriately_toned"])
    faulty = [seq(refunds, "R-1", "review.recorded"), seq(refunds, "R-1", "source.used"),
              seq(refunds, "R-1", "output.generated")]
    review = incident(refunds, "R-1", ["correct", "appropriately_toned", "compliant"], faulty)
    causes = review["questions"]["cause"]["causes"]
    assert causes == ["bad_source", "bad_prompt", "bad_judgment", "bad_policy"]


def test_no_faulty_event_leaves_the_cause_undetermined(refunds: Ledger) -> None:
    run_case(refunds, "R-1", attests=["correct", "appropriately_toned"])
    review = incident(refunds, "R-1", ["correct"])
    cause = review["questions"]["cause"]
    assert cause["answered"] is False and "--faulty" in cause["answer"]
    assert cause["causes"] == ["bad_judgment"], "the passage is still named"
    assert review["ten_minute_test"] == "fail"


# -- passage -----------------------------------------------------------------------------------------


def passage(ledger: Ledger, case: str, dim: str, **kw: bool) -> list[tuple[str, str | None]]:
    return owners(incident(ledger, case, [dim], **kw))


def test_passage_1_an_approval_covering_the_dimension_is_bad_judgment(refunds: Ledger) -> None:
    run_case(refunds, "R-1", attests=["whole_action"])
    assert passage(refunds, "R-1", "appropriately_toned") == [("bad_judgment", "support-enablement")]


def test_passage_1_an_approving_exception_decision_comes_before_an_accepted_risk(refunds: Ledger) -> None:
    run_case(refunds, "R-1", amount=900, attests=["correct", "appropriately_toned"], decide="modified")
    assert passage(refunds, "R-1", "margin_safe") == [("bad_judgment", "support-enablement")]


def test_passage_2_a_policy_that_passed_is_bad_policy(refunds: Ledger) -> None:
    run_case(refunds, "R-1", policy="not_applicable", attests=["correct", "appropriately_toned"])
    assert passage(refunds, "R-1", "compliant") == [("bad_policy", "refunds-policy-owner")]


def test_passage_2_a_failed_policy_the_action_ignored_is_bad_judgment(refunds: Ledger) -> None:
    run_case(refunds, "R-1", policy="fail", attests=["correct", "appropriately_toned"])
    assert passage(refunds, "R-1", "compliant") == [("bad_judgment", "support-enablement")]


def test_passage_3_a_routed_dimension_acted_on_without_approval_is_bad_judgment(refunds: Ledger) -> None:
    run_case(refunds, "R-1", attests=["appropriately_toned"])
    review = incident(refunds, "R-1", ["correct"])
    assert owners(review) == [("bad_judgment", "support-enablement")]
    assert "without approval attesting correct" in review["questions"]["why_passed"]["answer"]


def test_passage_4_an_accepted_risk_is_the_outcome_owners_routing_rule(refunds: Ledger) -> None:
    run_case(refunds, "R-1", attests=["correct", "appropriately_toned"])
    review = incident(refunds, "R-1", ["margin_safe"])
    assert owners(review) == [("bad_routing_rule", "support-ops-lead")]
    assert "accepted risk" in review["questions"]["why_passed"]["answer"]


def test_passage_5_a_skipped_review_is_the_threshold_owners_rule(refunds: Ledger) -> None:
    run_case(refunds, "R-1", amount=40, risk=0.1)
    review = incident(refunds, "R-1", ["correct"])
    assert owners(review) == [("bad_routing_rule", "risk-manager")]
    assert "risk < 0.2 && amount < 50" in review["questions"]["why_passed"]["answer"]


def test_passage_5_a_sampled_out_case_is_the_sampling_owners_rule() -> None:
    ledger = memory_ledger(review={"mode": "sampled", "reviewer": "support-agent",
                                   "attests": ["correct", "appropriately_toned"], "sample_rate": 0.01,
                                   "sampling_owner": "qa-lead"})
    run_case(ledger, "R-1")
    assert list(ledger.events("R-1"))[4].data["review"] == "sampled_out"
    assert passage(ledger, "R-1", "correct") == [("bad_routing_rule", "qa-lead")]


def test_passage_5_no_review_required_is_the_threshold_owners_rule() -> None:
    ledger = memory_ledger(review={"mode": "none", "threshold_owner": "risk-manager"})
    run_case(ledger, "R-1")
    assert passage(ledger, "R-1", "appropriately_toned") == [("bad_routing_rule", "risk-manager")]


def test_passage_6_an_unrouted_dimension_is_the_routing_rule_owners() -> None:
    learning = {**refund_contract().model_dump()["learning"], "routing_rule": "ops-architect"}
    bar = {**refund_contract().model_dump()["quality_bar"], "complete": "Answers every question asked."}
    ledger = memory_ledger(learning=learning, quality_bar=bar)
    run_case(ledger, "R-1", attests=["correct", "appropriately_toned"])
    review = incident(ledger, "R-1", ["complete"])
    assert owners(review) == [("bad_routing_rule", "ops-architect")]
    assert "nobody was routed to check complete" in review["questions"]["why_passed"]["answer"]


def test_should_have_escalated_without_an_exception_is_the_threshold_owners(refunds: Ledger) -> None:
    run_case(refunds, "R-1", attests=["correct", "appropriately_toned"])
    review = incident(refunds, "R-1", ["correct"], should_have_escalated=True)
    assert owners(review) == [("bad_judgment", "support-enablement"),
                              ("bad_exception_threshold", "risk-manager")]


def test_should_have_escalated_adds_nothing_when_an_exception_was_raised(refunds: Ledger) -> None:
    run_case(refunds, "R-1", amount=900, attests=["correct", "appropriately_toned"], decide="approved")
    review = incident(refunds, "R-1", ["correct"], should_have_escalated=True)
    assert "bad_exception_threshold" not in review["questions"]["cause"]["causes"]
    assert "exception large-refund was raised" in review["questions"]["why_passed"]["answer"]


# -- who changes -------------------------------------------------------------------------------------


def test_who_changes_fails_when_a_learning_role_is_vacant() -> None:
    ledger = accord.ledger.open(store=MemoryStore(), clock=FixedClock(CLOCK_AT))
    ledger.apply_contract(refund_contract())
    ledger.apply_roster(roster(**{k: v for k, v in PEOPLE.items() if k != "ai-enablement"}))
    run_case(ledger, "R-1", attests=["correct", "appropriately_toned"])
    review = incident(ledger, "R-1", ["correct"], [seq(ledger, "R-1", "output.generated")])
    who = review["questions"]["who_changes"]
    assert who["answered"] is False and "nobody held ai-enablement" in who["answer"]
    assert who["owners"][0] == {"cause": "bad_prompt", "role": "ai-enablement", "person": None,
                                "learning_action": "LA-1"}
    assert review["ten_minute_test"] == "fail"


def test_who_changes_uses_the_person_stored_at_open(refunds: Ledger) -> None:
    run_case(refunds, "R-1", attests=["correct", "appropriately_toned"])
    incident(refunds, "R-1", ["correct"], [seq(refunds, "R-1", "output.generated")])
    refunds.apply_roster(roster(**{**PEOPLE, "ai-enablement": "newcomer@example.com"}),
                         amend_past="the prompt was never pat's: the roster had it wrong")
    who = refunds.review_incident("INC-1").as_json()["questions"]["who_changes"]
    assert who["owners"][0]["person"] == "pat@example.com"


# -- scenarios on the examples, through the command line ---------------------------------------------


SCENARIOS: list[tuple[str, dict[str, Any], str, str, list[str], list[str], list[tuple[str, str]]]] = [
    # name, case kwargs, --failed, faulty event type, extra flags, causes, (cause, role) owners
    ("judgment: approved review attested the failed dimension", {"attests": REVIEWED}, "correct",
     "review.recorded", [], ["bad_judgment"], [("bad_judgment", "support-enablement")]),
    ("source: stale source, then an approval let it through", {"attests": REVIEWED}, "correct",
     "source.used", [], ["bad_source", "bad_judgment"],
     [("bad_source", "data-platform"), ("bad_judgment", "support-enablement")]),
    ("prompt: output with a playbook on a skipped route", {**SKIPPED, "playbook": "pb-3"},
     "appropriately_toned", "output.generated", [], ["bad_prompt", "bad_routing_rule"],
     [("bad_prompt", "ai-enablement"), ("bad_prompt", "support-enablement"),
      ("bad_routing_rule", "risk-manager")]),
    ("policy: the covering policy said pass", {"attests": REVIEWED}, "compliant", "policy.applied", [],
     ["bad_policy"], [("bad_policy", "refunds-policy-owner")]),
    ("policy: the covering policy failed and the action went ahead", {"attests": REVIEWED, "policy": "fail"},
     "compliant", "policy.applied", [], ["bad_policy", "bad_judgment"],
     [("bad_policy", "refunds-policy-owner"), ("bad_judgment", "support-enablement")]),
    ("routing rule: faulty skip decision owned by the threshold owner", SKIPPED, "correct",
     "routing.decided", [], ["bad_routing_rule"], [("bad_routing_rule", "risk-manager")]),
    ("routing rule: accepted risk is owned by the outcome owner", {"attests": REVIEWED}, "margin_safe",
     "output.generated", [], ["bad_prompt", "bad_routing_rule"],
     [("bad_prompt", "ai-enablement"), ("bad_routing_rule", "support-ops-lead")]),
    ("routing rule: nobody routed to check it goes to learning.routing_rule",
     {"attests": REVIEWED, "policy": None}, "compliant", "output.generated", [],
     ["bad_prompt", "bad_routing_rule"],
     [("bad_prompt", "ai-enablement"), ("bad_routing_rule", "support-ops-lead")]),
    ("exception threshold: faulty exception.raised",
     {"amount": 600, "attests": REVIEWED, "decide": "approved"},
     "correct", "exception.raised", [], ["bad_exception_threshold", "bad_judgment"],
     [("bad_exception_threshold", "risk-manager"), ("bad_judgment", "support-enablement")]),
    ("exception threshold: should have escalated, nothing raised", SKIPPED, "correct", "output.generated",
     ["--should-have-escalated"], ["bad_prompt", "bad_routing_rule", "bad_exception_threshold"],
     [("bad_prompt", "ai-enablement"), ("bad_routing_rule", "risk-manager"),
      ("bad_exception_threshold", "risk-manager")]),
    ("judgment: required review missing, action went ahead", {}, "correct", "action.taken", [],
     ["bad_judgment"], [("bad_judgment", "support-enablement")]),
]


@pytest.mark.parametrize(("name", "kwargs", "failed", "faulty", "extra", "causes", "owners"), SCENARIOS,
                         ids=[s[0] for s in SCENARIOS])
def test_incident_causes_and_owners_follow_spec_7(capsys: Capsys, tmp_path: Path, name: str,
                                                  kwargs: dict[str, Any], failed: str, faulty: str,
                                                  extra: list[str], causes: list[str],
                                                  owners: list[tuple[str, str]]) -> None:
    """Each scenario's faulty event and failed dimension give SPEC §7's causes and owners, each a person."""
    ledger = CliLedger(capsys, tmp_path)
    ledger.record(refund_case("R-1", **kwargs))
    review = ledger.incident("R-1", failed, [ledger.seq("R-1", faulty)], *extra)
    assert causes_and_owners(review) == (causes, owners)
    assert review["questions"]["cause"]["answered"] is True
    assert all(o["person"] for o in review["questions"]["who_changes"]["owners"])


def test_sampled_out_route_is_owned_by_the_sampling_owner(capsys: Capsys, tmp_path: Path) -> None:
    ledger = CliLedger(capsys, tmp_path, contracts=(CLAIMS,))
    at = "2026-07-01T09:0{}:00Z"
    ledger.record([  # C-0 is sampled out at sample_rate 0.1 (sha256 of "claims-triage:C-0")
        event("C-0", "case.opened", at.format(0), {"workflow": "claims-triage", "attributes": {
            "claim_amount": 1000, "line_of_business": "motor", "injury_reported": False,
            "fraud_score": 0.1}}),
        event("C-0", "input.received", at.format(1), {"content": "FNOL"}),
        event("C-0", "source.used", at.format(2), {"uri": "kb://ch-12"}),
        event("C-0", "output.generated", at.format(3),
              {"content": "low", "model": "m", "prompt_version": "p1"}),
        event("C-0", "action.taken", at.format(9), {"action": "queued", "by": "system:router"})])
    review = ledger.incident("C-0", "correct", [ledger.seq("C-0", "output.generated")])
    assert causes_and_owners(review) == (["bad_prompt", "bad_routing_rule"],
                                         [("bad_prompt", "claims-ai-engineer"),
                                          ("bad_routing_rule", "claims-qa-lead")])
