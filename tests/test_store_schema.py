"""The schema's own guarantees, migration by migration: reads by kind use the kind index
(0002; case openings too since 0006), a case is read through the case index and opened once
(0003), SQLite appends only at the end (0004), PostgreSQL refuses a gap too (0008), and an older
ledger is upgraded keeping its records (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import accord.ledger
from accord.integrity import verify as integrity
from accord.ledger import Ledger
from accord.store._txn import _KIND_PREDICATE as KIND_PREDICATE
from accord.store.ports import INDEXED_KINDS
from tests.helpers import count, opened, output, refund_contract, review

# -- the kind index (migration 0002) -----------------------------------------------------------------


def _plan(engine: sa.Engine, sql: str, params: dict[str, object]) -> str:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SET LOCAL enable_seqscan = off"))  # a tiny table: force the choice
            return "\n".join(r[0] for r in conn.execute(sa.text("EXPLAIN " + sql), params))
        return "\n".join(str(r[-1]) for r in conn.execute(sa.text("EXPLAIN QUERY PLAN " + sql), params))


def test_reads_by_kind_use_the_partial_kind_index(ledger: Ledger) -> None:

    ledger.apply_contract(refund_contract())
    ledger.record_many([opened(), output()])
    engine = ledger.store.engine  # type: ignore[attr-defined]
    query = (f"SELECT seq FROM accord_log WHERE {KIND_PREDICATE} "
             "AND type IN (:a, :b) AND seq > :s ORDER BY seq")
    assert "accord_log_kind" in _plan(engine, query, {"a": "exception.raised", "b": "action.taken", "s": 0})
    with ledger.store.reading() as r:
        assert [row.type for row in r.kind_rows(["routing.decided", "contract.applied"])] == [
            "contract.applied", "routing.decided"]
        with pytest.raises(ValueError, match="indexed kinds"):
            r.kind_rows(["output.generated"])  # not indexed: reading it by type would scan the log


def test_indexed_kinds_match_the_migration_that_created_the_index() -> None:
    """0006 rebuilt 0002's index with case openings added: the reads name its predicate."""
    import importlib


    first = importlib.import_module("accord.store.migrations.versions.0002_kind_index")
    latest = importlib.import_module("accord.store.migrations.versions.0006_opened_in_kind_index")
    assert latest.KINDS == INDEXED_KINDS == (*first.KINDS, "case.opened")
    assert latest.PREDICATE == KIND_PREDICATE


def test_openings_are_read_newest_first_through_the_kind_index(ledger: Ledger) -> None:
    """0006: `case list` pages through case openings by the index, never through the log."""

    ledger.apply_contract(refund_contract())
    ledger.record_many([opened("R-1"), output("R-1"), opened("R-2"), opened("R-3")])
    engine = ledger.store.engine  # type: ignore[attr-defined]
    query = (f"SELECT seq FROM accord_log WHERE {KIND_PREDICATE} "
             "AND type IN (:t) AND seq < :s ORDER BY seq DESC LIMIT :n")
    assert "accord_log_kind" in _plan(engine, query, {"t": "case.opened", "s": 100, "n": 2})
    with ledger.store.reading() as r:
        page = r.latest_kind_rows(["case.opened"], 2)
        rest = r.latest_kind_rows(["case.opened"], 2, page[-1].seq)
    assert [row.case_id for row in page] == ["R-3", "R-2"] and [row.case_id for row in rest] == ["R-1"]


@pytest.mark.parametrize("revision", ["0001", "0002", "0005"])
def test_an_older_ledger_is_upgraded_and_keeps_its_records(
        db_url: str, revision: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from accord.store import _txn as store_txn
    from accord.store import sql as store_sql

    with monkeypatch.context() as patch:  # a ledger written by an earlier accord
        patch.setattr(store_sql, "HEAD_REVISION", revision)
        # its six columns: no event_id (0005) to read, and none to write (coalesce takes the chain hash)
        six = "seq, case_id, type, canonical, leaf_hash, chain_hash"
        patch.setattr(store_txn, "_COLUMNS", f"{six}, NULL")
        patch.setattr(store_txn, "_INSERT", {
            "?": f"INSERT OR ROLLBACK INTO accord_log ({six}) VALUES (?, ?, ?, ?, ?, coalesce(?, ?))",
            "%s": f"INSERT INTO accord_log ({six}) VALUES (%s, %s, %s, %s, %s, coalesce(%s, %s))"})
        with accord.ledger.open(db_url) as old:
            old.apply_contract(refund_contract())
            old.record_many([opened(), output()])
            with old.store.engine.connect() as conn:  # type: ignore[attr-defined]
                assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == revision
    with accord.ledger.open(db_url) as upgraded:
        engine = upgraded.store.engine  # type: ignore[attr-defined]
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == (
                store_sql.HEAD_REVISION)
        query = f"SELECT seq FROM accord_log WHERE {KIND_PREDICATE} AND type = :t"
        assert "accord_log_kind" in _plan(engine, query, {"t": "routing.decided"})
        assert "accord_log_kind" in _plan(engine, query, {"t": "case.opened"})  # 0006
        with upgraded.store.reading() as r:  # openings stored before 0006 are in the index too
            assert [row.case_id for row in r.latest_kind_rows(["case.opened"], 5)] == ["R-1"]
        assert "accord_log_case" in _plan(engine, "SELECT seq FROM accord_log WHERE case_id = :c",
                                          {"c": "R-1"})
        upgraded.record_many([review()])
        if engine.dialect.name == "sqlite":  # 0004's guard refuses a REPLACE as 0002's did
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(sa.text("REPLACE INTO accord_log SELECT seq, case_id, 'x', canonical, "
                                     "leaf_hash, chain_hash, event_id FROM accord_log WHERE seq = 2"))
        with pytest.raises(sa.exc.IntegrityError, match="accord_log_case"), engine.begin() as conn:
            _insert_opening(conn, count(upgraded) + 1, "R-1")  # 0003's case index
        assert integrity.verify(upgraded.store).ok
        assert [e.type for e in list(upgraded.events("R-1"))] == [
            "case.opened", "output.generated", "routing.decided", "review.recorded"]
        assert [e.seq for e in [e for e in upgraded.events() if e.type == "routing.decided"]] == [4]


# -- the case index (migration 0003) -----------------------------------------------------------------


def _insert_opening(conn: sa.Connection, seq: int, case: str) -> None:
    conn.execute(sa.text("INSERT INTO accord_log (seq, case_id, type, canonical, leaf_hash, chain_hash) "
                         "VALUES (:s, :c, 'case.opened', :b, :b, :b)"), {"s": seq, "c": case, "b": b"x"})


def test_the_database_refuses_a_case_opened_twice(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract())
    ledger.record_many([opened("R-1"), output("R-1")])
    engine = ledger.store.engine  # type: ignore[attr-defined]
    end = count(ledger) + 1  # where SQLite's append guard (0004) lets a record in
    with pytest.raises(sa.exc.IntegrityError, match="accord_log_case"), engine.begin() as conn:
        _insert_opening(conn, end, "R-1")  # past the service, in plain SQL
    with engine.begin() as conn:  # the same key space, no collision: another case's opening
        _insert_opening(conn, end, "R-2")
        openings = conn.execute(sa.text("SELECT case_id FROM accord_log WHERE type = 'case.opened' "
                                        "ORDER BY seq")).scalars().all()
    assert openings == ["R-1", "R-2"]


def test_a_case_is_read_through_the_case_index_in_seq_order(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract())
    ledger.record_many([opened("R-2"), opened("R-1"), output("R-2"), output("R-1"), review("R-1")])
    engine = ledger.store.engine  # type: ignore[attr-defined]
    assert "accord_log_case" in _plan(engine, "SELECT seq FROM accord_log WHERE case_id = :c", {"c": "R-1"})
    with ledger.store.reading() as r:
        one = r.case_rows(["R-1"])
        both = r.case_rows(["R-1", "R-2"])
    assert [row.type for row in one] == ["case.opened", "output.generated", "routing.decided",
                                         "review.recorded"]
    assert [row.seq for row in both] == sorted(row.seq for row in both) == [2, 3, 4, 5, 6, 7, 8]


# -- the append guard (migration 0004) ---------------------------------------------------------------


def test_sqlite_refuses_an_insert_anywhere_but_at_the_end(sqlite_url: str) -> None:
    with accord.ledger.open(sqlite_url) as ledger:
        ledger.apply_contract(refund_contract())
        ledger.record_many([opened("R-1"), output("R-1")])
        engine = ledger.store.engine  # type: ignore[attr-defined]
        end = count(ledger) + 1
        for seq in (end + 1, end - 1, 0):  # a gap, below the end (a REPLACE), below seq 1
            with pytest.raises(sa.exc.IntegrityError, match="goes at the end"), engine.begin() as conn:
                _insert_opening(conn, seq, f"X-{seq}")
        with engine.begin() as conn:  # at the end the guard lets it in (verify judges its hashes)
            _insert_opening(conn, end, "X-end")
        assert count(ledger) == end and not integrity.verify(ledger.store).ok


# -- the gap guard on PostgreSQL (migration 0007) -----------------------------------------------------


def test_the_database_refuses_a_gap_in_the_log(ledger: Ledger) -> None:
    """On both backends plain SQL can add a record only at the end: a gap or a seq taken is refused."""
    ledger.apply_contract(refund_contract())
    ledger.record_many([opened("R-1"), output("R-1")])
    engine = ledger.store.engine  # type: ignore[attr-defined]
    end = count(ledger) + 1
    for seq in (end + 1, end + 1000, 0):
        with pytest.raises(sa.exc.IntegrityError, match="goes at the end"), engine.begin() as conn:
            _insert_opening(conn, seq, f"X-{seq}")
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        _insert_opening(conn, end - 1, "X-below")  # a seq already taken
    with engine.begin() as conn:  # at the end the guard lets it in (verify judges its hashes)
        _insert_opening(conn, end, "X-end")
    assert count(ledger) == end and not integrity.verify(ledger.store).ok


@pytest.mark.postgres
def test_postgresql_takes_a_contiguous_multi_row_insert_and_refuses_one_with_a_hole(pg_url: str) -> None:
    with accord.ledger.open(pg_url) as ledger:
        ledger.apply_contract(refund_contract())
        engine = ledger.store.engine  # type: ignore[attr-defined]
        values = "(:s + {k}, 'M-' || (:s + {k}), 'case.opened', :b, :b, :b)"
        insert = "INSERT INTO accord_log (seq, case_id, type, canonical, leaf_hash, chain_hash) VALUES "
        with pytest.raises(sa.exc.IntegrityError, match="goes at the end"), engine.begin() as conn:
            conn.execute(sa.text(insert + ", ".join(values.format(k=k) for k in (0, 1, 3))),
                         {"s": 2, "b": b"x"})
        assert count(ledger) == 1  # the whole statement refused
        with engine.begin() as conn:
            conn.execute(sa.text(insert + ", ".join(values.format(k=k) for k in (0, 1, 2))),
                         {"s": 2, "b": b"x"})
        assert count(ledger) == 4


def test_a_ledger_at_0006_is_upgraded_and_its_guards_hold(db_url: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from accord.store import sql as store_sql

    with monkeypatch.context() as patch:
        patch.setattr(store_sql, "HEAD_REVISION", "0006")
        with accord.ledger.open(db_url) as old:
            old.apply_contract(refund_contract())
    with accord.ledger.open(db_url) as upgraded:
        engine = upgraded.store.engine  # type: ignore[attr-defined]
        with pytest.raises(sa.exc.IntegrityError, match="goes at the end"), engine.begin() as conn:
            _insert_opening(conn, 3, "X-gap")
        with pytest.raises(sa.exc.DBAPIError, match="accord_meta is fixed"), engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM accord_meta"))
        upgraded.record_many([opened("R-1")])
        assert integrity.verify(upgraded.store).ok
