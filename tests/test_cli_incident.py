"""`accord incident`, `accord learning` and `accord drill` through the command line:
JSON output, exit statuses and one-line errors (SPEC §9)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import accord.ledger
from accord.review.questions import keys
from accord.testing import FixedClock
from tests.cli_scenarios import CLAIMS, NOW, REFUNDS, REVIEWED, SKIPPED, Capsys, CliLedger, refund_case
from tests.helpers import CLOCK_AT, opened_with_prompt_cause
from tests.helpers import run_cli as run


def cli_seq(capsys: pytest.CaptureFixture[str], case: str, kind: str = "output.generated") -> str:
    """The seq of the first ``kind`` event of ``case``, read through `accord case show`."""
    _, out, _ = run(capsys, "case", "show", case, "--json")
    return str(next(e["seq"] for e in json.loads(out)["events"] if e["type"] == kind))


# -- accord incident ---------------------------------------------------------------------------------


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


# -- accord learning ---------------------------------------------------------------------------------


@pytest.fixture
def cli_ledger_with_incident(cli_ledger: Path) -> Path:
    """cli_ledger with INC-1 opened on R-1: LA-1 (ai-enablement) and LA-2 (support-enablement)."""
    with accord.ledger.open(os.environ["ACCORD_DB"], clock=FixedClock(CLOCK_AT)) as ledger:
        opened_with_prompt_cause(ledger)
    return cli_ledger


def test_cli_learning_list_and_close(
        cli_ledger_with_incident: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`learning list` shows overdue actions; after `learning close` only the open one is overdue."""
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


def test_cli_closing_twice_exits_2(
        cli_ledger_with_incident: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "learning", "close", "LA-1", "--change", "refund-v8")[0] == 0
    code, _, err = run(capsys, "learning", "close", "LA-1", "--change", "refund-v9")
    assert code == 2 and "already closed" in err and "Traceback" not in err
    code, _, err = run(capsys, "learning", "close", "LA-9", "--change", "x")
    assert code == 2 and "no learning action 'LA-9'" in err


LEARNING_KEYS = {"id", "incident", "case", "workflow", "cause", "artefact", "role", "person", "due",
                 "status", "change"}


def test_learning_list_json_has_at_least_the_spec_9_keys(capsys: Capsys, tmp_path: Path) -> None:
    ledger = CliLedger(capsys, tmp_path)
    ledger.record(refund_case("R-1", attests=REVIEWED))
    ledger.incident("R-1", "correct", [ledger.seq("R-1", "output.generated")])
    listed = json.loads(ledger.ok("learning", "list", "--json", "--now", NOW))["learning_actions"]
    assert [(a["id"], a["cause"], a["artefact"], a["role"], a["status"]) for a in listed] == [
        ("LA-1", "bad_prompt", "prompt", "ai-enablement", "open"),
        ("LA-2", "bad_judgment", "training_material", "support-enablement", "open")]
    assert all(set(item) >= LEARNING_KEYS for item in listed)


# -- accord drill ------------------------------------------------------------------------------------


def test_cli_drill_prints_json_and_text(cli_ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`accord drill --json` prints the readiness report; as text it goes to stdout and the rate to stderr."""
    code, out, _ = run(capsys, "drill", "--json", "--now", "2026-03-03T00:00:00Z")
    assert code == 0
    assert json.loads(out) == {"workflows": [{
        "workflow": "refund-replies", "cases": 2, "ready": 1, "readiness": 0.5,
        "failing": {**{key: 0 for key in keys()}, "evidence": 1},
        "examples": {**{key: [] for key in keys()}, "evidence": ["R-2"]}}]}
    code, out, err = run(capsys, "drill", "--sample", "1", "--seed", "3")
    assert code == 0 and "refund-replies:" in out and "cases/s" in err


def test_cli_drill_of_an_unknown_workflow_exits_2(
        cli_ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "drill", "--workflow", "nope")
    assert code == 2 and "nope" in err and "Traceback" not in err


def test_drill_json_keys_and_readiness(capsys: Capsys, tmp_path: Path) -> None:
    """`accord drill --json` has the SPEC §9 keys per workflow; a case lacking evidence is not ready."""
    ledger = CliLedger(capsys, tmp_path, contracts=(REFUNDS, CLAIMS))
    ledger.record(refund_case("R-1", attests=REVIEWED))
    ledger.record(refund_case("R-2", attests=REVIEWED, policy=None))
    ledger.record(refund_case("R-3", **SKIPPED))
    drill = json.loads(ledger.ok("drill", "--json", "--now", NOW))
    assert set(drill) == {"workflows"}
    by_name = {w["workflow"]: w for w in drill["workflows"]}
    questions = {"owner", "purpose", "human_check", "evidence", "why_passed", "cause", "who_changes"}
    for item in drill["workflows"]:
        assert set(item) == {"workflow", "cases", "ready", "readiness", "failing", "examples"}
        assert set(item["failing"]) == questions and set(item["examples"]) == questions
    assert (by_name["claims-triage"]["cases"], by_name["claims-triage"]["readiness"]) == (0, None)
    refunds = by_name["refund-replies"]
    assert (refunds["cases"], refunds["ready"], refunds["readiness"]) == (3, 2, 0.6667)
    assert (refunds["failing"]["evidence"], refunds["examples"]["evidence"]) == (1, ["R-2"])
