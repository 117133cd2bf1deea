"""The log is append-only in the database itself: plain SQL cannot update, delete, REPLACE, leave
a gap or insert below seq 1, nor change accord_meta (every backend); what the database's owner
forces past that, `accord verify` finds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

import accord.ledger
from accord.ledger import Ledger
from tests.cli_scenarios import cli, jcli, opened, output, plain_sql, write_contract, write_events
from tests.helpers import count, refund_contract


def test_log_is_append_only_in_the_database_itself(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract())
    engine = ledger.store.engine  # type: ignore[attr-defined]
    for statement in ("UPDATE accord_log SET type = 'x'", "DELETE FROM accord_log"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(statement))
    if engine.dialect.name == "postgresql":
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text("TRUNCATE accord_log"))
    assert count(ledger) == 1


def test_accord_meta_is_fixed_in_the_database_itself(ledger: Ledger) -> None:
    engine = ledger.store.engine  # type: ignore[attr-defined]
    statements = ["UPDATE accord_meta SET value = 'accord.ledger/forged'", "DELETE FROM accord_meta"]
    if engine.dialect.name == "postgresql":
        statements.append("TRUNCATE accord_meta")
    else:  # a REPLACE deletes the old row without firing a DELETE trigger
        statements.append("REPLACE INTO accord_meta (key, value) VALUES ('origin', 'accord.ledger/forged')")
    for statement in statements:
        with pytest.raises(sa.exc.DBAPIError, match="accord_meta is fixed"), engine.begin() as conn:
            conn.execute(sa.text(statement))
    with engine.connect() as conn:
        origins = conn.execute(sa.text("SELECT value FROM accord_meta WHERE key = 'origin'")).scalars().all()
    assert len(origins) == 1 and origins[0] != "accord.ledger/forged"


@pytest.mark.postgres
def test_postgresql_guards_fire_even_for_a_replica_session(pg_url: str) -> None:
    """session_replication_role = replica skips ordinary triggers; accord's fire ALWAYS."""
    with accord.ledger.open(pg_url) as ledger:
        ledger.apply_contract(refund_contract())
    for statement in ("UPDATE accord_log SET type = 'x'", "DELETE FROM accord_log", "TRUNCATE accord_log",
                      "UPDATE accord_meta SET value = 'x'", "TRUNCATE accord_meta"):
        with pytest.raises(sa.exc.DBAPIError, match=r"append-only|accord_meta is fixed"):
            plain_sql(pg_url, "SET LOCAL session_replication_role = replica", statement)
    with pytest.raises(sa.exc.IntegrityError, match="goes at the end"):
        plain_sql(pg_url, "SET LOCAL session_replication_role = replica",
                  "INSERT INTO accord_log SELECT seq + 5, case_id, type, canonical, leaf_hash, chain_hash, "
                  "event_id FROM accord_log WHERE seq = 1")


@pytest.mark.parametrize("statement", ["UPDATE accord_log SET type = 'x' WHERE seq = 1",
                                       "DELETE FROM accord_log WHERE seq = 1"])
def test_plain_sql_cannot_update_or_delete(db_url: str, tmp_path: Path, statement: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, db_url, "contract", "apply", write_contract(tmp_path))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        plain_sql(db_url, statement)
    assert jcli(capsys, db_url, "verify")["ok"] is True


def test_sqlite_replace_cannot_rewrite_a_record(sqlite_url: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, sqlite_url, "contract", "apply", write_contract(tmp_path))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        plain_sql(sqlite_url, "REPLACE INTO accord_log SELECT seq, case_id, 'x', canonical, "
                              "leaf_hash, chain_hash, event_id FROM accord_log WHERE seq = 1")


# -- what the owner forces, verify finds -------------------------------------------------------------


def test_a_record_inserted_below_seq_1_is_found(db_url: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, db_url, "contract", "apply", write_contract(tmp_path))
    cli(capsys, db_url, "record", write_events(tmp_path, "e.jsonl", [opened("F-1"), output("F-1")]))
    # a copy of the contract record (no case: a copy of a case's record at seq 0 would also
    # collide with the case's opening in the case index, and be refused for that)
    forge = ("INSERT INTO accord_log SELECT 0, case_id, type, canonical, leaf_hash, "
             "chain_hash, event_id FROM accord_log WHERE seq = 1")
    with pytest.raises(sa.exc.DBAPIError):
        plain_sql(db_url, forge)  # the schema refuses a seq below 1
    lift = (["PRAGMA ignore_check_constraints = ON", "DROP TRIGGER accord_log_append_at_head"]
            if db_url.startswith("sqlite")
            else ["ALTER TABLE accord_log DROP CONSTRAINT accord_log_seq_from_1",
                  "DROP TRIGGER accord_log_append_at_head ON accord_log"])
    plain_sql(db_url, *lift, forge)  # the database's owner can still lift the check and the guard
    code, out, _ = cli(capsys, db_url, "verify", "--json")
    assert code == 1 and json.loads(out)["first_bad"] == 0


def test_verify_reports_a_text_rewrite_without_a_traceback(
        sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, sqlite_url, "contract", "apply", write_contract(tmp_path))
    cli(capsys, sqlite_url, "record", write_events(tmp_path, "e.jsonl", [opened("F-1")]))
    plain_sql(sqlite_url, "DROP TRIGGER accord_log_no_update")
    plain_sql(sqlite_url, "UPDATE accord_log SET canonical = replace(canonical, 'F-1', 'F-2') "
                          "WHERE seq = 2")
    code, out, _ = cli(capsys, sqlite_url, "verify", "--json")
    assert code == 1 and json.loads(out)["first_bad"] == 2
