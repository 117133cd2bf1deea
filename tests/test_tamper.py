"""`accord verify` finds tampering and names the lowest bad seq, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import accord.ledger
from accord.integrity import verify as integrity
from accord.integrity.checkpoint import load_signer, load_verifier, write_keypair
from accord.ledger import Ledger
from tests.helpers import opened, output, proof_problem, refund_contract

N_CASES = 6


@pytest.fixture
def filled(ledger: Ledger) -> Ledger:
    ledger.apply_contract(refund_contract())
    for i in range(N_CASES):
        ledger.record_many([opened(f"R-{i}"), output(f"R-{i}")])
    return ledger


def size(ledger: Ledger) -> int:
    with ledger.store.reading() as r:
        return r.head().size


class Raw:
    """Plain SQL on the log with the append-only triggers lifted, as an attacker would."""

    def __init__(self, ledger: Ledger) -> None:
        self.engine: sa.Engine = ledger.store.engine  # type: ignore[attr-defined]
        self.pg = self.engine.dialect.name == "postgresql"

    def run(self, *statements: str, **params: object) -> None:
        with self.engine.begin() as conn:
            if self.pg:
                conn.execute(sa.text("ALTER TABLE accord_log DISABLE TRIGGER USER"))
            else:
                conn.execute(sa.text("DROP TRIGGER IF EXISTS accord_log_no_update"))
                conn.execute(sa.text("DROP TRIGGER IF EXISTS accord_log_no_delete"))
                conn.execute(sa.text("DROP TRIGGER IF EXISTS accord_log_append_at_head"))
            for s in statements:
                conn.execute(sa.text(s), params)
            if self.pg:
                conn.execute(sa.text("ALTER TABLE accord_log ENABLE TRIGGER USER"))

    def column(self, seq: int, name: str) -> object:
        with self.engine.connect() as conn:
            return conn.execute(sa.text(f"SELECT {name} FROM accord_log WHERE seq = :s"),
                                {"s": seq}).scalar()


def flip(value: object, at: int) -> bytes | str:
    if isinstance(value, str):
        return value[:at] + ("x" if value[at] != "x" else "y") + value[at + 1:]
    data = bytearray(value)  # type: ignore[arg-type]
    data[at] ^= 0x01
    return bytes(data)


def test_an_intact_log_verifies(filled: Ledger) -> None:
    report = integrity.verify(filled.store)
    assert report.ok and report.first_bad is None and report.size == size(filled)


@pytest.mark.parametrize("column", ["canonical", "leaf_hash", "chain_hash", "case_id", "type"])
def test_any_changed_byte_in_any_column_names_its_seq(filled: Ledger, column: str) -> None:
    raw = Raw(filled)
    target = 7
    original = raw.column(target, column)
    for offset in sorted({0, len(original) // 2, len(original) - 1}):
        raw.run(f"UPDATE accord_log SET {column} = :v WHERE seq = :s",
                v=flip(original, offset), s=target)
        report = integrity.verify(filled.store)
        assert not report.ok and report.first_bad == target, report.problem
        raw.run(f"UPDATE accord_log SET {column} = :v WHERE seq = :s", v=original, s=target)
    assert integrity.verify(filled.store).ok


def test_a_deleted_record_is_found(filled: Ledger) -> None:
    Raw(filled).run("DELETE FROM accord_log WHERE seq = 5")
    report = integrity.verify(filled.store)
    assert (report.ok, report.first_bad) == (False, 5)


def test_reordered_records_are_found(filled: Ledger) -> None:
    raw = Raw(filled)
    a, b = raw.column(4, "canonical"), raw.column(6, "canonical")
    la, lb = raw.column(4, "leaf_hash"), raw.column(6, "leaf_hash")
    raw.run("UPDATE accord_log SET canonical = :c, leaf_hash = :l WHERE seq = 4", c=b, l=lb)
    raw.run("UPDATE accord_log SET canonical = :c, leaf_hash = :l WHERE seq = 6", c=a, l=la)
    report = integrity.verify(filled.store)
    assert (report.ok, report.first_bad) == (False, 4)


def test_an_inserted_record_is_found(filled: Ledger) -> None:
    raw = Raw(filled)
    n = size(filled)
    # shift the tail up by one and put a copy of seq 3 in the gap
    raw.run("UPDATE accord_log SET seq = seq + 1000 WHERE seq > 3")
    raw.run("UPDATE accord_log SET seq = seq - 999 WHERE seq > 1000")
    raw.run("INSERT INTO accord_log SELECT 4, case_id, type, canonical, leaf_hash, chain_hash, event_id "
            "FROM accord_log WHERE seq = 3")
    report = integrity.verify(filled.store)
    assert (report.ok, report.first_bad) == (False, 4) and report.size <= n + 1


@pytest.fixture
def keys(tmp_path: Path) -> Iterator[tuple[object, object]]:
    key = tmp_path / "accord.key"
    write_keypair(key, "accord-test")
    yield load_signer(key), load_verifier(Path(str(key) + ".pub"))


def test_checkpoint_catches_a_cut_tail(filled: Ledger, keys: tuple[object, object]) -> None:
    signer, verifier = keys
    text = integrity.checkpoint(filled.store, signer)
    n = size(filled)
    Raw(filled).run(f"DELETE FROM accord_log WHERE seq > {n - 2}")
    assert integrity.verify(filled.store).ok, "without a checkpoint a cut tail is invisible"
    report = integrity.verify(filled.store, text, verifier)
    assert (report.ok, report.first_bad) == (False, n - 1)
    assert report.checkpoint == {"size": n, "consistent": False, "signature": "valid"}


def test_checkpoint_catches_a_rewrite_that_recomputes_every_hash(
        filled: Ledger, keys: tuple[object, object], db_url: str) -> None:
    from accord.integrity.canonical import canonical_bytes
    from accord.integrity.merkle import leaf_hash
    from accord.runtime.writer import chain_hash
    from accord.store.stored import StoredEvent

    signer, verifier = keys
    text = integrity.checkpoint(filled.store, signer)
    # rewrite seq 3's content and recompute every hash after it
    events = list(filled.events())
    raw = Raw(filled)
    chain = bytes(32)
    statements = []
    params: dict[str, object] = {}
    for e in events:
        if e.seq == 3:
            e.data = {**e.data, "content": "rewritten"}
        canonical = canonical_bytes(e.envelope())
        leaf = leaf_hash(canonical)
        chain = chain_hash(chain, leaf)
        statements.append(f"UPDATE accord_log SET canonical = :c{e.seq}, leaf_hash = :l{e.seq}, "
                          f"chain_hash = :h{e.seq} WHERE seq = {e.seq}")
        params.update({f"c{e.seq}": canonical, f"l{e.seq}": leaf, f"h{e.seq}": chain})
    raw.run(*statements, **params)
    assert integrity.verify(filled.store).ok, "a full rewrite fools the chain alone"
    report = integrity.verify(filled.store, text, verifier)
    assert not report.ok and "rewritten" in (report.problem or "")
    assert report.checkpoint is not None and report.checkpoint["consistent"] is False
    _ = StoredEvent, db_url


def test_a_log_that_grew_is_consistent_with_an_older_checkpoint(
        filled: Ledger, keys: tuple[object, object]) -> None:
    signer, verifier = keys
    text = integrity.checkpoint(filled.store, signer)
    filled.record_many([opened("R-new")])
    report = integrity.verify(filled.store, text, verifier)
    assert report.ok and report.checkpoint == {"size": size(filled) - 1, "consistent": True,
                                               "signature": "valid"}


def test_a_checkpoint_signed_by_another_key_fails(filled: Ledger, tmp_path: Path,
                                                  keys: tuple[object, object]) -> None:
    signer, _ = keys
    other = tmp_path / "other.key"
    write_keypair(other, "accord-test")
    text = integrity.checkpoint(filled.store, signer)
    report = integrity.verify(filled.store, text, load_verifier(Path(str(other) + ".pub")))
    assert not report.ok and report.checkpoint is not None
    assert report.checkpoint["signature"] == "invalid"


def test_a_checkpoint_of_another_ledger_fails(filled: Ledger, tmp_path: Path,
                                              keys: tuple[object, object]) -> None:
    signer, _ = keys
    with accord.ledger.open(f"sqlite:///{tmp_path}/other.db") as other:
        other.apply_contract(refund_contract())
        text = integrity.checkpoint(other.store, signer)
    report = integrity.verify(filled.store, text)
    assert not report.ok and "not this ledger" in (report.problem or "")


def test_inclusion_proofs_verify_against_the_root(filled: Ledger) -> None:
    """The first, a middle and the last record's proofs lead to the root of the whole log."""
    import base64

    from accord.integrity import merkle
    n = size(filled)
    log_root = merkle.root([e.leaf_hash for e in filled.events()])
    for seq in (1, n // 2, n):
        p = filled.proof(seq).as_json()
        assert (p["size"], base64.b64decode(p["root"])) == (n, log_root)
        assert proof_problem(merkle.verify_inclusion, base64.b64decode(p["leaf_hash"]), seq - 1, n,
                             [base64.b64decode(h) for h in p["proof"]],
                             base64.b64decode(p["root"])) is None
