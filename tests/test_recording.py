"""Recording client events (SPEC §5): field checks, the ledger's rules, routing and diffs.

A refused batch stores nothing and leaves no trace in later writes. Every backend.
"""

from __future__ import annotations

import pytest

from accord.errors import EventRefused
from accord.ledger import Ledger
from tests.helpers import AT, count, event, opened, output, refund_contract, review


def test_batch_with_one_bad_event_stores_nothing_and_lists_every_error(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract())
    batch = [opened("R-1"), output("R-1"),
             event("R-1", "review.recorded", AT, {"reviewer": "system:bot", "attests": ["correct"],
                                                  "decision": "approved"}),
             event("R-1", "action.taken", AT, {"action": "email.sent", "by": "system:mailer",
                                               "colour": "red"})]
    before = count(ledger)
    with pytest.raises(EventRefused) as err:
        ledger.record_many(batch)
    lines = err.value.lines()
    assert any("event 3" in line and "data.reviewer" in line for line in lines)
    assert any("event 4" in line and "data.colour" in line for line in lines)
    assert count(ledger) == before


@pytest.mark.parametrize(("bad", "field"), [
    ({"seq": 5}, "seq"),
    ({"workflow": "x"}, "workflow"),
    ({"leaf_hash": "00"}, "leaf_hash"),
    ({"type": "routing.decided"}, "type"),
    ({"type": "no.such"}, "type"),
    ({"actor": None}, "actor"),
    ({"at": "2026-03-02 09:00"}, "at"),
    ({"at": "2026-03-02T09:00:00"}, "at"),
    ({"data": {"content": "x", "model": "m", "prompt_version": "p", "confidence": True}},
     "data.confidence"),
    ({"data": {"content": "x", "model": "m", "prompt_version": "p", "confidence": 2 ** 60}},
     "data.confidence"),
    ({"data": {"content": "x", "model": "m", "prompt_version": "p", "extra": 1}}, "data.extra"),
])
def test_client_events_are_validated_field_by_field(ledger: Ledger, bad: dict[str, object],
                                                    field: str) -> None:
    ledger.apply_contract(refund_contract())
    ledger.record_many([opened()])
    raw = {**output(), **bad}
    if raw.get("actor") is None:
        raw.pop("actor")
    with pytest.raises(EventRefused) as err:
        ledger.record_many([raw])
    assert f" {field}:" in str(err.value)


def test_ledger_rules_refuse_events_out_of_order(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract())
    cases = [
        ([output("R-9")], "has not been opened"),
        ([opened("R-1"), opened("R-1")], "already open"),
        ([event("R-2", "case.opened", AT, {"workflow": "nope", "attributes": {}})],
         "no contract is applied"),
        ([opened("R-3"), event("R-3", "review.recorded", AT, {
            "reviewer": "ann@example.com", "attests": ["correct"], "decision": "approved"})],
         "before any output"),
        ([opened("R-4"), output("R-4"), event("R-4", "review.recorded", AT, {
            "reviewer": "ann@example.com", "attests": ["timely"], "decision": "approved"})],
         "not in the quality bar"),
        ([opened("R-5"), output("R-5"), event("R-5", "exception.decided", AT, {
            "decider": "eve@example.com", "decision": "approved"})], "no exception was raised"),
    ]
    for batch, message in cases:
        with pytest.raises(EventRefused, match=message):
            ledger.record_many(batch)
    assert count(ledger) == 1  # only the contract


def test_attributes_are_typed_by_the_contract(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract())
    bad = event("R-1", "case.opened", AT, {"workflow": "refund-replies",
                                          "attributes": {"amount": "40", "tier": "gold",
                                                         "risk": True, "vip": 1}})
    with pytest.raises(EventRefused) as err:
        ledger.record_many([bad])
    text = str(err.value)
    assert "data.attributes.amount: must be a number" in text
    assert "data.attributes.risk: must be a number" in text
    assert "data.attributes.vip: not declared" in text
    missing = event("R-1", "case.opened", AT, {"workflow": "refund-replies", "attributes": {}})
    with pytest.raises(EventRefused, match=r"data\.attributes\.amount: required"):
        ledger.record_many([missing])


def test_output_is_followed_by_its_routing_decision(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract())
    result = ledger.record_many([opened("R-1", amount=40, risk=0.1), output("R-1")])
    events = list(ledger.events("R-1"))
    assert [e.type for e in events] == ["case.opened", "output.generated", "routing.decided"]
    route = events[-1]
    assert route.at == events[1].at and route.actor == "system:accord"
    assert route.data["review"] == "skipped"
    assert route.data["rule"] == "risk < 0.2 && amount < 50"
    assert route.data["rule_owner"] == "risk-manager"
    assert route.data["inputs"] == {"amount": 40, "tier": "standard", "risk": 0.1, "confidence": 0.9}
    assert result.routes["R-1"].review_required is False
    assert result.as_json() == {"recorded": 2, "first_seq": 2, "last_seq": 4, "duplicates": 0}


def test_human_edit_stores_the_diff_against_the_previous_text(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract())
    ledger.record_many([opened(), output(content="Refund: 40 EUR.\n"),
                        event("R-1", "human.edited", AT, {"content": "Refund: 45 EUR.\n"},
                              actor="ann@example.com")])
    edit = list(ledger.events("R-1"))[-1]
    assert "-Refund: 40 EUR." in edit.data["diff"] and "+Refund: 45 EUR." in edit.data["diff"]


def test_a_refused_batch_leaves_no_trace_in_later_writes(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract())
    ledger.record_many([opened("R-1")])
    with pytest.raises(EventRefused):
        ledger.record_many([output("R-1"), output("R-9")])  # R-9 was never opened
    with pytest.raises(EventRefused, match=r"before any output\.generated"):
        ledger.record_many([review("R-1")])  # the refused output must not be remembered
    assert [e.type for e in list(ledger.events("R-1"))] == ["case.opened"]


def test_an_output_without_a_prompt_version_is_stored_and_that_evidence_is_missing(refunds: Ledger) -> None:
    """An instrumented system that does not say which prompt it used still records its output;
    the missing prompt_version is what the evidence then shows."""
    body = {"content": "We refund 40 EUR.", "model": "m-1", "confidence": 0.9}
    refunds.record_many([opened("R-np"), event("R-np", "output.generated", "2026-03-02T09:01:00Z", body)])
    view = refunds.case_view("R-np")
    assert "output" in view.evidence.present and "prompt_version" not in view.evidence.present
    assert "prompt_version" in view.evidence.missing
