"""The Merkle tree's stored interior hashes: roots and proofs read from them equal those built from
every leaf, on every backend, at every size and across tile boundaries, in a bounded number of
reads; verify and checkpoint find one that was altered, deleted or forged; an older ledger gets
them when it is upgraded; the database keeps them append-only."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

import accord.ledger
from accord.errors import IntegrityError
from accord.integrity import merkle, proofs, subtrees
from accord.integrity import verify as integrity
from accord.integrity.checkpoint import load_signer, write_keypair
from accord.runtime.writer import Batch
from accord.store.ports import Store
from accord.testing import MemoryStore
from tests.cli_scenarios import cli, plain_sql

VECTORS = json.loads((Path(__file__).parent / "vectors" / "rfc6962.json").read_text())
AT = "2026-03-02T09:00:00Z"


def grow(store: Store, *batches: int) -> None:
    """Append records through the write path (stamped, flushed), one transaction per batch."""
    for n in batches:
        with store.writing() as w:
            batch = Batch(w.head(), AT)
            for _ in range(n):
                batch.stamp(case=None, workflow=None, type="note.added", at=AT, actor="system:test",
                            data={"n": batch.next_seq}, version=None)
            batch.flush(w)


def all_leaves(store: Store) -> list[bytes]:
    with store.reading() as r:
        return r.leaf_hashes(r.head().size)


def stored(store: Store) -> dict[int, list[bytes]]:
    """The stored interior hashes by height, in index order."""
    out: dict[int, list[bytes]] = {}
    with store.reading() as r:
        for height, _, digest in r.subtrees():
            out.setdefault(height, []).append(bytes(digest))
    return out


def expected(leaves: list[bytes], height: int) -> dict[int, list[bytes]]:
    """What a log of ``leaves`` stores, by height, when heights are multiples of ``height``."""
    return {height * (i + 1): kept for i, kept in enumerate(subtrees.levels(leaves, height)[1]) if kept}


def fetch_from(leaves: Sequence[bytes], height: int) -> subtrees.Fetch:
    """A fetch over what a log of ``leaves`` stores, grown through Growth one leaf at a time."""
    kept: dict[tuple[int, int], bytes] = {}

    def fetch(h: int, start: int, stop: int) -> Sequence[bytes]:
        if h == 0:
            return leaves[start:stop]
        return [kept[(h, i)] for i in range(start, stop) if (h, i) in kept]

    growth = subtrees.Growth(0, fetch, height)
    for leaf in leaves:
        kept.update(((h, i), d) for h, i, d in growth.extend([leaf]))
    return fetch


def leaves_of(n: int) -> list[bytes]:
    return [merkle.leaf_hash(f"leaf {i}".encode()) for i in range(n)]


def make_store(kind: str, url: str | None) -> Store:
    if kind == "memory":
        return MemoryStore()
    from accord.store.sql import SqlStore

    assert url is not None
    return SqlStore(url)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store on each backend, MemoryStore included."""
    url = (None if request.param == "memory" else f"sqlite:///{tmp_path}/ledger.db"
           if request.param == "sqlite" else request.getfixturevalue("pg_url"))
    made = make_store(request.param, url)
    yield made
    made.close()


# -- the pure functions, at small stored heights so that every level is exercised -------------------

@pytest.mark.parametrize("height", [1, 2, 3])
def test_every_proof_of_every_small_tree_from_stored_hashes(height: int) -> None:
    """Every root, audit path and consistency proof of trees of 1..40 leaves equals merkle's."""
    leaves = leaves_of(40)
    fetch = fetch_from(leaves, height)
    for size in range(1, 41):
        ranges = [(0, size)] + [r for i in range(size) for r in merkle.inclusion_ranges(i, size)]
        hashes = subtrees.tree_hashes(fetch, ranges, height)
        assert hashes[0] == merkle.root(leaves[:size])
        assert hashes[1:] == [h for i in range(size) for h in merkle.inclusion_proof(leaves, i, size)]
        for old in range(size + 1):
            proof = subtrees.tree_hashes(fetch, merkle.consistency_ranges(old, size), height)
            assert proof == merkle.consistency_proof(leaves, old, size)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 4000), st.data(), st.sampled_from([2, 3, 8]))
def test_any_proof_of_a_random_tree_from_stored_hashes(size: int, data: st.DataObject, height: int) -> None:
    leaves = leaves_of(size)
    fetch = fetch_from(leaves, height)
    index = data.draw(st.integers(0, size - 1))
    old = data.draw(st.integers(0, size))
    assert subtrees.tree_hashes(fetch, merkle.inclusion_ranges(index, size), height) == \
        merkle.inclusion_proof(leaves, index, size)
    assert subtrees.tree_hashes(fetch, merkle.consistency_ranges(old, size), height) == \
        merkle.consistency_proof(leaves, old, size)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 90), min_size=1, max_size=12), st.sampled_from([1, 2, 3, 8]))
def test_growth_in_any_batches_stores_what_the_whole_tree_has(batches: list[int], height: int) -> None:
    """However the leaves arrive, the subtrees Growth completes are the tree's, each once."""
    leaves = leaves_of(sum(batches))
    kept: dict[tuple[int, int], bytes] = {}

    def fetch(h: int, start: int, stop: int) -> Sequence[bytes]:
        return leaves[start:stop] if h == 0 else [kept[(h, i)] for i in range(start, stop)]

    done = 0
    for n in batches:
        growth = subtrees.Growth(done, fetch, height)  # a write starts from what is committed
        for h, i, digest in growth.extend(leaves[done:done + n]):
            assert (h, i) not in kept
            kept[(h, i)] = digest
        done += n
    by_height: dict[int, list[bytes]] = {}
    for (h, _), digest in sorted(kept.items()):
        by_height.setdefault(h, []).append(digest)
    assert by_height == expected(leaves, height)


@pytest.mark.parametrize("height", [1, 2, 8])
def test_the_published_reference_tree_from_stored_hashes(height: int) -> None:
    """transparency-dev's RFC 6962 roots and proofs, read from stored hashes."""
    leaves = [merkle.leaf_hash(bytes.fromhex(d)) for d in VECTORS["leaves_hex"]]
    fetch = fetch_from(leaves, height)
    for size, root in enumerate(VECTORS["roots_hex"], 1):
        assert subtrees.tree_hashes(fetch, [(0, size)], height) == [bytes.fromhex(root)]
    for case in VECTORS["inclusion"]:
        ranges = merkle.inclusion_ranges(case["leaf"] - 1, case["size"])
        assert subtrees.tree_hashes(fetch, ranges, height) == [bytes.fromhex(h) for h in case["proof_hex"]]
    for case in VECTORS["consistency"]:
        ranges = merkle.consistency_ranges(case["size1"], case["size2"])
        assert subtrees.tree_hashes(fetch, ranges, height) == [bytes.fromhex(h) for h in case["proof_hex"]]


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 40), st.data())
def test_a_proof_reads_a_few_ranges_per_stored_height_at_any_size(bits: int, data: st.DataObject) -> None:
    """Up to 2**40 leaves: at most 2 reads per stored height (one fewer in all) and 512 hashes each."""
    size = data.draw(st.integers(1 << (bits - 1), (1 << bits) - 1))
    reads: list[int] = []

    def fetch(h: int, start: int, stop: int) -> Sequence[bytes]:
        reads.append(stop - start)
        return [bytes(32)] * (stop - start)

    index, old = data.draw(st.integers(0, size - 1)), data.draw(st.integers(0, size))
    levels = -(-size.bit_length() // subtrees.HEIGHT)
    for ranges in ([(index, index + 1), (0, size), *merkle.inclusion_ranges(index, size)],
                   [(0, size), *([(0, old)] if old else []), *merkle.consistency_ranges(old, size)]):
        reads.clear()
        subtrees.tree_hashes(fetch, ranges)
        assert len(reads) <= 2 * levels - 1 and sum(reads) <= 512 * levels


def test_a_range_that_is_no_node_is_refused() -> None:
    with pytest.raises(ValueError, match="not a node"):
        subtrees.perfect_parts(2, 6)


# -- every backend, through the front door ---------------------------------------------------------

def test_every_proof_of_a_small_ledger_on_every_backend(store: Store,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """With interior hashes every 2 levels, all proofs of sizes 1..45 equal merkle's over every leaf."""
    monkeypatch.setattr(subtrees, "HEIGHT", 2)
    grow(store, 1, 2, 3, 5, 8, 13, 13)
    leaves = all_leaves(store)
    assert stored(store) == expected(leaves, 2)
    for size in range(1, 46):
        for seq in range(1, size + 1):
            p = proofs.proof(store, seq, size)
            assert (p.leaf_hash, p.root) == (leaves[seq - 1], merkle.root(leaves[:size]))
            assert list(p.path) == merkle.inclusion_proof(leaves, seq - 1, size)
        for old in range(size + 1):
            c = proofs.consistency_proof(store, old, size)
            assert (c.old_root, c.root) == (merkle.root(leaves[:old]), merkle.root(leaves[:size]))
            assert list(c.hashes) == merkle.consistency_proof(leaves, old, size)
    assert integrity.verify(store).ok


BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=BACKENDS)
def grown(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A store of 1,300 records (five tiles and a partial one) written in uneven batches."""
    url = (None if request.param == "memory" else f"sqlite:///{tmp_path_factory.mktemp('grown')}/l.db"
           if request.param == "sqlite" else request.getfixturevalue("pg_module_url"))
    made = make_store(request.param, url)
    grow(made, 1, 254, 1, 300, 211, 1, 532)
    yield made
    made.close()


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_random_proofs_from_the_store_equal_those_over_every_leaf(grown: Store, data: st.DataObject) -> None:
    leaves = all_leaves(grown)
    size = data.draw(st.integers(1, len(leaves)))
    seq, old = data.draw(st.integers(1, size)), data.draw(st.integers(0, size))
    assert list(proofs.proof(grown, seq, size).path) == merkle.inclusion_proof(leaves, seq - 1, size)
    assert list(proofs.consistency_proof(grown, old, size).hashes) == \
        merkle.consistency_proof(leaves, old, size)


BOUNDARIES = [1, 255, 256, 257, 511, 512, 513, 1023, 1024, 1025, 1300]


def test_proofs_at_sizes_across_tile_boundaries(grown: Store) -> None:
    leaves = all_leaves(grown)
    assert stored(grown) == expected(leaves, 8) and len(stored(grown)[8]) == 5
    for size in BOUNDARIES:
        assert proofs.proof(grown, 1, size).root == merkle.root(leaves[:size])
        for seq in {1, 255, 256, 257, 512, 513, size - 1, size} & set(range(1, size + 1)):
            path = proofs.proof(grown, seq, size).path
            assert list(path) == merkle.inclusion_proof(leaves, seq - 1, size)
        for old in BOUNDARIES:
            if old <= size:
                assert list(proofs.consistency_proof(grown, old, size).hashes) == \
                    merkle.consistency_proof(leaves, old, size)


def test_a_ledger_past_two_stored_heights_on_sqlite(sqlite_url: str) -> None:
    """At 65,537 records (heights 8 and 16 stored) proofs are right, and each reads at most 5 ranges."""
    with accord.ledger.open(sqlite_url) as ledger:
        grow(ledger.store, 40_000, 25_535, 1, 1)
        leaves = all_leaves(ledger.store)
        assert {h: len(kept) for h, kept in stored(ledger.store).items()} == {8: 256, 16: 1}
        reads: list[int] = []
        counting = _Counting(ledger.store, reads)
        with accord.ledger.open(store=counting) as counted:
            for size in (65_535, 65_536, 65_537):
                for seq in (1, 30_000, 65_280, 65_281, size):
                    reads.clear()
                    p = counted.proof(seq, size)
                    assert list(p.path) == merkle.inclusion_proof(leaves, seq - 1, size)
                    assert p.root == merkle.root(leaves[:size]) and len(reads) <= 5
                reads.clear()
                c = counted.consistency_proof(40_000, size)
                assert list(c.hashes) == merkle.consistency_proof(leaves, 40_000, size) and len(reads) <= 5
        assert integrity.verify(ledger.store).ok


class _Counting:
    """A store whose readers note each `tree_hashes` call (one query on SQL)."""

    def __init__(self, store: Store, reads: list[int]) -> None:
        self.store, self.reads, self.url = store, reads, store.url

    def reading(self) -> Any:
        from contextlib import contextmanager

        @contextmanager
        def counted() -> Iterator[Any]:
            with self.store.reading() as r:
                plain = r.tree_hashes

                def tree_hashes(height: int, start: int, stop: int) -> list[bytes]:
                    self.reads.append(stop - start)
                    return plain(height, start, stop)

                r.tree_hashes = tree_hashes  # type: ignore[method-assign]
                yield r

        return counted()

    def writing(self) -> Any:
        return self.store.writing()

    def close(self) -> None:
        return None


# -- tampering ---------------------------------------------------------------------------------------

def owner_sql(url: str, *statements: str) -> None:
    """Statements on accord_subtree with its append-only triggers lifted, as its owner could."""
    if url.startswith("postgresql"):
        plain_sql(url, "ALTER TABLE accord_subtree DISABLE TRIGGER USER", *statements,
                  "ALTER TABLE accord_subtree ENABLE TRIGGER USER")
    else:
        guards = ("update", "delete", "replace")
        plain_sql(url, *(f"DROP TRIGGER IF EXISTS accord_subtree_no_{v}" for v in guards), *statements)


@pytest.mark.parametrize(("statement", "index", "words"), [
    ("UPDATE accord_subtree SET hash = (SELECT hash FROM accord_subtree WHERE idx = 0) WHERE idx = 1", 1,
     "the interior hash was altered"),
    ("DELETE FROM accord_subtree WHERE idx = 1", 1, "is missing from accord_subtree: it was deleted"),
    ("INSERT INTO accord_subtree SELECT height, 2, hash FROM accord_subtree WHERE idx = 0", 2,
     "records after seq 600 were removed, or the hash was forged"),
])
def test_verify_names_a_tampered_interior_hash(db_url: str, statement: str, index: int, words: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    with accord.ledger.open(db_url) as ledger:
        grow(ledger.store, 600)
    owner_sql(db_url, statement)
    with accord.ledger.open(db_url, read_only=True) as ledger:
        report = ledger.verify()
    first = index * 256 + 1
    assert not report.ok and report.first_bad is None and words in (report.problem or "")
    assert report.subtree == {"height": 8, "index": index, "first_seq": first, "last_seq": first + 255}
    code, out, _ = cli(capsys, db_url, "verify")
    assert code == 1 and out.startswith("TAMPERED: ") and f"seqs {first}..{first + 255}" in out
    if statement.startswith("DELETE"):  # a proof that needs the deleted hash says so, and where
        code, _, err = cli(capsys, db_url, "proof", "300")
        assert code == 1 and "missing stored interior hashes of height 8" in err


def test_checkpoint_since_an_earlier_one_checks_the_interior_hashes(
        sqlite_url: str, tmp_path: Path) -> None:
    """Over the records since the earlier checkpoint an altered hash is named; under it, the checkpoint
    no longer folds: either way nothing is signed."""
    write_keypair(tmp_path / "k.key", "test")
    signer = load_signer(tmp_path / "k.key")
    with accord.ledger.open(sqlite_url) as ledger:
        grow(ledger.store, 300)
        earlier = ledger.checkpoint(signer)
        grow(ledger.store, 300)
        assert ledger.checkpoint(signer, previous=earlier)  # intact: signed
    for index, words in ((1, "seqs 257..512 (height 8, index 1) is "), (0, "does not extend the checkpoint")):
        owner_sql(sqlite_url, f"UPDATE accord_subtree SET hash = zeroblob(32) WHERE idx = {index}")
        with accord.ledger.open(sqlite_url, read_only=True) as ledger, \
                pytest.raises(IntegrityError, match="refusing to sign") as refused:
            ledger.checkpoint(signer, previous=earlier)
        assert words in str(refused.value)
        with accord.ledger.open(sqlite_url, read_only=True) as ledger:
            assert not ledger.verify().ok


def test_the_interior_hashes_are_append_only_in_the_database(db_url: str) -> None:
    with accord.ledger.open(db_url) as ledger:
        grow(ledger.store, 300)
    statements = ["UPDATE accord_subtree SET hash = hash", "DELETE FROM accord_subtree"]
    if db_url.startswith("postgresql"):
        statements.append("TRUNCATE accord_subtree")
        statements.append("SET LOCAL session_replication_role = replica; DELETE FROM accord_subtree")
    else:  # a REPLACE deletes the old row without firing a DELETE trigger
        statements.append("REPLACE INTO accord_subtree SELECT height, idx, hash FROM accord_subtree")
    for statement in statements:
        with pytest.raises(sa.exc.DBAPIError, match="accord_subtree is append-only"):
            plain_sql(db_url, *statement.split("; "))
    with accord.ledger.open(db_url, read_only=True) as ledger:
        assert ledger.verify().ok


# -- upgrading an older ledger ------------------------------------------------------------------------

def test_an_older_ledger_gets_its_interior_hashes_on_upgrade(db_url: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from accord.store import sql as store_sql

    monkeypatch.setattr(subtrees, "HEIGHT", 2)  # many stored heights from a few records
    with monkeypatch.context() as patch:
        patch.setattr(store_sql, "HEAD_REVISION", "0008")
        with accord.ledger.open(db_url) as old:
            for n in (70, 1, 29):  # written as accord did before 0009: the records only
                with old.store.writing() as w:
                    batch = Batch(w.head(), AT)
                    for _ in range(n):
                        batch.stamp(case=None, workflow=None, type="note.added", at=AT, actor="system:test",
                                    data={}, version=None)
                    w.append(batch.rows)
    with accord.ledger.open(db_url) as ledger:
        leaves = all_leaves(ledger.store)
        assert len(leaves) == 100 and stored(ledger.store) == expected(leaves, 2)
        assert list(ledger.proof(37, 99).path) == merkle.inclusion_proof(leaves, 36, 99)
        grow(ledger.store, 5, 27)  # and it goes on growing from them
        leaves = all_leaves(ledger.store)
        assert stored(ledger.store) == expected(leaves, 2) and ledger.verify().ok
