"""The ledger commands through the real entry point: record, case show, export, verify, keygen,
checkpoint and proof."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.cli_scenarios import action, cli, full_case, log_size, opened, write_contract, write_events
from tests.helpers import event, refund_contract
from tests.helpers import run_cli as run


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ACCORD_DB", f"sqlite:///{tmp_path}/accord.db")
    body = refund_contract().model_dump(mode="json", by_alias=True, exclude_none=True)
    (tmp_path / "refunds.yaml").write_text(yaml.safe_dump(body, sort_keys=False))
    return tmp_path


def lines(*events: dict[str, object]) -> str:
    return "".join(json.dumps(e) + "\n" for e in events)


CASE = [
    event("R-1", "case.opened", "2026-03-02T09:00:00Z",
          {"workflow": "refund-replies", "attributes": {"amount": 40, "tier": "standard", "risk": 0.1}}),
    event("R-1", "input.received", "2026-03-02T09:00:01Z", {"content": "Where is my refund?"}),
    event("R-1", "output.generated", "2026-03-02T09:01:00Z",
          {"content": "We refund 40 EUR.", "model": "m", "prompt_version": "v7", "confidence": 0.9}),
    event("R-1", "action.taken", "2026-03-02T09:02:00Z", {"action": "email.sent", "by": "system:mailer"}),
]


def test_record_then_case_show_and_export(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Recorded events come back through `case show`, `export` (the SPEC envelope) and a passing `verify`."""
    assert run(capsys, "contract", "apply", "refunds.yaml")[0] == 0
    (workdir / "events.jsonl").write_text(lines(*CASE))
    code, out, _ = run(capsys, "record", "events.jsonl", "--json")
    assert code == 0 and json.loads(out) == {"recorded": 4, "first_seq": 2, "last_seq": 6, "duplicates": 0}
    code, out, _ = run(capsys, "case", "show", "R-1", "--json")
    view = json.loads(out)
    assert code == 0 and view["workflow"] == "refund-replies" and view["contract_version"] == 1
    assert [e["seq"] for e in view["events"]] == [2, 3, 4, 5, 6]
    assert view["route"]["review"] == "skipped"
    assert view["evidence"]["present"]["input"] == [3]
    assert "sources" in view["evidence"]["missing"] and "policy" in view["evidence"]["missing"]
    code, out, _ = run(capsys, "export", "--format", "jsonl", "--case", "R-1")
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows[0]["type"] == "case.opened"
    assert set(rows[0]) == {"seq", "case", "workflow", "type", "at", "actor", "data",
                            "contract_version", "recorded_at", "leaf_hash"}
    code, out, _ = run(capsys, "verify", "--json")
    assert code == 0 and json.loads(out)["ok"] is True


# -- accord record refuses bad input whole -----------------------------------------------------------


def test_a_malformed_line_stores_nothing_and_names_the_line(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "contract", "apply", "refunds.yaml")
    text = lines(*CASE[:2]) + '{"case": "R-1", "type": \n' + lines(*CASE[2:])
    (workdir / "bad.jsonl").write_text(text)
    code, _, err = run(capsys, "record", "bad.jsonl")
    assert code == 2 and "bad.jsonl:3" in err and "Traceback" not in err
    code, out, _ = run(capsys, "export")
    assert [json.loads(line)["type"] for line in out.splitlines()] == ["contract.applied"]


def test_duplicate_json_keys_are_refused(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "contract", "apply", "refunds.yaml")
    (workdir / "dup.jsonl").write_text('{"case": "R-1", "case": "R-2", "type": "case.opened"}\n')
    code, _, err = run(capsys, "record", "dup.jsonl")
    assert code == 2 and "dup.jsonl:1" in err and "case" in err


def test_a_batch_with_one_refused_event_stores_nothing(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, db_url, "contract", "apply", write_contract(tmp_path))
    before = log_size(capsys, db_url)
    bad = event("B-1", "review.recorded", "2026-03-02T09:02:00Z",
                {"reviewer": "system:bot", "attests": ["correct"], "decision": "approved"})
    events = [*full_case("B-1"), bad, action("B-1")]
    code, _, err = cli(capsys, db_url, "record", write_events(tmp_path, "b.jsonl", events))
    assert code == 2 and "b.jsonl:6: data.reviewer:" in err and "Traceback" not in err
    assert log_size(capsys, db_url) == before


@pytest.mark.parametrize("at", ["2026-W10-1T09:00:00Z", "2026-03-02T09:00+01:00"])
def test_at_must_be_rfc3339(sqlite_url: str, tmp_path: Path, at: str,
                            capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, sqlite_url, "contract", "apply", write_contract(tmp_path))
    e = opened("W-1")
    e["at"] = at
    code, _, err = cli(capsys, sqlite_url, "record", write_events(tmp_path, "w.jsonl", [e]))
    assert code == 2 and "w.jsonl:1: at:" in err


# -- one-line errors ---------------------------------------------------------------------------------


def test_unknown_case_is_a_one_line_error(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "contract", "apply", str(workdir / "refunds.yaml"))[0] == 0
    code, _, err = run(capsys, "case", "show", "nope")
    assert code == 2 and err.strip() == "accord: no case 'nope' in this ledger"


@pytest.mark.parametrize("command", [["case", "show", "R-1"], ["contract", "list"], ["verify"],
                                     ["findings"], ["export"], ["incident", "list"]])
def test_a_reading_command_on_a_missing_ledger_creates_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    """A typo in --db is an error naming the file, never a new empty ledger."""
    missing = tmp_path / "bda.db"
    code, _, err = run(capsys, "--db", f"sqlite:///{missing}", *command)
    assert code == 2 and "no accord ledger at" in err and str(missing) in err
    assert not missing.exists()


def test_a_db_that_is_not_a_database_is_one_line(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.db").write_text("hello\n")
    code, _, err = run(capsys, "--db", f"sqlite:///{tmp_path}/notes.db", "verify")
    assert code == 2 and len(err.strip().splitlines()) == 1


# -- checkpoints and proofs --------------------------------------------------------------------------


def test_keygen_checkpoint_and_verify_with_the_public_key(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`keygen` writes a 0600 key, `checkpoint` signs, `verify --pub` checks it; junk is exit 2."""
    run(capsys, "contract", "apply", "refunds.yaml")
    assert run(capsys, "keygen", "--out", "k")[0] == 0
    assert (workdir / "k").stat().st_mode & 0o777 == 0o600
    assert run(capsys, "checkpoint", "--key", "k", "--out", "cp.txt")[0] == 0
    code, out, _ = run(capsys, "verify", "--checkpoint", "cp.txt", "--pub", "k.pub", "--json")
    report = json.loads(out)
    assert code == 0 and report["checkpoint"] == {"size": 1, "consistent": True, "signature": "valid"}
    code, out, _ = run(capsys, "verify", "--checkpoint", "cp.txt")
    assert code == 0 and "signature not checked" in out
    (workdir / "junk.txt").write_text("not a checkpoint\n")
    code, _, err = run(capsys, "verify", "--checkpoint", "junk.txt")
    assert code == 2 and "Traceback" not in err


def test_proof_prints_an_inclusion_proof(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "contract", "apply", "refunds.yaml")
    (workdir / "events.jsonl").write_text(lines(*CASE))
    run(capsys, "record", "events.jsonl")
    code, out, _ = run(capsys, "proof", "3", "--json")
    assert code == 0 and json.loads(out)["size"] == 6 and len(json.loads(out)["proof"]) == 3
    code, _, err = run(capsys, "proof", "99")
    assert code == 2 and "outside" in err
