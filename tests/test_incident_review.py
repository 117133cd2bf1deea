"""The ten-minute incident review (SPEC §7): the whole review, questions 1–4, refusals, briefs.

Most tests run the refund workflow in memory through the library; the ones on the examples/
contracts go through the command line (tests/cli_scenarios.py).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pytest

import accord.ledger
from accord.errors import NotFound, UsageError
from accord.ledger import Ledger
from accord.review.questions import keys
from accord.review.render import render_html, render_markdown, render_text
from accord.testing import FixedClock, MemoryStore
from tests.cli_scenarios import NOW, REVIEWED, ROSTER, Capsys, CliLedger, refund_case
from tests.helpers import (
    CLOCK_AT,
    INCIDENT_AT,
    PEOPLE,
    at,
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


# -- the whole review --------------------------------------------------------------------------------


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


# -- questions 1-4 -----------------------------------------------------------------------------------


def test_a_vacant_outcome_owner_fails_question_one_and_says_so() -> None:
    ledger = accord.ledger.open(store=MemoryStore(), clock=FixedClock(CLOCK_AT))
    ledger.apply_contract(refund_contract())
    ledger.apply_roster(roster(**{k: v for k, v in PEOPLE.items() if k != "support-ops-lead"}))
    run_case(ledger, "R-1", attests=["correct", "appropriately_toned"])
    review = incident(ledger, "R-1", ["correct"], [seq(ledger, "R-1", "output.generated")])
    owner = review["questions"]["owner"]
    assert owner["answered"] is False and owner["role"] == "support-ops-lead" and owner["person"] is None
    assert "vacant" in owner["answer"] and "2026-03-02T09:00:00Z" in owner["answer"]
    assert review["ten_minute_test"] == "fail"


def test_vacant_outcome_owner_fails_question_one_and_says_so(capsys: Capsys, tmp_path: Path) -> None:
    text = Path(ROSTER).read_text(encoding="utf-8").replace(
        "      - person: dana.okafor@example.com\n        from: 2025-01-01\n",
        "      - person: dana.okafor@example.com\n        from: 2025-01-01\n        until: 2026-03-31\n"
        "      - person: vic.stone@example.com\n        from: 2026-05-01\n")
    gap = tmp_path / "roster-gap.yaml"
    gap.write_text(text, encoding="utf-8")
    ledger = CliLedger(capsys, tmp_path, roster=str(gap))
    ledger.record(refund_case("R-1", day="2026-04-15", attests=REVIEWED,
                              reviewer="sam.lindqvist@example.com"))
    review = ledger.incident("R-1", "correct", [ledger.seq("R-1", "review.recorded")])
    owner = review["questions"]["owner"]
    assert (owner["answered"], owner["role"], owner["person"]) == (False, "support-ops-lead", None)
    assert "vacant" in owner["answer"]
    assert review["ten_minute_test"] == "fail"
    findings = json.loads(ledger.ok("findings", "--json", "--now", NOW))["findings"]
    assert [(f["rule"], f["case"]) for f in findings] == [("owner-vacancy", "R-1")]


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


def test_missing_policy_evidence_fails_question_four_naming_policy(capsys: Capsys, tmp_path: Path) -> None:
    ledger = CliLedger(capsys, tmp_path)
    ledger.record(refund_case("R-1", attests=REVIEWED, policy=None))
    review = ledger.incident("R-1", "correct", [ledger.seq("R-1", "review.recorded")])
    evidence = review["questions"]["evidence"]
    assert (evidence["answered"], evidence["missing"]) == (False, ["policy"])
    assert "policy" not in evidence["present"] and "refund-policy" in evidence["answer"]
    assert [k for k, q in review["questions"].items() if not q["answered"]] == ["evidence"]


# -- refusals ----------------------------------------------------------------------------------------


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


def test_an_incident_cannot_be_opened_before_the_case_it_reviews(capsys: Capsys, tmp_path: Path) -> None:
    ledger = CliLedger(capsys, tmp_path)
    ledger.record(refund_case("R-1", attests=REVIEWED))
    code, _, err = ledger.cli("incident", "open", "R-1", "--failed", "correct", "--summary", "Wrong",
                              "--by", "dana.okafor@example.com", "--now", "2026-06-01T00:00:00Z")
    assert code == 2 and "an incident is opened after what it reviews" in err


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


def test_the_html_brief_is_well_formed_and_names_owner_causes_and_who_changes_by_when(
        refunds: Ledger) -> None:
    """The brief has no case timeline any more (it made the page ~2,600 px long): the seqs it
    rests on are on each answer's details line, and `accord case show` has the rest."""
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
    assert f"review.recorded seq {seq(refunds, 'R-1', 'review.recorded')}" in text, "seqs on a details line"
    assert "18 Mar 2026, 09:00 UTC" in text, "who changes what by when"


def test_text_and_markdown_briefs_answer_all_seven_questions(refunds: Ledger) -> None:
    run_case(refunds, "R-1", policy=None, attests=["correct", "appropriately_toned"])
    review = incident(refunds, "R-1", ["correct"], [seq(refunds, "R-1", "output.generated")])
    text = render_text(refunds.review_incident(review["incident"]))
    assert "INC-1" in text and "Who owned the outcome?" in text and "NOT ANSWERED" in text
    assert "Refunded the wrong amount" in text
    markdown = render_markdown(refunds.review_incident(review["incident"]))
    assert markdown.startswith("# INC-1: Refunded the wrong amount"), "the headline is what went wrong"
    assert re.findall(r"^## (.+)$", markdown, re.MULTILINE) == [
        "What went out", "The seven questions", "Who changes what, by when"]
    assert len(re.findall(r"^\d\. \*\*", markdown, re.MULTILINE)) == 7, "seven numbered answers"


def test_html_brief_is_self_contained_and_escapes_the_summary(capsys: Capsys, tmp_path: Path) -> None:
    ledger = CliLedger(capsys, tmp_path)
    ledger.record(refund_case("R-1", attests=REVIEWED))
    faulty = str(ledger.seq("R-1", "output.generated"))
    ledger.ok("incident", "open", "R-1", "--failed", "correct", "--faulty", faulty,
              "--summary", "Refund <script>alert(1)</script>", "--by", "dana.okafor@example.com",
              "--now", NOW)
    page = ledger.ok("incident", "review", "INC-1", "--format", "html")
    assert page.lstrip().startswith("<!DOCTYPE html>") and "<style>" in page
    assert not re.search(r"(src|href)\s*=|<link|@import|url\(", page, re.IGNORECASE)
    assert "<script" not in page and "&lt;script&gt;" in page
