"""The seams between accord's core and the world: the `Store` and the `Clock`.

The store knows rows, not rules: the service builds each row (canonical bytes,
leaf hash, chain hash) and the interior hashes of the Merkle tree those rows
complete, and the store appends them inside one write transaction that also
serialises writers, so the chain never forks and the tree's stored hashes never
disagree with a committed log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator
from contextlib import AbstractContextManager
from typing import NamedTuple, Protocol

CHAIN_START = bytes(32)
"""The chain hash "before" seq 1."""

INDEXED_KINDS = ("contract.applied", "roster.applied", "routing.decided", "action.taken",
                 "exception.raised", "exception.decided", "exception.escalated",
                 "incident.opened", "learning.opened", "learning.closed", "case.opened")
"""The record types a store reads by type (`Reader.kind_rows`); any other type is read by case."""


def require_indexed(types: Collection[str]) -> None:
    """Raise ValueError unless every one of ``types`` is in INDEXED_KINDS.

    Each store's `kind_rows` calls it: reading another type by type would scan the
    whole log, so asking for one is a caller's mistake.
    """
    unindexed = set(types).difference(INDEXED_KINDS)
    if unindexed:
        raise ValueError(f"kind_rows reads only indexed kinds; not {sorted(unindexed)}")


class Row(NamedTuple):
    """One stored log record, exactly as the database holds it (in column order)."""

    seq: int
    case_id: str | None
    type: str
    canonical: bytes
    leaf_hash: bytes
    chain_hash: bytes
    event_id: str | None = None
    """The client's own id of the event, when it gave one (unique in the ledger)."""


class Subtree(NamedTuple):
    """One stored interior hash of the log's Merkle tree: the root of the perfect subtree of
    ``2**height`` leaves with index ``idx`` (leaves ``idx·2**height`` onwards, seqs one more)."""

    height: int
    idx: int
    hash: bytes
class TokenRow(NamedTuple):
    """One API token as stored: the SHA-256 of its secret, never the secret."""

    id: str
    secret_hash: bytes
    subject: str
    kind: str
    grants: str
    """JSON list of what it grants (``admin``/``auditor`` for a person, workflows for a system)."""
    created: str
    expires: str | None
    seq: int
    """The seq of its ``token.created`` record."""
    revoked: str | None = None
    revoked_seq: int | None = None


class Head(NamedTuple):
    size: int
    chain_hash: bytes


class Reader(Protocol):
    """Reads inside one consistent snapshot."""

    def head(self) -> Head: ...

    def case_rows(self, case_ids: Collection[str]) -> list[Row]:
        """Every row of these cases, in seq order."""

    def kind_rows(self, types: Collection[str], after_seq: int = 0) -> list[Row]:
        """Rows of these types (each one of INDEXED_KINDS; others raise ValueError) with
        seq > after_seq, in seq order."""

    def latest_kind_rows(self, types: Collection[str], limit: int,
                         before_seq: int | None = None) -> list[Row]:
        """Up to ``limit`` rows of these types (each one of INDEXED_KINDS; others raise
        ValueError) with seq < before_seq (any seq when None), newest first: a page of them."""

    def scan(self, start: int | None = None, stop: int | None = None) -> Iterator[Row]:
        """Rows with start <= seq (< stop), in seq order, streamed; every stored row by default,
        even one a forger put below seq 1."""

    def leaf_hashes(self, size: int) -> list[bytes]:
        """The stored leaf hashes of seqs 1..size."""

    def tree_hashes(self, height: int, start: int, stop: int) -> list[bytes]:
        """The stored hashes of the perfect subtrees of ``2**height`` leaves with index
        ``start <= i < stop``, in index order, leaving out any not stored. Height 0 reads the leaf
        hashes of seqs start+1..stop from the log; a greater height, the stored interior hashes."""

    def subtrees(self) -> Iterator[Subtree]:
        """Every stored interior hash, by height then index, streamed."""

    def known_ids(self, event_ids: Collection[str]) -> set[str]:
        """Which of these client event ids are already stored."""

    def chain_hashes(self, seqs: Collection[int]) -> dict[int, bytes]:
        """The stored chain hash of each of these seqs that exists."""

    def meta(self, key: str) -> str | None: ...

    def tokens(self, token_id: str | None = None) -> list[TokenRow]:
        """Every API token (or the one with ``token_id``), oldest first, with its revocation."""


class Writer(Reader, Protocol):
    def append(self, rows: list[Row]) -> None:
        """Append rows (seqs continue the head); committed when the `writing` block exits."""

    def append_subtrees(self, subtrees: list[Subtree]) -> None:
        """Store interior hashes the rows appended in this transaction complete; committed with them."""
    def add_token(self, token: TokenRow) -> None:
        """Store a new token (its revocation fields are ignored)."""

    def revoke_token(self, token_id: str, at: str, seq: int) -> None:
        """Record that ``token_id`` was revoked at ``at`` (by the log record ``seq``)."""


class Store(Protocol):
    """Where the log lives. Two implementations: SQL (SQLite/PostgreSQL) and memory."""

    url: str

    def reading(self) -> AbstractContextManager[Reader]: ...

    def writing(self) -> AbstractContextManager[Writer]:
        """A write transaction; only one at a time across threads and processes."""

    def close(self) -> None: ...


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current instant, timezone-aware UTC."""


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock that says what it is told; tests move it by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self._now = now

    def now(self) -> dt.datetime:
        return self._now

    def set(self, now: dt.datetime) -> None:
        self._now = now

    def advance(self, delta: dt.timedelta) -> None:
        self._now += delta
