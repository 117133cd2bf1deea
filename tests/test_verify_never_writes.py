"""`accord verify` never writes and never crashes: a wrong path, another application's database,
a deleted origin or undecodable bytes are reported, never repaired or created."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

import accord
from tests.helpers import refund_contract, run_cli


def test_verify_on_a_mistyped_path_creates_nothing_and_exits_2(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "acord.db"
    code, _, err = run_cli(capsys, "--db", f"sqlite:///{missing}", "verify")
    assert code == 2 and "no accord ledger at" in err
    assert not missing.exists() and list(tmp_path.iterdir()) == []


def test_verify_on_another_applications_database_adds_no_tables(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "shop.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
    before = other.read_bytes()
    code, _, err = run_cli(capsys, "--db", f"sqlite:///{other}", "verify")
    assert code == 2 and "no accord tables" in err
    with sqlite3.connect(other) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"orders"} and other.read_bytes() == before


def test_a_deleted_origin_is_reported_not_rewritten(cli_ledger: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    db = cli_ledger / "accord.db"
    with sqlite3.connect(db) as conn:  # whoever can write the file can lift the guard (0007) first
        conn.execute("DROP TRIGGER accord_meta_no_delete")
        conn.execute("DELETE FROM accord_meta WHERE key = 'origin'")
    code, out, _ = run_cli(capsys, "verify", "--json")
    assert code == 1 and "origin" in json.loads(out)["problem"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM accord_meta WHERE key = 'origin'").fetchone()[0] == 0


@pytest.mark.parametrize("column", ["case_id", "type", "canonical"])
def test_a_non_utf8_value_in_a_column_is_tampering_at_its_seq(cli_ledger: Path, column: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    db = cli_ledger / "accord.db"
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER accord_log_no_update")
        conn.execute(f"UPDATE accord_log SET {column} = CAST(x'c328ff' AS TEXT) WHERE seq = 5")
    code, out, err = run_cli(capsys, "verify", "--json")
    assert code == 1 and "Traceback" not in err
    report = json.loads(out)
    assert report["ok"] is False and report["first_bad"] == 5


@pytest.mark.postgres
def test_verify_opens_postgresql_in_read_only_transactions(pg_url: str) -> None:
    db_url = pg_url
    with accord.open(db_url) as made:
        made.apply_contract(refund_contract())
    with accord.open(db_url, read_only=True) as reader:
        assert reader.verify().ok
        with reader.store.reading() as r, pytest.raises(Exception, match="read-only transaction"):
            r._all("INSERT INTO accord_meta (key, value) VALUES ('x', 'y')")  # type: ignore[attr-defined]
    engine = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM accord_meta WHERE key = 'x'")).scalar() == 0
    engine.dispose()
