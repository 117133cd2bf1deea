"""The SQL store under the ledger: persistence, several ledgers on one database, and the
head a ledger remembers between writes never going stale (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import accord.ledger
from accord.errors import StorageError
from accord.integrity import verify as integrity
from tests.helpers import count, opened, output, refund_contract, review


def test_ledger_persists_across_reopen(db_url: str) -> None:
    with accord.ledger.open(db_url) as first:
        first.apply_contract(refund_contract())
        first.record_many([opened()])
        origin = first.store.engine  # type: ignore[attr-defined]
        assert origin is not None
    with accord.ledger.open(db_url) as again:
        assert [e.type for e in list(again.events("R-1"))] == ["case.opened"]
        assert again.contract("refund-replies").version == 1


def test_unreachable_database_is_a_clear_error() -> None:
    with pytest.raises(StorageError, match="cannot open the ledger"):
        accord.ledger.open("postgresql://nobody@127.0.0.1:1/none")


def test_two_ledgers_on_one_database_see_each_others_writes(db_url: str) -> None:
    with accord.ledger.open(db_url) as a, accord.ledger.open(db_url) as b:
        a.apply_contract(refund_contract())
        a.record_many([opened("R-1")])
        b.record_many([output("R-1")])  # b learns the contract and the case from the log
        a.record_many([review("R-1")])  # a's cached R-1 predates b's output: it must re-read
        b.apply_contract(refund_contract(title="v2"))
        a.record_many([opened("R-2")])  # opened under the version b applied
        kinds = [e.type for e in list(a.events("R-1"))]
        assert kinds == ["case.opened", "output.generated", "routing.decided", "review.recorded"]
        assert next(a.events("R-2")).contract_version == 2
        assert integrity.verify(a.store).ok


def test_a_write_that_swallowed_a_refused_row_commits_nothing(sqlite_url: str) -> None:
    """INSERT OR ROLLBACK ends the transaction: rows appended after it must not autocommit."""
    from accord.store.ports import Row

    with accord.ledger.open(sqlite_url) as ledger:
        ledger.apply_contract(refund_contract())
        store = ledger.store
        with store.reading() as r:
            first = r.scan().__next__()
        with pytest.raises(StorageError, match="rolled it back"), store.writing() as w:
            with pytest.raises(Exception):  # noqa: B017 - the driver's IntegrityError
                w.append([first])  # seq 1 again: refused, and the transaction with it
            w.append([Row(2, None, "roster.applied", b"{}", bytes(32), bytes(32))])
        assert count(ledger) == 1
        assert integrity.verify(store).ok


# -- several ledgers on one database: every write builds on the head it reads under the lock --------


def test_a_write_after_another_ledgers_append_builds_on_the_real_head(db_url: str) -> None:
    with accord.ledger.open(db_url) as a, accord.ledger.open(db_url) as b:
        a.apply_contract(refund_contract())
        a.record_many([opened("R-1")])
        b.record_many([output("R-1")])
        a.record_many([review("R-1")])  # accepted: a sees b's output, read under the write lock
        assert [e.type for e in list(a.events("R-1"))] == [
            "case.opened", "output.generated", "routing.decided", "review.recorded"]
        assert integrity.verify(a.store).ok


def test_a_write_that_adds_nothing_is_judged_on_the_real_head(db_url: str) -> None:
    with accord.ledger.open(db_url) as a, accord.ledger.open(db_url) as b:
        a.apply_contract(refund_contract())
        b.apply_contract(refund_contract(title="v2"))
        # v2 was applied by b since a's last write: re-applying v1 is not a no-op but version 3
        applied = a.apply_contract(refund_contract())
        assert (applied.version, applied.new) == (3, True)
        assert [c.version for c in b.contracts()] == [1, 2, 3]
        assert integrity.verify(a.store).ok


def test_a_ledger_whose_log_was_cut_writes_at_the_real_end(db_url: str) -> None:
    """A restore under a running ledger: the head it remembers is past the log's end."""
    with accord.ledger.open(db_url) as ledger:
        ledger.apply_contract(refund_contract())
        ledger.record_many([opened("R-1"), output("R-1")])
        engine = ledger.store.engine  # type: ignore[attr-defined]
        with engine.begin() as conn:  # the tail goes, as if an older backup were restored
            if engine.dialect.name == "postgresql":
                conn.execute(sa.text("ALTER TABLE accord_log DISABLE TRIGGER accord_log_no_update"))
                conn.execute(sa.text("DELETE FROM accord_log WHERE seq > 2"))
                conn.execute(sa.text("ALTER TABLE accord_log ENABLE TRIGGER accord_log_no_update"))
            else:
                conn.execute(sa.text("DROP TRIGGER accord_log_no_delete"))
                conn.execute(sa.text("DELETE FROM accord_log WHERE seq > 2"))
        ledger.record_many([opened("R-2")])
        assert count(ledger) == 3
        assert [e.type for e in list(ledger.events("R-1"))] == ["case.opened"]
        assert integrity.verify(ledger.store).ok


def test_alternating_ledgers_interleave_into_one_chain(sqlite_url: str) -> None:
    with accord.ledger.open(sqlite_url) as a, accord.ledger.open(sqlite_url) as b:
        a.apply_contract(refund_contract())
        for i in range(40):
            (a if i % 2 else b).record_many([opened(f"R-{i}")])
        assert count(a) == 41 and count(b) == 41 and integrity.verify(a.store).ok
