"""Progress bars on long `record`, `verify`, `export` and `drill`: drawn on standard error while
it is a terminal, wiped at the end, never when piped or with --json."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from accord.cli import _common
from accord.ledger import Ledger
from tests.cli_scenarios import REVIEWED, CliLedger, refund_case
from tests.helpers import run_case

Capsys = pytest.CaptureFixture[str]
CASES = 300


@pytest.fixture
def big(tmp_path: Path, capsys: Capsys) -> CliLedger:
    """A ledger of 300 closed refund cases (about 2,400 records), and their events in a file."""
    ledger = CliLedger(capsys, tmp_path)
    events = [e for i in range(CASES) for e in refund_case(f"R-{i}", attests=REVIEWED)]
    (tmp_path / "more.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    ledger.ok("record", str(tmp_path / "more.jsonl"))
    return ledger


def fake_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """What capsys puts in place of standard error says it is a terminal (its class, since the
    capture object may be replaced between a fixture's setup and the test)."""
    monkeypatch.setattr(type(sys.stderr), "isatty", lambda self: True)


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    """Standard error is a terminal, and bars appear at once."""
    fake_terminal(monkeypatch)
    monkeypatch.setattr(_common, "DELAY", 0.0)
    monkeypatch.setattr(_common, "REDRAW", 0.0)


def bars(err: str, label: str) -> list[str]:
    return [part for part in err.split("\r") if part.startswith(f"{label} [")]


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize(("args", "label"), [
    (["verify"], "verifying"),
    (["drill", "--now", "2026-07-10T00:00:00Z"], "drilling"),
    (["export"], "exporting"),
])
def test_a_long_job_draws_a_bar_on_a_terminal_and_wipes_it(big: CliLedger, args: list[str],
                                                           label: str) -> None:
    code, out, err = big.cli(*args)
    drawn = bars(err, label)
    assert code == 0 and len(drawn) >= 2, err
    assert "  0%" in drawn[0] or drawn[0] != drawn[-1]
    assert "100%" in drawn[-1] and drawn[-1].split()[-1] == drawn[-1].split()[-3]
    assert label not in out, "the bar goes to standard error only"
    assert f"\r{' ' * len(drawn[-1].rstrip())}" in err, "the bar is wiped when the job ends"


@pytest.mark.usefixtures("terminal")
def test_record_shows_how_many_events_it_has_read_as_it_streams(big: CliLedger, tmp_path: Path) -> None:
    """A file is recorded as it is read (so its size is not known ahead): the bar counts events."""
    events = [e for i in range(CASES) for e in refund_case(f"N-{i}", attests=REVIEWED)]
    (tmp_path / "new.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    code, out, err = big.cli("record", str(tmp_path / "new.jsonl"))
    assert code == 0 and out.startswith(f"recorded {len(events):,} events")
    drawn = [part for part in err.split("\r") if part.startswith("recording new.jsonl ")]
    assert drawn and drawn[-1].endswith(f"{len(events):,} so far")


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize("args", [["verify", "--json"], ["drill", "--json"]])
def test_no_bar_with_json(big: CliLedger, args: list[str]) -> None:
    code, out, err = big.cli(*args)
    assert code == 0 and json.loads(out) and "[" not in err


@pytest.mark.parametrize("args", [["verify"], ["drill"], ["export"]])
def test_no_bar_when_standard_error_is_not_a_terminal(
        big: CliLedger, monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    monkeypatch.setattr(_common, "DELAY", 0.0)
    code, _, err = big.cli(*args)
    assert code == 0 and "\r" not in err and "[" not in err


def test_a_quick_job_shows_no_bar_even_on_a_terminal(
        big: CliLedger, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_terminal(monkeypatch)
    monkeypatch.setattr(_common, "DELAY", 60.0)
    code, _, err = big.cli("verify")
    assert code == 0 and "verifying" not in err


def test_the_library_reports_progress_up_to_the_whole(refunds: Ledger) -> None:
    for i in range(40):
        run_case(refunds, f"P-{i}", attests=["correct", "appropriately_toned"])
    heard: dict[str, list[tuple[int, int]]] = {"verify": [], "drill": []}
    assert refunds.verify(progress=lambda d, t: heard["verify"].append((d, t))).ok
    refunds.drill(progress=lambda d, t: heard["drill"].append((d, t)))
    size = refunds.verify().size
    assert heard["verify"][-1] == (size, size) and heard["drill"][-1] == (40, 40)
    for calls in heard.values():
        assert [d for d, _ in calls] == sorted(d for d, _ in calls)


@pytest.mark.usefixtures("terminal")
def test_a_long_label_is_cut_so_the_bar_fits_the_terminal(
        big: CliLedger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    name = "events-" + "x" * 80 + ".jsonl"
    (tmp_path / name).write_text((tmp_path / "more.jsonl").read_text())
    _, _, err = big.cli("record", str(tmp_path / name))
    drawn = [part for part in err.split("\r") if part.startswith("recording events-")]
    assert drawn and all(len(line) <= 79 and "…" in line and "so far" in line for line in drawn)
