"""The ten-minute incident review (SPEC §7): questions, origin, passage, owners, briefs."""

from __future__ import annotations

import datetime as dt
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import pytest

import accord.ledger
from accord.errors import NotFound, UsageError
from accord.ledger import Ledger
from accord.review.questions import keys
from accord.review.render import render_html, render_markdown, render_text
from accord.testing import FixedClock, MemoryStore
from tests.helpers import T0, refund_contract, roster
from tests.helpers import run_cli as run

PEOPLE = {"support-ops-lead": "dana@example.com", "support-agent": "ann@example.com",
          "refunds-escalations": "eve@example.com", "support-director": "sam@example.com",
          "risk-manager": "rik@example.com", "ai-enablement": "pat@example.com",
          "support-enablement": "sue@example.com", "data-platform": "dan@example.com",
          "refunds-policy-owner": "polly@example.com", "qa-lead": "quinn@example.com",
          "ops-architect": "oli@example.com"}
INCIDENT_AT = T0 + dt.timedelta(days=2)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def memory_ledger(**contract_changes: Any) -> Ledger:
    """A fast in-memory ledger with the refund contract and a full roster."""
    ledger = accord.ledger.open(store=MemoryStore(), clock=FixedClock(T0))
    ledger.apply_roster(roster(**PEOPLE))
    ledger.apply_contract(refund_contract(**contract_changes))
    return ledger


@pytest.fixture
def refunds() -> Ledger:
    return memory_ledger()


def run_case(ledger: Ledger, case: str, *, amount: float = 120, risk: float = 0.5, tier: str = "standard",
             policy: str | None = "pass", attests: list[str] | None = None, playbook: str | None = None,
             decide: str | None = None, action: bool = True, start: float = 0) -> None:
    """A refund case: input, source, output, policy, review (of ``attests``), decision, action.

    Its events are one minute apart from ``start`` minutes after T0.
    """
    def when(minute: int) -> dt.datetime:
        return at(start + minute)

    c = ledger.case("refund-replies", case, {"amount": amount, "tier": tier, "risk": risk}, at=when(0))
    c.input("Please refund order 77", at=when(1))
    c.source("orders://77", version="2026-03", at=when(2))
    c.output("We refund 120 EUR.", model="m-2026-10", prompt_version="refund-v7",
             playbook_version=playbook, confidence=0.9, at=when(3))
    if policy is not None:
        c.policy("refund-policy", version="RP-4", result=policy, at=when(4))
    if attests:
        c.review(reviewer="ann@example.com", attests=attests, at=when(5))
    if decide is not None:
        c.decide(decider="eve@example.com", decision=decide, at=when(6))
    if action:
        c.action("email.sent", by="system:mailer", at=when(7))


def seq(ledger: Ledger, case: str, kind: str) -> int:
    """The seq of the last ``kind`` event of ``case``."""
    return [e.seq for e in list(ledger.events(case)) if e.type == kind][-1]


def incident(ledger: Ledger, case: str, failed: list[str], faulty: list[int] | None = None,
             should_have_escalated: bool = False,
             summary: str = "Refunded the wrong amount") -> dict[str, Any]:
    opened = ledger.open_incident(case, failed=failed, faulty=faulty or [],
                           should_have_escalated=should_have_escalated, summary=summary,
                           by="dana@example.com", now=INCIDENT_AT).as_json()
    return ledger.review_incident(opened["incident"]).as_json()


def owners(review: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(o["cause"], o["role"]) for o in review["questions"]["who_changes"]["owners"]]


# -- the whole review ---------------------------------------------------------------------------


def test_a_well_evidenced_case_passes_the_ten_minute_test(refunds: Ledger) -> None:
    run_case(refunds, "R-1", attests=["correct", "appropriately_toned"])
    review = incident(refunds, "R-1", ["correct"], [seq(refunds, "R-1", "output.generated")])
    assert review["ten_minute_test"] == "pass"
    assert all(review["questions"][k]["answered"] for k in keys())
    assert review["questions"]["cause"]["causes"] == ["bad_prompt", "bad_judgment"]
    assert review["questions"]["owner"]["person"] == "dana@example.com"


def test_the_review_json_has_exactly_the_spec_keys(refunds: Ledger) -> None:
    run_case(refunds, "R-1", attests=["correct", "appropriately_toned"])
    review = incident(refunds, "R-1", ["correct"], [seq(refunds, "R-1", "output.generated")])
    assert list(review) == ["incident", "case", "workflow", "contract_version", "questions",
                            "ten_minute_test"]
    assert (review["incident"], review["case"], review["workflow"], review["contract_version"]) == (
        "INC-1", "R-1", "refund-replies", 1)
    q = review["questions"]
    assert list(q) == list(keys())
    extra = {"owner": {"role", "person"}, "evidence": {"present", "missing"}, "cause": {"causes"},
             "who_changes": {"owners"}}
    for key in keys():
        assert set(q[key]) == {"answered", "answer"} | extra.get(key, set()), key
    assert q["who_changes"]["owners"][0] == {"cause": "bad_prompt", "role": "ai-enablement",
                                             "person": "pat@example.com", "learning_action": "LA-1"}


def test_open_returns_the_spec_shape_and_numbers_incidents_and_learning_actions(refunds: Ledger) -> None:
    run_case(refunds, "R-1", attests=["correct", "appropriately_toned"])
    output = seq(refunds, "R-1", "output.generated")
    first = refunds.open_incident("R-1", failed=["correct"], faulty=[output],
                          summary="x", by="dana@example.com", now=INCIDENT_AT).as_json()
    assert first == {"incident": "INC-1", "case": "R-1", "causes": ["bad_prompt", "bad_judgment"],
                     "learning_actions": [
                         {"id": "LA-1", "cause": "bad_prompt", "artefact": "prompt", "role": "ai-enablement",
                          "person": "pat@example.com", "due": "2026-03-18T09:00:00Z"},
                         {"id": "LA-2", "cause": "bad_judgment", "artefact": "training_material",
                          "role": "support-enablement", "person": "sue@example.com",
                          "due": "2026-03-18T09:00:00Z"}]}
    second = refunds.open_incident("R-1", failed=["correct"], faulty=[],
                           summary="y", by="dana@example.com", now=INCIDENT_AT,
                           due_in=dt.timedelta(days=3)).as_json()
    assert second["incident"] == "INC-2"
    assert [la["id"] for la in second["learning_actions"]] == ["LA-3"]
    assert second["learning_actions"][0]["due"] == "2026-03-07T09:00:00Z"


def test_open_stores_the_incident_and_its_learning_actions_in_one_batch(refunds: Ledger) -> None:
    run_case(refunds, "R-1", attests=["correct", "appropriately_toned"])
    before = len(list(refunds.events()))
    output = seq(refunds, "R-1", "output.generated")
    refunds.open_incident("R-1", failed=["correct"], faulty=[output],
                  summary="x", by="dana@example.com", now=INCIDENT_AT).as_json()
    added = [e for e in refunds.events() if e.seq > before]
    assert [e.type for e in added] == ["incident.opened", "learning.opened", "learning.opened"]
    assert len({e.recorded_at for e in added}) == 1 and all(e.actor == "dana@example.com" for e in added)
    opened = added[0]
    assert (opened.case, opened.workflow, opened.contract_version, opened.at) == (
        "R-1", "refund-replies", 1, "2026-03-04T09:00:00Z")
    assert opened.data["owners"][0]["person"] == "pat@example.com", "the person is stored"


def test_review_judges_the_evidence_as_it_stood_when_the_incident_opened(refunds: Ledger) -> None:
    run_case(refunds, "R-1", policy=None, attests=["correct", "appropriately_toned"])
    first = incident(refunds, "R-1", ["correct"], [seq(refunds, "R-1", "output.generated")])
    refunds.case("refund-replies", "R-1").policy("refund-policy", version="RP-4", result="pass", at=at(60))
    size = len(list(refunds.events()))
    again = refunds.review_incident("INC-1").as_json()
    assert again == first and "policy" in again["questions"]["evidence"]["missing"]
    assert len(list(refunds.events())) == size, "a review writes nothing"


def test_review_reads_the_case_not_the_whole_log(refunds: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    run_case(refunds, "R-1", attests=["correct", "appropriately_toned"])
    incident(refunds, "R-1", ["correct"], [seq(refunds, "R-1", "output.generated")])

    def no_scan(*args: object, **kwargs: object) -> None:
        raise AssertionError("the review scanned the log")

    monkeypatch.setattr("accord.store.memory._MemoryTxn.scan", no_scan)
    assert refunds.review_incident("INC-1").as_json()["ten_minute_test"] == "pass"


def test_unknown_incident_is_not_found(refunds: Ledger) -> None:
    with pytest.raises(NotFound, match="INC-9"):
        refunds.review_incident("INC-9").as_json()


# -- questions 1-4 ---------------------------------------------------------------------------------


def test_a_vacant_outcome_owner_fails_question_one_and_says_so() -> None:
    ledger = accord.ledger.open(store=MemoryStore(), clock=FixedClock(T0))
    ledger.apply_contract(refund_contract())
    ledger.apply_roster(roster(**{k: v for k, v in PEOPLE.items() if k != "support-ops-lead"}))
    run_case(ledger, "R-1", attests=["correct", "appropriately_toned"])
    review = incident(ledger, "R-1", ["correct"], [seq(ledger, "R-1", "output.generated")])
    owner = review["questions"]["owner"]
    assert owner["answered"] is False and owner["role"] == "support-ops-lead" and owner["person"] is None
    assert "vacant" in owner["answer"] and "2026-03-02T09:00:00Z" in owner["answer"]
    assert review["ten_minute_test"] == "fail"


def test_purpose_quotes_the_pinned_contract_and_its_quality_bar(refunds: Ledger) -> None:
    run_case(refunds, "R-1", attests=["correct", "appropriately_toned"])
    refunds.apply_contract(refund_contract(purpose="Something else entirely."))
    purpose = incident(refunds, "R-1", ["correct"])["questions"]["purpose"]
    assert purpose["answered"] and "states the correct refund" in purpose["answer"]
    assert "correct — Refund amount and eligibility match the order record" in purpose["answer"]


def test_a_case_without_an_output_leaves_the_human_check_unknown(refunds: Ledger) -> None:
    c = refunds.case("refund-replies", "R-1", {"amount": 120, "tier": "standard", "risk": 0.5}, at=at(0))
    c.action("email.sent", by="dana@example.com", content="Refunded", at=at(1))
    review = incident(refunds, "R-1", ["correct"], [seq(refunds, "R-1", "action.taken")])
    assert not review["questions"]["human_check"]["answered"]
    assert "no routing.decided" in review["questions"]["human_check"]["answer"]
    assert not review["questions"]["why_passed"]["answered"]
    assert not review["questions"]["cause"]["answered"], "cause needs why_passed answered"


def test_the_human_check_names_the_routed_scope_and_the_exception(refunds: Ledger) -> None:
    run_case(refunds, "R-1", amount=900, attests=["correct", "appropriately_toned"], decide="approved")
    answer = incident(refunds, "R-1", ["correct"])["questions"]["human_check"]["answer"]
    assert "support-agent must approve correct and appropriately_toned" in answer
    assert "large-refund" in answer and "refunds-escalations" in answer


def test_missing_policy_fails_the_evidence_question_naming_policy(refunds: Ledger) -> None:
    run_case(refunds, "R-1", policy=None, attests=["correct", "appropriately_toned"])
    evidence = incident(refunds, "R-1", ["correct"])["questions"]["evidence"]
    assert evidence["answered"] is False and evidence["missing"] == ["policy"]
    assert "no policy.applied for refund-policy" in evidence["answer"]
    assert evidence["present"]["input"] == [seq(refunds, "R-1", "input.received")]


# -- origin --------------------------------------------------------------------------------------


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


# -- passage ---------------------------------------------------------------------------------------


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


# -- who changes ----------------------------------------------------------------------------------


def test_who_changes_fails_when_a_learning_role_is_vacant() -> None:
    ledger = accord.ledger.open(store=MemoryStore(), clock=FixedClock(T0))
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
    refunds.apply_roster(roster(**{**PEOPLE, "ai-enablement": "newcomer@example.com"}))
    who = refunds.review_incident("INC-1").as_json()["questions"]["who_changes"]
    assert who["owners"][0]["person"] == "pat@example.com"


# -- refusals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("failed", "faulty", "by", "message"), [
    (["x-unknown"], [], "dana@example.com", "not in the quality bar"),
    ([], [], "dana@example.com", "--failed"),
    (["correct"], [999], "dana@example.com", "not an event of case R-1"),
    (["correct"], [], "system:bot", "a person"),
])
def test_open_refuses_bad_input_and_stores_nothing(refunds: Ledger, failed: list[str], faulty: list[int],
                                                    by: str, message: str) -> None:
    run_case(refunds, "R-1", attests=["correct"])
    size = len(list(refunds.events()))
    with pytest.raises(UsageError, match=message):
        refunds.open_incident("R-1", failed=failed, faulty=faulty,
                      summary="x", by=by, now=INCIDENT_AT).as_json()
    assert len(list(refunds.events())) == size


def test_open_refuses_an_unknown_case(refunds: Ledger) -> None:
    with pytest.raises(NotFound, match="R-404"):
        refunds.open_incident("R-404", failed=["correct"], faulty=[],
                      summary="x", by="dana@example.com", now=INCIDENT_AT).as_json()


# -- briefs ------------------------------------------------------------------------------------------


class _Balanced(HTMLParser):
    VOID: ClassVar[set[str]] = {"meta", "br", "link", "img", "hr", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.text: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.external += [v or "" for k, v in attrs if k in ("src", "href")]
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_html_brief_is_well_formed_and_names_owner_causes_and_timeline(refunds: Ledger) -> None:
    run_case(refunds, "R-1", attests=["correct", "appropriately_toned"])
    review = incident(refunds, "R-1", ["correct"], [seq(refunds, "R-1", "output.generated")],
                      summary="Refunded <400> EUR & apologised")
    html = render_html(refunds.review_incident(review["incident"]))
    parser = _Balanced()
    parser.feed(html)
    parser.close()
    assert parser.stack == [] and parser.external == [], "balanced and self-contained"
    text = " ".join(parser.text)
    assert "dana@example.com" in text and "bad_prompt" in text and "bad_judgment" in text
    assert "Refunded <400> EUR & apologised" in text, "user text is escaped, then shown as written"
    for e in list(refunds.events("R-1"))[:5]:
        assert f">{e.seq}<" in html, f"timeline lists seq {e.seq}"
    assert "2026-03-18T09:00:00Z" in text, "who changes what by when"


def test_text_and_markdown_briefs_answer_all_seven_questions(refunds: Ledger) -> None:
    run_case(refunds, "R-1", policy=None, attests=["correct", "appropriately_toned"])
    review = incident(refunds, "R-1", ["correct"], [seq(refunds, "R-1", "output.generated")])
    text = render_text(refunds.review_incident(review["incident"]))
    assert "INC-1" in text and "Who owned the outcome?" in text and "NOT ANSWERED" in text
    assert "Refunded the wrong amount" in text
    markdown = render_markdown(refunds.review_incident(review["incident"]))
    assert markdown.startswith("# INC-1") and markdown.count("\n## ") == 8, "seven answers and the timeline"


# -- through the command line --------------------------------------------------------------------




@pytest.fixture
def cli_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A SQLite ledger with two refund cases (R-1 complete, R-2 lacking its policy result)."""
    url = f"sqlite:///{tmp_path}/accord.db"
    monkeypatch.setenv("ACCORD_DB", url)
    monkeypatch.chdir(tmp_path)
    with accord.ledger.open(url, clock=FixedClock(T0)) as ledger:
        ledger.apply_roster(roster(**PEOPLE))
        ledger.apply_contract(refund_contract())
        run_case(ledger, "R-1", attests=["correct", "appropriately_toned"])
        run_case(ledger, "R-2", policy=None, attests=["correct", "appropriately_toned"])
    return tmp_path


def cli_seq(capsys: pytest.CaptureFixture[str], case: str, kind: str = "output.generated") -> str:
    """The seq of the first ``kind`` event of ``case``, read through `accord case show`."""
    _, out, _ = run(capsys, "case", "show", case, "--json")
    return str(next(e["seq"] for e in json.loads(out)["events"] if e["type"] == kind))


def test_cli_open_then_review_as_json(cli_ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = cli_seq(capsys, "R-1")
    code, out, err = run(capsys, "incident", "open", "R-1", "--failed", "correct,appropriately_toned",
                         "--faulty", output, "--summary", "Wrong amount", "--by", "dana@example.com",
                         "--now", "2026-03-04T09:00:00Z", "--due-in", "7d", "--json")
    assert code == 0, err
    opened = json.loads(out)
    assert opened["incident"] == "INC-1" and opened["learning_actions"][0]["due"] == "2026-03-11T09:00:00Z"
    code, out, _ = run(capsys, "incident", "review", "INC-1", "--format", "json")
    assert code == 0 and json.loads(out)["ten_minute_test"] == "pass"
    code, out, _ = run(capsys, "incident", "list", "--json")
    assert [i["incident"] for i in json.loads(out)["incidents"]] == ["INC-1"]


def test_cli_review_check_exits_1_on_a_failed_ten_minute_test(
        cli_ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "incident", "open", "R-2", "--failed", "correct", "--summary", "x", "--by", "dana@ex.com")
    code, out, _ = run(capsys, "incident", "review", "INC-1", "--check")
    assert code == 1 and "NOT ANSWERED" in out
    run(capsys, "incident", "open", "R-1", "--failed", "correct", "--faulty", cli_seq(capsys, "R-1"),
        "--summary", "x", "--by", "dana@example.com")
    code, _, _ = run(capsys, "incident", "review", "INC-2", "--check", "--format", "markdown")
    assert code == 0


def test_cli_review_writes_an_html_brief_to_a_file(
        cli_ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "incident", "open", "R-1", "--failed", "correct", "--summary", "x", "--by", "dana@ex.com")
    code, out, _ = run(capsys, "incident", "review", "INC-1", "--format", "html", "--out", "brief.html")
    assert code == 0 and "brief.html" in out
    assert (cli_ledger / "brief.html").read_text().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(("args", "message"), [
    (["R-1", "--faulty", "999", "--failed", "correct"], "seq 999 is not an event of case R-1"),
    (["R-404", "--failed", "correct"], "no case 'R-404'"),
    (["R-1", "--failed", "speedy"], "'speedy' is not in the quality bar"),
    (["R-1", "--failed", "correct", "--due-in", "soon"], "--due-in"),
])
def test_cli_open_refuses_bad_input_with_one_line_and_exit_2(
        cli_ledger: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, _, err = run(capsys, "incident", "open", *args, "--summary", "x", "--by", "dana@example.com")
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_cli_a_faulty_seq_of_another_case_exits_2(
        cli_ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = cli_seq(capsys, "R-2", "source.used")
    code, _, err = run(capsys, "incident", "open", "R-1", "--failed", "correct", "--faulty", other,
                       "--summary", "x", "--by", "dana@example.com")
    assert code == 2 and f"seq {other} is not an event of case R-1" in err


def test_cli_review_of_an_unknown_incident_exits_2(
        cli_ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "incident", "review", "INC-7")
    assert code == 2 and "no incident 'INC-7'" in err
