"""The parts every use case works with, over one store: the clock, the book of
contracts and rosters, the write path, the recorder, and reads of the log.

The front door (:class:`accord.Ledger`) owns one :class:`Core`; the use-case
functions of ``runtime`` and ``review`` take it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from accord.contract.model import Contract, Roster
from accord.errors import NotFound, RosterRefused
from accord.integrity.canonical import canonical_bytes
from accord.integrity.verify import Tampering, check_row, check_rows
from accord.runtime.book import AppliedContract, AppliedRoster, Book
from accord.runtime.recording import Recorder
from accord.runtime.roster_changes import diffuse_owners, past_changes
from accord.runtime.writer import Batch, Writer
from accord.store.ports import CHAIN_START, Clock, Row, Store, SystemClock
from accord.store.ports import Writer as StoreWriter
from accord.store.stored import StoredEvent


def content_hash(value: Any) -> str:
    """SHA-256 (hex) of a document's RFC 8785 bytes: how applied contracts and rosters are named."""
    return hashlib.sha256(canonical_bytes(value)).hexdigest()


class Core:
    """One ledger's store, clock, book, writer and recorder, and its reads."""

    def __init__(self, store: Store, clock: Clock | None = None) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self.book = Book(store)
        self.writer = Writer(store, self.clock, self.book)
        self.recorder = Recorder(self.writer, self.book)

    # -- reads ----------------------------------------------------------------------------

    def case_events(self, case: str) -> list[StoredEvent]:
        """Every record of ``case`` in seq order; raises NotFound for an unknown case."""
        with self.store.reading() as r:
            events = [StoredEvent.from_row(row) for row in r.case_rows([case])]
        if not events or events[0].type != "case.opened":
            raise NotFound(f"no case {case!r} in this ledger")
        return events

    def cases_events(self, cases: Iterable[str]) -> dict[str, list[StoredEvent]]:
        """Each named case's records in seq order (unknown cases are left out)."""
        out: dict[str, list[StoredEvent]] = {}
        with self.store.reading() as r:
            for row in r.case_rows(list(cases)):
                e = StoredEvent.from_row(row)
                out.setdefault(e.case or "", []).append(e)
        return out

    def kind_events(self, types: Sequence[str]) -> list[StoredEvent]:
        """Every record of these (indexed) types, in seq order."""
        with self.store.reading() as r:
            return [StoredEvent.from_row(row) for row in r.kind_rows(types)]

    def events(self, start: int = 1) -> Iterator[StoredEvent]:
        """The whole log from ``start``, in seq order, streamed."""
        with self.store.reading() as r:
            for row in r.scan(start):
                yield StoredEvent.from_row(row)

    def checked_case(self, case: str) -> tuple[list[StoredEvent], list[Tampering]]:
        """``case``'s records, each re-hashed and its chain link checked; the records that do not
        hold are listed (and left out when their bytes cannot even be read). Raises NotFound."""
        with self.store.reading() as r:
            rows = r.case_rows([case])
            tampered = check_rows(rows, r) if rows else []
        events = [e for e in map(_decoded, rows) if e is not None]
        if not events or events[0].type != "case.opened":
            if tampered:
                return events, tampered
            raise NotFound(f"no case {case!r} in this ledger")
        return events, tampered

    def checked_log(self, case: str | None = None) -> CheckedRecords:
        """The log (or one case) in seq order, streamed, each record re-hashed against the one
        before it; what does not hold is collected in ``tampered`` as the stream goes."""
        return CheckedRecords(self, case)

    def case_contract(self, events: Sequence[StoredEvent]) -> Contract:
        """The contract version a case pinned, from its records."""
        first = events[0]
        assert first.workflow is not None and first.contract_version is not None
        return self.book.contract(first.workflow, first.contract_version).contract

    # -- applying contracts and rosters ----------------------------------------------------------

    def apply_contract(self, contract: Contract, actor: str) -> AppliedContract:
        """Store a (lint-clean) contract as its workflow's next version, unless it is identical
        to the latest; returns the version in force, ``new`` when this call stored it."""
        return self.apply_contracts([contract], actor)[0]

    def apply_contracts(self, contracts: Sequence[Contract], actor: str) -> list[AppliedContract]:
        """Store (lint-clean) contracts of distinct workflows in one write, all or none; each
        identical to its workflow's latest version is left as it is. Returns the version in
        force of each, in order, ``new`` when this call stored it."""
        bodies = [c.model_dump(mode="json", by_alias=True, exclude_none=True) for c in contracts]
        stored: set[str] = set()

        def build(w: StoreWriter, batch: Batch) -> None:
            stored.clear()  # a second run (see Writer.write) starts again
            for contract, body in zip(contracts, bodies, strict=True):
                digest = content_hash(body)
                latest = self.book.latest_version(contract.workflow)
                if latest is not None and self.book.known(contract.workflow, latest).hash == digest:
                    continue
                version = (latest or 0) + 1
                batch.stamp(case=None, workflow=contract.workflow, type="contract.applied",
                            at=batch.recorded_at, actor=actor, version=version,
                            data={"contract": body, "hash": digest, "version": version})
                stored.add(contract.workflow)

        self.writer.write(build)
        result = []
        for contract in contracts:
            applied = self.book.contract(contract.workflow)
            result.append(AppliedContract(applied.workflow, applied.version, applied.hash, applied.seq,
                                          applied.at, applied.contract, new=contract.workflow in stored))
        return result

    def apply_roster(self, roster: Roster, actor: str, amend_past: str | None = None) -> AppliedRoster:
        """Store a roster as the next version unless identical to the latest; the latest is
        authoritative. Returns the roster in force, ``new`` when this call stored it.

        Raises RosterRefused when the roster removes or shortens a holding on a day
        before today (unless ``amend_past`` gives the reason, which is kept), or gives
        an owner role of an applied contract two holders on the same days.
        """
        body = roster.model_dump(mode="json", by_alias=True, exclude_none=True)
        digest = content_hash(body)
        today = self.clock.now().date()

        def build(w: StoreWriter, batch: Batch) -> None:
            latest = self.book.latest_roster()
            if latest is not None and latest.hash == digest:
                return
            contracts = [self.book.known(wf, v).contract for wf, v in self.book.latest_versions().items()]
            if diffuse := diffuse_owners(roster, contracts):
                raise RosterRefused(diffuse, "nothing was applied")
            changes = past_changes(latest.roster, roster, today) if latest is not None else []
            if changes and not (amend_past or "").strip():
                raise RosterRefused(changes, "nothing was applied: the past is not rewritten silently; "
                                    "people who leave get an `until`. If the record of who held a role was "
                                    "wrong, apply again with --amend-past --reason TEXT")
            data: dict[str, Any] = {"roster": body, "hash": digest,
                                    "version": (latest.version if latest else 0) + 1}
            if changes:
                data["amended_past"] = {"reason": amend_past, "changes": changes}
            batch.stamp(case=None, workflow=None, type="roster.applied", at=batch.recorded_at,
                        actor=actor, version=None, data=data)

        stored = bool(self.writer.write(build).written)
        applied = self.book.roster()
        assert applied is not None
        return AppliedRoster(applied.version, applied.hash, applied.seq, applied.at, applied.roster,
                             new=stored)


def _decoded(row: Row) -> StoredEvent | None:
    """The record's envelope, or None when its bytes are not one (a tampered record)."""
    try:
        return StoredEvent.from_row(row)
    except (ValueError, KeyError, TypeError):
        return None


class CheckedRecords:
    """Records streamed in seq order, each checked against the chain; ``tampered`` fills as it goes."""

    def __init__(self, core: Core, case: str | None) -> None:
        self._core = core
        self._case = case
        self.tampered: list[Tampering] = []

    def expected(self) -> int | None:
        """How many records the stream holds, when cheap to know: the log's size for the whole
        log (records appended meanwhile may follow), None for one case."""
        if self._case is not None:
            return None
        with self._core.store.reading() as r:
            return r.head().size

    def __iter__(self) -> Iterator[StoredEvent]:
        if self._case is not None:
            events, self.tampered = self._core.checked_case(self._case)
            yield from events
            return
        previous = CHAIN_START
        expected = 1
        with self._core.store.reading() as r:
            for row in r.scan():
                if row.seq != expected:
                    self.tampered.append(Tampering(row.seq, f"seq {row.seq} follows seq {expected - 1}: "
                                                   "records were removed or inserted here"))
                    previous = r.chain_hashes([row.seq - 1]).get(row.seq - 1, previous)
                _, chain, problem = check_row(row, previous)
                if problem is not None:
                    self.tampered.append(Tampering(row.seq, problem))
                previous, expected = row.chain_hash if type(row.chain_hash) is bytes else chain, row.seq + 1
                event = _decoded(row)
                if event is not None:
                    yield event
