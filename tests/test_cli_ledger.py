"""The ledger commands through the real entry point: record, case show, export, verify."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

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
    assert run(capsys, "contract", "apply", "refunds.yaml")[0] == 0
    (workdir / "events.jsonl").write_text(lines(*CASE))
    code, out, _ = run(capsys, "record", "events.jsonl", "--json")
    assert code == 0 and json.loads(out) == {"recorded": 4, "first_seq": 2, "last_seq": 6}
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


def test_unknown_case_is_a_one_line_error(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "case", "show", "nope")
    assert code == 2 and err.strip() == "accord: no case 'nope' in this ledger"


def test_keygen_checkpoint_and_verify_with_the_public_key(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
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
