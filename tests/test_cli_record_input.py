"""`accord record` reads what a new user hands it: every problem of a batch listed at once
(JSON syntax among them), a JSON array, CSV, a byte order mark and an empty file each met
with a word that helps, and nothing stored on refusal."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from accord.errors import EventProblem, EventRefused
from accord.ledger import Ledger
from tests.cli_scenarios import cli, full_case, log_size, opened, write_contract
from tests.helpers import count, event
from tests.helpers import opened as raw_opened

Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def db(sqlite_url: str, tmp_path: Path, capsys: Capsys) -> str:
    """A SQLite ledger with the refund contract applied."""
    assert cli(capsys, sqlite_url, "contract", "apply", write_contract(tmp_path))[0] == 0
    return sqlite_url


def jsonl(*events: dict[str, object]) -> str:
    return "".join(json.dumps(e) + "\n" for e in events)


def problem_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if not line.startswith("accord:")]


def test_a_syntax_error_does_not_hide_the_batch_s_other_problems(
        db_url: str, tmp_path: Path, capsys: Capsys) -> None:
    """Syntax and validation problems are listed together, in line order, and nothing is stored."""
    cli(capsys, db_url, "contract", "apply", write_contract(tmp_path))
    before = log_size(capsys, db_url)
    bad_type = event("B-1", "input.received", "2026-03-02T09:00:01Z", {"text": "hi"})
    text = (jsonl(opened("B-1")) + '{"case": "B-1", "type": \n' + jsonl(bad_type)
            + '{"case": "B-1",, }\n' + jsonl(*full_case("B-2")))
    (tmp_path / "mixed.jsonl").write_text(text)
    code, out, err = cli(capsys, db_url, "record", str(tmp_path / "mixed.jsonl"))
    where = str(tmp_path / "mixed.jsonl")
    assert code == 2 and out == "" and "Traceback" not in err
    assert [line.split(": ", 1)[0] for line in problem_lines(err)] == \
        [f"{where}:2", f"{where}:3", f"{where}:3", f"{where}:4"]
    assert f"{where}:2: not a JSON object:" in err and f"{where}:3: data.text: unknown key" in err
    assert err.rstrip().endswith("accord: nothing of this batch was stored")
    assert log_size(capsys, db_url) == before


def test_problems_beyond_a_hundred_are_counted(db: str, tmp_path: Path, capsys: Capsys) -> None:
    (tmp_path / "many.jsonl").write_text("{not json}\n" * 150)
    code, _, err = cli(capsys, db, "record", str(tmp_path / "many.jsonl"))
    listed = problem_lines(err)
    assert code == 2 and len(listed) == 100 and listed[-1].startswith(f"{tmp_path / 'many.jsonl'}:100:")
    assert "accord: … and 50 more problems: 150 in all" in err


def test_a_problem_that_is_not_a_line_of_input_keeps_its_place(refunds: Ledger) -> None:
    """Through the library: an EventProblem in the batch refuses it, listed in order."""
    ledger = refunds
    unreadable = EventProblem("f:2", "", "not a JSON object: Expecting value at column 1")
    bad = event("R-1", "input.received", "2026-03-02T09:00:01Z", {})
    before = count(ledger)
    with pytest.raises(EventRefused) as refused:
        ledger.record_many([raw_opened(), unreadable, bad], ["f:1", "f:2", "f:3"])
    assert [p.where for p in refused.value.problems] == ["f:2", "f:3"]
    assert count(ledger) == before


@pytest.mark.parametrize("text", [
    json.dumps([raw_opened()]) + "\n",
    "\n  [\n" + json.dumps(raw_opened(), indent=2) + "\n]\n",
])
def test_a_json_array_is_named_with_the_command_that_converts_it(
        db: str, tmp_path: Path, capsys: Capsys, text: str) -> None:
    path = tmp_path / "events.json"
    path.write_text(text)
    code, _, err = cli(capsys, db, "record", str(path))
    assert code == 2 and len(problem_lines(err)) == 1, "one hint, not a problem per line"
    assert "a JSON array, not JSON lines" in err and f"jq -c '.[]' {path}" in err


def test_csv_is_named_as_csv(db: str, tmp_path: Path, capsys: Capsys) -> None:
    path = tmp_path / "events.csv"
    path.write_text("case,type,at,actor\nR-1,case.opened,2026-03-02T09:00:00Z,system:app\n")
    code, _, err = cli(capsys, db, "record", str(path))
    assert code == 2 and len(problem_lines(err)) == 1
    assert f"{path}:1: this looks like CSV, not JSON lines" in err and "docs/events.md" in err


def test_a_leading_byte_order_mark_is_ignored(db: str, tmp_path: Path, capsys: Capsys) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + jsonl(opened("M-1")).encode())
    code, out, err = cli(capsys, db, "record", str(path), "--json")
    assert code == 0, err
    assert json.loads(out)["recorded"] == 1 and err == ""


def test_standard_input_with_a_byte_order_mark(db: str, capsys: Capsys,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"\xef\xbb\xbf" + jsonl(opened("S-1"), opened("S-2")).encode()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    code, out, err = cli(capsys, db, "record", "-")
    assert code == 0 and out.startswith("recorded 2 events"), err


def test_an_empty_file_records_nothing_and_says_so(db: str, tmp_path: Path, capsys: Capsys) -> None:
    """An empty file is no error (a cron job's quiet day); it is named, and other files still count."""
    (tmp_path / "empty.jsonl").write_text("\n  \n")
    (tmp_path / "one.jsonl").write_text(jsonl(opened("E-1")))
    code, out, err = cli(capsys, db, "record", str(tmp_path / "empty.jsonl"))
    assert code == 0 and out == "nothing to record\n"
    assert f"{tmp_path / 'empty.jsonl'} is empty: nothing to record from it" in err
    code, out, err = cli(capsys, db, "record", str(tmp_path / "empty.jsonl"), str(tmp_path / "one.jsonl"))
    assert code == 0 and out.startswith("recorded 1 event (") and "is empty" in err


def test_a_line_that_is_not_utf8_is_a_problem_of_that_line(db: str, tmp_path: Path, capsys: Capsys) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(jsonl(opened("U-1")).encode() + b'{"case": "caf\xe9"}\n')
    code, _, err = cli(capsys, db, "record", str(path))
    assert code == 2 and problem_lines(err) == [
        f"{path}:2: not a JSON object: not UTF-8 text (byte 13: invalid continuation byte)"]


def test_a_rerun_says_that_nothing_new_was_recorded(db: str, tmp_path: Path, capsys: Capsys) -> None:
    events = [dict(opened("D-1"), id="d-1-open")]
    (tmp_path / "ids.jsonl").write_text(jsonl(*events))
    assert cli(capsys, db, "record", str(tmp_path / "ids.jsonl"))[0] == 0
    code, out, _ = cli(capsys, db, "record", str(tmp_path / "ids.jsonl"))
    assert code == 0 and out == "nothing new to record: 1 event with an id already stored, skipped\n"
