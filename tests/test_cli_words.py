"""What the command line prints reads as a person writes: counts agree with their nouns,
artefacts are named in words, values are JSON's (true, not True), times are whole seconds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from accord.review.describe import counted, describe
from accord.store.stored import StoredEvent
from tests.cli_scenarios import SKIPPED, CliLedger, refund_case
from tests.helpers import run_cli as run

FRACTION = re.compile(r"\d\d:\d\d:\d\d\.\d+")


def stored(type_: str, data: dict[str, object]) -> StoredEvent:
    return StoredEvent(1, "R-1", "refund-replies", type_, "2026-03-02T09:00:00Z", "system:app", data,
                       1, "2026-03-02T09:00:00Z")


def test_counted_agrees_with_its_noun() -> None:
    assert [counted(0, "case"), counted(1, "case"), counted(2, "case"), counted(1200, "record")] == \
        ["0 cases", "1 case", "2 cases", "1,200 records"]


def test_attributes_read_as_json_values_not_python() -> None:
    """A case's attributes show true/false, null and compact JSON, never False or {'a': 1}."""
    line = describe(stored("case.opened", {"workflow": "w", "attributes": {
        "amount": 40, "sensitive": False, "vip": True, "tags": ["a"], "extra": {"a": 1}, "none": None}}))
    assert line == ('case opened (amount=40, sensitive=false, vip=true, tags=["a"], extra={"a":1}, '
                    "none=null)")
    assert "True" not in line and "'" not in line


def test_a_structured_input_is_quoted_as_json() -> None:
    line = describe(stored("input.received", {"content": {"ticket": 7, "urgent": True}}))
    assert line == 'input received: "{"ticket":7,"urgent":true}"'


def test_case_show_and_record_read_as_sentences(cli_ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "case", "show", "R-1")
    assert code == 0 and "case opened (amount=" in out and "True" not in out and "False" not in out
    present = next(line for line in out.splitlines() if line.startswith("evidence present:"))
    assert "input (seq " in present and "[" not in present, "seqs in words, not a Python list"
    event = {"case": "R-9", "type": "case.opened", "at": "2026-03-02T09:00:00Z", "actor": "system:app",
             "data": {"workflow": "refund-replies", "attributes": {"amount": 4, "tier": "standard",
                                                                   "risk": 0.1}}}
    (cli_ledger / "one.jsonl").write_text(json.dumps(event) + "\n")
    code, out, _ = run(capsys, "record", "one.jsonl")
    assert code == 0 and out.startswith("recorded 1 event (seq ")


def test_verify_says_records_in_the_singular_and_the_plural(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ledger = CliLedger(capsys, tmp_path, roster=None)
    assert "ok: 1 record verifies;" in ledger.ok("verify")
    ledger.ok("roster", "apply", str(Path(__file__).parent.parent / "examples" / "roster.yaml"))
    assert "ok: 2 records verify;" in ledger.ok("verify")


def test_learning_actions_name_the_artefact_in_words(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A skipped review that let a wrong answer through: the threshold owner changes the routing rule."""
    ledger = CliLedger(capsys, tmp_path)
    ledger.record(refund_case("R-7", **SKIPPED))
    output = str(ledger.seq("R-7", "output.generated"))
    out = ledger.ok("incident", "open", "R-7", "--failed", "correct", "--faulty", output, "--summary",
                    "Wrong refund", "--by", "dana.okafor@example.com", "--now", "2026-07-10T00:00:00Z")
    assert "changes the routing rule by" in out and "changes the routing_rule" not in out
    assert "routing rule due" in ledger.ok("learning", "list", "--now", "2026-07-10T00:00:00Z")


def test_times_without_now_are_whole_seconds(cli_ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without --now a command stamps the current time to the second: no microseconds in its columns."""
    code, out, err = run(capsys, "incident", "open", "R-1", "--failed", "correct", "--summary", "x",
                         "--by", "dana@example.com", "--json")
    assert code == 0, err
    dues = [la["due"] for la in json.loads(out)["learning_actions"]]
    assert dues and not any(FRACTION.search(d) for d in dues)
    code, out, _ = run(capsys, "incident", "list")
    assert code == 0 and "INC-1" in out and not FRACTION.search(out)
    code, out, _ = run(capsys, "contract", "list")
    assert code == 0 and "refund-replies" in out and not FRACTION.search(out)


def test_a_mistyped_attribute_is_named_in_json_terms(cli_ledger: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    event = {"case": "R-9", "type": "case.opened", "at": "2026-03-02T09:00:00Z", "actor": "system:app",
             "data": {"workflow": "refund-replies", "attributes": {"amount": "40", "tier": False,
                                                                   "risk": 0.1}}}
    (cli_ledger / "typed.jsonl").write_text(json.dumps(event) + "\n")
    code, _, err = run(capsys, "record", "typed.jsonl")
    assert code == 2
    assert "data.attributes.amount: must be a number, got a string" in err
    assert "data.attributes.tier: must be a string, got true or false" in err
    assert "got str" not in err and "bool" not in err


def test_reopening_a_case_with_other_attributes_names_them_in_words() -> None:
    from accord.errors import EventRefused
    from tests.helpers import memory_ledger

    ledger = memory_ledger()
    ledger.case("refund-replies", "R-1", {"amount": 40, "tier": "standard", "risk": 0.1})
    with pytest.raises(EventRefused) as refused:
        ledger.case("refund-replies", "R-1", {"amount": 41, "tier": "standard", "risk": 0.1})
    message = str(refused.value)
    assert "with attributes (amount=40, risk=0.1, tier=standard), not (amount=41, " in message
    assert "{" not in message
