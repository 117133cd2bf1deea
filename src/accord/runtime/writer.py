"""The one write path: every record accord appends goes through :meth:`Writer.write`.

A write is one transaction: the store's write lock, the head, the book brought
current, then the caller's ``build`` stamping new records on a :class:`Batch`
(canonical bytes, leaf hash, chain hash, in seq order), then the append of the
records and of the Merkle tree's interior hashes they complete, and the commit —
or, when ``build`` found problems, nothing at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from accord._time import format_time
from accord.errors import ActionRefused, EventProblem, EventRefused
from accord.integrity.canonical import canonical_envelope
from accord.integrity.merkle import leaf_hash
from accord.integrity.subtrees import Growth
from accord.runtime.book import CONFIG_TYPES, Book
from accord.store.ports import Clock, Head, Row, Store
from accord.store.ports import Writer as StoreWriter
from accord.store.stored import StoredEvent

ENFORCE = "enforce"
"""The field of a problem that an enforced contract raised (ActionRefused when all are)."""


def chain_hash(previous: bytes, leaf: bytes) -> bytes:
    """The per-log hash chain: SHA-256(previous chain hash ‖ leaf hash)."""
    return hashlib.sha256(previous + leaf).digest()


MAX_LISTED_PROBLEMS = 100
"""Problems a refused batch lists one by one; the rest are counted."""


class Batch:
    """New records of one write transaction, stamped in seq order.

    Stamped rows wait in ``rows`` until :meth:`flush` appends them to the
    transaction, so a long batch holds only a chunk in memory; nothing is
    committed before the whole batch is.
    """

    __slots__ = ("chain", "changes_config", "client_events", "first", "flushed", "growth", "head", "missing",
                 "new_head", "problems", "recorded_at", "routes", "rows", "unlisted")

    def __init__(self, head: Head, recorded_at: str) -> None:
        self.head = head
        self.first = head.size + 1
        self.chain = head.chain_hash
        self.recorded_at = recorded_at
        self.rows: list[Row] = []
        self.flushed = 0
        """Rows already appended to the transaction."""
        self.problems: list[EventProblem] = []
        self.unlisted = 0
        """Problems beyond MAX_LISTED_PROBLEMS, counted only."""
        self.missing: list[str] = []
        """What an enforced action lacks, in words (ActionRefused.missing)."""
        self.client_events = 0
        self.routes: dict[str, tuple[dict[str, Any], int]] = {}  # case -> (decision, seq)
        self.changes_config = False  # stamps a contract or roster
        self.new_head = head
        """The log's head with this batch appended; set on commit."""
        self.growth: Growth | None = None
        """The interior hashes the flushed rows complete (made at the first flush)."""

    @property
    def next_seq(self) -> int:
        """The seq the next stamped record gets."""
        return self.first + self.flushed + len(self.rows)

    @property
    def written(self) -> int:
        """How many records this batch stamped."""
        return self.flushed + len(self.rows)

    def flush(self, writer: StoreWriter) -> None:
        """Append the rows stamped so far to the transaction, and the interior hashes of the
        Merkle tree they complete (committed with it, or not at all)."""
        if self.rows:
            writer.append(self.rows)
            if self.growth is None:
                self.growth = Growth(self.head.size, writer.tree_hashes)
            writer.append_subtrees(self.growth.extend([row.leaf_hash for row in self.rows]))
            self.flushed += len(self.rows)
            self.rows = []

    def stamp(self, *, case: str | None, workflow: str | None, type: str, at: str, actor: str,
              data: dict[str, Any], version: int | None, note: str | None = None,
              event_id: str | None = None) -> StoredEvent:
        """Append one record to the batch and return it as stored."""
        event = StoredEvent(self.next_seq, case, workflow, type, at, actor, data,
                            version, self.recorded_at, note, event_id)
        if type in CONFIG_TYPES:
            self.changes_config = True
        canonical = canonical_envelope(event.envelope())
        event.leaf_hash = leaf = leaf_hash(canonical)
        self.chain = chain = chain_hash(self.chain, leaf)
        self.rows.append(Row(event.seq, case, type, canonical, leaf, chain, event_id))
        return event

    def refuse(self, where: str, field: str, message: str) -> None:
        """Note a problem: the whole batch is refused and nothing of it stored."""
        self.note(EventProblem(where, field, message))

    def refusal(self) -> EventRefused | None:
        """The refusal the problems noted so far amount to (ActionRefused when only enforcement
        refused), or None when there are none."""
        if not self.problems:
            return None
        if self.missing and all(p.field == ENFORCE for p in self.problems):
            return ActionRefused(self.problems, self.missing)
        return EventRefused(self.problems, unlisted=self.unlisted)

    def note(self, problem: EventProblem) -> None:
        """Note a problem found elsewhere (a line that is not JSON, say)."""
        if len(self.problems) < MAX_LISTED_PROBLEMS:
            self.problems.append(problem)
        else:
            self.unlisted += 1


Build = Callable[[StoreWriter, Batch], None]


class Writer:
    """Runs builds inside the store's write transaction and appends what they stamp."""

    def __init__(self, store: Store, clock: Clock, book: Book) -> None:
        self.store = store
        self.clock = clock
        self.book = book

    def write(self, build: Build) -> Batch:
        """Run ``build`` inside one write transaction and append what it stamped.

        ``build`` reads through the store writer and stamps new records with
        ``batch.stamp(...)``; problems it notes with ``batch.refuse`` refuse the
        whole batch (EventRefused, or ActionRefused when only enforcement
        refused), and so does any exception it raises.

        The head is read after the store's write lock is taken, so no other
        writer can move it until this write commits or rolls back.
        """
        with self.store.writing() as w:
            head = w.head()
            batch = Batch(head, format_time(self.clock.now()))
            self.book.refresh(w, head)
            build(w, batch)
            refused = batch.refusal()
            if refused is not None:
                raise refused
            batch.flush(w)
        batch.new_head = Head(head.size + batch.written, batch.chain)
        self.book.advanced(head, batch.new_head, batch.changes_config)
        return batch
