"""The contracts and rosters in force, read from the log's `contract.applied` and
`roster.applied` records and kept current as other writers append them.

A :class:`Book` is shared by every use case of one open ledger; it reads only
the records applied since it last looked, and nothing at all while the log's
head is the one it was current at.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from accord.contract.model import Contract, Roster
from accord.errors import NotFound
from accord.runtime.roles import Roles
from accord.runtime.routing import Router
from accord.store.ports import Head, Reader, Store
from accord.store.stored import StoredEvent

CONFIG_TYPES = ("contract.applied", "roster.applied")
"""The log records that change what the book holds."""


@dataclass(frozen=True)
class AppliedContract:
    """One applied version of a workflow's contract; ``new`` says whether applying stored it."""

    workflow: str
    version: int
    hash: str
    seq: int
    at: str
    contract: Contract
    new: bool = False

    def as_json(self) -> dict[str, Any]:
        """The `contract list --json` item."""
        return {"workflow": self.workflow, "version": self.version, "hash": self.hash,
                "applied_at": self.at, "seq": self.seq}


@dataclass(frozen=True)
class AppliedRoster:
    """One applied roster version; the latest applied is authoritative."""

    version: int
    hash: str
    seq: int
    at: str
    roster: Roster
    new: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"version": self.version, "hash": self.hash, "applied": self.new}


class Book:
    """Every applied contract version and roster of one ledger; thread-safe."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.RLock()
        self._contracts: dict[tuple[str, int], AppliedContract] = {}
        self._latest: dict[str, int] = {}
        self._routers: dict[tuple[str, int], Router] = {}
        self._rosters: list[AppliedRoster] = []
        self._seen_seq = 0
        # A head names the whole log: while it is the one the book was current at, no other
        # writer applied anything, and a write transaction need not read the config records.
        self._current_at: Head | None = None

    def refresh(self, reader: Reader | None = None, head: Head | None = None) -> None:
        """Read what was applied since the book last looked (by any process).

        Given the ``head`` the reader sees, nothing is read when the book is current at it.
        """
        if reader is None:
            with self._store.reading() as r:
                self.refresh(r)
            return
        with self._lock:
            if head is not None and head == self._current_at:
                return
            for row in reader.kind_rows(CONFIG_TYPES, self._seen_seq):
                self._take(StoredEvent.from_row(row))
            if head is not None:
                self._current_at = head

    def _take(self, event: StoredEvent) -> None:
        data = event.data
        if event.type == "contract.applied":
            contract = Contract.model_validate(data["contract"], strict=False)
            applied = AppliedContract(contract.workflow, data["version"], data["hash"], event.seq,
                                      event.at, contract)
            self._contracts[(applied.workflow, applied.version)] = applied
            self._latest[applied.workflow] = max(self._latest.get(applied.workflow, 0), applied.version)
        else:
            roster = Roster.model_validate(data["roster"], strict=False)
            self._rosters.append(AppliedRoster(data["version"], data["hash"], event.seq, event.at, roster))
        self._seen_seq = max(self._seen_seq, event.seq)

    def advanced(self, before: Head, after: Head, changed: bool) -> None:
        """A write of this process moved the log from ``before`` to ``after``.

        The book stays current when it was current at ``before`` and the write
        applied no contract or roster (``changed``).
        """
        with self._lock:
            if self._current_at == before and not changed:
                self._current_at = after

    # -- what is in force ---------------------------------------------------------------------

    def latest_versions(self) -> dict[str, int]:
        """Each workflow's latest applied version, as of the last refresh."""
        return dict(self._latest)

    def latest_version(self, workflow: str) -> int | None:
        """The latest applied version of ``workflow`` as of the last refresh."""
        return self._latest.get(workflow)

    def pinned(self, workflow: str, version: int) -> Contract:
        """The contract version a case pinned (known to the book: the case's own records name it)."""
        return self._contracts[(workflow, version)].contract

    def known(self, workflow: str, version: int) -> AppliedContract:
        """An applied version the book already holds (inside a write, which refreshed it)."""
        return self._contracts[(workflow, version)]

    def contract(self, workflow: str, version: int | None = None) -> AppliedContract:
        """The applied contract (latest version by default), refreshed first; raises NotFound."""
        self.refresh()
        v = version if version is not None else self._latest.get(workflow)
        found = self._contracts.get((workflow, v)) if v is not None else None
        if found is None:
            known = ", ".join(sorted(self._latest)) or "none yet"
            what = f"version {version} of {workflow!r}" if version else f"workflow {workflow!r}"
            raise NotFound(f"no contract applied for {what} (applied workflows: {known}); "
                           "run `accord contract apply FILE`")
        return found

    def contracts(self) -> list[AppliedContract]:
        """Every applied contract version, by workflow then version, refreshed first."""
        self.refresh()
        return sorted(self._contracts.values(), key=lambda c: (c.workflow, c.version))

    def roster(self) -> AppliedRoster | None:
        """The latest applied roster, refreshed first; None when none was applied."""
        self.refresh()
        return self._rosters[-1] if self._rosters else None

    def latest_roster(self) -> AppliedRoster | None:
        """The latest roster as of the last refresh (inside a write, which refreshed)."""
        return self._rosters[-1] if self._rosters else None

    def roles(self, refresh: bool = True) -> Roles:
        """Role lookups by the latest roster (refreshed first unless inside a write, which did)."""
        applied = self.roster() if refresh else self.latest_roster()
        return Roles(applied.roster if applied is not None else None)

    def router(self, workflow: str, version: int) -> Router:
        """The router of a contract version, built once (its rules compiled once)."""
        key = (workflow, version)
        router = self._routers.get(key)  # built once; a dict read needs no lock
        if router is not None:
            return router
        with self._lock:
            router = self._routers.get(key)
            if router is None:
                router = self._routers[key] = Router(self._contracts[key].contract, version)
            return router
