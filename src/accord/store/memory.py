"""The `Store` port over a Python list: a ledger with no database, for tests and trials.

``accord.open(store=MemoryStore())`` runs the same rules and hashing as the SQL store.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager

from accord.store.ports import CHAIN_START, Head, Row, Subtree, TokenRow, require_indexed

__all__ = ["MemoryStore"]


class MemoryStore:
    """The `Store` port over a Python list; a failed write transaction leaves it untouched."""

    url = "memory://"

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.subtree_hashes: dict[tuple[int, int], bytes] = {}
        """The stored interior hashes by (height, index)."""
        self.meta_values = {"origin": "accord.ledger/memory"}
        self.token_rows: dict[str, TokenRow] = {}
        self._lock = threading.RLock()

    @contextmanager
    def reading(self) -> Iterator[_MemoryTxn]:
        with self._lock:
            yield _MemoryTxn(self, list(self.rows), dict(self.subtree_hashes))

    @contextmanager
    def writing(self) -> Iterator[_MemoryTxn]:
        with self._lock:
            txn = _MemoryTxn(self, list(self.rows), dict(self.subtree_hashes))
            txn.token_rows = dict(self.token_rows)
            yield txn
            self.rows = txn.rows
            self.subtree_hashes = txn.subtree_hashes
            self.token_rows = txn.token_rows

    def close(self) -> None:
        return None


class _MemoryTxn:
    def __init__(self, store: MemoryStore, rows: list[Row],
                 subtree_hashes: dict[tuple[int, int], bytes]) -> None:
        self.store = store
        self.rows = rows
        self.subtree_hashes = subtree_hashes
        self.token_rows = store.token_rows

    def head(self) -> Head:
        return Head(self.rows[-1].seq, self.rows[-1].chain_hash) if self.rows else Head(0, CHAIN_START)

    def case_rows(self, case_ids: Collection[str]) -> list[Row]:
        wanted = set(case_ids)
        return [r for r in self.rows if r.case_id in wanted]

    def kind_rows(self, types: Collection[str], after_seq: int = 0) -> list[Row]:
        require_indexed(types)  # as the SQL store does
        wanted = set(types)
        return [r for r in self.rows if r.type in wanted and r.seq > after_seq]

    def latest_kind_rows(self, types: Collection[str], limit: int,
                         before_seq: int | None = None) -> list[Row]:
        require_indexed(types)
        wanted = set(types)
        found = [r for r in reversed(self.rows)
                 if r.type in wanted and (before_seq is None or r.seq < before_seq)]
        return found[:limit]

    def scan(self, start: int | None = None, stop: int | None = None) -> Iterator[Row]:
        return iter([r for r in self.rows if (start is None or r.seq >= start)
                     and (stop is None or r.seq < stop)])

    def leaf_hashes(self, size: int) -> list[bytes]:
        return [r.leaf_hash for r in self.rows[:size]]

    def tree_hashes(self, height: int, start: int, stop: int) -> list[bytes]:
        if height == 0:
            return [r.leaf_hash for r in self.rows[max(start, 0):stop]]
        found = (self.subtree_hashes.get((height, i)) for i in range(start, stop))
        return [h for h in found if h is not None]

    def subtrees(self) -> Iterator[Subtree]:
        return iter([Subtree(h, i, digest) for (h, i), digest in sorted(self.subtree_hashes.items())])

    def chain_hashes(self, seqs: Collection[int]) -> dict[int, bytes]:
        wanted = set(seqs)
        return {r.seq: r.chain_hash for r in self.rows if r.seq in wanted}

    def known_ids(self, event_ids: Collection[str]) -> set[str]:
        stored = {r.event_id for r in self.rows if r.event_id is not None}
        return stored.intersection(event_ids)

    def meta(self, key: str) -> str | None:
        return self.store.meta_values.get(key)

    def append(self, rows: list[Row]) -> None:
        self.rows.extend(rows)

    def append_subtrees(self, subtrees: list[Subtree]) -> None:
        for height, index, digest in subtrees:
            if (height, index) in self.subtree_hashes:  # as the SQL store's primary key refuses
                raise ValueError(f"interior hash of height {height}, index {index} is already stored")
            self.subtree_hashes[(height, index)] = digest

    def tokens(self, token_id: str | None = None) -> list[TokenRow]:
        found = sorted(self.token_rows.values(), key=lambda t: t.seq)
        return [t for t in found if token_id is None or t.id == token_id]

    def add_token(self, token: TokenRow) -> None:
        if token.id in self.token_rows:
            raise ValueError(f"token {token.id} exists")
        self.token_rows[token.id] = token._replace(revoked=None, revoked_seq=None)

    def revoke_token(self, token_id: str, at: str, seq: int) -> None:
        self.token_rows[token_id] = self.token_rows[token_id]._replace(revoked=at, revoked_seq=seq)
