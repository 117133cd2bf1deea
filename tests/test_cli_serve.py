"""`accord serve` refuses what it cannot serve before it listens: several workers on SQLite, a key
it cannot read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli

Capsys = pytest.CaptureFixture[str]


def test_serve_with_several_workers_on_sqlite_exits_2(sqlite_url: str, capsys: Capsys) -> None:
    code, _, err = run_cli(capsys, "--db", sqlite_url, "serve", "--workers", "2")
    assert code == 2 and "a SQLite ledger is served from one process" in err


def test_serve_with_a_key_it_cannot_read_exits_2(sqlite_url: str, tmp_path: Path, capsys: Capsys) -> None:
    code, _, err = run_cli(capsys, "--db", sqlite_url, "serve", "--key", str(tmp_path / "missing.key"))
    assert code == 2 and "missing.key" in err and "Traceback" not in err
