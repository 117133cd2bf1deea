"""Learning actions (SPEC §7): opened with an incident, one per cause and role; listed; closed once.

The findings that watch them (learning-overdue, recurrence) are in test_findings.py.
"""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import accord.ledger
from accord.errors import NotFound, UsageError
from accord.ledger import Ledger
from accord.testing import FixedClock
from tests.cli_scenarios import REVIEWED, Capsys, CliLedger, refund_case
from tests.helpers import CLOCK_AT, PEOPLE, T0, opened_with_prompt_cause, refund_contract, roster, run_case

DAY = dt.timedelta(days=1)


@pytest.fixture
def refunds(refunds: Ledger) -> Ledger:
    """The refund workflow on every backend (conftest), with one complete case R-1."""
    run_case(refunds, "R-1", attests=["correct", "appropriately_toned"])
    return refunds


def test_open_lists_one_open_learning_action_per_cause_and_role(refunds: Ledger) -> None:
    opened_with_prompt_cause(refunds)
    items = [i.as_json() for i in refunds.learning_actions(T0 + 3 * DAY)]
    assert items[0] == {"id": "LA-1", "incident": "INC-1", "case": "R-1", "workflow": "refund-replies",
                        "cause": "bad_prompt", "artefact": "prompt", "role": "ai-enablement",
                        "person": "pat@example.com", "due": "2026-03-18T09:00:00Z", "status": "open",
                        "change": None, "overdue": False}
    assert [(i["id"], i["cause"]) for i in items] == [("LA-1", "bad_prompt"), ("LA-2", "bad_judgment")]


def test_closing_records_the_change_once(refunds: Ledger) -> None:
    opened_with_prompt_cause(refunds)
    closed = refunds.close_learning("LA-1", "refund-v8", by=None, now=T0 + 5 * DAY).as_json()
    assert (closed["status"], closed["change"]) == ("closed", "refund-v8")
    last = list(refunds.events())[-1]
    assert (last.type, last.actor, last.at) == ("learning.closed", "pat@example.com", "2026-03-07T09:00:00Z")
    assert [i.status for i in refunds.learning_actions(T0)] == ["closed", "open"]
    with pytest.raises(UsageError, match="already closed"):
        refunds.close_learning("LA-1", "refund-v9", by="pat@example.com", now=T0 + 6 * DAY).as_json()


def test_closing_an_unknown_learning_action_is_not_found(refunds: Ledger) -> None:
    with pytest.raises(NotFound, match="LA-404"):
        refunds.close_learning("LA-404",  "x", by="pat@example.com", now=T0).as_json()


def test_a_system_cannot_close_a_learning_action(refunds: Ledger) -> None:
    opened_with_prompt_cause(refunds)
    with pytest.raises(UsageError, match="person"):
        refunds.close_learning("LA-1", "refund-v8", by="system:ci", now=T0 + 5 * DAY).as_json()


def test_concurrent_openers_never_share_a_number(db_url: str) -> None:
    with accord.ledger.open(db_url, clock=FixedClock(CLOCK_AT)) as setup:
        setup.apply_roster(roster(**PEOPLE))
        setup.apply_contract(refund_contract())
        run_case(setup, "R-1", attests=["correct", "appropriately_toned"])
    openers = [accord.ledger.open(db_url, clock=FixedClock(CLOCK_AT)) for _ in range(2)]
    try:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda i: opened_with_prompt_cause(openers[i % 2]), range(8)))
    finally:
        for opener in openers:
            opener.close()
    assert sorted(int(str(r["incident"])[4:]) for r in results) == list(range(1, 9))
    ids = [la["id"] for r in results for la in r["learning_actions"]]  # type: ignore[attr-defined]
    assert sorted(int(i[3:]) for i in ids) == list(range(1, 17))


# -- on the examples, through the command line -------------------------------------------------------


def test_learning_close_and_recurrence(capsys: Capsys, tmp_path: Path) -> None:
    """A learning action closes once; only a case run after the fix is a recurrence."""
    ledger = CliLedger(capsys, tmp_path)
    ledger.record(refund_case("R-1", attests=REVIEWED))
    ledger.incident("R-1", "correct", [ledger.seq("R-1", "output.generated")])
    closed = json.loads(ledger.ok("learning", "close", "LA-1", "--change", "refund-v8",
                                  "--now", "2026-07-11T00:00:00Z", "--json"))
    assert (closed["status"], closed["change"], closed["cause"]) == ("closed", "refund-v8", "bad_prompt")
    code, _, err = ledger.cli("learning", "close", "LA-1", "--change", "again",
                              "--now", "2026-07-12T00:00:00Z")
    assert code == 2 and "already closed" in err
    ledger.record(refund_case("R-2", day="2026-07-05", attests=REVIEWED))   # ran before the fix
    ledger.record(refund_case("R-3", day="2026-07-12", attests=REVIEWED))   # ran after it
    ledger.incident("R-2", "correct", [ledger.seq("R-2", "output.generated")], now="2026-07-12T12:00:00Z")
    ledger.incident("R-3", "correct", [ledger.seq("R-3", "output.generated")], now="2026-07-12T12:00:00Z")
    findings = json.loads(ledger.ok("findings", "--json", "--now", "2026-07-13T00:00:00Z"))["findings"]
    assert [(f["rule"], f["case"]) for f in findings if f["rule"] == "recurrence"] == [("recurrence", "R-3")]


def test_learning_cannot_close_before_it_was_opened(capsys: Capsys, tmp_path: Path) -> None:
    ledger = CliLedger(capsys, tmp_path)
    ledger.record(refund_case("R-1", attests=REVIEWED))
    ledger.incident("R-1", "correct", [ledger.seq("R-1", "output.generated")])   # opened at NOW
    code, _, err = ledger.cli("learning", "close", "LA-1", "--change", "x", "--now", "2026-07-01T00:00:00Z")
    assert code == 2 and "before LA-1 was opened" in err
