"""Run-time findings (SPEC §6), a section per detector in runtime/findings.py.

unapproved-action and evidence-gap are checked beside enforcement (test_enforcement.py),
exception-overdue beside escalation (test_queues.py).
"""

from __future__ import annotations

import datetime as dt

from accord.ledger import Ledger
from tests.helpers import (
    T0,
    at,
    memory_ledger,
    open_case,
    opened_with_prompt_cause,
    refund_contract,
    run_case,
)

DAY = dt.timedelta(days=1)


# -- reviewer-not-in-role ----------------------------------------------------------------------------


def test_reviewer_outside_the_role_is_found(refunds: Ledger) -> None:
    case = open_case(refunds, "R-14")
    case.output("Refund 120", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    case.review(reviewer="mallory@example.com", attests=["whole_action"], at=at(2))
    found = [f for f in refunds.findings(at(3)) if f.rule == "reviewer-not-in-role"]
    assert [f.case for f in found] == ["R-14"] and "mallory@example.com" in found[0].message


# -- owner-vacancy -----------------------------------------------------------------------------------


def test_vacant_outcome_owner_is_found(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract())
    open_case(ledger, "R-15")
    found = [f for f in ledger.findings(at(3)) if f.rule == "owner-vacancy"]
    assert [f.case for f in found] == ["R-15"]


# -- learning-overdue --------------------------------------------------------------------------------


def found(ledger: Ledger, rule: str, now: dt.datetime) -> list[tuple[str | None, int | None]]:
    return [(f.case, f.seq) for f in ledger.findings(now) if f.rule == rule]


def test_learning_overdue_fires_for_an_open_action_past_due_only() -> None:
    ledger = memory_ledger()
    run_case(ledger, "R-1", attests=["correct", "appropriately_toned"])
    opened_with_prompt_cause(ledger)
    due = T0 + 16 * DAY
    assert found(ledger, "learning-overdue", due) == [], "not past due at its due time"
    overdue = [f for f in ledger.findings(due + dt.timedelta(seconds=1))
               if f.rule == "learning-overdue"]
    assert len(overdue) == 2 and "LA-1" in overdue[0].message and "ai-enablement" in overdue[0].message
    ledger.close_learning("LA-1", "refund-v8", by=None, now=due + DAY).as_json()
    assert len(found(ledger, "learning-overdue", due + 2 * DAY)) == 1, "a closed action is not overdue"


# -- recurrence --------------------------------------------------------------------------------------


def test_recurrence_fires_only_for_a_case_opened_after_the_fix() -> None:
    ledger = memory_ledger()
    ledger.clock.set(T0 + 6 * DAY)  # type: ignore[attr-defined]  # every event below has happened
    minutes = 24 * 60
    run_case(ledger, "R-1", attests=["correct", "appropriately_toned"])
    run_case(ledger, "R-before", attests=["correct", "appropriately_toned"], start=1 * minutes)
    opened_with_prompt_cause(ledger, "R-1", now=T0 + 2 * DAY)
    ledger.close_learning("LA-1", "refund-v8", by=None, now=T0 + 3 * DAY).as_json()
    run_case(ledger, "R-after", attests=["correct", "appropriately_toned"], start=4 * minutes)
    late = opened_with_prompt_cause(ledger, "R-before", now=T0 + 5 * DAY)
    again = opened_with_prompt_cause(ledger, "R-after", now=T0 + 5 * DAY)
    findings = [f for f in ledger.findings(T0 + 6 * DAY) if f.rule == "recurrence"]
    assert [f.case for f in findings] == ["R-after"], "a case that ran before the fix is no evidence"
    assert str(again["incident"]) in findings[0].message and "refund-v8" in findings[0].message
    assert "bad_prompt" in findings[0].message and late["incident"] == "INC-2"


# -- tool-blame --------------------------------------------------------------------------------------


def test_tool_blame_fires_for_an_incident_that_blames_the_tool_without_a_faulty_event() -> None:
    ledger = memory_ledger()
    for case in ("R-1", "R-2", "R-3"):
        run_case(ledger, case, attests=["correct", "appropriately_toned"])
    for case, summary in (("R-1", "The AI hallucinated a refund"), ("R-2", "The maintainer sent it twice")):
        ledger.open_incident(case, failed=["correct"], faulty=[],
                      summary=summary, by="dana@example.com", now=T0 + 2 * DAY).as_json()
    opened_with_prompt_cause(ledger, "R-3", summary="The model hallucinated")
    blamed = [f for f in ledger.findings(T0 + 3 * DAY) if f.rule == "tool-blame"]
    assert [f.case for f in blamed] == ["R-1"], "a faulty event or a word merely containing 'ai' is no blame"
    assert "'AI'" in blamed[0].message
