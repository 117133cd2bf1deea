"""`accord tick`, `accord queue` and `accord findings` through the command line, on every
backend: an overdue exception as a user follows it from queue to escalation to finding."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_scenarios import (
    DUE,
    OUT_AT,
    cli,
    jcli,
    opened,
    output,
    route,
    write_contract,
    write_events,
)


def test_overdue_exception_escalates_exactly_once(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, db_url, "contract", "apply", write_contract(tmp_path))
    events = [opened("X-1", 600), output("X-1")]
    assert cli(capsys, db_url, "record", write_events(tmp_path, "e.jsonl", events))[0] == 0
    early = jcli(capsys, db_url, "queue", "exceptions", "--now", "2026-03-02T12:00:00Z")["items"]
    assert early == [{"case": "X-1", "workflow": "refund-replies", "role": "refunds-escalations",
                      "since": OUT_AT, "due": DUE, "overdue": False}]
    assert jcli(capsys, db_url, "tick", "--now", "2026-03-02T12:00:00Z")["escalated"] == []
    first = jcli(capsys, db_url, "tick", "--now", "2026-03-02T14:00:00Z")["escalated"]
    assert [(e["case"], e["escalate_to"], e["at"]) for e in first] == \
        [("X-1", "support-director", DUE)]
    assert jcli(capsys, db_url, "tick", "--now", "2026-03-02T15:00:00Z")["escalated"] == []
    late = jcli(capsys, db_url, "queue", "exceptions", "--now", "2026-03-02T16:00:00Z")["items"]
    assert [(i["role"], i["overdue"]) for i in late] == [("support-director", True)]
    jcli(capsys, db_url, "queue", "reviews", "--now", "2026-03-02T16:00:00Z")
    found = jcli(capsys, db_url, "findings", "--now", "2026-03-02T16:00:00Z")["findings"]
    assert [f["rule"] for f in found if f["case"] == "X-1"].count("exception-overdue") == 1
    view = jcli(capsys, db_url, "case", "show", "X-1")
    assert [e["type"] for e in view["events"]].count("exception.escalated") == 1
    # a later output keeps the first due time and raises nothing new
    more = [output("X-1", at="2026-03-02T17:00:00Z")]
    assert cli(capsys, db_url, "record", write_events(tmp_path, "m.jsonl", more))[0] == 0
    assert route(capsys, db_url, "X-1")["due"] == DUE
    view = jcli(capsys, db_url, "case", "show", "X-1")
    assert [e["type"] for e in view["events"]].count("exception.raised") == 1
