"""What waits for whom (SPEC §6): the exception queue, and `tick`, which escalates an exception
still undecided after its due time, once. How escalation looks through `accord tick`,
`accord queue` and `accord findings` is in test_cli_runtime.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.ledger import Ledger
from tests.cli_scenarios import DUE, cli, jcli, opened, output, write_contract, write_events
from tests.helpers import at, open_case


def test_overdue_exception_escalates_exactly_once(refunds: Ledger) -> None:
    case = open_case(refunds, "R-12", amount=900)
    route = case.output("Refund 900", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    assert refunds.tick(at(100)) == [], "not due yet"
    items = refunds.exception_queue(at(100))
    assert [(i.case, i.role, i.overdue) for i in items] == [("R-12", "refunds-escalations", False)]
    written = refunds.tick(at(600))
    assert len(written) == 1 and written[0].at == route.due
    assert written[0].escalate_to == "support-director"
    assert refunds.tick(at(700)) == [], "escalated once"
    items = refunds.exception_queue(at(700))
    assert [(i.role, i.overdue) for i in items] == [("support-director", True)]
    found = [f for f in refunds.findings(at(700)) if f.rule == "exception-overdue"]
    assert [f.case for f in found] == ["R-12"]
    kinds = [e.type for e in list(refunds.events("R-12"))]
    assert kinds.count("exception.escalated") == 1


def test_on_time_decision_by_the_owner_clears_the_exception(refunds: Ledger) -> None:
    case = open_case(refunds, "R-13", amount=900)
    case.output("Refund 900", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    case.decide(decider="eve@example.com", decision="approved", at=at(60))
    assert refunds.tick(at(600)) == []
    assert refunds.exception_queue(at(600)) == []
    rules = {f.rule for f in refunds.findings(at(600)) if f.case == "R-13"}
    assert "exception-overdue" not in rules and "reviewer-not-in-role" not in rules


def test_no_escalation_at_exactly_the_due_time(db_url: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, db_url, "contract", "apply", write_contract(tmp_path))
    events = [opened("X-2", 600), output("X-2")]
    cli(capsys, db_url, "record", write_events(tmp_path, "e.jsonl", events))
    assert jcli(capsys, db_url, "tick", "--now", DUE)["escalated"] == []
