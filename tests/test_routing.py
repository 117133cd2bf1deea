"""Routing, scoped review, exceptions with SLAs, enforcement and queues (SPEC §5–§6)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import accord.ledger
from accord.errors import ActionRefused
from accord.ledger import Ledger
from accord.runtime import queues as runtime
from accord.runtime.routing import sample_value
from accord.testing import FixedClock, MemoryStore
from tests.conftest import T0, refund_contract, roster

PEOPLE = {"support-ops-lead": "dana@example.com", "support-agent": "ann@example.com",
          "refunds-escalations": "eve@example.com", "support-director": "sam@example.com",
          "risk-manager": "rik@example.com", "ai-enablement": "ali@example.com",
          "support-enablement": "sue@example.com", "data-platform": "dan@example.com",
          "refunds-policy-owner": "pia@example.com"}


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def open_case(ledger: Ledger, case: str, amount: float = 120, tier: str = "standard",
              risk: float = 0.5) -> accord.ledger.Case:
    return ledger.case("refund-replies", case, {"amount": amount, "tier": tier, "risk": risk},
                       at=at(0))


@pytest.fixture
def refunds(ledger: Ledger) -> Ledger:
    ledger.apply_roster(roster(**PEOPLE))
    ledger.apply_contract(refund_contract())
    return ledger


def test_low_risk_small_refund_skips_review(refunds: Ledger) -> None:
    case = open_case(refunds, "R-1", amount=40, risk=0.1)
    route = case.output("Refund 40", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    assert (route.review, route.review_required, route.exception) == ("skipped", False, None)
    assert route.rule_owner == "risk-manager"


def test_risky_refund_requires_the_routed_scope(refunds: Ledger) -> None:
    case = open_case(refunds, "R-2", amount=120, risk=0.5)
    route = case.output("Refund 120", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    assert route.review == "required" and route.attests == ["correct", "appropriately_toned"]
    assert route.reviewer_role == "support-agent"


def test_missing_confidence_in_a_rule_reviews_rather_than_skips(refunds: Ledger) -> None:
    refunds.apply_contract(refund_contract(review={
        "mode": "risk_based", "reviewer": "support-agent", "attests": ["correct"],
        "skip_when": "confidence > 0.8", "threshold_owner": "risk-manager"},
        quality_bar={"correct": "ok"}, policies=[], accepted_risks=[]))
    case = open_case(refunds, "R-3", amount=10, risk=0.0)
    route = case.output("x", model="m", prompt_version="v7", at=at(1))
    assert route.review == "required" and route.errors and "skip_when" in route.errors[0]
    assert route.inputs["confidence"] is None


def test_an_exception_rule_that_errs_escalates_and_later_routes_are_not_tried(refunds: Ledger) -> None:
    """The first route whose `when` errs is taken (escalate rather than let through); its error
    is recorded, and routes after it are neither evaluated nor reported."""
    route = {"owner": "refunds-escalations", "decide_within": "4h", "evidence": ["input"],
             "escalate_to": "support-director"}
    refunds.apply_contract(refund_contract(exceptions=[
        {**route, "name": "tiny", "when": "amount < 1"},
        {**route, "name": "unsure", "when": "confidence < 0.5 || amount > 1000"},
        {**route, "name": "also-unsure", "when": "confidence < 0.6"}]))
    case = open_case(refunds, "R-3b", amount=10, risk=0.5)
    route_taken = case.output("x", model="m", prompt_version="v7", at=at(1))
    assert route_taken.exception == "unsure" and route_taken.review == "required"
    assert route_taken.errors == ['exception unsure when: No value with name "confidence" found in '
                                  'Activation; escalating instead']


def test_exception_route_raises_with_due_time_and_review_stays(refunds: Ledger) -> None:
    case = open_case(refunds, "R-4", amount=900, risk=0.1)
    route = case.output("Refund 900", model="m", prompt_version="v7", confidence=0.95, at=at(1))
    assert route.exception == "large-refund" and route.exception_owner == "refunds-escalations"
    assert route.due == "2026-03-02T13:01:00Z"
    assert route.review == "required", "an exception does not remove the review"
    kinds = [e.type for e in refunds.service.case_events("R-4")]
    assert kinds[-2:] == ["routing.decided", "exception.raised"]
    second = case.output("Refund 900 (v2)", model="m", prompt_version="v7", confidence=0.9, at=at(30))
    assert second.due == route.due, "a later route keeps the first due time"
    assert [e.type for e in refunds.service.case_events("R-4")].count("exception.raised") == 1


def test_partial_scope_does_not_satisfy_the_route(refunds: Ledger) -> None:
    case = open_case(refunds, "R-5")
    case.output("Refund 120", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    case.review(reviewer="ann@example.com", attests=["appropriately_toned"], at=at(2))
    assert not refunds.service.approval_now("R-5").holds
    assert [i.case for i in runtime.review_queue(refunds.service, at(3))] == ["R-5"]
    case.review(reviewer="ann@example.com", attests=["correct"], at=at(4))
    assert refunds.service.approval_now("R-5").holds, "two approvals together cover the scope"
    assert runtime.review_queue(refunds.service, at(5)) == []


def test_a_later_rejection_takes_back_an_approval(refunds: Ledger) -> None:
    case = open_case(refunds, "R-6")
    case.output("Refund 120", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    case.review(reviewer="ann@example.com", attests=["whole_action"], at=at(2))
    assert refunds.service.approval_now("R-6").holds
    case.review(reviewer="ann@example.com", attests=["correct"], decision="changes_requested", at=at(3))
    assert not refunds.service.approval_now("R-6").holds


def test_an_edit_after_approval_needs_a_new_approval(refunds: Ledger) -> None:
    case = open_case(refunds, "R-7")
    case.output("Refund 120", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    case.review(reviewer="ann@example.com", attests=["whole_action"], at=at(2))
    case.edit("Refund 130", by="ann@example.com", at=at(3))
    assert not refunds.service.approval_now("R-7").holds


def enforced(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract(enforce=True))


def test_enforced_workflow_refuses_an_unapproved_action_and_stores_nothing(refunds: Ledger) -> None:
    enforced(refunds)
    case = open_case(refunds, "R-8")
    case.output("Refund 120", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    before = len(refunds.service.case_events("R-8"))
    with pytest.raises(ActionRefused) as err:
        case.action("email.sent", by="system:mailer", at=at(2))
    assert any("approval attesting correct, appropriately_toned" in m for m in err.value.missing)
    assert any("evidence input" in m for m in err.value.missing)
    assert len(refunds.service.case_events("R-8")) == before


def test_enforced_workflow_accepts_a_complete_case(refunds: Ledger) -> None:
    enforced(refunds)
    case = open_case(refunds, "R-9")
    case.input("Please refund order 77", at=at(0.5))
    case.source("orders://77", version="2026-03", at=at(0.6))
    case.output("Refund 120", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    case.policy("refund-policy", version="RP-4", result="pass", at=at(1.5))
    case.review(reviewer="ann@example.com", attests=["correct", "appropriately_toned"], at=at(2))
    case.action("email.sent", by="system:mailer", at=at(3))
    assert refunds.service.case_events("R-9")[-1].type == "action.taken"


def test_enforced_action_with_a_failed_policy_needs_an_override(refunds: Ledger) -> None:
    enforced(refunds)
    case = open_case(refunds, "R-10")
    case.input("x", at=at(0.5))
    case.source("orders://1", at=at(0.6))
    case.output("Refund 120", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    case.policy("refund-policy", version="RP-4", result="fail", at=at(1.5))
    case.review(reviewer="ann@example.com", attests=["whole_action"], at=at(2))
    with pytest.raises(ActionRefused, match="override of failed policy refund-policy"):
        case.action("email.sent", by="system:mailer", at=at(3))
    case.override(by="dana@example.com", what="refund-policy", reason="goodwill", at=at(4))
    case.action("email.sent", by="system:mailer", at=at(5))


def test_unenforced_unapproved_action_is_recorded_and_found(refunds: Ledger) -> None:
    case = open_case(refunds, "R-11")
    case.output("Refund 120", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    case.action("email.sent", by="system:mailer", at=at(2))
    rules = {(f.rule, f.case) for f in runtime.findings(refunds.service, at(10))}
    assert ("unapproved-action", "R-11") in rules
    assert ("evidence-gap", "R-11") in rules


def test_overdue_exception_escalates_exactly_once(refunds: Ledger) -> None:
    case = open_case(refunds, "R-12", amount=900)
    route = case.output("Refund 900", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    assert refunds.service.tick(at(100)) == [], "not due yet"
    items = runtime.exception_queue(refunds.service, at(100))
    assert [(i.case, i.role, i.overdue) for i in items] == [("R-12", "refunds-escalations", False)]
    written = refunds.service.tick(at(600))
    assert len(written) == 1 and written[0].at == route.due
    assert written[0].data["escalate_to"] == "support-director"
    assert refunds.service.tick(at(700)) == [], "escalated once"
    items = runtime.exception_queue(refunds.service, at(700))
    assert [(i.role, i.overdue) for i in items] == [("support-director", True)]
    found = [f for f in runtime.findings(refunds.service, at(700)) if f.rule == "exception-overdue"]
    assert [f.case for f in found] == ["R-12"]
    kinds = [e.type for e in refunds.service.case_events("R-12")]
    assert kinds.count("exception.escalated") == 1


def test_on_time_decision_by_the_owner_clears_the_exception(refunds: Ledger) -> None:
    case = open_case(refunds, "R-13", amount=900)
    case.output("Refund 900", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    case.decide(decider="eve@example.com", decision="approved", at=at(60))
    assert refunds.service.tick(at(600)) == []
    assert runtime.exception_queue(refunds.service, at(600)) == []
    rules = {f.rule for f in runtime.findings(refunds.service, at(600)) if f.case == "R-13"}
    assert "exception-overdue" not in rules and "reviewer-not-in-role" not in rules


def test_reviewer_outside_the_role_is_found(refunds: Ledger) -> None:
    case = open_case(refunds, "R-14")
    case.output("Refund 120", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    case.review(reviewer="mallory@example.com", attests=["whole_action"], at=at(2))
    found = [f for f in runtime.findings(refunds.service, at(3)) if f.rule == "reviewer-not-in-role"]
    assert [f.case for f in found] == ["R-14"] and "mallory@example.com" in found[0].message


def test_vacant_outcome_owner_is_found(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract())
    open_case(ledger, "R-15")
    found = [f for f in runtime.findings(ledger.service, at(3)) if f.rule == "owner-vacancy"]
    assert [f.case for f in found] == ["R-15"]


def test_sampled_share_is_close_to_the_sample_rate() -> None:
    inside = sum(sample_value("claims-triage", f"C-{i}") < 0.1 for i in range(10_000))
    assert abs(inside / 10_000 - 0.1) < 0.015


def test_sampling_follows_the_published_formula() -> None:
    import hashlib

    ledger = accord.ledger.open(store=MemoryStore(), clock=FixedClock(T0))
    ledger.apply_contract(refund_contract(review={
        "mode": "sampled", "reviewer": "support-agent", "attests": ["correct"],
        "sample_rate": 0.5, "sampling_owner": "risk-manager"},
        quality_bar={"correct": "ok"}, policies=[], accepted_risks=[], exceptions=[]))
    for i in range(40):
        case = open_case(ledger, f"S-{i}")
        route = case.output("x", model="m", prompt_version="v", at=at(1))
        value = int(hashlib.sha256(f"refund-replies:S-{i}".encode()).hexdigest()[:8], 16) / 2**32
        assert route.review == ("sampled_in" if value < 0.5 else "sampled_out")
        assert route.rule == "sample_rate 0.5" and route.rule_owner == "risk-manager"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(amount=st.floats(0, 2000, allow_nan=False), risk=st.floats(0, 1, allow_nan=False),
       tier=st.sampled_from(["standard", "enterprise", "gold"]),
       confidence=st.one_of(st.none(), st.floats(0, 1, allow_nan=False)))
def test_routing_the_same_case_twice_gives_the_same_decision(
        amount: float, risk: float, tier: str, confidence: float | None) -> None:
    decisions = []
    for _ in range(2):
        ledger = accord.ledger.open(store=MemoryStore(), clock=FixedClock(T0))
        ledger.apply_contract(refund_contract())
        case = open_case(ledger, "R-same", amount=amount, tier=tier, risk=risk)
        route = case.output("x", model="m", prompt_version="v", confidence=confidence, at=at(1))
        decisions.append(route)
    assert decisions[0] == decisions[1]


def test_two_exception_routes_of_one_name_each_keep_their_own_owner_and_sla() -> None:
    """Names need not be unique: the matched route's owner and SLA decide, not its namesake's."""
    routes = [{"name": "large-refund", "when": "amount >= 500", "owner": "refunds-escalations",
               "decide_within": "4h", "evidence": ["input"], "escalate_to": "support-director"},
              {"name": "large-refund", "when": "amount >= 100", "owner": "risk-manager",
               "decide_within": "2d", "evidence": ["input"], "escalate_to": "support-director"}]
    ledger = accord.ledger.open(store=MemoryStore(), clock=FixedClock(T0))
    ledger.apply_contract(refund_contract(exceptions=routes))
    big = open_case(ledger, "R-big", amount=900).output("x", model="m", prompt_version="v", at=at(1))
    mid = open_case(ledger, "R-mid", amount=200).output("x", model="m", prompt_version="v", at=at(1))
    assert (big.exception_owner, big.due) == ("refunds-escalations", "2026-03-02T13:01:00Z")
    assert (mid.exception_owner, mid.due) == ("risk-manager", "2026-03-04T09:01:00Z")


def test_a_returned_route_is_a_copy_the_ledger_does_not_depend_on() -> None:
    ledger = accord.ledger.open(store=MemoryStore(), clock=FixedClock(T0))
    ledger.apply_contract(refund_contract(enforce=True))
    case = open_case(ledger, "R-1", amount=900)
    route = case.output("x", model="m", prompt_version="v", confidence=0.5, at=at(1))
    assert route.review == "required"
    route.attests.clear()
    route.inputs.clear()
    with pytest.raises(ActionRefused, match="approval"):
        case.action("email.sent", by="system:mailer", at=at(2))
