"""Scoped approval (SPEC §5): a route is satisfied only by approvals that together attest its
whole scope, and no longer after a rejection or an edit."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.ledger import Ledger
from tests.cli_scenarios import (
    action,
    cli,
    full_case,
    jcli,
    review,
    write_contract,
    write_events,
    write_roster,
)
from tests.helpers import at, open_case


def test_partial_scope_does_not_satisfy_the_route(refunds: Ledger) -> None:
    case = open_case(refunds, "R-5")
    case.output("Refund 120", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    case.review(reviewer="ann@example.com", attests=["appropriately_toned"], at=at(2))
    assert not refunds.case_view("R-5").evidence.approval.holds
    assert [i.case for i in refunds.review_queue(at(3))] == ["R-5"]
    case.review(reviewer="ann@example.com", attests=["correct"], at=at(4))
    assert refunds.case_view("R-5").evidence.approval.holds, "two approvals together cover the scope"
    assert refunds.review_queue(at(5)) == []


def test_a_later_rejection_takes_back_an_approval(refunds: Ledger) -> None:
    case = open_case(refunds, "R-6")
    case.output("Refund 120", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    case.review(reviewer="ann@example.com", attests=["whole_action"], at=at(2))
    assert refunds.case_view("R-6").evidence.approval.holds
    case.review(reviewer="ann@example.com", attests=["correct"], decision="changes_requested", at=at(3))
    assert not refunds.case_view("R-6").evidence.approval.holds


def test_an_edit_after_approval_needs_a_new_approval(refunds: Ledger) -> None:
    case = open_case(refunds, "R-7")
    case.output("Refund 120", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    case.review(reviewer="ann@example.com", attests=["whole_action"], at=at(2))
    case.edit("Refund 130", by="ann@example.com", at=at(3))
    assert not refunds.case_view("R-7").evidence.approval.holds


def test_one_dimension_does_not_satisfy_a_route_that_needs_two(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, db_url, "roster", "apply", write_roster(tmp_path))
    cli(capsys, db_url, "contract", "apply", write_contract(tmp_path))
    events = [*full_case("T-1"), review("T-1", ["appropriately_toned"]), action("T-1"),
              *full_case("T-2"), review("T-2", ["appropriately_toned"]),
              review("T-2", ["correct"], at="2026-03-02T09:03:00Z"), action("T-2"),
              *full_case("T-3"), review("T-3", ["correct", "appropriately_toned"]),
              review("T-3", ["correct"], "changes_requested", at="2026-03-02T09:03:00Z"),
              action("T-3")]
    assert cli(capsys, db_url, "record", write_events(tmp_path, "e.jsonl", events))[0] == 0
    found = jcli(capsys, db_url, "findings", "--now", "2026-03-02T10:00:00Z")["findings"]
    unapproved = {f["case"]: f for f in found if f["rule"] == "unapproved-action"}
    assert set(unapproved) == {"T-1", "T-3"}
    assert "correct" in unapproved["T-1"]["message"]
    assert set(unapproved["T-1"]) == {"rule", "workflow", "case", "seq", "message"}
    assert jcli(capsys, db_url, "case", "show", "T-1")["evidence"]["missing"] == ["approval"]
    assert jcli(capsys, db_url, "case", "show", "T-2")["evidence"]["missing"] == []
