"""`accord checkpoint` signs only a log that verifies, never overwrites a file by accident, and
never follows a link; with --previous it checks the log still extends the last checkpoint."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.helpers import run_cli


@pytest.fixture
def key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    keys = tmp_path / "keys"
    keys.mkdir()
    assert run_cli(capsys, "keygen", "--out", str(keys / "l.key"), "--name", "test-ledger")[0] == 0
    return keys / "l.key"


def _tamper(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER accord_log_no_update")
        conn.execute("UPDATE accord_log SET canonical = replace(canonical, 'refund', 'REFUND') WHERE seq = 3")


def test_checkpoint_refuses_to_sign_a_tampered_log(cli_ledger: Path, key: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _tamper(cli_ledger / "accord.db")
    out_file = cli_ledger / "cp.txt"
    code, out, err = run_cli(capsys, "checkpoint", "--key", str(key), "--out", str(out_file))
    assert code == 1 and "refusing to sign" in err and "seq 3" in err
    assert not out_file.exists() and out == ""


def test_checkpoint_with_previous_refuses_a_rewrite_that_recomputed_every_hash(
        cli_ledger: Path, key: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = cli_ledger / "cp1.txt"
    assert run_cli(capsys, "checkpoint", "--key", str(key), "--out", str(first))[0] == 0
    # a forger rewrites the log from seq 1, recomputing every hash: it verifies on its own
    import accord
    from tests.helpers import refund_contract

    db = cli_ledger / "accord.db"
    db.unlink()
    for suffix in ("-wal", "-shm"):
        (cli_ledger / f"accord.db{suffix}").unlink(missing_ok=True)
    with accord.open(f"sqlite:///{db}") as forged:
        forged.apply_contract(refund_contract(title="forged"))
    assert run_cli(capsys, "verify")[0] == 0, "the rewritten log is self-consistent"
    code, _, err = run_cli(capsys, "checkpoint", "--key", str(key), "--previous", str(first),
                           "--pub", f"{key}.pub")
    assert code == 1 and "refusing to sign" in err


def test_checkpoint_with_previous_verifies_the_records_since(cli_ledger: Path, key: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    first = cli_ledger / "cp1.txt"
    assert run_cli(capsys, "checkpoint", "--key", str(key), "--out", str(first))[0] == 0
    code, out, _ = run_cli(capsys, "checkpoint", "--key", str(key), "--previous", str(first))
    assert code == 0 and out.startswith("accord.ledger/")


def test_out_is_not_overwritten_without_force(cli_ledger: Path, key: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out_file = cli_ledger / "cp.txt"
    out_file.write_text("an earlier checkpoint\n")
    code, _, err = run_cli(capsys, "checkpoint", "--key", str(key), "--out", str(out_file))
    assert code == 2 and "--force" in err and out_file.read_text() == "an earlier checkpoint\n"
    assert run_cli(capsys, "checkpoint", "--key", str(key), "--out", str(out_file), "--force")[0] == 0
    assert out_file.read_text().startswith("accord.ledger/")


def test_force_replaces_a_link_instead_of_writing_through_it(cli_ledger: Path, key: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    target = cli_ledger / "precious.txt"
    target.write_text("precious\n")
    link = cli_ledger / "cp.txt"
    link.symlink_to(target)
    assert run_cli(capsys, "checkpoint", "--key", str(key), "--out", str(link), "--force")[0] == 0
    assert target.read_text() == "precious\n", "the link's target is untouched"
    assert not link.is_symlink() and link.read_text().startswith("accord.ledger/")
