"""Reading tampered records never shows them as true: case show, incident review and export
re-hash each record they show and check its link in the chain."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.helpers import run_cli


def _tamper(url: str, seq: int) -> None:
    """Change one byte of a stored record, as someone with the database file could."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS accord_log_no_update")
        conn.exec_driver_sql(f"UPDATE accord_log SET canonical = replace(canonical, 'refund', 'REFUND') "
                             f"WHERE seq = {seq}")
    engine.dispose()


def _seq_of(url: str, case: str, kind: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT max(seq) FROM accord_log WHERE case_id = :c AND type = :t"),
                             {"c": case, "t": kind}).scalar()
    engine.dispose()
    return int(found)


def test_case_show_marks_a_tampered_record_and_exits_1(cli_ledger: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{cli_ledger}/accord.db"
    seq = _seq_of(url, "R-1", "input.received")
    _tamper(url, seq)
    code, out, err = run_cli(capsys, "case", "show", "R-1")
    assert code == 1
    assert f"TAMPERED: seq {seq}" in err and any("TAMPERED" in line and f"{seq}" in line
                                                  for line in out.splitlines())
    code, out, err = run_cli(capsys, "case", "show", "R-2")
    assert code == 0 and "TAMPERED" not in out + err, "the other case still reads true"


def test_case_show_json_lists_the_tampered_seqs(cli_ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    url = f"sqlite:///{cli_ledger}/accord.db"
    seq = _seq_of(url, "R-1", "output.generated")
    _tamper(url, seq)
    code, out, _ = run_cli(capsys, "case", "show", "R-1", "--json")
    assert code == 1 and [t["seq"] for t in json.loads(out)["tampered"]] == [seq]


def test_export_writes_what_it_can_and_names_the_tampered_seq(cli_ledger: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{cli_ledger}/accord.db"
    seq = _seq_of(url, "R-2", "input.received")
    _tamper(url, seq)
    code, out, err = run_cli(capsys, "export")
    assert code == 1 and f"TAMPERED: seq {seq}" in err
    assert len(out.splitlines()) > seq, "every readable record is still written"
    code, _, err = run_cli(capsys, "export", "--case", "R-1")
    assert code == 0 and "TAMPERED" not in err


def test_incident_review_of_a_tampered_case_exits_1(cli_ledger: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{cli_ledger}/accord.db"
    output = _seq_of(url, "R-1", "output.generated")
    assert run_cli(capsys, "incident", "open", "R-1", "--failed", "correct", "--faulty", str(output),
                   "--summary", "Wrong amount", "--by", "dana@example.com")[0] == 0
    _tamper(url, _seq_of(url, "R-1", "source.used"))
    code, _, err = run_cli(capsys, "incident", "review", "INC-1")
    assert code == 1 and "TAMPERED" in err
