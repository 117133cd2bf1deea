"""`accord contract apply` on files and folders: a folder is applied as `lint` reads it, all or
nothing; a duration without a unit is refused with a message that says what to write."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from accord.contract.loading import load_file
from accord.errors import InvalidFile
from tests.cli_scenarios import CLAIMS, EXAMPLES, REFUNDS, ROSTER, cli, jcli

Capsys = pytest.CaptureFixture[str]


def examples_folder(tmp_path: Path) -> Path:
    """A copy of examples/: three contracts and a roster, in nested folders."""
    folder = tmp_path / "accountability"
    shutil.copytree(EXAMPLES, folder)
    return folder


def applied(capsys: Capsys, db: str) -> list[tuple[str, int]]:
    return [(c["workflow"], c["version"]) for c in jcli(capsys, db, "contract", "list")["contracts"]]


def test_a_folder_applies_every_contract_in_it_and_skips_the_roster(
        db_url: str, tmp_path: Path, capsys: Capsys) -> None:
    folder = examples_folder(tmp_path)
    cli(capsys, db_url, "roster", "apply", ROSTER)
    result = jcli(capsys, db_url, "contract", "apply", str(folder))
    assert [(c["workflow"], c["version"], c["applied"]) for c in result["contracts"]] == [
        ("claims-triage", 1, True), ("clause-drafting", 1, True), ("refund-replies", 1, True)]
    assert applied(capsys, db_url) == [("claims-triage", 1), ("clause-drafting", 1), ("refund-replies", 1)]
    again = jcli(capsys, db_url, "contract", "apply", str(folder),
                 str(folder / "contracts" / "refund-replies.yaml"))
    assert [c["applied"] for c in again["contracts"]] == [False, False, False], \
        "a file named twice (in the folder and by name) is applied once"


def test_one_lint_error_in_a_folder_applies_nothing(db_url: str, tmp_path: Path, capsys: Capsys) -> None:
    """All or nothing: a broken contract beside good ones refuses the set, listing every problem."""
    folder = examples_folder(tmp_path)
    broken = (folder / "contracts" / "claims-triage.yaml").read_text().replace(
        "outcome_owner:", "# outcome_owner:")
    (folder / "contracts" / "claims-triage.yaml").write_text(broken)
    (folder / "contracts" / "copy.yaml").write_text(Path(REFUNDS).read_text())
    cli(capsys, db_url, "roster", "apply", ROSTER)
    code, out, err = cli(capsys, db_url, "contract", "apply", str(folder))
    assert code == 2 and out == "" and "Traceback" not in err
    assert "claims-triage.yaml" in err and "missing-outcome-owner" in err
    assert "duplicate-workflow" in err and "copy.yaml" in err
    assert applied(capsys, db_url) == []


def test_files_named_together_are_applied_together_or_not_at_all(
        sqlite_url: str, tmp_path: Path, capsys: Capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(Path(CLAIMS).read_text().replace("workflow: claims-triage", "workflow: Claims Triage!"))
    cli(capsys, sqlite_url, "roster", "apply", ROSTER)
    code, _, err = cli(capsys, sqlite_url, "contract", "apply", REFUNDS, str(bad))
    assert code == 2 and "bad.yaml" in err
    assert applied(capsys, sqlite_url) == []


def test_a_folder_without_contracts_is_refused(sqlite_url: str, tmp_path: Path, capsys: Capsys) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "roster.yaml").write_text(Path(ROSTER).read_text())
    code, _, err = cli(capsys, sqlite_url, "contract", "apply", str(tmp_path / "empty"))
    assert code == 2 and "no file of kind: contract in this folder" in err


# -- durations ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "message"), [
    ("24", "decide_within: 24 has no unit: write 24h, 1d, 30m or 45s"),
    ('"24"', "decide_within: 24 has no unit: write 24h, 1d, 30m or 45s"),
    ("1.5", "decide_within: 1.5 has no unit"),
    ("1 day", "decide_within: '1 day' is not a duration like 30s, 15m, 4h or 2d"),
    ("true", "decide_within: must be a duration like 30s, 15m, 4h or 2d"),
])
def test_a_duration_without_a_unit_says_what_to_write(
        tmp_path: Path, capsys: Capsys, written: str, message: str) -> None:
    path = tmp_path / "refunds.yaml"
    path.write_text(Path(REFUNDS).read_text().replace("decide_within: 4h", f"decide_within: {written}"))
    with pytest.raises(InvalidFile) as refused:
        load_file(path)
    assert len(refused.value.problems) == 1 and message in refused.value.problems[0].message
    code, _, err = cli(capsys, f"sqlite:///{tmp_path}/l.db", "contract", "apply", str(path))
    assert code == 2 and f"{path}:35:" in err and message in err and "valid string" not in err


def test_retain_for_without_a_unit_gets_the_same_help(tmp_path: Path, capsys: Capsys) -> None:
    path = tmp_path / "refunds.yaml"
    path.write_text(Path(REFUNDS).read_text().replace("retain_for: 400d", "retain_for: 400"))
    code, out, _ = cli(capsys, f"sqlite:///{tmp_path}/l.db", "lint", str(path), "--format", "json")
    messages = [f["message"] for f in json.loads(out)["findings"]]
    assert code == 2 and messages == ["evidence.retain_for: 400 has no unit: write 400h, 1d, 30m or 45s"]
