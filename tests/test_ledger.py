"""The storage suite: the ledger's rules and persistence, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import accord.ledger
from accord.errors import ContractRefused, EventRefused, StorageError
from accord.integrity import verify as integrity
from accord.ledger import Ledger
from tests.conftest import event, refund_contract, roster

AT = "2026-03-02T09:00:00Z"


def opened(case: str = "R-1", amount: float = 40, tier: str = "standard", risk: float = 0.1,
           at: str = AT) -> dict[str, object]:
    return event(case, "case.opened", at, {"workflow": "refund-replies",
                                           "attributes": {"amount": amount, "tier": tier, "risk": risk}})


def output(case: str = "R-1", at: str = "2026-03-02T09:01:00Z", **data: object) -> dict[str, object]:
    body = {"content": "We will refund 40 EUR.", "model": "m-1", "prompt_version": "refund-v7",
            "confidence": 0.9, **data}
    return event(case, "output.generated", at, body, actor="system:drafter")


def count(ledger: Ledger) -> int:
    with ledger.store.reading() as r:
        return r.head().size


def test_contract_versions_are_kept_with_their_hash(ledger: Ledger) -> None:
    first = ledger.apply_contract(refund_contract())
    again = ledger.apply_contract(refund_contract())
    second = ledger.apply_contract(refund_contract(title="Refund replies v2"))
    assert (first.version, first.new) == (1, True)
    assert (again.version, again.new) == (1, False), "re-applying an identical contract is a no-op"
    assert (second.version, second.new) == (2, True)
    assert first.hash != second.hash and len(first.hash) == 64
    assert [c.version for c in ledger.contracts()] == [1, 2]
    assert ledger.contract("refund-replies", 1).contract.title == "Refund request replies"


def test_contract_with_lint_errors_is_refused_and_not_stored(ledger: Ledger) -> None:
    with pytest.raises(ContractRefused) as err:
        ledger.apply_contract(refund_contract(outcome_owner="the model"))
    assert "tool-as-owner" in str(err.value)
    assert count(ledger) == 0


def test_case_pins_the_contract_version_in_force_when_it_opened(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract())
    ledger.record_many([opened("R-1")])
    ledger.apply_contract(refund_contract(title="v2"))
    ledger.record_many([opened("R-2"), output("R-1"), output("R-2")])
    assert list(ledger.events("R-1"))[-1].contract_version == 1
    assert list(ledger.events("R-2"))[-1].contract_version == 2


def test_batch_with_one_bad_event_stores_nothing_and_lists_every_error(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract())
    batch = [opened("R-1"), output("R-1"),
             event("R-1", "review.recorded", AT, {"reviewer": "system:bot", "attests": ["correct"],
                                                  "decision": "approved"}),
             event("R-1", "action.taken", AT, {"action": "email.sent", "by": "system:mailer",
                                               "colour": "red"})]
    before = count(ledger)
    with pytest.raises(EventRefused) as err:
        ledger.record_many(batch)
    lines = err.value.lines()
    assert any("event 3" in line and "data.reviewer" in line for line in lines)
    assert any("event 4" in line and "data.colour" in line for line in lines)
    assert count(ledger) == before


@pytest.mark.parametrize(("bad", "field"), [
    ({"seq": 5}, "seq"),
    ({"workflow": "x"}, "workflow"),
    ({"leaf_hash": "00"}, "leaf_hash"),
    ({"type": "routing.decided"}, "type"),
    ({"type": "no.such"}, "type"),
    ({"actor": None}, "actor"),
    ({"at": "2026-03-02 09:00"}, "at"),
    ({"at": "2026-03-02T09:00:00"}, "at"),
    ({"data": {"content": "x", "model": "m", "prompt_version": "p", "confidence": True}},
     "data.confidence"),
    ({"data": {"content": "x", "model": "m", "prompt_version": "p", "confidence": 2 ** 60}},
     "data.confidence"),
    ({"data": {"content": "x", "model": "m", "prompt_version": "p", "extra": 1}}, "data.extra"),
])
def test_client_events_are_validated_field_by_field(ledger: Ledger, bad: dict[str, object],
                                                    field: str) -> None:
    ledger.apply_contract(refund_contract())
    ledger.record_many([opened()])
    raw = {**output(), **bad}
    if raw.get("actor") is None:
        raw.pop("actor")
    with pytest.raises(EventRefused) as err:
        ledger.record_many([raw])
    assert f" {field}:" in str(err.value)


def test_ledger_rules_refuse_events_out_of_order(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract())
    cases = [
        ([output("R-9")], "has not been opened"),
        ([opened("R-1"), opened("R-1")], "already open"),
        ([event("R-2", "case.opened", AT, {"workflow": "nope", "attributes": {}})],
         "no contract is applied"),
        ([opened("R-3"), event("R-3", "review.recorded", AT, {
            "reviewer": "ann@example.com", "attests": ["correct"], "decision": "approved"})],
         "before any output"),
        ([opened("R-4"), output("R-4"), event("R-4", "review.recorded", AT, {
            "reviewer": "ann@example.com", "attests": ["timely"], "decision": "approved"})],
         "not in the quality bar"),
        ([opened("R-5"), output("R-5"), event("R-5", "exception.decided", AT, {
            "decider": "eve@example.com", "decision": "approved"})], "no exception was raised"),
    ]
    for batch, message in cases:
        with pytest.raises(EventRefused, match=message):
            ledger.record_many(batch)
    assert count(ledger) == 1  # only the contract


def test_attributes_are_typed_by_the_contract(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract())
    bad = event("R-1", "case.opened", AT, {"workflow": "refund-replies",
                                          "attributes": {"amount": "40", "tier": "gold",
                                                         "risk": True, "vip": 1}})
    with pytest.raises(EventRefused) as err:
        ledger.record_many([bad])
    text = str(err.value)
    assert "data.attributes.amount: must be a number" in text
    assert "data.attributes.risk: must be a number" in text
    assert "data.attributes.vip: not declared" in text
    missing = event("R-1", "case.opened", AT, {"workflow": "refund-replies", "attributes": {}})
    with pytest.raises(EventRefused, match=r"data\.attributes\.amount: required"):
        ledger.record_many([missing])


def test_output_is_followed_by_its_routing_decision(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract())
    result = ledger.record_many([opened("R-1", amount=40, risk=0.1), output("R-1")])
    events = list(ledger.events("R-1"))
    assert [e.type for e in events] == ["case.opened", "output.generated", "routing.decided"]
    route = events[-1]
    assert route.at == events[1].at and route.actor == "system:accord"
    assert route.data["review"] == "skipped"
    assert route.data["rule"] == "risk < 0.2 && amount < 50"
    assert route.data["rule_owner"] == "risk-manager"
    assert route.data["inputs"] == {"amount": 40, "tier": "standard", "risk": 0.1, "confidence": 0.9}
    assert result.routes["R-1"].review_required is False
    assert result.as_json() == {"recorded": 2, "first_seq": 2, "last_seq": 4}


def test_human_edit_stores_the_diff_against_the_previous_text(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract())
    ledger.record_many([opened(), output(content="Refund: 40 EUR.\n"),
                        event("R-1", "human.edited", AT, {"content": "Refund: 45 EUR.\n"},
                              actor="ann@example.com")])
    edit = list(ledger.events("R-1"))[-1]
    assert "-Refund: 40 EUR." in edit.data["diff"] and "+Refund: 45 EUR." in edit.data["diff"]


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


def test_ledger_persists_across_reopen(db_url: str) -> None:
    with accord.ledger.open(db_url) as first:
        first.apply_contract(refund_contract())
        first.record_many([opened()])
        origin = first.store.engine  # type: ignore[attr-defined]
        assert origin is not None
    with accord.ledger.open(db_url) as again:
        assert [e.type for e in list(again.events("R-1"))] == ["case.opened"]
        assert again.contract("refund-replies").version == 1


def test_roster_resolves_holders_and_latest_is_authoritative(ledger: Ledger) -> None:
    import datetime as dt

    ledger.apply_roster(roster(**{"support-ops-lead": "dana@example.com"}))
    applied = ledger.apply_roster(roster(**{"support-ops-lead": "omar@example.com"}))
    assert applied.new and applied.version == 2
    when = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    assert ledger.roster().roster.holder("support-ops-lead", when) == "omar@example.com"
    assert ledger.roster().roster.holder("risk-manager", when) is None


def test_unreachable_database_is_a_clear_error() -> None:
    with pytest.raises(StorageError, match="cannot open the ledger"):
        accord.ledger.open("postgresql://nobody@127.0.0.1:1/none")


# -- the write path's cache: states kept between transactions must never go stale ------------------


def review(case: str = "R-1", at: str = "2026-03-02T09:02:00Z") -> dict[str, object]:
    return event(case, "review.recorded", at, {"reviewer": "ann@example.com", "decision": "approved",
                                               "attests": ["correct"]}, actor="ann@example.com")


def test_a_refused_batch_leaves_no_trace_in_later_writes(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract())
    ledger.record_many([opened("R-1")])
    with pytest.raises(EventRefused):
        ledger.record_many([output("R-1"), output("R-9")])  # R-9 was never opened
    with pytest.raises(EventRefused, match=r"before any output\.generated"):
        ledger.record_many([review("R-1")])  # the refused output must not be remembered
    assert [e.type for e in list(ledger.events("R-1"))] == ["case.opened"]


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


# -- the kind index (migration 0002) --------------------------------------------------------------


def _plan(engine: sa.Engine, sql: str, params: dict[str, object]) -> str:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SET LOCAL enable_seqscan = off"))  # a tiny table: force the choice
            return "\n".join(r[0] for r in conn.execute(sa.text("EXPLAIN " + sql), params))
        return "\n".join(str(r[-1]) for r in conn.execute(sa.text("EXPLAIN QUERY PLAN " + sql), params))


def test_reads_by_kind_use_the_partial_kind_index(ledger: Ledger) -> None:
    from accord.store import sql as store_sql

    ledger.apply_contract(refund_contract())
    ledger.record_many([opened(), output()])
    engine = ledger.store.engine  # type: ignore[attr-defined]
    query = (f"SELECT seq FROM accord_log WHERE {store_sql._KIND_PREDICATE} "
             "AND type IN (:a, :b) AND seq > :s ORDER BY seq")
    assert "accord_log_kind" in _plan(engine, query, {"a": "exception.raised", "b": "action.taken", "s": 0})
    with ledger.store.reading() as r:
        assert [row.type for row in r.kind_rows(["routing.decided", "contract.applied"])] == [
            "contract.applied", "routing.decided"]
        with pytest.raises(ValueError, match="indexed kinds"):
            r.kind_rows(["output.generated"])  # not indexed: reading it by type would scan the log


def test_indexed_kinds_match_the_migration_that_created_the_index() -> None:
    import importlib

    from accord.store import sql as store_sql

    migration = importlib.import_module("accord.store.migrations.versions.0002_kind_index")
    assert migration.KINDS == store_sql.INDEXED_KINDS
    assert migration.PREDICATE == store_sql._KIND_PREDICATE


@pytest.mark.parametrize("revision", ["0001", "0002"])
def test_an_older_ledger_is_upgraded_and_keeps_its_records(
        db_url: str, revision: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from accord.store import sql as store_sql

    with monkeypatch.context() as patch:  # a ledger written by an earlier accord
        patch.setattr(store_sql, "HEAD_REVISION", revision)
        with accord.ledger.open(db_url) as old:
            old.apply_contract(refund_contract())
            old.record_many([opened(), output()])
            with old.store.engine.connect() as conn:  # type: ignore[attr-defined]
                assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == revision
    with accord.ledger.open(db_url) as upgraded:
        engine = upgraded.store.engine  # type: ignore[attr-defined]
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0004"
        query = f"SELECT seq FROM accord_log WHERE {store_sql._KIND_PREDICATE} AND type = :t"
        assert "accord_log_kind" in _plan(engine, query, {"t": "routing.decided"})
        assert "accord_log_case" in _plan(engine, "SELECT seq FROM accord_log WHERE case_id = :c",
                                          {"c": "R-1"})
        upgraded.record_many([review()])
        if engine.dialect.name == "sqlite":  # 0004's guard refuses a REPLACE as 0002's did
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(sa.text("REPLACE INTO accord_log SELECT seq, case_id, 'x', canonical, "
                                     "leaf_hash, chain_hash FROM accord_log WHERE seq = 2"))
        with pytest.raises(sa.exc.IntegrityError, match="accord_log_case"), engine.begin() as conn:
            _insert_opening(conn, count(upgraded) + 1, "R-1")  # 0003's case index
        assert integrity.verify(upgraded.store).ok
        assert [e.type for e in list(upgraded.events("R-1"))] == [
            "case.opened", "output.generated", "routing.decided", "review.recorded"]
        assert [e.seq for e in [e for e in upgraded.events() if e.type == "routing.decided"]] == [4]


# -- the case index (migration 0003) --------------------------------------------------------------


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


# -- the append guard and the remembered head (migration 0004) ------------------------------------


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


def _count_writes(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one for each attempt the service makes at a write."""
    attempts: list[int] = []
    writer = ledger._core.writer
    inner = writer._write

    def counted(build: object) -> object:
        attempts.append(1)
        return inner(build)  # type: ignore[arg-type]

    monkeypatch.setattr(writer, "_write", counted)
    return attempts


def test_a_write_after_another_ledgers_append_is_built_again_on_the_real_head(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with accord.ledger.open(db_url) as a, accord.ledger.open(db_url) as b:
        a.apply_contract(refund_contract())
        a.record_many([opened("R-1")])
        b.record_many([output("R-1")])
        attempts = _count_writes(a, monkeypatch)
        # a remembers the head of its own last write; on SQLite it builds on that, finds
        # the review refused (no output yet in its view), checks the head, and builds again
        a.record_many([review("R-1")])
        assert len(attempts) == (2 if db_url.startswith("sqlite") else 1)
        a.record_many([opened("R-2")])  # after a wrong guess, the next writes read the head
        assert len(attempts) == (3 if db_url.startswith("sqlite") else 2)
        assert [e.type for e in list(a.events("R-1"))] == [
            "case.opened", "output.generated", "routing.decided", "review.recorded"]
        assert integrity.verify(a.store).ok


def test_a_write_that_adds_nothing_is_judged_on_the_real_head(db_url: str) -> None:
    with accord.ledger.open(db_url) as a, accord.ledger.open(db_url) as b:
        a.apply_contract(refund_contract())
        b.apply_contract(refund_contract(title="v2"))
        # a's remembered head predates v2: re-applying v1 is not a no-op but version 3
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


def test_alternating_ledgers_guess_the_head_wrong_rarely(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with accord.ledger.open(sqlite_url) as a, accord.ledger.open(sqlite_url) as b:
        a.apply_contract(refund_contract())
        attempts = {name: _count_writes(ledger, monkeypatch) for name, ledger in (("a", a), ("b", b))}
        for i in range(40):
            (a if i % 2 else b).record_many([opened(f"R-{i}")])
        # 20 writes each; each ledger guesses wrong once (its second write; b's first write
        # had nothing to guess from), then reads the head for its next writes
        assert (len(attempts["a"]), len(attempts["b"])) == (21, 21)
        assert count(a) == 41 and integrity.verify(a.store).ok
