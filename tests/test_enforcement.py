"""`enforce: true` (SPEC §5): an action the contract's checks have not cleared is refused and
nothing is stored; without it the action is recorded and the findings report it."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.errors import ActionRefused
from accord.ledger import Ledger
from tests.cli_scenarios import (
    action,
    cli,
    full_case,
    jcli,
    log_size,
    review,
    write_contract,
    write_events,
    write_roster,
)
from tests.helpers import at, open_case, refund_contract


def enforced(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract(enforce=True))


def test_enforced_workflow_refuses_an_unapproved_action_and_stores_nothing(refunds: Ledger) -> None:
    enforced(refunds)
    case = open_case(refunds, "R-8")
    case.output("Refund 120", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    before = len(list(refunds.events("R-8")))
    with pytest.raises(ActionRefused) as err:
        case.action("email.sent", by="system:mailer", at=at(2))
    assert any("approval attesting correct, appropriately_toned" in m for m in err.value.missing)
    assert any("evidence input" in m for m in err.value.missing)
    assert len(list(refunds.events("R-8"))) == before


def test_enforced_workflow_accepts_a_complete_case(refunds: Ledger) -> None:
    enforced(refunds)
    case = open_case(refunds, "R-9")
    case.input("Please refund order 77", at=at(0.5))
    case.source("orders://77", version="2026-03", at=at(0.6))
    case.output("Refund 120", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    case.policy("refund-policy", version="RP-4", result="pass", at=at(1.5))
    case.review(reviewer="ann@example.com", attests=["correct", "appropriately_toned"], at=at(2))
    case.action("email.sent", by="system:mailer", at=at(3))
    assert list(refunds.events("R-9"))[-1].type == "action.taken"


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
    assert list(refunds.events("R-10"))[-1].type == "action.taken", "the override let it through"


def test_enforced_workflow_refuses_and_stores_nothing(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, db_url, "roster", "apply", write_roster(tmp_path))
    cli(capsys, db_url, "contract", "apply", write_contract(tmp_path, enforce=True))
    before = log_size(capsys, db_url)
    events = [*full_case("E-1"), review("E-1", ["appropriately_toned"]), action("E-1")]
    code, _, err = cli(capsys, db_url, "record", write_events(tmp_path, "e.jsonl", events))
    assert code == 2 and "e.jsonl:7" in err and "correct" in err and "Traceback" not in err
    assert log_size(capsys, db_url) == before
    assert cli(capsys, db_url, "case", "show", "E-1")[0] == 2
    # with the approval in place the same action is taken
    events[5] = review("E-1", ["correct", "appropriately_toned"])
    assert cli(capsys, db_url, "record", write_events(tmp_path, "ok.jsonl", events))[0] == 0


# -- without enforce, the action is recorded and found -----------------------------------------------


def test_unenforced_unapproved_action_is_recorded_and_found(refunds: Ledger) -> None:
    case = open_case(refunds, "R-11")
    case.output("Refund 120", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    case.action("email.sent", by="system:mailer", at=at(2))
    rules = {(f.rule, f.case) for f in refunds.findings(at(10))}
    assert ("unapproved-action", "R-11") in rules
    assert ("evidence-gap", "R-11") in rules


def test_unenforced_workflow_records_and_reports_unapproved_action(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, db_url, "contract", "apply", write_contract(tmp_path))
    events = [*full_case("U-1"), action("U-1")]
    assert cli(capsys, db_url, "record", write_events(tmp_path, "e.jsonl", events))[0] == 0
    found = jcli(capsys, db_url, "findings", "--now", "2026-03-02T10:00:00Z")["findings"]
    rules = [f["rule"] for f in found if f["case"] == "U-1"]
    assert "unapproved-action" in rules and "evidence-gap" in rules  # no roster: owner-vacancy too
