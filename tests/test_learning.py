"""Learning actions (open, list, close) and the findings that watch them (SPEC §6–§7)."""

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
from tests.helpers import T0, refund_contract, roster
from tests.test_incident import PEOPLE, memory_ledger, run, run_case, seq

DAY = dt.timedelta(days=1)


def opened_with_prompt_cause(ledger: Ledger, case: str = "R-1", now: dt.datetime = T0 + 2 * DAY,
                             summary: str = "Refunded the wrong amount") -> dict[str, object]:
    output = seq(ledger, case, "output.generated")
    return ledger.open_incident(case, failed=["correct"], faulty=[output],
                         summary=summary, by="dana@example.com", now=now).as_json()


@pytest.fixture
def refunds(ledger: Ledger) -> Ledger:
    """The refund workflow on every backend, with one complete case R-1."""
    ledger.apply_roster(roster(**PEOPLE))
    ledger.apply_contract(refund_contract())
    run_case(ledger, "R-1", attests=["correct", "appropriately_toned"])
    return ledger


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
    with accord.ledger.open(db_url, clock=FixedClock(T0)) as setup:
        setup.apply_roster(roster(**PEOPLE))
        setup.apply_contract(refund_contract())
        run_case(setup, "R-1", attests=["correct", "appropriately_toned"])
    openers = [accord.ledger.open(db_url, clock=FixedClock(T0)) for _ in range(2)]
    try:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda i: opened_with_prompt_cause(openers[i % 2]), range(8)))
    finally:
        for opener in openers:
            opener.close()
    assert sorted(int(str(r["incident"])[4:]) for r in results) == list(range(1, 9))
    ids = [la["id"] for r in results for la in r["learning_actions"]]  # type: ignore[attr-defined]
    assert sorted(int(i[3:]) for i in ids) == list(range(1, 17))


# -- findings -----------------------------------------------------------------------------------


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


def test_recurrence_fires_only_for_a_case_opened_after_the_fix() -> None:
    ledger = memory_ledger()
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


# -- through the command line ---------------------------------------------------------------------


@pytest.fixture
def cli_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    url = f"sqlite:///{tmp_path}/accord.db"
    monkeypatch.setenv("ACCORD_DB", url)
    with accord.ledger.open(url, clock=FixedClock(T0)) as ledger:
        ledger.apply_roster(roster(**PEOPLE))
        ledger.apply_contract(refund_contract())
        run_case(ledger, "R-1", attests=["correct", "appropriately_toned"])
        opened_with_prompt_cause(ledger)
    return tmp_path


def test_cli_learning_list_and_close(cli_ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "learning", "list", "--json", "--now", "2026-03-20T00:00:00Z")
    items = json.loads(out)["learning_actions"]
    assert code == 0 and [(i["id"], i["status"], i["overdue"]) for i in items] == [
        ("LA-1", "open", True), ("LA-2", "open", True)]
    code, out, _ = run(capsys, "learning", "close", "LA-1", "--change", "refund-v8",
                       "--by", "pat@example.com", "--now", "2026-03-10T00:00:00Z", "--json")
    assert code == 0 and json.loads(out)["status"] == "closed"
    code, out, _ = run(capsys, "learning", "list", "--open")
    assert code == 0 and "LA-2" in out and "LA-1" not in out
    code, out, _ = run(capsys, "findings", "--json", "--now", "2026-03-20T00:00:00Z")
    overdue = [f for f in json.loads(out)["findings"] if f["rule"] == "learning-overdue"]
    assert [f["case"] for f in overdue] == ["R-1"] and "LA-2" in overdue[0]["message"]


def test_cli_closing_twice_exits_2(cli_ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "learning", "close", "LA-1", "--change", "refund-v8")[0] == 0
    code, _, err = run(capsys, "learning", "close", "LA-1", "--change", "refund-v9")
    assert code == 2 and "already closed" in err and "Traceback" not in err
    code, _, err = run(capsys, "learning", "close", "LA-9", "--change", "x")
    assert code == 2 and "no learning action 'LA-9'" in err
